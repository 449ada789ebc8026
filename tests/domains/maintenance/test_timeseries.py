"""The ``timeseries`` stream built in blocks by the Numba kernels equals its definition computed
row by row with NumPy from the plant record; chunks are whole machines with the scenario's
categories; run outcomes agree with the rows; corpora do not depend on the worker count."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simengine import api
from simengine.categorical import Categorical
from simengine.domains.maintenance.compile import layout_of
from simengine.domains.maintenance.degradation import (
    EXPONENTIAL,
    GAMMA,
    PARIS,
    WEIBULL,
    WIENER,
)
from simengine.domains.maintenance.rul import (
    gamma_passage_mean,
    gamma_passage_quantile,
    inverse_gaussian_mean,
    inverse_gaussian_quantile,
    weibull_residual_mean,
    weibull_residual_quantile,
)
from simengine.domains.maintenance.simulate import machine_splits, simulate_run
from simengine.domains.maintenance.streams import CHUNK_ROWS, timeseries_chunks
from simengine.sampling.keys import RunKeys
from simengine.sampling.sampler import NominalSampler
from simengine.weather import weather_state
from tests.domains.maintenance.helpers import scenario, simulate
from tests.runner.helpers import assert_same_files, snapshot

EVERY_MODEL = """  machines:
    unit:
      count: 9
      sample_every_s: 7200
      operation:
        switch_every_h: 48
        regimes: [{name: calm, load: 0.5, accel: 0.7}, {name: hard, load: 1.0, accel: 1.6}]
      thermal: {activation_energy_ev: 0.5, reference_c: 40, self_heating_c: 30,
                max_temperature_c: 52}
      cascade: {partner: next, load_factor: 1.5}
      sensors:
        temperature_c: {base: 40, per_load: 10, per_ambient: 0.5,
                        per_damage: {bearing: 8, seal: 3}, per_regime: {hard: 2.5}}
        current_a: {base: 20, per_load: 5, noise_std: 0.3}
    rig:
      count: 4
      sample_every_s: 3600
  components:
    bearing: {on: unit, fault: outer_race, wear: {weibull: {shape: 2.0, scale_h: 900}}}
    seal:
      on: unit
      fault: leak
      wear: {gamma_process: {mean_rate_per_h: 1.5e-3, shape_per_h: 0.2}}
    drift: {on: unit, fault: drift, wear: {wiener: {drift_per_h: 1.0e-3, sigma_per_sqrt_h: 0.02}}}
    crack:
      on: rig
      fault: crack
      wear: {paris: {c: 1.0e-10, stress_range_mpa: 80, initial_crack_m: 0.001,
                     critical_crack_m: 0.01, cycles_per_h: 500}}
    core: {on: rig, fault: core_wear, wear: {exponential_health: {a: 0.002, b: 1.2}}}
  maintenance:
    policy: {kind: run_to_failure, opportunistic_health_below: 0.3}
    repair: {kijima: 1, q: 0.5}
    crews: 2
