"""Closed-form RUL labels agree with residual lives simulated from the same state."""

from __future__ import annotations

import numpy as np
from scipy import stats

from tests.domains.maintenance.helpers import scenario, simulate


def _rows_at(streams: dict, t_h: float) -> dict[str, np.ndarray]:
    """Rows at one time of machines still on their first life (no failure before it)."""
    ts, ev = streams["timeseries"], streams["events"]
    failed = set(ev["machine"][(ev["kind"] == "failure") & (ev["t_h"] <= t_h)])
    fresh = np.array([m not in failed for m in ts["machine"]])
    sel = np.isclose(ts["t_h"], t_h) & ts["running"] & ~ts["rul_censored"] & fresh
    return {k: v[sel] for k, v in ts.items()}


def test_weibull_residual_life_label_matches_simulated_residual_lives() -> None:
    world = """  machines:
    unit: {count: 600, sample_every_s: 36000}
  components:
    part: {on: unit, fault: wear_out, wear: {weibull: {shape: 2.5, scale_h: 500}}}
  maintenance: {repair_h: 1.0e-6}
"""
    _, s = simulate(scenario(world, duration_h=6000), streams=("timeseries", "events"))
    rows = _rows_at(s, 200.0)
    rul = rows["rul_h"]
    assert rul.size > 350
    assert np.ptp(rows["rul_mean_h"]) < 1e-9  # same age, same closed form
    mean, p10, p90 = rows["rul_mean_h"][0], rows["rul_p10_h"][0], rows["rul_p90_h"][0]
    z = (rul.mean() - mean) / (rul.std(ddof=1) / np.sqrt(rul.size))
    assert abs(z) < 3.5, (rul.mean(), mean)
    for q, p in ((p10, 0.1), (p90, 0.9)):
        assert stats.binomtest(int((rul <= q).sum()), rul.size, p).pvalue > 0.001


def test_wiener_first_passage_label_is_inverse_gaussian() -> None:
    world = """  machines:
    unit: {count: 400, sample_every_s: 1800}
  components:
    part:
      on: unit
      fault: drift
      wear: {wiener: {drift_per_h: 0.004, sigma_per_sqrt_h: 0.03}}
  maintenance: {repair_h: 1.0e-6}
"""
    _, s = simulate(scenario(world, duration_h=900), streams=("timeseries", "events"))
    rows = _rows_at(s, 100.0)
    rul = rows["rul_h"]
    assert rul.size > 300
    # each machine is in its own state (its level): the probability integral transform of its
    # realised residual life under its own inverse Gaussian must be uniform
    distance = rows["health_part"] * 1.0
    mu_ig = distance / 0.004
    lam = distance**2 / 0.03**2
    u = stats.invgauss.cdf(rul, mu_ig / lam, scale=lam)
    assert stats.kstest(u, "uniform").pvalue > 0.01
    z = (rul - rows["rul_mean_h"]).mean() / ((rul - rows["rul_mean_h"]).std() / np.sqrt(rul.size))
    assert abs(z) < 3.5
    below = (rul <= rows["rul_p50_h"]).mean()
    assert abs(below - 0.5) < 0.08
