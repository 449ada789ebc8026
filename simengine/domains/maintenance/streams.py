"""The recorded tables of one run: timeseries, events, maintenance_log, vibration.

Every table of a scenario has the same columns in every chunk (the union over machine types;
NaN where a type lacks a channel, setting or part), so chunks stream into one Parquet file.
The ``timeseries`` comes in chunks of about :data:`CHUNK_ROWS` rows (whole machines), built by
Numba kernels from the plant record; its label columns with few values (machine, split, regime,
fault mode, sensor fault) are :class:`~simengine.categorical.Categorical` codes whose categories
are the scenario's, the same in every chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from simengine.categorical import Categorical
from simengine.domains.maintenance.compile import Layout, regimes_of
from simengine.domains.maintenance.labels import row_labels
from simengine.domains.maintenance.sensors import (
    FAULT_KINDS,
    apply_faults,
    channel_coefficients,
    channel_values,
)
from simengine.domains.maintenance.simulate import VIBRATION, RunResult, noise_normals, stream_rng
from simengine.domains.maintenance.synth import block_state, blocks
from simengine.domains.maintenance.vibration import BEARING_FAULTS, window
from simengine.units import UNITS, unit_of

__all__ = ["CHUNK_ROWS", "UNITS", "Columns", "event_table", "log_table", "timeseries_chunks",
           "unit_of", "vibration_table"]

CHUNK_ROWS = 1 << 17
"""Rows per ``timeseries`` chunk (rounded to whole machines): two Parquet row groups."""
NO_FAULT = "none"


@dataclass(frozen=True)
class Columns:
    """The scenario-wide column sets and categories of the timeseries."""

    channels: tuple[str, ...]
    settings: tuple[str, ...]
    components: tuple[str, ...]
    regimes: tuple[str, ...]
    faults: tuple[str, ...]

    @classmethod
    def of(cls, world) -> Columns:
        channels, settings, regimes = {}, {}, {}
        for m in world.machines.values():
            channels.update(dict.fromkeys(m.sensors))
            for g in regimes_of(m):
                settings.update(dict.fromkeys(g.settings))
                regimes[g.name] = None
        faults = dict.fromkeys([NO_FAULT, *(c.fault for c in world.components.values())])
        return cls(tuple(channels), tuple(settings), tuple(world.components), tuple(regimes),
                   tuple(faults))


@dataclass(frozen=True)
class _TypeTables:
    """Per machine type: lookups from its own indices to scenario-wide columns and codes."""

    regime_code: np.ndarray     # (G,) own regime → index into Columns.regimes
    settings: np.ndarray        # (n_settings, G) setting values (NaN where not set)
    onset: np.ndarray           # (C,) onset_health of each part
    fault_code: np.ndarray      # (C,) part → index into Columns.faults
    channel_code: np.ndarray    # (K + 1,) own channel (K: none) → index into ["", *channels]
    fault_std: np.ndarray       # (K,) a channel's scale for sensor faults (noise std, or 1)
    coefficients: tuple[np.ndarray, ...]  # base, per_load, per_ambient, per_damage,
    #                                       per_regime, noise_std

    @classmethod
    def of(cls, world, spec, comps: tuple[str, ...], cols: Columns) -> _TypeTables:
        regimes = regimes_of(spec)
        names = [x.name for x in regimes]
        settings = np.array([[x.settings.get(name, np.nan) for x in regimes]
                             for name in cols.settings], dtype=np.float64).reshape(-1, len(names))
        sensors = list(spec.sensors.values())
        coefficients = channel_coefficients(sensors, comps, names)
        own = list(spec.sensors)
        return cls(
            regime_code=np.array([cols.regimes.index(n) for n in names], dtype=np.int32),
            settings=settings,
            onset=np.array([world.components[c].onset_health for c in comps]),
            fault_code=np.array([cols.faults.index(world.components[c].fault) for c in comps],
                                dtype=np.int32),
            channel_code=np.array([cols.channels.index(n) + 1 for n in own] + [0],
                                  dtype=np.int32),
            fault_std=np.array([x.noise_std or 1.0 for x in sensors], dtype=np.float64),
            coefficients=coefficients,
        )


def timeseries_chunks(scenario, layout: Layout, res: RunResult, keys, r: int,
                      splits: np.ndarray, split_names: tuple[str, ...], params
                      ) -> Iterator[dict[str, object]]:
    """One row per machine and step: state, channels, labels; in chunks of whole machines
    (machine by machine in layout order, each machine's steps in time order). ``splits``
    (machines,): each machine's index into ``split_names``."""
    world = scenario.spec.world
    cols = Columns.of(world)
    run = int(keys.runs[r])
    cap = scenario.spec.labels.rul_cap_h
    for t, (g, rec) in enumerate(zip(res.grids, res.records, strict=True)):
        spec = world.machines[layout.types[t]]
        comps = layout.components[t]
        tab = _TypeTables.of(world, spec, comps, cols)
        own = list(spec.sensors)
        faults = res.faults[t]
        spans = blocks(rec.count, g.steps, CHUNK_ROWS)
        normals = np.empty(((spans[0][1] - spans[0][0]) * g.steps, len(own)))  # reused
        for i0, i1 in spans:
            n, rows = i1 - i0, (i1 - i0) * g.steps
            st = block_state(rec, g, len(comps), i0, i1)
            lab = row_labels(st, rec, g.steps, tab.onset, cap)
            regime = g.regime[i0:i1].ravel()
            for i in range(i0, i1):
                first = (i - i0) * g.steps
                normals[first : first + g.steps] = noise_normals(keys, run, int(rec.machines[i]),
                                                                 g.steps, len(own))
            values = channel_values(st.up, g.regime_load, g.ambient_c, lab.parts, regime,
                                    *tab.coefficients, normals[:rows])
            code = np.zeros(rows, dtype=np.int32)
            chan = np.full(rows, len(own), dtype=np.int64)
            if faults:
                channel = np.full(rows, -1, dtype=np.int64)
                for i in range(i0, i1):
                    apply_faults(values.T, (i - i0) * g.steps, faults[i], spec.sensor_faults,
                                 tab.fault_std, g.t_h, code, channel)
                chan = np.where(channel >= 0, channel, len(own))
            out: dict[str, object] = {
                "run": np.full(rows, run, dtype=np.int64),
                "machine": Categorical(np.repeat(rec.machines[i0:i1].astype(np.int32),
                                                 g.steps), layout.names),
                "split": Categorical(np.repeat(splits[rec.machines[i0:i1]], g.steps),
                                     split_names),
                "t_h": np.tile(g.t_h, n),
                "running": st.up,
                "regime": Categorical(tab.regime_code[regime], cols.regimes),
            }
            for s, name in enumerate(cols.settings):
                out[name] = tab.settings[s][regime]
            out["ambient_c"] = np.tile(g.ambient_c, n)
            for name in cols.channels:
                out[name] = values[own.index(name)] if name in own else np.full(rows, np.nan)
            out["health"] = lab.health
            for name in cols.components:
                out[f"health_{name}"] = (lab.parts[comps.index(name)] if name in comps
                                         else np.full(rows, np.nan))
            out["fault_mode"] = Categorical(np.where(lab.faulty, tab.fault_code[lab.worst], 0),
                                            cols.faults)
            out["fault_onset"] = lab.onset
            out["rul_h"] = lab.rul_h
            out["rul_censored"] = lab.censored
            for q, name in enumerate(("rul_mean_h", "rul_p10_h", "rul_p50_h", "rul_p90_h")):
                out[name] = lab.closed[q]
            out["sensor_fault"] = Categorical(code, FAULT_KINDS)
            out["sensor_fault_channel"] = Categorical(tab.channel_code[chan],
                                                      ("", *cols.channels))
            yield out


def event_table(scenario, layout: Layout, res: RunResult, run: int) -> dict[str, np.ndarray]:
    """One row per event: failure, alarm, age_limit, restart, cascade_start/end."""
    world = scenario.spec.world
    ev = res.record.events
    comp = [layout.components[layout.machine_type[m]][c] if c >= 0 else "" for _, m, _, c in ev]
    return {
        "run": np.full(len(ev), run, dtype=np.int64),
        "t_h": np.array([e[0] for e in ev], dtype=np.float64),
        "machine": np.array([layout.names[e[1]] for e in ev], dtype=object),
        "kind": np.array([e[2] for e in ev], dtype=object),
        "component": np.array(comp, dtype=object),
        "fault": np.array([world.components[c].fault if c else "" for c in comp], dtype=object),
    }


LOG_FLOATS = ("t_request_h", "t_start_h", "t_end_h", "wait_spare_h", "wait_crew_h", "repair_h",
              "virtual_age_before_h", "virtual_age_after_h", "damage_before", "damage_after",
              "reading")


def log_table(scenario, layout: Layout, res: RunResult, run: int) -> dict[str, np.ndarray]:
    """One row per part maintained (or inspected on a false alarm): action, timing, waits,
    virtual ages (age models; NaN for wear models) and damage (1 − health) before and after,
    and for an alarm the channel and the reading that raised it."""
    log = res.record.log
    comp = [layout.components[layout.machine_type[x["machine"]]][x["component"]] for x in log]
    out = {
        "run": np.full(len(log), run, dtype=np.int64),
        "machine": np.array([layout.names[x["machine"]] for x in log], dtype=object),
        "component": np.array(comp, dtype=object),
        "action": np.array([x["action"] for x in log], dtype=object),
        "alarm_channel": np.array([x["alarm_channel"] for x in log], dtype=object),
    }
    for f in LOG_FLOATS:
        out[f] = np.array([x[f] for x in log], dtype=np.float64)
    return out


def vibration_table(scenario, layout: Layout, res: RunResult, run: int, keys
                    ) -> dict[str, np.ndarray] | None:
    """One row per window of machines with ``vibration:``; ``accel_g`` (windows, samples)."""
    world = scenario.spec.world
    rng = stream_rng(keys, run, VIBRATION)
    rows: list[tuple] = []
    waves: list[np.ndarray] = []
    for t, (g, rec) in enumerate(zip(res.grids, res.records, strict=True)):
        spec = world.machines[layout.types[t]]
        vib = spec.vibration
        comps = layout.components[t]
        bearing = [c for c, n in enumerate(comps) if world.components[n].fault in BEARING_FAULTS]
        if vib is None or not bearing:
            continue
        every = max(int(round(vib.every_h / g.dt_h)), 1)
        shaft_hz = spec.shaft_speed_rpm / 60.0
        for i in range(rec.count):
            st = block_state(rec, g, len(comps), i, i + 1)
            for k in range(0, g.steps, every):
                if not st.up[k]:
                    continue
                h = np.clip(st.health[k], 0.0, 1.0)
                faults = [(world.components[comps[c]].fault, 1.0 - h[c],
                           world.components[comps[c]].bearing) for c in bearing]
                waves.append(window(rng, rate_hz=vib.rate_hz, window_s=vib.window_s,
                                    t0_s=g.t_h[k] * 3600.0, shaft_hz=shaft_hz, faults=faults,
                                    resonance_hz=vib.resonance_hz, damping=vib.damping,
                                    impulse_g=vib.impulse_g, slip=vib.slip, noise_g=vib.noise_g))
                c = bearing[int(np.argmin(h[bearing]))]
                present = h[c] < world.components[comps[c]].onset_health
                rows.append((layout.names[rec.machines[i]], g.t_h[k], vib.rate_hz,
                             float(h[c]), world.components[comps[c]].fault if present else "none",
                             float(min(st.rul_h[k, bearing].min(), 1e9))))
    if not rows:
        return None
    length = max(w.size for w in waves)
    accel = np.full((len(waves), length), np.nan, dtype=np.float32)
    for j, w in enumerate(waves):
        accel[j, : w.size] = w
    return {
        "run": np.full(len(rows), run, dtype=np.int64),
        "machine": np.array([x[0] for x in rows], dtype=object),
        "t_h": np.array([x[1] for x in rows]),
        "rate_hz": np.array([x[2] for x in rows]),
        "health": np.array([x[3] for x in rows]),
        "fault_mode": np.array([x[4] for x in rows], dtype=object),
        "rul_h": np.array([x[5] for x in rows]),
        "accel_g": accel,
    }