"""


def _run(text: str, duration_h: float, run: int = 0):
    scn = scenario(text, duration_h=duration_h)
    keys = RunKeys.range(5, run, run + 1)
    params, _ = NominalSampler().sample(scn.space, keys)
    layout = layout_of(scn)
    weather = weather_state(params, 1, scn.spec.weather)
    res = simulate_run(scn, layout, params, keys, 0, weather)
    splits = machine_splits(scn.spec.split, keys, layout.machines)[0]
    chunks = list(timeseries_chunks(scn, layout, res, keys, 0, splits, tuple(scn.spec.split),
                                    params))
    return scn, layout, res, chunks


def _concat(chunks: list[dict]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([np.asarray(c[k]) for c in chunks]) for k in chunks[0]}


def _reference(scn, layout, res, t: int) -> dict[str, np.ndarray]:
    """Labels of machine type ``t``, row by row with NumPy, straight from the definitions."""
    world = scn.spec.world
    g, rec = res.grids[t], res.records[t]
    comps = layout.components[t]
    count, steps = rec.count, g.steps
    t_h = g.t_h
    health = np.ones((count, steps, len(comps)))
    rul = np.full((count, steps, len(comps)), np.inf)
    censored = np.zeros((count, steps, len(comps)), dtype=bool)
    closed = np.full((count, steps, len(comps), 4), np.nan)
    up = np.zeros((count, steps), dtype=bool)
    rate = np.zeros((count, steps))
    theta = np.zeros((count, steps))
    local = {int(m): i for i, m in enumerate(rec.machines)}
    for i, m in enumerate(rec.machines):
        p = np.array([(a, b, c, d, float(e)) for a, b, c, d, e in res.record.pieces[m]])
        # a sample at t shows the plant just before the events at t
        j = np.maximum(np.searchsorted(p[:, 0], t_h, side="left") - 1, 0)
        up[i] = p[j, 4] > 0
        theta[i] = p[j, 1] + np.where(up[i], p[j, 3] * (g.cum[i, :steps] - p[j, 2]), 0.0)
        rate[i] = g.regime_rate[g.regime[i], np.arange(steps)] * p[j, 3]
    for life in res.record.lives:
        i = local.get(life.machine)
        if i is None:
            continue
        k0 = math.ceil(life.t0_h / g.dt_h - 1e-9)
        k1 = (min(math.ceil(life.t1_h / g.dt_h - 1e-9), steps) if math.isfinite(life.t1_h)
              else steps)
        if k1 <= k0:
            continue
        sl, c, model = slice(k0, k1), life.component, life.life
        s = np.maximum(theta[i, sl] - life.theta0_h, 0.0)
        h = model.health(s)
        health[i, sl, c] = h
        if life.end == "failure":
            rul[i, sl, c] = np.maximum(life.t_fail_h - t_h[sl], 0.0)
        else:
            if math.isfinite(model.fail_tau_h):
                tau = np.maximum(model.fail_tau_h - s, 0.0)
            elif model.kind in (GAMMA, WIENER):
                tau = np.maximum(h, 0.0) * model.params[2] / model.params[0]
            else:
                tau = np.full(s.size, np.inf)
            rul[i, sl, c] = tau / rate[i, sl]
            censored[i, sl, c] = True
        out = np.full((s.size, 4), np.nan)
        if model.kind == WEIBULL:
            beta, eta, _ = model.params
            age = model.start_age_h + s
            out[:, 0] = weibull_residual_mean(age, shape=beta, scale_h=eta)
            for q, prob in enumerate((0.1, 0.5, 0.9), start=1):
                out[:, q] = weibull_residual_quantile(age, prob, shape=beta, scale_h=eta)
        elif model.kind == WIENER:
            mu, sigma, threshold = model.params
            distance = np.maximum(h, 1e-9) * threshold
            out[:, 0] = inverse_gaussian_mean(distance, drift=mu)
            for q, prob in enumerate((0.1, 0.5, 0.9), start=1):
                out[:, q] = inverse_gaussian_quantile(distance, prob, drift=mu, sigma=sigma)
        elif model.kind == GAMMA:
            mean_rate, shape, threshold = model.params
            distance = np.maximum(h, 0.0) * threshold
            out[:, 0] = gamma_passage_mean(distance, mean_rate=mean_rate, shape_rate=shape)
            for q, prob in enumerate((0.1, 0.5, 0.9), start=1):
                out[:, q] = np.maximum(gamma_passage_quantile(
                    distance, prob, mean_rate=mean_rate, shape_rate=shape), 0.0)
        elif model.kind in (EXPONENTIAL, PARIS) and math.isfinite(model.fail_tau_h):
            out[:] = np.maximum(model.fail_tau_h - s, 0.0)[:, None]
        closed[i, sl, c] = out / rate[i, sl, None]
    rows = count * steps
    clipped = np.clip(health, 0.0, 1.0).reshape(rows, len(comps))
    worst = np.argmin(clipped, axis=1)
    onset = np.array([world.components[c].onset_health for c in comps])
    faulty = clipped[np.arange(rows), worst] < onset[worst]
    prev = np.roll(faulty.reshape(count, steps), 1, axis=1)
    prev[:, 0] = False
    first = np.argmin(rul.reshape(rows, len(comps)), axis=1)
    faults = np.array([world.components[c].fault for c in comps], dtype=object)
    ref = {
        "running": up.ravel(),
        "health": clipped.min(axis=1),
        "fault_mode": np.where(faulty, faults[worst], "none"),
        "fault_onset": faulty & ~prev.ravel(),
        "rul_h": np.minimum(rul.reshape(rows, -1)[np.arange(rows), first],
                            scn.spec.labels.rul_cap_h),
        "rul_censored": censored.reshape(rows, -1)[np.arange(rows), first],
    }
    for c, name in enumerate(comps):
        ref[f"health_{name}"] = clipped[:, c]
    closed = closed.reshape(rows, len(comps), 4)[np.arange(rows), worst]
    for q, name in enumerate(("rul_mean_h", "rul_p10_h", "rul_p50_h", "rul_p90_h")):
        ref[name] = closed[:, q]
    return ref


def test_labels_equal_their_row_by_row_definition() -> None:
    scn, layout, res, chunks = _run(EVERY_MODEL, 1500.0)
    ts = _concat(chunks)
    start = 0
    kinds = set()
    for t in range(len(layout.types)):
        rows = res.records[t].count * res.grids[t].steps
        mine = {k: v[start : start + rows] for k, v in ts.items()}
        start += rows
        kinds |= set(res.records[t].life_kind.tolist())
        for name, expected in _reference(scn, layout, res, t).items():
            got = mine[name]
            if expected.dtype.kind == "f":
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12,
                                           equal_nan=True, err_msg=name)
            else:
                np.testing.assert_array_equal(got, expected, err_msg=name)
    assert kinds == {WEIBULL, GAMMA, WIENER, PARIS, EXPONENTIAL}
    assert any(x.life.kind == WEIBULL and x.life.start_age_h > 0 for x in res.record.lives)
    assert start == ts["run"].size
    # the run exercised what the kernels branch on
    assert (ts["fault_mode"] != "none").any() and ts["fault_onset"].any()
    assert not ts["running"].all() and ts["rul_censored"].any() and not ts["rul_censored"].all()
    assert np.isfinite(ts["rul_mean_h"]).all()  # every model has a closed form
    # a noiseless channel is its formula; the rig has no sensors
    unit = ts["regime"] != "normal"
    load = np.where(ts["regime"] == "hard", 1.0, 0.5)
    ambient = 0.5 * (ts["ambient_c"] - 15.0)
    damage = 8.0 * (1.0 - ts["health_bearing"]) + 3.0 * (1.0 - ts["health_seal"])
    expected = 40.0 + ambient + np.where(ts["running"], 10.0 * load + 2.5 * (
        ts["regime"] == "hard") + damage, 0.0)
    np.testing.assert_allclose(ts["temperature_c"][unit], expected[unit], rtol=1e-12)
    assert np.isnan(ts["temperature_c"][~unit]).all()
    noise = (ts["current_a"] - 20.0 - np.where(ts["running"], 5.0 * load, 0.0))[unit]
    assert abs(noise.std() / 0.3 - 1.0) < 0.02 and abs(noise.mean()) < 4 * 0.3 / noise.size**0.5


def test_chunks_are_whole_machines_with_the_scenario_categories() -> None:
    _, layout, res, chunks = _run(EVERY_MODEL.replace("count: 9", "count: 40"), 8000.0)
    steps = [g.steps for g in res.grids]
    assert steps == [4000, 8000]
    sizes = [c["run"].size for c in chunks]
    assert sizes == [32 * 4000, 8 * 4000, 4 * 8000]  # CHUNK_ROWS // steps machines a chunk
    assert all(n <= CHUNK_ROWS for n in sizes)
    for name in ("machine", "split", "regime", "fault_mode", "sensor_fault",
                 "sensor_fault_channel"):
        cats = {c[name].categories for c in chunks}
        assert all(isinstance(c[name], Categorical) for c in chunks)
        assert len(cats) == 1, name  # one dictionary for the whole file
    assert chunks[0]["machine"].categories == layout.names
    assert chunks[0]["regime"].categories == ("calm", "hard", "normal")
    assert chunks[0]["fault_mode"].categories == ("none", "outer_race", "leak", "drift",
                                                  "crack", "core_wear")
    ts = _concat(chunks)
    machine = ts["machine"]
    change = np.flatnonzero(machine[1:] != machine[:-1]) + 1
    order = machine[np.r_[0, change]]
    assert order.tolist() == list(layout.names)  # each machine once, in layout order
    for a, b in zip(np.r_[0, change], np.r_[change, machine.size], strict=True):
        assert np.all(np.diff(ts["t_h"][a:b]) > 0)
    # settings and channels the rig lacks are NaN there
    assert np.isnan(ts["health_bearing"][machine == "rig.0"]).all()


WANDERING = """  machines:
    unit: {count: 30, sample_every_s: 3600}
  components:
    drift: {on: unit, fault: drift, wear: {wiener: {drift_per_h: 1.0e-4, sigma_per_sqrt_h: 0.01}}}
    bearing: {on: unit, fault: outer_race, wear: {weibull: {shape: 2.0, scale_h: 20000}}}
