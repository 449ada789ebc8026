"""One run end to end: grids → simpy plant → outcomes, and the requested streams.

Randomness: the plant (regime switching, part lives, repair and lead times) draws only from the
run's simulation generator ``keys.generator(run, SIMULATION)``; measurements draw from
sub-streams ``SeedSequence(seed, spawn_key=(*stage, run, SIMULATION, k))`` (k = 2 sensor faults,
3 vibration) and, for sensor noise, one per machine ``(*stage, run, SIMULATION, 1, machine)``.
Sensor faults are drawn before the plant runs and a machine's noise is a pure function of its
key, so condition monitoring reads exactly the values the ``timeseries`` records, and recording
a stream never changes what was simulated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simengine.domains.maintenance.compile import EntityDraw, Layout, TypeGrid, build_grids
from simengine.domains.maintenance.monitor import Monitor
from simengine.domains.maintenance.plant import PlantRecord, simulate_plant
from simengine.domains.maintenance.sensors import FaultEpisode, draw_faults
from simengine.domains.maintenance.synth import TypeRecord, last_rate, type_record, type_summary
from simengine.sampling.keys import Purpose, RunKeys, name_slot

__all__ = [
    "FAULTS",
    "NOISE",
    "VIBRATION",
    "RunResult",
    "machine_splits",
    "noise_normals",
    "simulate_run",
    "stream_rng",
]

NOISE, FAULTS, VIBRATION = 1, 2, 3
PREVENTIVE = ("condition_based", "time_based", "opportunistic")
PROJECTION_CAP_H = 1e9


def stream_rng(keys: RunKeys, run: int, sub: int) -> np.random.Generator:
    """The generator of one stream's draws for one run (see the module docstring)."""
    seq = np.random.SeedSequence(keys.seed, spawn_key=(*keys.stage, int(run),
                                                       int(Purpose.SIMULATION), sub))
    return np.random.Generator(np.random.PCG64(seq))


def noise_normals(keys: RunKeys, run: int, machine: int, steps: int, channels: int
                  ) -> np.ndarray:
    """(steps, channels) standard normals of one machine's sensor noise."""
    seq = np.random.SeedSequence(keys.seed, spawn_key=(*keys.stage, int(run),
                                                       int(Purpose.SIMULATION), NOISE,
                                                       int(machine)))
    return np.random.Generator(np.random.PCG64(seq)).standard_normal((steps, channels))


def machine_splits(fractions: Mapping[str, float], keys: RunKeys, machines: int) -> np.ndarray:
    """(runs, machines) split codes (indices into ``fractions``' names), a pure function of
    (seed, run, machine): a machine's rows are never spread over splits, whatever the batch."""
    names = list(fractions)
    p = np.array([fractions[k] for k in names], dtype=np.float64)
    edges = np.cumsum(p)
    edges[int(np.flatnonzero(p > 0)[-1]):] = np.inf
    u = keys.uniforms(Purpose.SPLIT, machines, slot=name_slot("maintenance.machine"))
    return np.searchsorted(edges, u, side="right").astype(np.int32)


@dataclass
class RunResult:
    """One run: its outcome values, plant record, and per machine type its grid and its part
    of the record as flat arrays."""

    outcomes: dict[str, float]
    record: PlantRecord
    grids: list[TypeGrid]
    records: list[TypeRecord]
    faults: list[list[list[FaultEpisode]]]  # per type, per machine of the type


def _downtime(record: PlantRecord, horizon: float) -> np.ndarray:
    out = np.zeros(len(record.pieces))
    for m, pieces in enumerate(record.pieces):
        for j, (t0, _, _, _, up) in enumerate(pieces):
            t1 = pieces[j + 1][0] if j + 1 < len(pieces) else horizon
            if not up:
                out[m] += max(min(t1, horizon) - t0, 0.0)
    return out


def _max_concurrent(log: list[dict]) -> int:
    spans = {(r["machine"], r["t_start_h"], r["t_end_h"]) for r in log}
    edges = sorted([(s, 1) for _, s, e in spans] + [(e, -1) for _, s, e in spans],
                   key=lambda x: (x[0], x[1]))
    best = cur = 0
    for _, d in edges:
        cur += d
        best = max(best, cur)
    return best


