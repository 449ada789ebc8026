"""Time-exposed TTC (TET) in a run's outcome equals the sum over the recorded per-step TTCs."""

from __future__ import annotations

import numpy as np
import pytest

from simengine.api import load_scenario
from simengine.domains.driving.simulate import run_kernel
from simengine.sampling.keys import RunKeys


@pytest.mark.parametrize("tau_s", [1.0, 2.0, 3.0])
def test_tet_counts_the_steps_whose_ttc_is_within_tau(tau_s: float) -> None:
    """Regression: the drivers' perception lag once overwrote the TET threshold τ inside the
    kernel, so TET counted against a driver's reaction time instead of ``labels.tet_tau_s``."""
    scn = load_scenario("highway-cut-in", overrides=[f"labels.tet_tau_s={tau_s}"])
    keys = RunKeys.range(0, 0, 300)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    result = run_kernel(scn, params, len(keys), record=True, keys=keys)
    ttc = result.pairs[:, :, 1:, 2].min(axis=2)  # the ego's smallest TTC at each step
    expected = ((ttc > 0) & (ttc <= tau_s)).sum(axis=1) * result.dt
    assert np.any(expected > 0)
    np.testing.assert_allclose(result.outcomes["tet_s"], expected, atol=1e-9)
