"""Tests of simengine.weather."""
