"""A controller in the loop drives the ego through the batched step API."""

from __future__ import annotations

import numpy as np

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
