"""Kijima type I/II imperfect repair for every degradation model: q = 0 is as good as new,
q = 1 as bad as old, and in between the virtual age (age models) or damage (wear models)
follows Kijima's recursions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simengine.domains.maintenance.degradation import AGE_KINDS, KINDS, LifeFactory
from simengine.domains.maintenance.repair import repaired_life
from tests.domains.maintenance.helpers import scenario, simulate

MODELS = {
    "weibull": {"shape": 2.0, "scale_h": 300.0},
    "gamma_process": {"mean_rate_per_h": 4e-3, "shape_per_h": 0.2},
    "wiener": {"drift_per_h": 4e-3, "sigma_per_sqrt_h": 0.03},
    "paris": {"c": 1e-10, "stress_range_mpa": 80.0, "initial_crack_m": 0.001},
    "exponential_health": {"initial_wear": 0.02, "a": 2e-4, "b": 1.5},
}
PARIS_FIXED = {"m": 3.0, "geometry_factor": 1.12, "critical_crack_m": 0.01, "cycles_per_h": 500.0}


def _factory(kind: str) -> LifeFactory:
    values = MODELS[kind]
    return LifeFactory(kind, lambda name: values[name], fixed=PARIS_FIXED, dtau_h=2.0)


def _fail_ages(kind: str, lives) -> np.ndarray:
    return np.array([life.fail_tau_h for life in lives])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kijima", [1, 2])
def test_q0_is_as_good_as_new(kind: str, kijima: int) -> None:
    factory, rng = _factory(kind), np.random.default_rng(1)
    new = [factory.new(rng) for _ in range(300)]
    worn = [factory.new(rng) for _ in range(300)]
    repaired = [repaired_life(factory, w, 0.8 * w.fail_tau_h, rng, q=0.0, kijima=kijima)
                for w in worn]
    assert all(r.health(np.zeros(1))[0] == n.health(np.zeros(1))[0]
               for r, n in zip(repaired, new, strict=True))
    assert all(r.start_age_h == 0.0 and r.start_damage == 0.0 for r in repaired)
    a, b = _fail_ages(kind, new), _fail_ages(kind, repaired)
    if np.ptp(a) == 0:  # deterministic models: the very same life
        np.testing.assert_allclose(b, a, rtol=1e-12)
    else:
        assert stats.ks_2samp(a, b).pvalue > 0.01


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("kijima", [1, 2])
def test_q1_is_as_bad_as_old(kind: str, kijima: int) -> None:
    """Repaired at 60 % of its life with q = 1 the part is where it was: same health (Weibull:
    same virtual age, so the same hazard), same parameters, the same remaining life."""
    factory, rng = _factory(kind), np.random.default_rng(2)
    for _ in range(50):
        old = factory.new(rng)
        age = 0.6 * old.fail_tau_h
        new = repaired_life(factory, old, age, rng, q=1.0, kijima=kijima)
        assert new.params[:2] == old.params[:2]
        if kind == "weibull":
            assert new.start_age_h == pytest.approx(old.start_age_h + age, rel=1e-12)
            continue
        assert new.health(np.zeros(1))[0] == pytest.approx(old.health(np.array([age]))[0],
                                                           abs=1e-12)
        if kind in ("paris", "exponential_health"):  # deterministic: the rest of the old life
            assert new.fail_tau_h == pytest.approx(old.fail_tau_h - age, rel=1e-3, abs=1e-6)


def test_q1_weibull_residual_life_is_the_conditional_one() -> None:
    factory, rng = _factory("weibull"), np.random.default_rng(3)
    age = 250.0
    old = factory.new(rng)
    rest = np.array([repaired_life(factory, old, age, rng, q=1.0, kijima=1).fail_tau_h
                     for _ in range(500)])
    v = old.start_age_h + age
    u = np.exp(-(((v + rest) / 300.0) ** 2 - (v / 300.0) ** 2))
    assert stats.kstest(u, "uniform").pvalue > 0.01


WORLD = """  machines:
{machines}  components:
{components}  maintenance:
    repair_h: 5
    repair: {{kijima: {kijima}, q: 0.4}}
"""
WEARS = {
    "weibull": "{weibull: {shape: 2.0, scale_h: 300}}",
    "gamma_process": "{gamma_process: {mean_rate_per_h: 4.0e-3, shape_per_h: 0.2}}",
    "wiener": "{wiener: {drift_per_h: 4.0e-3, sigma_per_sqrt_h: 0.03}}",
    "paris": "{paris: {c: {lognormal: {median: 1.0e-10, sigma: 0.2}}, stress_range_mpa: 80, "
             "initial_crack_m: 0.001, critical_crack_m: 0.01, cycles_per_h: 500}}",
    "exponential_health": "{exponential_health: {a: 2.0e-4, b: 1.5}}",
}


@pytest.mark.parametrize("kijima", [1, 2])
def test_plant_repairs_follow_kijima_for_every_model(kijima: int) -> None:
    machines = "".join(f"    {k}_unit: {{count: 6, sample_every_s: 7200}}\n" for k in WEARS)
    components = "".join(f"    {k}: {{on: {k}_unit, fault: wear, wear: {w}}}\n"
                         for k, w in WEARS.items())
    scn = scenario(WORLD.format(machines=machines, components=components, kijima=kijima),
                   duration_h=3000)
    _, s = simulate(scn, streams=("maintenance_log",))
    log = s["maintenance_log"]
    q = 0.4
    for kind in WEARS:
        age_model = KINDS.index(kind) in AGE_KINDS
        repairs = 0
        for machine in np.unique(log["machine"][log["component"] == kind]):
            rows = np.flatnonzero(log["machine"] == machine)
            v_prev, d_prev = 0.0, 0.0
            for j in rows:
                assert log["action"][j] == "corrective"
                v, d = log["virtual_age_before_h"][j], log["damage_before"][j]
                if age_model:
                    expected = v_prev + q * (v - v_prev) if kijima == 1 else q * v
                    assert log["virtual_age_after_h"][j] == pytest.approx(expected, rel=1e-9)
                    v_prev = log["virtual_age_after_h"][j]
                else:
                    assert math.isnan(v) and d == pytest.approx(1.0)  # failed at the level
                    expected = d_prev + q * (d - d_prev) if kijima == 1 else q * d
                    assert log["damage_after"][j] == pytest.approx(expected, rel=1e-9)
                    d_prev = log["damage_after"][j]
                repairs += 1
        assert repairs >= 6, kind
