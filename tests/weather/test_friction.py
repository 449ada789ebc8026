"""Friction, braking deceleration and stopping distance."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simengine.weather import (
    G_MPS2,
    MU_PEAK,
    ROAD_STATES,
    friction,
    friction_of,
    max_decel_mps2,
    stopping_distance_m,
    weather_state,
)

DRY, WET, SNOW, ICE = range(4)


def test_mu_ordering_dry_wet_snow_ice() -> None:
    mu = friction(np.arange(4, dtype=np.int8), 0.0, 15.0)
    assert mu[DRY] > mu[WET] > mu[SNOW] > mu[ICE] > 0
    assert [MU_PEAK[name] for name in ROAD_STATES] == list(mu)


def test_stopping_distance_formula() -> None:
    d = stopping_distance_m(25.0, 1.0, 0.8)
    assert d == pytest.approx(25.0 + 625.0 / (2 * 0.8 * 9.80665))
    assert G_MPS2 == 9.80665
    assert max_decel_mps2(0.8) == pytest.approx(0.8 * 9.80665)
    np.testing.assert_allclose(stopping_distance_m(np.array([0.0, 10.0]), 1.5, 0.5),
                               [0.0, 15.0 + 100.0 / (2 * 0.5 * 9.80665)])
    assert np.isinf(stopping_distance_m(10.0, 1.0, 0.0))


def test_rain_turns_a_dry_road_wet() -> None:
    dry = friction(DRY, 0.0, 15.0)
    drizzle = friction(DRY, 0.2, 15.0)
    rain = friction(DRY, 2.0, 15.0)
    heavy = friction(DRY, 20.0, 15.0)
    assert drizzle == dry
    assert rain == pytest.approx(MU_PEAK["wet"])
    assert rain < dry
    assert heavy < rain


def test_freezing_and_snowfall() -> None:
    assert friction(WET, 0.0, -2.0) == pytest.approx(MU_PEAK["ice"])  # black ice
    assert friction(DRY, 2.0, -1.0) == pytest.approx(MU_PEAK["ice"])  # freezing rain
    assert friction(DRY, 0.0, -5.0) == pytest.approx(MU_PEAK["dry"])  # cold and dry stays dry
    assert friction(DRY, 0.0, -5.0, snow_mm_h=1.0) == pytest.approx(MU_PEAK["snow"])
    assert friction(DRY, 0.0, 3.0, snow_mm_h=1.0) == pytest.approx(MU_PEAK["dry"])
    assert friction(ICE, 0.0, 10.0) == pytest.approx(MU_PEAK["ice"])


def test_friction_is_monotone() -> None:
    rains = [0.0, 0.4, 0.5, 3.0, 7.6, 30.0]
    snows = [0.0, 0.5, 3.0]
    temps = [-10.0, 0.0, 0.5, 20.0]
    for road in range(4):
        for snow, temp in itertools.product(snows, temps):
            mu = friction(road, np.array(rains), temp, snow_mm_h=snow)
            assert np.all(np.diff(mu) <= 0), (road, snow, temp)
        for rain, temp in itertools.product(rains, temps):
            mu = friction(road, rain, temp, snow_mm_h=np.array(snows))
            assert np.all(np.diff(mu) <= 0), (road, rain, temp)
        for rain, snow in itertools.product(rains, snows):
            mu = friction(road, rain, np.array(temps), snow_mm_h=snow)
            assert np.all(np.diff(mu) >= 0), (road, rain, snow)


def test_friction_of_a_state() -> None:
    state = weather_state({"weather.road": np.array(["dry", "wet"], dtype=object),
                           "weather.rain_mm_h": np.array([1.0, 0.0])}, 2)
    np.testing.assert_allclose(friction_of(state), [MU_PEAK["wet"], MU_PEAK["wet"]])
