"""The recorded tables of one run: timeseries, events, maintenance_log, vibration.

Every table of a scenario has the same columns in every chunk (the union over machine types;
NaN where a type lacks a channel, setting or part), so chunks stream into one Parquet file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simengine.domains.maintenance.compile import EntityDraw, Layout, regimes_of
from simengine.domains.maintenance.sensors import FAULT_KINDS, channel_values, inject_faults
from simengine.domains.maintenance.simulate import FAULTS, NOISE, VIBRATION, RunResult, stream_rng
from simengine.domains.maintenance.vibration import BEARING_FAULTS, window
from simengine.units import UNITS, unit_of

__all__ = ["UNITS", "Columns", "event_table", "log_table", "timeseries_table", "unit_of",
           "vibration_table"]




@dataclass(frozen=True)
class Columns:
    """The scenario-wide column sets of the timeseries."""

    channels: tuple[str, ...]
    settings: tuple[str, ...]
    components: tuple[str, ...]

    @classmethod
    def of(cls, world) -> Columns:
        channels, settings = {}, {}
        for m in world.machines.values():
            channels.update(dict.fromkeys(m.sensors))
            for g in regimes_of(m):
                settings.update(dict.fromkeys(g.settings))
        return cls(tuple(channels), tuple(settings), tuple(world.components))


def _strings(values: list[str], index: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)[index]


def timeseries_table(scenario, layout: Layout, res: RunResult, keys, r: int,
                     splits: np.ndarray, params) -> dict[str, np.ndarray]:
    """One row per machine and step: state, channels, labels."""
    world = scenario.spec.world
    cols = Columns.of(world)
    run = int(keys.runs[r])
    noise_rng, fault_rng = stream_rng(keys, run, NOISE), stream_rng(keys, run, FAULTS)
    cap = scenario.spec.labels.rul_cap_h
    parts: list[dict[str, np.ndarray]] = []
    for t, (g, st) in enumerate(zip(res.grids, res.states, strict=True)):
        spec = world.machines[layout.types[t]]
        comps = layout.components[t]
        regimes = regimes_of(spec)
        count, steps = st.up.shape
        rows = count * steps
        health = np.clip(st.health, 0.0, 1.0).reshape(rows, len(comps))
        worst = np.argmin(health, axis=1)
        onset = np.array([world.components[c].onset_health for c in comps])
        faulty = health[np.arange(rows), worst] < onset[worst]
        faults = [world.components[c].fault for c in comps]
        fault_mode = np.where(faulty, _strings(faults, worst), "none").astype(object)
        prev = np.roll(faulty.reshape(count, steps), 1, axis=1)
        prev[:, 0] = False
        rul = st.rul_h.reshape(rows, len(comps))
        first = np.argmin(rul, axis=1)
        closed = st.rul_closed.reshape(rows, len(comps), 4)[np.arange(rows), worst]
        out: dict[str, np.ndarray] = {
            "run": np.full(rows, run, dtype=np.int64),
            "machine": np.repeat(np.asarray(layout.names, dtype=object)[st.machines], steps),
            "split": np.repeat(splits[st.machines], steps),
            "t_h": np.tile(g.t_h, count),
            "running": st.up.ravel(),
            "regime": _strings([x.name for x in regimes], g.regime.ravel()),
        }
        table = {x.name: x.settings for x in regimes}
        for name in cols.settings:
            vals = np.array([table[x.name].get(name, np.nan) for x in regimes])
            out[name] = vals[g.regime.ravel()]
        out["ambient_c"] = np.tile(g.ambient_c, count)
        values = _channels(spec, comps, regimes, g, st, health, noise_rng)
        std = np.array([s.noise_std or 1.0 for s in spec.sensors.values()])
        code = np.zeros(rows, dtype=np.int64)
        chan = np.full(rows, -1, dtype=np.int64)
        if spec.sensor_faults is not None and values.shape[1]:
            sf = spec.sensor_faults
            draw = EntityDraw(params, r, fault_rng)
            code, chan = inject_faults(values, np.arange(rows).reshape(count, steps), g.t_h, sf,
                                       std, layout.horizon_h, fault_rng,
                                       lambda sf=sf, draw=draw: draw(sf.duration_h))
        own = list(spec.sensors)
        for name in cols.channels:
            out[name] = values[:, own.index(name)] if name in own else np.full(rows, np.nan)
        out["health"] = health.min(axis=1)
        for name in cols.components:
            out[f"health_{name}"] = (health[:, comps.index(name)] if name in comps
                                     else np.full(rows, np.nan))
        out["fault_mode"] = fault_mode
        out["fault_onset"] = faulty & ~prev.ravel()
        out["rul_h"] = np.minimum(rul[np.arange(rows), first], cap)
        out["rul_censored"] = st.censored.reshape(rows, len(comps))[np.arange(rows), first]
        for q, name in enumerate(("rul_mean_h", "rul_p10_h", "rul_p50_h", "rul_p90_h")):
            out[name] = closed[:, q] / 1.0
        out["sensor_fault"] = _strings(list(FAULT_KINDS), code)
        out["sensor_fault_channel"] = np.where(
            chan >= 0, _strings([*own, ""], np.where(chan >= 0, chan, len(own))), "").astype(
            object)
        parts.append(out)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _channels(spec, comps, regimes, g, st, health, rng) -> np.ndarray:
    names = list(spec.sensors)
    n_channels, n_parts, n_regimes = len(names), len(comps), len(regimes)
    count, steps = st.up.shape
    rows = count * steps
    base, per_load, per_amb, noise = (np.array([getattr(s, f) for s in spec.sensors.values()],
                                               dtype=np.float64).reshape(n_channels)
                                      for f in ("base", "per_load", "per_ambient", "noise_std"))
    per_damage = np.zeros((n_channels, n_parts))
    per_regime = np.zeros((n_channels, n_regimes))
    gnames = [x.name for x in regimes]
    for j, s in enumerate(spec.sensors.values()):
        for c, v in s.per_damage.items():
            per_damage[j, comps.index(c)] = v
        for x, v in s.per_regime.items():
            per_regime[j, gnames.index(x)] = v
    normals = rng.standard_normal((rows, n_channels))
    return channel_values(st.up.ravel(), g.load.ravel(), np.tile(g.ambient_c, count),
                          1.0 - health, g.regime.ravel(), base, per_load, per_amb, per_damage,
                          per_regime, noise, normals)


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
              "virtual_age_before_h", "virtual_age_after_h")


def log_table(scenario, layout: Layout, res: RunResult, run: int) -> dict[str, np.ndarray]:
    """One row per part maintained: action, timing, waits, virtual ages."""
    log = res.record.log
    comp = [layout.components[layout.machine_type[x["machine"]]][x["component"]] for x in log]
    out = {
        "run": np.full(len(log), run, dtype=np.int64),
        "machine": np.array([layout.names[x["machine"]] for x in log], dtype=object),
        "component": np.array(comp, dtype=object),
        "action": np.array([x["action"] for x in log], dtype=object),
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
    for t, (g, st) in enumerate(zip(res.grids, res.states, strict=True)):
        spec = world.machines[layout.types[t]]
        vib = spec.vibration
        comps = layout.components[t]
        bearing = [c for c, n in enumerate(comps) if world.components[n].fault in BEARING_FAULTS]
        if vib is None or not bearing:
            continue
        every = max(int(round(vib.every_h / g.dt_h)), 1)
        shaft_hz = spec.shaft_speed_rpm / 60.0
        for i in range(st.up.shape[0]):
            for k in range(0, g.steps, every):
                if not st.up[i, k]:
                    continue
                h = np.clip(st.health[i, k], 0.0, 1.0)
                faults = [(world.components[comps[c]].fault, 1.0 - h[c],
                           world.components[comps[c]].bearing) for c in bearing]
                waves.append(window(rng, rate_hz=vib.rate_hz, window_s=vib.window_s,
                                    t0_s=g.t_h[k] * 3600.0, shaft_hz=shaft_hz, faults=faults,
                                    resonance_hz=vib.resonance_hz, damping=vib.damping,
                                    impulse_g=vib.impulse_g, slip=vib.slip, noise_g=vib.noise_g))
                c = bearing[int(np.argmin(h[bearing]))]
                present = h[c] < world.components[comps[c]].onset_health
                rows.append((layout.names[st.machines[i]], g.t_h[k], vib.rate_hz,
                             float(h[c]), world.components[comps[c]].fault if present else "none",
                             float(min(st.rul_h[i, k, bearing].min(), 1e9))))
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
