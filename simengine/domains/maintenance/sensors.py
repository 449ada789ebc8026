"""Sensor channels (Numba) and injected sensor faults with their labels.

Each channel is value = base + per_load·load + per_ambient·(ambient − 15) + Σ per_damage·(1 −
health) + per_regime[regime] + noise_std·N(0, 1) while the machine runs; a stopped machine reads
base + the ambient term + noise. Sensor faults change recorded values only (never the plant):
``drift`` adds drift_per_h·std per hour since onset, ``stuck`` holds the last value before
onset, ``dropout`` gives NaN, ``spike`` adds spike_size·std on scattered samples. Exactly the
samples a fault changed carry its label.
"""

from __future__ import annotations

import numba
import numpy as np

from simengine.domains.maintenance.model import SensorFaultSpec

__all__ = ["FAULT_KINDS", "channel_values", "inject_faults"]

FAULT_KINDS = ("none", "drift", "stuck", "dropout", "spike")
AMBIENT_REFERENCE_C = 15.0
SPIKE_PROBABILITY = 0.2
"""Project choice: a fifth of the samples inside a spike episode carry a spike."""


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


def inject_faults(values: np.ndarray, machine_rows: np.ndarray, t_h: np.ndarray,
                  spec: SensorFaultSpec, std: np.ndarray, horizon_h: float,
                  rng: np.random.Generator, draw_duration) -> tuple[np.ndarray, np.ndarray]:
    """Inject faults into ``values`` (rows, n_channels) in place, machine by machine.

    ``machine_rows`` (count, steps): row indices of each machine's samples in time order.
    Returns per row the fault code (index into :data:`FAULT_KINDS`) and the channel index
    (−1 without fault)."""
    code = np.zeros(values.shape[0], dtype=np.int64)
    channel = np.full(values.shape[0], -1, dtype=np.int64)
    kinds = list(spec.kinds)
    weights = np.array([spec.kinds[k] for k in kinds], dtype=np.float64)
    n_channels = values.shape[1]
    years = horizon_h / (365.0 * 24.0)
    for rows in machine_rows:
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
            inside = rows[(t_h >= start) & (t_h < end)]
            if not inside.size:
                continue
            col = values[:, ch]
            if kind == "drift":
                col[inside] += spec.drift_per_h * std[ch] * (t_h[inside - rows[0]] - start + 1e-3)
                hit = inside
            elif kind == "stuck":
                first = inside[0]
                held = col[first - 1] if first > rows[0] else col[first] + std[ch]
                hit = inside[col[inside] != held]
                col[inside] = held
            elif kind == "dropout":
                col[inside] = np.nan
                hit = inside
            else:
                hit = inside[rng.random(inside.size) < SPIKE_PROBABILITY]
                col[hit] += spec.spike_size * std[ch] * rng.choice([-1.0, 1.0], hit.size)
            code[hit] = FAULT_KINDS.index(kind)
            channel[hit] = ch
    return code, channel
