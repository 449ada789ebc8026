"""Per-sample state rebuilt from a run's plant record, in batch (no simulation stepping).

For every machine of a type and every step of its grid: whether it runs, its effective clock
(from the piecewise clock the plant recorded), each part's health and remaining life on the
realised path, and the closed-form RUL distribution of the worst part given its state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simengine.domains.maintenance.compile import Layout, TypeGrid
from simengine.domains.maintenance.degradation import (
    EXPONENTIAL,
    GAMMA,
    PARIS,
    WEIBULL,
    WIENER,
)
from simengine.domains.maintenance.plant import PlantRecord
from simengine.domains.maintenance.rul import (
    inverse_gaussian_mean,
    inverse_gaussian_quantile,
    weibull_residual_mean,
    weibull_residual_quantile,
)

__all__ = ["QUANTILES", "TypeState", "type_state"]

QUANTILES = (0.1, 0.5, 0.9)


@dataclass
class TypeState:
    """Arrays of shape (count, steps) for one machine type (``health`` (count, steps, C))."""

    machines: np.ndarray        # (count,) global machine index
    up: np.ndarray              # bool
    rate: np.ndarray            # effective hours per hour, cascade included
    health: np.ndarray          # (count, steps, C) for the C parts
    rul_h: np.ndarray           # (count, steps, C) hours to the part's failure
    censored: np.ndarray        # (count, steps, C) bool: projected, not realised
    rul_closed: np.ndarray      # (count, steps, C, 4): mean, p10, p50, p90 (effective h)


def _clock(pieces: list, cum_row: np.ndarray, t_h: np.ndarray, k: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Effective clock, running flag and cascade multiplier at grid times ``t_h``."""
    p = np.asarray([(a, b, c, d, float(e)) for a, b, c, d, e in pieces])
    j = np.searchsorted(p[:, 0], t_h, side="right") - 1
    j = np.maximum(j, 0)
    up = p[j, 4] > 0
    theta = p[j, 1] + np.where(up, p[j, 3] * (cum_row[k] - p[j, 2]), 0.0)
    return theta, up, p[j, 3]


def _closed(life, age: np.ndarray, s: np.ndarray, health: np.ndarray) -> np.ndarray:
    """(len, 4) closed-form RUL (effective hours): mean, p10, p50, p90; NaN without one."""
    out = np.full((age.size, 4), np.nan)
    if life.kind == WEIBULL:
        beta, eta, _ = life.params
        out[:, 0] = weibull_residual_mean(age, shape=beta, scale_h=eta)
        for q, p in enumerate(QUANTILES, start=1):
            out[:, q] = weibull_residual_quantile(age, p, shape=beta, scale_h=eta)
    elif life.kind == WIENER:
        mu, sigma, thr = life.params
        dist = np.maximum(health, 1e-9) * thr
        out[:, 0] = inverse_gaussian_mean(dist, drift=mu)
        for q, p in enumerate(QUANTILES, start=1):
            out[:, q] = inverse_gaussian_quantile(dist, p, drift=mu, sigma=sigma)
    elif life.kind in (EXPONENTIAL, PARIS) and math.isfinite(life.fail_tau_h):
        out[:] = np.maximum(life.fail_tau_h - s, 0.0)[:, None]
    return out


def _remaining_tau(life, s: np.ndarray, health: np.ndarray) -> np.ndarray:
    if math.isfinite(life.fail_tau_h):
        return np.maximum(life.fail_tau_h - s, 0.0)
    if life.kind == GAMMA:
        return np.maximum(health, 0.0) * life.params[2] / life.params[0]
    if life.kind == WIENER:
        return np.maximum(health, 0.0) * life.params[2] / life.params[0]
    return np.full(s.size, np.inf)


def type_state(record: PlantRecord, layout: Layout, grid: TypeGrid, t: int, *,
               closed_form: bool = True) -> TypeState:
    """Rebuild the per-step state of every machine of type ``t``."""
    machines = layout.of_type(t)
    n_parts = len(layout.components[t])
    count, steps = machines.size, grid.steps
    t_h = grid.t_h
    k = np.arange(steps)
    up = np.zeros((count, steps), dtype=bool)
    rate = np.zeros((count, steps))
    health = np.ones((count, steps, n_parts))
    rul = np.full((count, steps, n_parts), np.inf)
    censored = np.zeros((count, steps, n_parts), dtype=bool)
    closed = np.full((count, steps, n_parts, 4), np.nan)
    local = {int(m): i for i, m in enumerate(machines)}
    theta = np.zeros((count, steps))
    for i, m in enumerate(machines):
        theta[i], up[i], mult = _clock(record.pieces[m], grid.cum[i], t_h, k)
        rate[i] = grid.rate[i] * mult
    for rec in record.lives:
        i = local.get(rec.machine)
        if i is None:
            continue
        k0 = int(math.ceil(rec.t0_h / grid.dt_h - 1e-9))
        k1 = min(int(math.ceil(rec.t1_h / grid.dt_h - 1e-9)), steps) if math.isfinite(
            rec.t1_h) else steps
        if k1 <= k0:
            continue
        sl = slice(k0, k1)
        s = np.maximum(theta[i, sl] - rec.theta0_h, 0.0)
        h = rec.life.health(s)
        c = rec.component
        health[i, sl, c] = h
        if rec.end == "failure":
            rul[i, sl, c] = np.maximum(rec.t_fail_h - t_h[sl], 0.0)
        else:
            rul[i, sl, c] = _remaining_tau(rec.life, s, h) / rate[i, sl]
            censored[i, sl, c] = True
        if closed_form:
            closed[i, sl, c] = _closed(rec.life, rec.life.start_age_h + s, s, h) / rate[i, sl,
                                                                                         None]
    return TypeState(machines, up, rate, health, rul, censored, closed)
