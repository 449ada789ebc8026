"""Failure times against closed forms: Weibull, accelerated life, Kijima repair, Paris law."""

from __future__ import annotations

import numpy as np
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