"""

WEARING = """  machines:
    unit: {count: 30, sample_every_s: 3600}
  components:
    seal: {on: unit, fault: leak, wear: {gamma_process: {mean_rate_per_h: 1.0e-3,
                                                         shape_per_h: 0.2}}}
    bearing: {on: unit, fault: outer_race, wear: {weibull: {shape: 2.0, scale_h: 20000}}}
"""


@pytest.mark.parametrize(("world", "part"), [(WANDERING, "drift"), (WEARING, "seal")])
def test_lowest_health_outcome_is_the_lowest_in_the_rows(world: str, part: str) -> None:
    """A life's lowest health is at its last step on every model but Wiener's, whose path
    wanders: the outcome must still be the lowest health of any row."""
    episodes, s = simulate(scenario(world, duration_h=400), runs=3, streams=("timeseries",))
    ts = s["timeseries"]
    assert episodes["failures"].sum() == 0
    for r in range(3):
        rows = ts["run"] == r
        lowest = ts["health"][rows].min()
        assert 0.0 < lowest < 0.9
        assert episodes["min_health"][r] == lowest
        machine = ts["machine"][rows][np.argmin(ts["health"][rows])]
        path = ts[f"health_{part}"][rows][ts["machine"][rows] == machine]
        assert path.min() == lowest
        if part == "drift":  # the lowest is not at the end of the run
            assert path.argmin() < path.size - 1


def test_run_outcomes_agree_with_the_rows() -> None:
    episodes, s = simulate(scenario(EVERY_MODEL, duration_h=3000), runs=2,
                           streams=("timeseries",))
    ts = s["timeseries"]
    loads = {"calm": 0.5, "hard": 1.0}
    total_hot = 0
    for r in range(2):
        rows = ts["run"] == r
        assert episodes["min_health"][r] == max(ts["health"][rows].min(), 0.0)
        unit = rows & (ts["regime"] != "normal")
        temperature = ts["ambient_c"][unit] + 30.0 * np.array(
            [loads[x] for x in ts["regime"][unit]])
        hot = (temperature > 52.0) & ts["running"][unit]
        total_hot += hot.sum()
        assert episodes["overheat_h"][r] == pytest.approx(hot.sum() * 2.0)
    assert total_hot > 0


def test_corpus_bytes_do_not_depend_on_workers(tmp_path) -> None:
    text = (f"schema_version: 1\nname: probe\ndomain: maintenance\nduration_s: {900 * 3600}\n"
            f"outputs: [timeseries, events, maintenance_log]\nworld:\n{EVERY_MODEL}")
    path = tmp_path / "probe.yaml"
    path.write_text(text)
    api.run(str(path), out=tmp_path / "w1", runs=4, seed=3, workers=1, shard_size=2)
    api.run(str(path), out=tmp_path / "w2", runs=4, seed=3, workers=2, shard_size=2)
    one = snapshot(tmp_path / "w1")
    assert "timeseries/part-00001.parquet" in one
    assert_same_files(one, snapshot(tmp_path / "w2"), what="--workers 1 vs --workers 2")
