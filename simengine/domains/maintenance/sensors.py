"""Sensor channels (Numba) and injected sensor faults with their labels.

Each channel is value = base + per_load·load + per_ambient·(ambient − 15) + Σ per_damage·(1 −
health) + per_regime[regime] + noise_std·N(0, 1) while the machine runs; a stopped machine reads
base + the ambient term + noise. Each machine's noise comes from its own generator (see
:func:`simulate.noise_normals`), so a sample's value does not depend on which other samples are
computed: the plant reads the same values a recorded ``timeseries`` holds.

Sensor faults change measured values only, never the physics: ``drift`` adds drift_per_h·std
per hour since onset, ``stuck`` holds the last value before onset, ``dropout`` gives NaN,
``spike`` adds spike_size·std on scattered samples. They are drawn before the plant runs
(:func:`draw_faults`), so condition-based maintenance on a channel sees them too (a spike can
raise a false alarm, a dropout hides a real one). Exactly the samples a fault changed carry its
label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.maintenance.model import SensorFaultSpec, SensorSpec

__all__ = ["FAULT_KINDS", "FaultEpisode", "apply_faults", "channel_coefficients", "channel_values",
           "draw_faults", "fault_offset"]

FAULT_KINDS = ("none", "drift", "stuck", "dropout", "spike")
AMBIENT_REFERENCE_C = 15.0
SPIKE_PROBABILITY = 0.2
"""Project choice: a fifth of the samples inside a spike episode carry a spike."""


def channel_coefficients(sensors: list[SensorSpec], comps: tuple[str, ...],
                         regimes: list[str]) -> tuple[np.ndarray, ...]:
    """(base, per_load, per_ambient, per_damage (K, C), per_regime (K, G), noise_std) of a
    machine type's K channels, as :func:`channel_values` takes them."""
    base, per_load, per_amb, noise = (np.array([getattr(x, f) for x in sensors],
                                               dtype=np.float64)
                                      for f in ("base", "per_load", "per_ambient", "noise_std"))
    per_damage = np.zeros((len(sensors), len(comps)))
    per_regime = np.zeros((len(sensors), len(regimes)))
    for j, x in enumerate(sensors):
        for c, v in x.per_damage.items():
            per_damage[j, comps.index(c)] = v
        for g, v in x.per_regime.items():
            per_regime[j, regimes.index(g)] = v
    return base, per_load, per_amb, per_damage, per_regime, noise


@numba.njit(cache=True, nogil=True)
def channel_values(up: np.ndarray, load: np.ndarray, ambient_c: np.ndarray,
                   health: np.ndarray, regime: np.ndarray, base: np.ndarray,
                   per_load: np.ndarray, per_ambient: np.ndarray, per_damage: np.ndarray,
                   per_regime: np.ndarray, noise_std: np.ndarray, normals: np.ndarray
                   ) -> np.ndarray:
    """(K, rows) channel values, one contiguous row per channel, for rows in (machine, step)
    order. ``up``, ``regime``: (rows,); ``load`` (G,) each regime's load; ``ambient_c``
    (steps,), the same for every machine; ``health`` (C, rows) part healths clipped to [0, 1];
    coefficients (K,), per_damage (K, C), per_regime (K, G); ``normals`` (rows, K) standard
    normals."""
    rows = up.shape[0]
    steps = ambient_c.shape[0]
    n_channels = base.shape[0]
    n_parts = health.shape[0]
    out = np.empty((n_channels, rows))
    for first in range(0, rows, steps):  # one machine at a time: its step k is row first + k
        for k in range(steps):
            r = first + k
            amb = ambient_c[k] - AMBIENT_REFERENCE_C
            running = up[r]
            g = regime[r]
            for j in range(n_channels):
                v = base[j] + per_ambient[j] * amb + noise_std[j] * normals[r, j]
                if running:
                    v += per_load[j] * load[g] + per_regime[j, g]
                    for c in range(n_parts):
                        d = 1.0 - health[c, r]
                        if d > 0.0:
                            v += per_damage[j, c] * min(d, 1.0)
                out[j, r] = v
    return out


@dataclass(frozen=True)
class FaultEpisode:
    """One sensor fault on one machine: ``kind`` on own channel ``channel`` from ``start_h``,
    changing samples ``steps`` (grid indices inside the episode; for spikes the struck ones,
    with their ``signs``)."""

    kind: str
    channel: int
    start_h: float
    steps: np.ndarray
    signs: np.ndarray | None = None


def draw_faults(spec: SensorFaultSpec, count: int, n_channels: int, t_h: np.ndarray,
                horizon_h: float, rng: np.random.Generator, draw_duration
                ) -> list[list[FaultEpisode]]:
    """The sensor faults of ``count`` machines (Poisson arrivals, at most one at a time per
    machine), drawn machine by machine. They never depend on the plant, so the plant can read
    its channels through them before anything is recorded."""
    kinds = list(spec.kinds)
    weights = np.array([spec.kinds[k] for k in kinds], dtype=np.float64)
    years = horizon_h / (365.0 * 24.0)
    out: list[list[FaultEpisode]] = []
    for _ in range(count):
        mine: list[FaultEpisode] = []
        n = rng.poisson(spec.per_year * years)
        starts = np.sort(rng.uniform(0.0, horizon_h, n))
        busy_until = -np.inf
        for start in starts:
            kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
            ch = int(rng.integers(n_channels))
            end = start + draw_duration()
            if start < busy_until:
                continue
            busy_until = end
            steps = np.flatnonzero((t_h >= start) & (t_h < end))
            if not steps.size:
                continue
            signs = None
            if kind == "spike":
                steps = steps[rng.random(steps.size) < SPIKE_PROBABILITY]
                signs = rng.choice([-1.0, 1.0], steps.size)
            mine.append(FaultEpisode(kind, ch, float(start), steps, signs))
        out.append(mine)
    return out


def fault_offset(ep: FaultEpisode, spec: SensorFaultSpec, std: float, t_h: np.ndarray
                 ) -> np.ndarray:
    """What a drift or spike episode adds to its samples (``t_h``: the grid)."""
    if ep.kind == "drift":
        return spec.drift_per_h * std * (t_h[ep.steps] - ep.start_h + 1e-3)
    assert ep.signs is not None
    return spec.spike_size * std * ep.signs


def apply_faults(values: np.ndarray, first_row: int, episodes: list[FaultEpisode],
                 spec: SensorFaultSpec, std: np.ndarray, t_h: np.ndarray,
                 code: np.ndarray, channel: np.ndarray) -> None:
    """Apply one machine's faults to ``values`` (rows, n_channels) in place, its step k at row
    ``first_row + k``; label the changed rows in ``code`` (index into :data:`FAULT_KINDS`) and
    ``channel``. A stuck sensor holds the recorded value before the onset (the first value
    plus one std at the machine's first sample); only the samples it changes are labeled."""
    for ep in episodes:
        col = values[:, ep.channel]
        rows = first_row + ep.steps
        if ep.kind == "stuck":
            held = (col[rows[0] - 1] if ep.steps[0] > 0 else col[rows[0]] + std[ep.channel])
            hit = rows[col[rows] != held]
            col[rows] = held
        elif ep.kind == "dropout":
            col[rows] = np.nan
            hit = rows
        else:
            col[rows] += fault_offset(ep, spec, float(std[ep.channel]), t_h)
            hit = rows
        code[hit] = FAULT_KINDS.index(ep.kind)
        channel[hit] = ep.channel
