"""Fog banks: local visibility in space and time, and their per-run arrays."""

from __future__ import annotations

import numpy as np
import pytest

from simengine.scenario.models import WeatherEvent
from simengine.scenario.scenario import load_scenario_text
from simengine.weather import weather_state
from simengine.weather.events import (
    fog_bank_arrays,
    local_visibility_m,
    local_visibility_rows_m,
)

NAN = np.nan


def _events(*rows: tuple[float, float, float, float, float]) -> tuple[np.ndarray, ...]:
    """(from, to, start, end, visibility) per event -> five arrays."""
    arr = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return tuple(np.ascontiguousarray(arr[:, j]) for j in range(5))


BANK = _events((100.0, 200.0, 10.0, 20.0, 50.0))


def test_inside_and_outside_a_fog_bank() -> None:
    assert local_visibility_m(150.0, 15.0, np.inf, *BANK) == 50.0
    assert local_visibility_m(100.0, 15.0, np.inf, *BANK) == 50.0  # bounds inclusive in space
    assert local_visibility_m(200.0, 15.0, np.inf, *BANK) == 50.0
    assert local_visibility_m(99.0, 15.0, np.inf, *BANK) == np.inf
    assert local_visibility_m(201.0, 15.0, 800.0, *BANK) == 800.0


def test_before_and_after_the_time_window() -> None:
    assert local_visibility_m(150.0, 9.9, np.inf, *BANK) == np.inf
    assert local_visibility_m(150.0, 10.0, np.inf, *BANK) == 50.0  # start inclusive
    assert local_visibility_m(150.0, 20.0, np.inf, *BANK) == np.inf  # end exclusive
    assert local_visibility_m(150.0, 25.0, np.inf, *BANK) == np.inf


def test_overlapping_banks_take_the_minimum_and_base_can_win() -> None:
    ev = _events((0.0, 300.0, 0.0, np.inf, 120.0), (100.0, 200.0, 0.0, np.inf, 40.0))
    assert local_visibility_m(150.0, 1.0, np.inf, *ev) == 40.0
    assert local_visibility_m(250.0, 1.0, np.inf, *ev) == 120.0
    assert local_visibility_m(150.0, 1.0, 30.0, *ev) == 30.0  # thicker than both banks


def test_nan_bounds_are_unbounded_and_nan_visibility_ignored() -> None:
    ev = _events((NAN, 50.0, NAN, NAN, 60.0), (NAN, NAN, 0.0, NAN, NAN))
    assert local_visibility_m(-1e6, -5.0, np.inf, *ev) == 60.0
    assert local_visibility_m(51.0, 0.0, np.inf, *ev) == np.inf
    empty = _events()
    assert local_visibility_m(0.0, 0.0, 700.0, *empty) == 700.0


def test_rows() -> None:
    from_m, to_m, start, end, vis = (a[None, :].repeat(2, axis=0) for a in BANK)
    out = local_visibility_rows_m(np.array([150.0, 250.0]), 12.0, np.array([np.inf, 900.0]),
                                  from_m, to_m, start, end, vis)
    np.testing.assert_array_equal(out, [50.0, 900.0])


def _event(**fields: object) -> WeatherEvent:
    return WeatherEvent.model_validate({"kind": "fog_bank", **fields})


def test_fog_bank_arrays_with_constants() -> None:
    events = [
        WeatherEvent.model_validate({"kind": "storm", "start_s": 3}),
        _event(from_m=100, to_m=250, start_s=5, duration_s=20, visibility_m=60),
        _event(visibility_m=200),
    ]
    from_m, to_m, start, end, vis = fog_bank_arrays({}, events, 3)
    for arr in (from_m, to_m, start, end, vis):
        assert arr.shape == (3, 2) and arr.dtype == np.float64
    np.testing.assert_array_equal(from_m[:, 0], 100.0)
    np.testing.assert_array_equal(to_m[:, 0], 250.0)
    np.testing.assert_array_equal(start[:, 0], 5.0)
    np.testing.assert_array_equal(end[:, 0], 25.0)
    np.testing.assert_array_equal(vis[:, 0], 60.0)
    assert np.all(np.isnan(from_m[:, 1])) and np.all(np.isnan(to_m[:, 1]))
    np.testing.assert_array_equal(start[:, 1], 0.0)  # the model's default
    assert np.all(np.isinf(end[:, 1]))  # no duration: lasts forever
    np.testing.assert_array_equal(vis[:, 1], 200.0)


