"""Failure times against closed forms: Weibull, accelerated life, Kijima repair, Paris law."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simengine.domains.maintenance.degradation import paris_path
from simengine.domains.maintenance.rul import accelerated_weibull_cdf, paris_cycles_to_critical
from tests.domains.maintenance.helpers import first_failures, scenario, simulate

SHAPE, SCALE_H = 2.0, 400.0


def _weibull_world(*, count: int = 400, operation: str = "", repair: str = "",
                   repair_h: float = 1e-6) -> str:
    return f"""  machines:
    unit:
      count: {count}
      sample_every_s: 36000
{operation}  components:
    part: {{on: unit, fault: wear_out, wear: {{weibull: {{shape: {SHAPE}, scale_h: {SCALE_H}}}}}}}
  maintenance:
    repair_h: {repair_h}
{repair}"""


def test_constant_regime_failure_times_are_the_declared_weibull() -> None:
    _, s = simulate(scenario(_weibull_world(), duration_h=3000), streams=("events",))
    t = first_failures(s["events"])
    assert t.size == 400  # every unit fails long before the horizon
    result = stats.kstest(t, stats.weibull_min(SHAPE, scale=SCALE_H).cdf)
    assert result.pvalue > 0.01, result
    # and the test has power: a 10 % longer scale is rejected
    assert stats.kstest(t, stats.weibull_min(SHAPE, scale=1.25 * SCALE_H).cdf).pvalue < 0.01


def test_two_regime_profile_matches_the_accelerated_life_distribution() -> None:
    operation = """      operation:
        regimes: [{name: light, accel: 0.5}, {name: heavy, accel: 3.0}]
        profile: [{regime: light, hours: 200}, {regime: heavy}]
"""
    _, s = simulate(scenario(_weibull_world(operation=operation), duration_h=3000),
                    streams=("events",))
    t = first_failures(s["events"])
    assert t.size == 400

    def cdf(x):
        return accelerated_weibull_cdf(x, shape=SHAPE, scale_h=SCALE_H,
                                       breakpoints_h=[0, 200], rates=[0.5, 3.0])

    assert stats.kstest(t, cdf).pvalue > 0.01
    # the constant-regime Weibull is clearly rejected: the profile matters
    assert stats.kstest(t, stats.weibull_min(SHAPE, scale=SCALE_H).cdf).pvalue < 1e-6


def _second_lives(q: float) -> tuple[np.ndarray, np.ndarray, dict]:
    # long enough that (almost surely) every unit fails twice: as bad as old, the failures
    # of a unit are a Poisson process with mean (T/η)^β = 14 by 1500 h
    repair = f"    repair: {{kijima: 1, q: {q}}}\n"
    _, s = simulate(scenario(_weibull_world(count=300, repair=repair), duration_h=1500),
                    streams=("events", "maintenance_log"))
    log = s["maintenance_log"]
    first, second = [], []
    for m in np.unique(log["machine"]):
        rows = np.flatnonzero(log["machine"] == m)
        if rows.size >= 2:
            first.append(log["t_request_h"][rows[0]])
            second.append(log["t_request_h"][rows[1]] - log["t_end_h"][rows[0]])
    return np.array(first), np.array(second), log


def test_kijima_q0_is_as_good_as_new() -> None:
    _, x2, log = _second_lives(0.0)
    assert np.all(log["virtual_age_after_h"] == 0.0)
    assert x2.size > 280
    assert stats.kstest(x2, stats.weibull_min(SHAPE, scale=SCALE_H).cdf).pvalue > 0.01


def test_kijima_q1_is_as_bad_as_old() -> None:
    x1, x2, log = _second_lives(1.0)
    assert x2.size == 300
    np.testing.assert_allclose(log["virtual_age_after_h"], log["virtual_age_before_h"])
    # conditional survival from age x1: U = exp(-(((x1 + x2)/η)^β - (x1/η)^β)) is uniform
    u = np.exp(-(((x1 + x2) / SCALE_H) ** SHAPE - (x1 / SCALE_H) ** SHAPE))
    assert stats.kstest(u, "uniform").pvalue > 0.01
    # as bad as old is far from as good as new: second lives are shorter
    assert np.mean(x2) < 0.7 * stats.weibull_min(SHAPE, scale=SCALE_H).mean()


def test_paris_crack_reaches_critical_length_at_the_closed_form_cycle_count() -> None:
    c, m, y_ds, a0, ac = 1.0e-11, 3.0, 1.12 * 18.0, 0.001, 0.02
    cycles_per_step = 107_820.0 * 6  # six hours at 1797 rpm
    path = paris_path(c, m, y_ds, a0, ac, cycles_per_step, 100_000, 16)
    k = int(np.flatnonzero(path >= 1.0)[0])
    frac = (1.0 - path[k - 1]) / (path[k] - path[k - 1])
    simulated = (k - 1 + frac) * cycles_per_step
    closed = paris_cycles_to_critical(c=c, m=m, y_dsigma_mpa=y_ds, a0_m=a0, ac_m=ac)
    assert abs(simulated / closed - 1.0) < 0.01
    assert 100 < k < 5000  # resolved over many steps, not one


def test_wiener_failures_between_samples_follow_the_inverse_gaussian() -> None:
    """Sampled every 24 h (a tenth of the mean life), a Wiener part still fails at its exact
    first passage: the Brownian-bridge crossing test catches excursions over the level between
    samples. Detection on the sample grid alone would fail parts late (on average by about
    half a step plus the missed excursions) and is rejected by the same test."""
    world = """  machines:
    unit: {count: 500, sample_every_s: 86400}
  components:
    part: {on: unit, fault: drift, wear: {wiener: {drift_per_h: 4.0e-3, sigma_per_sqrt_h: 0.05}}}
  maintenance: {repair_h: 1.0e-6}