def _first_failure(record: PlantRecord, layout: Layout, grids: list[TypeGrid],
                   records: list[TypeRecord]) -> float:
    fails = [e[0] for e in record.events if e[2] == "failure"]
    if fails:
        return min(fails)
    best = PROJECTION_CAP_H
    horizon = layout.horizon_h
    for rec in record.lives:
        if math.isfinite(rec.t1_h):
            continue
        t = layout.machine_type[rec.machine]
        i = int(layout.machine_index[rec.machine])
        rate = max(last_rate(records[t], grids[t], i), 1e-12)
        age = float(np.max(_age_at_end(record, rec)))
        best = min(best, horizon + rec.life.remaining_mean_tau_h(age) / rate)
    return best


def _age_at_end(record: PlantRecord, rec) -> float:
    _, theta0, _, _, _ = record.pieces[rec.machine][-1]
    return max(theta0 - rec.theta0_h, 0.0)


def simulate_run(scenario, layout: Layout, params: Mapping[str, np.ndarray], keys: RunKeys,
                 r: int, weather) -> RunResult:
    """Simulate row ``r`` of the batch."""
    world = scenario.spec.world
    run = int(keys.runs[r])
    rng = keys.generator(run, Purpose.SIMULATION)
    grids = build_grids(scenario, layout, params, r, rng, weather)
    faults = sensor_faults(world, layout, grids, params, keys, r)
    monitor = None
    if world.maintenance.policy.alarms:
        def noise_of(m: int) -> np.ndarray:
            spec = world.machines[layout.types[layout.machine_type[m]]]
            return noise_normals(keys, run, m, grids[layout.machine_type[m]].steps,
                                 len(spec.sensors))
        monitor = Monitor(world, layout, grids, noise_of, faults)
    record = simulate_plant(world, layout, grids, EntityDraw(params, r, rng), rng,
                           monitor=monitor)
    records = [type_record(record, layout, g, t) for t, g in enumerate(grids)]
    horizon = layout.horizon_h
    down = _downtime(record, horizon)
    production = np.array([world.machines[layout.types[t]].production_per_h
                           for t in layout.machine_type])
    first = _first_failure(record, layout, grids, records)
    overheat = 0.0
    healths = []
    for t, (g, rec) in enumerate(zip(grids, records, strict=True)):
        th = world.machines[layout.types[t]].thermal
        lowest, hot_h = type_summary(rec, g, len(layout.components[t]),
                                     th.max_temperature_c if th is not None else None)
        healths.append(lowest)
        overheat += hot_h
    log = record.log
    outcomes = {
        "failures": sum(1 for e in record.events if e[2] == "failure"),
        "any_failure": first < horizon,
        "failure_margin_h": horizon - first,
        "first_failure_h": first,
        "preventive_actions": sum(1 for x in log if x["action"] in PREVENTIVE),
        "false_alarms": sum(1 for x in log if x["action"] == "false_alarm"),
        "downtime_h": float(down.sum()),
        "availability": 1.0 - float(down.sum()) / (horizon * layout.machines),
        "production_loss": float((down * production).sum()),
        "wait_crew_h": float(sum(x["wait_crew_h"] for x in log)),
        "wait_spare_h": float(sum(x["wait_spare_h"] for x in log)),
        "max_concurrent_repairs": _max_concurrent(log),
        "min_health": max(min(healths), 0.0),
        "overheat_h": overheat,
        "max_ambient_c": float(max(g.ambient_c.max() for g in grids)),
    }
    return RunResult(outcomes, record, grids, records, faults)


def sensor_faults(world, layout: Layout, grids: list[TypeGrid], params: Mapping[str, np.ndarray],
                  keys: RunKeys, r: int) -> list[list[list[FaultEpisode]]]:
    """The run's sensor faults, type by type, machine by machine (from the FAULTS stream)."""
    fault_rng = stream_rng(keys, int(keys.runs[r]), FAULTS)
    out: list[list[list[FaultEpisode]]] = []
    for t, g in enumerate(grids):
        spec = world.machines[layout.types[t]]
        sf = spec.sensor_faults
        if sf is None or not spec.sensors:
            out.append([])
            continue
        draw = EntityDraw(params, r, fault_rng)
        out.append(draw_faults(sf, int((layout.machine_type == t).sum()), len(spec.sensors),
                               g.t_h, layout.horizon_h, fault_rng,
                               lambda sf=sf, draw=draw: draw(sf.duration_h)))
    return out