def test_fog_bank_arrays_with_a_random_column_and_a_ref() -> None:
    events = [
        _event(from_m={"uniform": [0, 50]}, to_m={"const": 400}, duration_s="$fog_s",
               visibility_m="$fog_vis"),
    ]
    params = {
        "weather.events.0.from_m": np.array([10.0, 20.0]),
        "fog_s": np.array([30.0, 60.0]),
        "fog_vis": np.array([70.0, 90.0]),
    }
    from_m, to_m, start, end, vis = fog_bank_arrays(params, events, 2)
    np.testing.assert_array_equal(start[:, 0], 0.0)
    np.testing.assert_array_equal(from_m[:, 0], [10.0, 20.0])
    np.testing.assert_array_equal(to_m[:, 0], 400.0)
    np.testing.assert_array_equal(end[:, 0], [30.0, 60.0])
    np.testing.assert_array_equal(vis[:, 0], [70.0, 90.0])
    with pytest.raises(KeyError, match=r"weather\.events\.0\.from_m"):
        fog_bank_arrays({"fog_s": params["fog_s"], "fog_vis": params["fog_vis"]}, events, 2)
    with pytest.raises(KeyError, match=r"\$fog_vis"):
        fog_bank_arrays({"weather.events.0.from_m": params["weather.events.0.from_m"],
                         "fog_s": params["fog_s"]}, events, 2)


SCENARIO = """
schema_version: 1
name: foggy
domain: dummy
duration_s: 6
step_hz: 10
params:
  closing_speed_mps: {uniform: [6, 16]}
  reaction_ttc_s: 1.2
  brake_base_mps2: 5
  fog_vis: {uniform: [40, 80]}
weather:
  road: {choice: [wet, ice]}
  rain_mm_h: {uniform: [0, 10]}
  temperature_c: 3
  events:
    - {kind: storm, start_s: 1}
    - {kind: fog_bank, from_m: 100, to_m: {uniform: [200, 300]}, start_s: 2, duration_s: 10,
       visibility_m: $fog_vis}
world:
  gap_m: {uniform: [15, 45]}
  speed_mps: $closing_speed_mps
  brake_mps2: $brake_base_mps2
  brake_ttc_s: $reaction_ttc_s
labels:
  serious_ttc_s: 1.5
"""


def test_from_a_compiled_scenario() -> None:
    """The column names the loader hoists are the ones this package reads."""
    scn = load_scenario_text(SCENARIO)
    n = 6
    columns = scn.space.from_normal(np.random.default_rng(1).standard_normal((n, scn.space.dim)))
    state = weather_state(columns, n, scn.spec.weather)
    assert set(state.road_names) <= {"wet", "ice"}
    np.testing.assert_array_equal(state.temperature_c, 3.0)
    assert np.all((state.rain_mm_h >= 0) & (state.rain_mm_h <= 10))
    from_m, to_m, start, end, vis = fog_bank_arrays(columns, scn.spec.weather.events, n)
    assert from_m.shape == (n, 1)
    np.testing.assert_array_equal(from_m, 100.0)
    np.testing.assert_array_equal(to_m[:, 0], columns["weather.events.1.to_m"])
    np.testing.assert_array_equal(end, 12.0)
    np.testing.assert_array_equal(vis[:, 0], columns["fog_vis"])
    inside = local_visibility_rows_m(np.full(n, 150.0), 5.0, state.visibility_m,
                                     from_m, to_m, start, end, vis)
    np.testing.assert_array_equal(inside, columns["fog_vis"])
