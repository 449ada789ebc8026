"""Scenario files: their schema, their safe expression language and their loading."""
