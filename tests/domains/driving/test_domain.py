"""The driving domain against physics a user can check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from simengine.domains.base import OUTCOMES
from simengine.sampling.keys import RunKeys
from simengine.weather.friction import G_MPS2, MU_PEAK

FOLLOW = """
schema_version: 1
name: follow
domain: driving
duration_s: 30
step_hz: 20
world:
  road: {lanes: 1}
  actors:
    ego:
      type: car
      lane: 1
      speed_mps: 30
      driver: {reaction_s: 0, idm: {desired_speed_mps: 30, time_headway_s: 1.5, min_gap_m: 2,
                                    max_accel_mps2: 1.5, comfort_decel_mps2: 2}}
    lead: {type: car, lane: 1, ahead_of: ego, gap_m: 60, speed_mps: 20,
           driver: {idm: {desired_speed_mps: 20}}}
"""


def _simulate(text: str, n: int = 1, record: frozenset[str] = frozenset({"trajectories"}),
              overrides: tuple[str, ...] = ()):
    from simengine.scenario.scenario import compile_document
    from simengine.scenario.yaml_loader import load_yaml

    scn = compile_document(load_yaml(text, file="test.yaml"), overrides=overrides)
    keys = RunKeys.range(0, 0, n)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    chunks = {c.stream: c.columns for c in scn.domain.simulate(scn, params, keys, record)}
    return scn, chunks


def _idm(v, gap, dv, v0, T, s0, a, b, delta=4.0):  # noqa: N803
    s_star = s0 + max(0.0, v * T + v * dv / (2 * np.sqrt(a * b)))
    return a * (1 - (v / v0) ** delta - (s_star / gap) ** 2)


def test_idm_matches_an_independent_textbook_implementation() -> None:
    _, chunks = _simulate(FOLLOW)
    traj = chunks["trajectories"]
    ego = traj["actor"] == "ego"
    x_sim, v_sim = traj["x_m"][ego], traj["speed_mps"][ego]
    dt, steps = 0.05, 600
    # the textbook equations, stepped with the same trapezoidal position update
    x_f, v_f, x_l, v_l = 0.0, 30.0, 0.0 + 60 + 4.5, 20.0
    xs, vs = [], []
    for _ in range(steps):
        gap = x_l - x_f - 4.5
        acc_f = max(_idm(v_f, gap, v_f - v_l, 30, 1.5, 2, 1.5, 2), -8.0)
        acc_l = _idm(v_l, np.inf, 0.0, 20, 1.5, 2, 1.5, 2)
        nv_f, nv_l = max(v_f + acc_f * dt, 0), max(v_l + acc_l * dt, 0)
        x_f += 0.5 * (v_f + nv_f) * dt
        x_l += 0.5 * (v_l + nv_l) * dt
        v_f, v_l = nv_f, nv_l
        xs.append(x_f)
        vs.append(v_f)
    np.testing.assert_allclose(x_sim, xs, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(v_sim, vs, rtol=1e-9, atol=1e-9)
    assert abs(vs[-1] - 20.0) < 0.5  # settles behind the slower leader


BRAKE = """
schema_version: 1
name: brake
domain: driving
duration_s: 40
step_hz: 100
weather: {road: ROAD}
world:
  road: {lanes: 1}
  actors:
    ego: {type: car, lane: 1, speed_mps: 25, driver: {reaction_s: 0}}
  actions:
    - when: {time_s: 0, delay_s: 1.2}
      do: {brake: {actor: ego, decel_mps2: 50}}
"""


@pytest.mark.parametrize("road", ["dry", "wet", "snow", "ice"])
def test_stopping_distance_matches_reaction_plus_friction_braking(road: str) -> None:
    _, chunks = _simulate(BRAKE.replace("ROAD", road))
    traj = chunks["trajectories"]
    stop = traj["x_m"][traj["speed_mps"] == 0]
    assert stop.size, "the car stops"
    mu = MU_PEAK[road]
    expected = 25 * 1.2 + 25**2 / (2 * mu * G_MPS2)
    assert stop[0] == pytest.approx(expected, rel=0.02)


def _rate(name: str, *overrides: str, runs: int = 3000) -> float:
    from simengine import api

    scn = api.load_scenario(name, overrides=list(overrides))
    keys = RunKeys.range(5, 0, runs)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    out = next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset())
               if c.stream == OUTCOMES)
    return float(np.mean(out["collision"]))


def _collisions_vs_stopping_formula(road: str, runs: int = 1500) -> tuple[float, float, float]:
    """Simulated collision rate, the rate the stopping-distance formula predicts, and the share
    of runs where the two agree. The formula, from the state when the leader starts braking:
    the follower collides iff gap + v_l²/(2·a_l) < v_f·t_r + v_f²/(2·a_f), with the leader's
    and follower's decelerations a = min(requested, μ·g) on the same road."""
    from simengine import api

    scn = api.load_scenario("lead-vehicle-brake", overrides=[f"weather.road={road}"])
    keys = RunKeys.range(5, 0, runs)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    chunks = {c.stream: c.columns for c in scn.domain.simulate(
        scn, params, keys, frozenset({"trajectories"}))}
    traj = chunks["trajectories"]
    steps = int(round(scn.spec.duration_s * 20))
    x = np.asarray(traj["x_m"]).reshape(runs, steps, 2)
    v = np.asarray(traj["speed_mps"]).reshape(runs, steps, 2)
    onset = np.round(params["brake_time_s"] * 20).astype(int) - 1  # row at t = brake_time_s
    r = np.arange(runs)
    v_f, v_l = v[r, onset, 0], v[r, onset, 1]
    gap = x[r, onset, 1] - x[r, onset, 0] - 4.5  # both cars are 4.5 m long
    mu_g = MU_PEAK[road] * G_MPS2
    a_l, a_f = np.minimum(params["lead_decel_mps2"], mu_g), min(8.0, mu_g)
    predicted = gap + v_l**2 / (2 * a_l) < v_f * params["reaction_s"] + v_f**2 / (2 * a_f)
    simulated = np.asarray(chunks[OUTCOMES]["collision"], dtype=bool)
    return float(simulated.mean()), float(predicted.mean()), float(np.mean(predicted == simulated))


