"""Closed-form RUL labels agree with residual lives simulated from the same state."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

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


def test_gamma_first_passage_label_matches_simulated_residual_lives() -> None:
    """Each machine's realised residual life under its own closed form: P(T > t) = P(X(t) <
    r) = P(kt, r/θ) makes the transform 1 − P(k·RUL, r/θ) uniform; the mean label matches the
    mean residual life and the quantile labels are crossed at their rates."""
    world = """  machines:
    unit: {count: 500, sample_every_s: 3600}
  components:
    part:
      on: unit
      fault: wear_out
      wear: {gamma_process: {mean_rate_per_h: 4.0e-3, shape_per_h: 0.05}}
  maintenance: {repair_h: 1.0e-6}
"""
    _, s = simulate(scenario(world, duration_h=2500), streams=("timeseries", "events"))
    rows = _rows_at(s, 80.0)
    rul = rows["rul_h"]
    assert rul.size > 400
    y = rows["health_part"] * 1.0 * 0.05 / 4.0e-3  # remaining wear in scale units
    assert np.ptp(y) > 2.0  # machines are in different states
    u = 1.0 - special.gammainc(0.05 * rul, y)
    assert stats.kstest(u, "uniform").pvalue > 0.01
    diff = rul - rows["rul_mean_h"]
    assert abs(diff.mean() / (diff.std() / np.sqrt(rul.size))) < 3.5
    for name, p in (("rul_p10_h", 0.1), ("rul_p50_h", 0.5), ("rul_p90_h", 0.9)):
        below = int((rul <= rows[name]).sum())
        assert stats.binomtest(below, rul.size, p).pvalue > 0.001, name
