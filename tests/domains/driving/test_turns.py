"""Turning paths: a 90° arc at constant curvature (heading rate v/R), then straight on; the
speed through the arc is capped by friction; a turn across a lane is a crossing conflict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simengine.domains.base import OUTCOMES
from simengine.sampling.keys import RunKeys
from simengine.scenario.scenario import load_scenario_text
from simengine.weather.friction import G_MPS2, MU_PEAK

TURN = """
schema_version: 1
name: turn
domain: driving
duration_s: 12
step_hz: 100
weather: {road: ROAD}
world:
  road: {lanes: 2, lane_width_m: 3.5}
  actors:
    ego: {type: car, lane: 1, x_m: 0, heading_deg: HEADING, speed_mps: 8,
          driver: {idm: {desired_speed_mps: 8}}}
  actions:
    - when: {time_s: 1}
      do: {turn: {actor: ego, direction: DIRECTION, radius_m: 12, speed_mps: 8}}
"""


def _trajectory(road: str = "dry", direction: str = "left", heading: float = 0.0) -> dict:
    text = TURN.replace("ROAD", road).replace("DIRECTION", direction)
    scn = load_scenario_text(text.replace("HEADING", str(heading)))
    keys = RunKeys.range(0, 0, 1)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    chunks = {c.stream: c.columns for c in scn.domain.simulate(
        scn, params, keys, frozenset({"trajectories"}))}
    return {k: np.asarray(v) for k, v in chunks["trajectories"].items()}


@pytest.mark.parametrize("direction, sign", [("left", 1.0), ("right", -1.0)])
def test_the_arc_is_a_quarter_circle(direction: str, sign: float) -> None:
    tr = _trajectory(direction=direction)
    start = np.flatnonzero(np.isclose(tr["t_s"], 1.0))[0]
    x0, y0 = tr["x_m"][start], tr["y_m"][start]
    assert (x0, y0) == pytest.approx((8.0, 1.75))
    centre = (x0, y0 + sign * 12.0)
    on_arc = (tr["t_s"] > 1.0) & (np.abs(tr["heading_rad"]) < math.pi / 2 - 1e-9)
    radius = np.hypot(tr["x_m"][on_arc] - centre[0], tr["y_m"][on_arc] - centre[1])
    np.testing.assert_allclose(radius, 12.0, rtol=1e-9)
    # then straight on at ±90°: x stays at x0 + R
    after = np.isclose(np.abs(tr["heading_rad"]), math.pi / 2)
    assert after[-1] and np.allclose(tr["x_m"][after], x0 + 12.0)
    assert np.all(np.sign(np.diff(tr["y_m"][after])) == sign)
    assert tr["heading_rad"][-1] == pytest.approx(sign * math.pi / 2)


def test_heading_rate_is_speed_over_radius() -> None:
    tr = _trajectory()
    on_arc = (tr["t_s"] > 1.02) & (tr["heading_rad"] < math.pi / 2 - 0.05)
    rate = np.diff(tr["heading_rad"][on_arc]) / 0.01
    mean_v = 0.5 * (tr["speed_mps"][on_arc][1:] + tr["speed_mps"][on_arc][:-1])
    np.testing.assert_allclose(rate, mean_v / 12.0, rtol=1e-6)


@pytest.mark.parametrize("road", ["dry", "wet"])
def test_curve_speed_is_capped_by_friction(road: str) -> None:
    tr = _trajectory(road)
    cap = math.sqrt(0.5 * MU_PEAK[road] * G_MPS2 * 12.0)
    late_on_arc = (tr["t_s"] > 2.5) & (tr["heading_rad"] < math.pi / 2 - 1e-9)
    assert late_on_arc.any()
    assert tr["speed_mps"][late_on_arc].max() <= cap + 0.05


def test_oncoming_heading_drives_the_other_way() -> None:
    tr = _trajectory(heading=180.0)
    before = tr["t_s"] <= 1.0
    assert np.allclose(np.diff(tr["x_m"][before]), -0.08)  # 8 m/s towards -x
    # turning left from heading 180° ends heading -90° (towards -y), R to the left of travel
    assert tr["heading_rad"][-1] == pytest.approx(-math.pi / 2) or \
        tr["heading_rad"][-1] == pytest.approx(3 * math.pi / 2)
    assert tr["y_m"][-1] < 1.75 - 12.0


def test_left_turn_across_oncoming_traffic_is_a_crossing_conflict() -> None:
    from simengine import api

    scn = api.load_scenario("unprotected-left-turn")
    keys = RunKeys.range(1, 0, 1500)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    out = next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset())
               if c.stream == OUTCOMES)
    crossing = out["conflict_type"] == "crossing"
    assert crossing.mean() > 0.3
    assert np.all(out["conflict_type"][out["collision"]] == "crossing")
    # PET is finite exactly for runs where both passed through the turn's zone
    assert np.isfinite(out["min_pet_s"]).all()
    short = np.asarray(params["accepted_gap_m"]) < 45
    assert out["collision"][short].mean() > out["collision"][~short].mean()


QUEUE = """
schema_version: 1
name: queue
domain: driving
duration_s: 15
step_hz: 20
world:
  road: {lanes: 2, lane_width_m: 3.5}
  actors:
    ego: {type: car, lane: 2, x_m: 120, heading_deg: 180, speed_mps: 12,
          driver: {idm: {desired_speed_mps: 12}}}
    stalled: {type: car, lane: 2, x_m: 60, heading_deg: 180, speed_mps: 0}
  actions:
    - when: {time_s: 0}
      do: {stop: {actor: stalled, decel_mps2: 8}}
"""


def test_a_vehicle_off_the_axis_follows_what_is_ahead_on_its_path() -> None:
    """Oncoming traffic (heading 180°) is off the road's axis: it stops behind a stalled car
    in its lane with IDM's gap instead of driving into it."""
    scn = load_scenario_text(QUEUE)
    keys = RunKeys.range(0, 0, 1)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    chunks = {c.stream: c.columns for c in scn.domain.simulate(
        scn, params, keys, frozenset({"trajectories"}))}
    out = chunks[OUTCOMES]
    assert not out["collision"][0]
    tr = {k: np.asarray(v) for k, v in chunks["trajectories"].items()}
    ego = np.asarray(tr["actor"]) == "ego"
    final_x = tr["x_m"][ego][-1]
    gap = final_x - 60.0 - 4.5  # bumper to bumper (two 4.5 m cars, centres 4.5 m apart)
    assert tr["speed_mps"][ego][-1] == pytest.approx(0.0, abs=0.05)
    assert 1.0 < gap < 4.0  # about IDM's minimum gap, not a crash and not far back
