"""A controller in the loop drives the ego through the batched step API."""

from __future__ import annotations

import numpy as np
import pytest

from simengine import api
from simengine.domains.base import OUTCOMES, SteppableDomain
from simengine.sampling.keys import RunKeys


def _setup(n: int = 6):
    scn = api.load_scenario("lead-vehicle-brake")
    keys = RunKeys.range(3, 0, n)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    return scn, params, keys


def test_driving_domain_is_steppable() -> None:
    scn, params, keys = _setup()
    assert isinstance(scn.domain, SteppableDomain)
    obs = scn.domain.reset(scn, params, keys)
    assert {"ego_x_m", "ego_speed_mps", "near0_dx_m", "near0_speed_mps"} <= set(obs)
    np.testing.assert_allclose(obs["ego_speed_mps"], params["speed_mps"])
    assert np.all(obs["near0_dx_m"] > 0)  # the lead is ahead
    assert np.all(np.isnan(obs["near1_dx_m"]))  # there is no second road user


def test_a_cautious_controller_avoids_what_the_driver_hits() -> None:
    scn, params, keys = _setup(40)
    out = next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset())
               if c.stream == OUTCOMES)
    obs = scn.domain.reset(scn, params, keys)
    done = np.zeros(len(keys), dtype=bool)
    for _ in range(200):
        gap = obs["near0_dx_m"] - 4.5
        closing = obs["ego_speed_mps"] - obs["near0_speed_mps"]
        brake = (gap < 2.5 * obs["ego_speed_mps"]) | (closing > 0.5)
        obs, done = scn.domain.step({"accel_mps2": np.where(brake, -9.0, 0.0)})
        if done.all():
            break
    final = scn.domain._loop.result.outcomes
    assert out["collision"].sum() > 0
    assert final["collision"].sum() < out["collision"].sum()


def test_uncontrolled_steps_reproduce_the_batch() -> None:
    """NaN actions leave the ego to its own driver: stepping equals the batch simulation."""
    scn, params, keys = _setup(4)
    batch = next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset())
                 if c.stream == OUTCOMES)
    scn.domain.reset(scn, params, keys)
    done = np.zeros(4, dtype=bool)
    while not done.all():
        _, done = scn.domain.step({"accel_mps2": np.full(4, np.nan)})
    final = scn.domain._loop.result.outcomes
    np.testing.assert_array_equal(final["collision"] > 0, batch["collision"])


def _outcomes_after_stepping(name: str, n: int, actions: np.ndarray):
    from simengine.domains.driving.simulate import run_kernel

    scn = api.load_scenario(name)
    keys = RunKeys.range(5, 0, n)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    batch = run_kernel(scn, params, n, record=False, keys=keys, ego_accel=actions).outcomes
    scn.domain.reset(scn, params, keys)
    loop = scn.domain._loop
    for k in range(loop.horizon):
        scn.domain.step({"accel_mps2": actions[:, k]})
        assert loop.state.step == k + 1  # one step simulated per call, resumed from the last
    return batch, loop.result.outcomes


def test_stepping_is_bit_for_bit_one_call_with_the_same_actions() -> None:
    """Every outcome of every run, for scenarios with triggers, lane changes, turns and
    crossings: the resumed kernel carries all of a run's state between calls."""
    rng = np.random.default_rng(0)
    for name in ("highway-cut-in", "unprotected-left-turn", "pedestrian-occluded-crossing"):
        scn = api.load_scenario(name)
        horizon = int(round(scn.spec.duration_s * (scn.spec.step_hz or 20.0)))
        actions = np.full((5, horizon), np.nan)
        actions[:, :30] = rng.uniform(-4.0, 2.0, size=(5, 30))  # then the driver takes over
        batch, stepped = _outcomes_after_stepping(name, 5, actions)
        for field, values in batch.items():
            np.testing.assert_array_equal(stepped[field], values, err_msg=f"{name}: {field}")


def test_stepping_past_the_horizon_is_refused() -> None:
    scn, params, keys = _setup(2)
    scn.domain.reset(scn, params, keys)
    loop = scn.domain._loop
    loop.steps = loop.horizon
    with pytest.raises(ValueError, match="the runs are over"):
        scn.domain.step({"accel_mps2": np.zeros(2)})


def test_a_lane_change_action_moves_the_ego_one_lane_over() -> None:
    """``lane_change`` +1 starts a change to the next lane on the left (−1: right); the ego ends
    on that lane's centre; one asked off the road's edge does nothing."""
    scn = api.load_scenario("highway-cut-in")
    n = 6
    keys = RunKeys.range(1, 0, n)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    obs = scn.domain.reset(scn, params, keys)
    lanes, width = scn.spec.world.road.lanes, scn.spec.world.road.lane_width_m
    start = obs["ego_lane"].copy()
    ask = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    ask[0] = lanes - start[0] + 1.0  # more than one lane: the sign counts, one lane over
    expect = np.clip(start + np.sign(ask).astype(np.int64), 1, lanes)
    obs, done = scn.domain.step({"accel_mps2": np.full(n, np.nan), "lane_change": ask})
    for _ in range(100):  # 5 s at 20 Hz: longer than the change
        obs, done = scn.domain.step({"accel_mps2": np.full(n, np.nan),
                                     "lane_change": np.zeros(n)})
    moving = ~done
    assert moving.sum() >= 3
    np.testing.assert_array_equal(obs["ego_lane"][moving], expect[moving])
    np.testing.assert_allclose(obs["ego_y_m"][moving], (expect[moving] - 0.5) * width,
                               atol=1e-9)


def test_lane_change_actions_must_be_one_per_run() -> None:
    scn, params, keys = _setup(3)
    scn.domain.reset(scn, params, keys)
    with pytest.raises(ValueError, match="one lane_change per run"):
        scn.domain.step({"accel_mps2": np.zeros(3), "lane_change": np.zeros(2)})