"""
    _, s = simulate(scenario(world, duration_h=5000), streams=("events",))
    t = first_failures(s["events"])
    assert t.size == 500
    mean, lam = 1.0 / 4.0e-3, 1.0 / 0.05**2
    ig = stats.invgauss(mean / lam, scale=lam)
    assert stats.kstest(t, ig.cdf).pvalue > 0.01
    assert np.mean(t % 24.0 > 1e-6) > 0.9  # failures fall between samples, not on them
    late = np.ceil(t / 24.0) * 24.0  # what the sample grid alone would report at best
    assert stats.kstest(late, ig.cdf).pvalue < 1e-3


def test_bridge_crossing_probability_and_time() -> None:
    """P(a Brownian bridge from x0 to x1 touches 1) against a fine simulation of bridges, and
    the drawn crossing times against the bridges' first passages."""
    from simengine.domains.maintenance.bridge import crossing_probability, crossing_time

    rng = np.random.default_rng(4)
    x0, x1, sigma, dt, n, steps = 0.8, 0.9, 0.2, 1.0, 4000, 2000
    grid = np.linspace(0.0, dt, steps + 1)
    walk = np.cumsum(rng.standard_normal((n, steps)) * sigma * np.sqrt(dt / steps), axis=1)
    walk = np.hstack([np.zeros((n, 1)), walk])
    bridges = x0 + walk - grid / dt * (walk[:, -1:] - (x1 - x0))
    touched = bridges.max(axis=1) >= 1.0
    p = float(crossing_probability(np.array([x0]), np.array([x1]), sigma, dt)[0])
    assert p == pytest.approx(np.exp(-2 * 0.2 * 0.1 / 0.04))
    # a discrete grid misses a few touches: the fine simulation is a little below the truth
    assert p - 0.03 < touched.mean() <= p + 0.02
    first = grid[np.argmax(bridges[touched] >= 1.0, axis=1)]
    drawn = np.array([crossing_time(rng, x0, x1, sigma, dt) for _ in range(4000)])
    assert stats.ks_2samp(first, drawn).pvalue > 0.001
