"""The road's junction and crosswalks: validation a user reads, the per-run geometry the
scenes carry, and pedestrians placed at a crosswalk by ``start_crossing: {at: crosswalk}``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simengine.domains.base import SCENES
from simengine.errors import UserError
from simengine.sampling.keys import RunKeys

BASE = """
schema_version: 1
name: crossing
domain: driving
duration_s: 4
step_hz: 20
world:
  road: {road}
  actors:
    ego: {{type: car, lane: 1, x_m: 0, speed_mps: 10}}
    walker: {walker}
  actions:
    - when: {{time_s: 1}}
      do: {{start_crossing: {cross}}}
"""
ROAD = ("{type: urban, lanes: 2, lane_width_m: 3.5, shoulder_m: 2.0, length_m: 300, "
        "junction: {x_m: 100}, crosswalks: [{x_m: 40}, {x_m: 80, width_m: 3}]}")
WALKER = "{type: pedestrian, on: shoulder}"


def _compile(*, road: str = ROAD, walker: str = WALKER,
             cross: str = "{actor: walker, at: crosswalk}"):
    from simengine.scenario.scenario import compile_document
    from simengine.scenario.yaml_loader import load_yaml

    text = BASE.format(road=road, walker=walker, cross=cross)
    return compile_document(load_yaml(text, file="crossing.yaml"))


def _scenes(scn) -> dict[str, np.ndarray]:
    keys = RunKeys.range(0, 0, 1)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    return next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset({SCENES}))
                if c.stream == SCENES)


@pytest.mark.parametrize(("road", "message"), [
    ("{length_m: 300, junction: {x_m: 298}}",
     "world.road: junction.x_m: spans x 294.5..301.5 m, outside the road (x 0..300 m, "
     "length_m)"),
    ("{length_m: 300, crosswalks: [{x_m: 1}]}",
     "world.road: crosswalks.0.x_m: spans x -1..3 m, outside the road"),
    ("{junction: {x_m: 100, cross_lanes: 3}, crosswalks: [{x_m: 20}, {x_m: 106}]}",
     "world.road: crosswalks.1: x 104..108 m lies inside the junction (x 94.75..105.25 m)"),
    ("{crosswalks: [{x_m: 20}, {x_m: 23, width_m: 3}]}",
     "world.road: crosswalks.1: x 21.5..24.5 m overlaps crosswalks.0 (x 18..22 m)"),
    ("{crosswalks: [{x_m: 20, width_m: 12}]}",
     "world.road.crosswalks.0.width_m: must be <= 10; found 12"),
])
def test_bad_layouts_name_the_field(road: str, message: str) -> None:
    with pytest.raises(UserError, match="world") as err:
        _compile(road=road, cross="{actor: walker}")
    assert message in str(err.value)


@pytest.mark.parametrize(("road", "walker", "cross", "message"), [
    ("{lanes: 2}", WALKER, "{actor: walker, at: crosswalk}",
     "actions.0.do.start_crossing: at: crosswalk, but the road has no crosswalks"),
    (ROAD, WALKER, "{actor: walker, at: crosswalk, crosswalk: 3}",
     "at crosswalk 3, but road.crosswalks lists 2"),
    (ROAD, "{type: pedestrian, on: shoulder, x_m: 12}", "{actor: walker, at: crosswalk}",
     "'walker' stands at the crosswalk; remove its x_m/ahead_of/behind"),
    (ROAD, "{type: pedestrian, on: shoulder, speed_mps: 1}", "{actor: walker, at: crosswalk}",
     "'walker' must wait at the crosswalk (no speed_mps) to cross there"),
    (ROAD, "{type: car, lane: 2, x_m: 30}", "{actor: walker, at: crosswalk}",
     "at: crosswalk is for a pedestrian or cyclist actor; 'walker' is not one"),
    (ROAD, WALKER, "{actor: walker, crosswalk: 2}", "add at: crosswalk"),
])
def test_bad_crossings_at_a_crosswalk_are_clear(road: str, walker: str, cross: str,
                                                message: str) -> None:
    with pytest.raises(UserError) as err:
        _compile(road=road, walker=walker, cross=cross)
    assert message in str(err.value)


def test_scenes_carry_the_geometry_and_the_walker_crosses_at_the_crosswalk() -> None:
    scenes = _scenes(_compile(cross="{actor: walker, at: crosswalk, crosswalk: 2}"))
    expected = {"shoulder_m": 2.0, "junction_x_m": 100.0, "junction_width_m": 7.0,
                "junction_lanes": 2, "crosswalk_x_m": 40.0, "crosswalk_width_m": 4.0,
                "crosswalk_2_x_m": 80.0, "crosswalk_2_width_m": 3.0}
    for name, value in expected.items():
        assert set(scenes[name].tolist()) == {value}, name
    assert scenes["junction_lanes"].dtype == np.int64
    walker = scenes["object"] == "walker"
    x, y, t = scenes["x_m"][walker], scenes["y_m"][walker], scenes["t_s"][walker]
    assert set(x.tolist()) == {80.0}  # placed at the second crossing, and crosses on it
    # waits in the middle of the 2 m shoulder until 1 s, then walks across at 1.4 m/s (the
    # adult default): 1.4 m/s × (4 s − 1 s) from y = −1 m
    assert y[t <= 1.0] == pytest.approx(-1.0)
    assert y[-1] == pytest.approx(-1.0 + 1.4 * (t[-1] - 1.0), abs=0.08)


def test_a_straight_road_keeps_its_scenes_and_outcomes() -> None:
    """Defaults: no junction or crosswalk, NaN/0 in the scenes, the shoulder as given."""
    plain = _compile(road="{type: urban, lanes: 2, shoulder_m: 1.5}",
                     walker="{type: pedestrian, on: shoulder, x_m: 40}",
                     cross="{actor: walker}")
    scenes = _scenes(plain)
    assert np.isnan(scenes["junction_x_m"]).all() and np.isnan(scenes["crosswalk_x_m"]).all()
    assert set(scenes["junction_width_m"].tolist()) == {0.0}
    assert set(scenes["crosswalk_width_m"].tolist()) == {0.0}
    assert set(scenes["shoulder_m"].tolist()) == {1.5}
    assert not any(k.startswith("crosswalk_2") for k in scenes)
    # the same crossing placed by hand at x = 40 and by at: crosswalk moves identically
    at = _scenes(_compile(road="{type: urban, lanes: 2, shoulder_m: 1.5, "
                               "crosswalks: [{x_m: 40}]}"))
    for name in ("x_m", "y_m", "speed_mps"):
        np.testing.assert_array_equal(at[name], scenes[name])
    assert math.isnan(float(scenes["crosswalk_x_m"][0])) and at["crosswalk_x_m"][0] == 40.0


def test_the_left_turn_ends_in_the_cross_roads_lane() -> None:
    """unprotected-left-turn: the ego's arc leaves the main road in the middle of the cross
    road's lane on its right (junction at 113.75 m, 3.5 m lanes: x = 112 m)."""
    from simengine import api

    scn = api.load_scenario("unprotected-left-turn")
    junction = scn.spec.world.road.junction
    assert junction is not None and junction.span_m == (110.25, 117.25)
    keys = RunKeys.range(0, 0, 8)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    scenes = next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset({SCENES}))
                  if c.stream == SCENES)
    ego = scenes["is_ego"]
    last = ego & (scenes["frame"] == scenes["frame"].max())
    # heading away from the main road, −90° (its heading is not wrapped: 270°)
    turned = np.abs(np.mod(scenes["heading_rad"][last], 2 * np.pi) - 1.5 * np.pi) < 1e-6
    assert turned.sum() >= 4
    np.testing.assert_allclose(scenes["x_m"][last][turned],
                               junction.x_m - junction.cross_lane_width_m / 2, atol=1e-6)
    assert (scenes["y_m"][last][turned] < -2.5).all()  # off the main road, on the cross road
    assert set(scenes["junction_x_m"].tolist()) == {113.75}
