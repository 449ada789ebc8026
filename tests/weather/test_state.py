"""weather_state: defaults, parsing of the road, columns and references."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simengine.scenario import models
from simengine.scenario.models import Weather
from simengine.weather import DEFAULTS, ROAD_STATES, WeatherState, road_codes, weather_state


def test_road_states_match_the_scenario_model() -> None:
    assert ROAD_STATES == models.ROAD_STATES == ("dry", "wet", "snow", "ice")


def test_missing_columns_take_the_defaults() -> None:
    state = weather_state({"world.gap_m": np.zeros(3)}, 3)
    assert isinstance(state, WeatherState)
    assert len(state) == 3
    assert state.road.dtype == np.int8
    assert list(state.road_names) == ["dry"] * 3
    assert np.all(np.isinf(state.visibility_m))
    np.testing.assert_array_equal(state.rain_mm_h, 0.0)
    np.testing.assert_array_equal(state.snow_mm_h, 0.0)
    np.testing.assert_array_equal(state.temperature_c, 15.0)
    np.testing.assert_array_equal(state.humidity_pct, 60.0)
    np.testing.assert_array_equal(state.sun_elevation_deg, 45.0)
    np.testing.assert_array_equal(state.wind_mps, 0.0)
    assert DEFAULTS["road"] == "dry" and math.isinf(DEFAULTS["visibility_m"])


def test_columns_are_read_and_road_strings_parsed() -> None:
    columns = {
        "weather.road": np.array(["dry", "wet", "snow", "ice"], dtype=object),
        "weather.visibility_m": np.array([np.inf, 300.0, 100.0, 50.0]),
        "weather.rain_mm_h": np.array([0, 2, 0, 0]),  # integer constants come hoisted as ints
        "weather.temperature_c": np.array([20.0, 10.0, -3.0, -8.0]),
    }
    state = weather_state(columns, 4)
    np.testing.assert_array_equal(state.road, [0, 1, 2, 3])
    assert list(state.road_names) == list(ROAD_STATES)
    assert state.rain_mm_h.dtype == np.float64
    np.testing.assert_array_equal(state.visibility_m[1:], [300.0, 100.0, 50.0])
    assert state.row(2) == {"road": "snow", "visibility_m": 100.0, "rain_mm_h": 0.0,
                            "snow_mm_h": 0.0, "temperature_c": -3.0, "humidity_pct": 60.0,
                            "sun_elevation_deg": 45.0, "wind_mps": 0.0}


def test_unknown_road_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown road state 'slush'"):
        weather_state({"weather.road": np.array(["dry", "slush"], dtype=object)}, 2)
    with pytest.raises(ValueError, match="road codes"):
        road_codes(np.array([0, 4]))


def test_wrong_length_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="expected 3 values"):
        weather_state({"weather.rain_mm_h": np.zeros(2)}, 3)


def test_arrays_are_read_only() -> None:
    state = weather_state({}, 2)
    with pytest.raises(ValueError):
        state.temperature_c[0] = 0.0


def test_references_and_constants_resolve_through_the_model() -> None:
    weather = Weather.model_validate({"visibility_m": "$fog", "temperature_c": -2,
                                      "road": "snow"})
    state = weather_state({"fog": np.array([80.0, 120.0])}, 2, weather)
    np.testing.assert_array_equal(state.visibility_m, [80.0, 120.0])
    np.testing.assert_array_equal(state.temperature_c, -2.0)
    assert list(state.road_names) == ["snow", "snow"]
    with pytest.raises(KeyError, match=r"\$fog"):
        weather_state({}, 2, weather)