@pytest.mark.parametrize("road", ["dry", "wet", "snow", "ice"])
def test_collisions_follow_the_stopping_distance_formula(road: str) -> None:
    sim, predicted, agree = _collisions_vs_stopping_formula(road)
    assert agree >= 0.98
    assert abs(sim - predicted) <= max(0.01, 3 * np.sqrt(predicted * (1 - predicted) / 1500))


def test_collisions_rise_on_a_wet_road_as_the_formula_predicts() -> None:
    """Seeded: dry 4.2 % (formula 3.5 %), wet 8.4 % (7.8 %). Both cars brake on the same road:
    the wet road takes away the follower's margin over a hard-braking leader."""
    dry, wet = _collisions_vs_stopping_formula("dry"), _collisions_vs_stopping_formula("wet")
    assert wet[1] > 1.5 * dry[1] and wet[0] > 1.5 * dry[0]
    assert wet[0] - dry[0] == pytest.approx(wet[1] - dry[1], abs=0.02)


def test_aeb_lowers_collisions() -> None:
    """An AEB that brakes at TTC 2.5 s prevents most rear-end crashes on a dry road (seeded:
    4.5 % → 0.3 %); on a wet road its braking is capped by μ·g like the driver's, so it helps
    less (9.4 % → 7.0 %)."""
    aeb = "world.actors.ego.aeb={ttc_s: 2.5, range_m: 80, max_decel_mps2: 9}"
    for road, bound in (("dry", 0.2), ("wet", 0.85)):
        without = _rate("lead-vehicle-brake", f"weather.road={road}")
        with_aeb = _rate("lead-vehicle-brake", f"weather.road={road}", aeb)
        assert without > 0.02
        assert with_aeb < bound * without, road


def test_occluded_pedestrian_is_seen_late() -> None:
    """Removing the parked van (the occluder) lowers the collision rate."""
    occluded = _rate("pedestrian-occluded-crossing")
    clear = _rate("pedestrian-occluded-crossing", "world.statics=[]")
    assert clear < occluded


def test_both_stopped_is_not_a_conflict() -> None:
    text = FOLLOW.replace(" speed_mps: 30", " speed_mps: 0").replace(" speed_mps: 20",
                                                                     " speed_mps: 0")
    text = text.replace("desired_speed_mps: 30", "desired_speed_mps: 0.1").replace(
        "desired_speed_mps: 20", "desired_speed_mps: 0.1")
    _, chunks = _simulate(text, record=frozenset())
    out = chunks[OUTCOMES]
    assert out["min_ttc_s"][0] == 30.0  # capped at the horizon: TTC is infinite, not 0
    assert out["near_miss"][0] == "none" and not out["collision"][0]


ORDER = """
schema_version: 1
name: order
domain: driving
duration_s: 12
step_hz: 20
world:
  road: {lanes: 1}
  actors:
    ego: {type: car, lane: 1, x_m: 0, speed_mps: 25, driver: {reaction_s: 0.5}}
ACTORS
  actions:
    - when: {time_s: 2}
      do: {brake: {actor: front, decel_mps2: 7, to_speed_mps: 0}}
"""
MID = "    mid: {type: car, lane: 1, x_m: 40, speed_mps: 25, driver: {reaction_s: 0.7}}"
FRONT = "    front: {type: car, lane: 1, x_m: 75, speed_mps: 25}"


def test_a_driver_sees_the_same_whether_declared_before_or_after_its_leader() -> None:
    # each driver perceives the others' accelerations (brake lights) as of the step's start, so
    # the order actors are listed in does not change what anyone does
    runs = {}
    for label, actors in (("mid first", [MID, FRONT]), ("front first", [FRONT, MID])):
        _, chunks = _simulate(ORDER.replace("ACTORS", "\n".join(actors)))
        traj = chunks["trajectories"]
        runs[label] = {name: (traj["x_m"][traj["actor"] == name],
                              traj["speed_mps"][traj["actor"] == name])
                       for name in ("ego", "mid", "front")}
    for name in ("ego", "mid", "front"):
        for got, want in zip(runs["front first"][name], runs["mid first"][name], strict=True):
            np.testing.assert_array_equal(got, want)
    mid_v = runs["mid first"]["mid"][1]
    assert mid_v.min() < 10.0, "the braking front car makes mid brake hard"


def test_recording_pair_metrics_too_changes_no_trajectory() -> None:
    # trajectories alone skip the per-step pair metrics (an oriented-box distance per pair and
    # step); recording both must give the same trajectories and the same outcomes
    _, alone = _simulate(FOLLOW, n=3, record=frozenset({"trajectories"}))
    _, both = _simulate(FOLLOW, n=3, record=frozenset({"trajectories", "pair_metrics"}))
    assert set(alone) == {OUTCOMES, "trajectories"}
    assert "pair_metrics" in both and len(both["pair_metrics"]["ttc_s"]) > 0
    for stream in (OUTCOMES, "trajectories"):
        for name, column in alone[stream].items():
            np.testing.assert_array_equal(np.asarray(column), np.asarray(both[stream][name]))
