"""Age-based preventive replacement and opportunistic maintenance do what a user relies on."""

from __future__ import annotations

import numpy as np
import pytest

from tests.domains.maintenance.helpers import scenario, simulate

AGE_BASED = """  machines:
    unit:
      count: 4
      sample_every_s: 3600
      operation: {{regimes: [{{name: hard, accel: 2.0}}]}}
  components:
{components}  maintenance:
    policy: {{kind: time_based, every_h: 100}}
    preventive_h: 5
    repair_h: 5
"""
SOUND = "    bearing: {on: unit, fault: outer_race, wear: {weibull: {shape: 3, scale_h: 1.0e6}}}\n"
FRAIL = "    fuse: {on: unit, fault: blown, wear: {weibull: {shape: 1.5, scale_h: 80}}}\n"


def test_age_based_replacement_happens_at_the_declared_operating_age() -> None:
    """Ageing twice as fast as the clock, a part due at 100 h of operating age is replaced
    every 50 h of running: at 50, 105, 160, … (each stop lasts 5 h)."""
    _, s = simulate(scenario(AGE_BASED.format(components=SOUND), duration_h=1000),
                    streams=("maintenance_log", "events"))
    log = s["maintenance_log"]
    assert set(log["action"]) == {"time_based"}
    for machine in np.unique(log["machine"]):
        t = log["t_request_h"][log["machine"] == machine]
        np.testing.assert_allclose(t, 50.0 + 55.0 * np.arange(t.size), rtol=1e-9)
        assert t.size == 18
    np.testing.assert_allclose(log["virtual_age_before_h"], 100.0, rtol=1e-9)
    np.testing.assert_allclose(log["virtual_age_after_h"], 0.0)
    assert set(s["events"]["kind"]) == {"age_limit", "restart"}


def test_age_based_clock_restarts_with_each_part() -> None:
    """Each part keeps its own age: a part that fails first is repaired (corrective) and its
    next replacement is due 100 operating hours after that; the sound part is not touched by
    the fuse's stops (a stopped machine does not age)."""
    _, s = simulate(scenario(AGE_BASED.format(components=SOUND + FRAIL), duration_h=2000),
                    streams=("maintenance_log",))
    log = s["maintenance_log"]
    fuse, bearing = log["component"] == "fuse", log["component"] == "bearing"
    aged, failed = log["action"] == "time_based", log["action"] == "corrective"
    assert (fuse & aged).sum() > 5 and (fuse & failed).sum() > 5
    np.testing.assert_allclose(log["virtual_age_before_h"][aged], 100.0, rtol=1e-9)
    assert np.all(log["virtual_age_before_h"][failed] < 100.0)
    assert not (bearing & failed).any() and (bearing & aged).sum() >= 4 * 15


OPPORTUNISTIC = """  machines:
    unit: {count: 8, sample_every_s: 7200}
  components:
    fuse: {on: unit, fault: blown, wear: {weibull: {shape: 1.0, scale_h: 150}}}
    seal:
      on: unit
      fault: leak
      wear: {gamma_process: {mean_rate_per_h: 2.0e-3, shape_per_h: 0.5}}
  maintenance:
    policy: {kind: run_to_failure, opportunistic_health_below: 0.5}
    repair_h: 10
    preventive_h: 10
"""


def test_opportunistic_replacement_when_the_machine_is_down_anyway() -> None:
    """At every failure, the machine's other parts are replaced exactly when their health is
    below 0.5 (read from the stopped machine's row, whose clock is frozen at the failure);
    never otherwise."""
    _, s = simulate(scenario(OPPORTUNISTIC, duration_h=3000), runs=2,
                    streams=("maintenance_log", "timeseries"))
    log, ts = s["maintenance_log"], s["timeseries"]
    failures = np.flatnonzero(log["action"] == "corrective")
    chances = taken = 0
    for j in failures:
        same = ((log["run"] == log["run"][j]) & (log["machine"] == log["machine"][j])
                & (log["t_request_h"] == log["t_request_h"][j]))
        other = "seal" if log["component"][j] == "fuse" else "fuse"
        row = np.flatnonzero((ts["run"] == log["run"][j]) & (ts["machine"] == log["machine"][j])
                             & (ts["t_h"] > log["t_request_h"][j]))[0]
        assert not ts["running"][row]  # the machine is still down: health as at the failure
        health = ts[f"health_{other}"][row]
        opportunistic = same & (log["component"] == other) & (log["action"] == "opportunistic")
        assert opportunistic.sum() == int(health < 0.5), (j, health)
        if opportunistic.any():
            k = np.flatnonzero(opportunistic)[0]
            assert log["damage_before"][k] == pytest.approx(1.0 - health, abs=1e-12)
            assert log["t_end_h"][k] == log["t_end_h"][j]  # one stop for both
            taken += 1
        chances += 1
    assert chances > 50 and 5 < taken < chances
    assert np.all(np.isin(log["action"], ["corrective", "opportunistic"]))
