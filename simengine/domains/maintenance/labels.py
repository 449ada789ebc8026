"""Per-row labels of the ``timeseries`` stream from a block's state (Numba, one pass).

For each row: part healths clipped to [0, 1], the worst part (lowest health, first on ties), the
fault flag (worst health below its part's ``onset_health``) and its onset (first faulty row of a
machine's run of faulty rows), the realised RUL of the first part to fail (capped) and whether
it is projected, and the closed-form RUL distribution of the worst part given its state:
Weibull residual life at its virtual age, inverse Gaussian first passage for Wiener wear, the
Gamma-process first passage (regularized incomplete gamma, tabulated) for Gamma wear, exact for
deterministic models (exponential health, Paris) — in effective hours divided by the current
ageing rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.maintenance.degradation import EXPONENTIAL, GAMMA, PARIS, WEIBULL, WIENER
from simengine.domains.maintenance.rul import (
    GAMMA_Y_RANGE,
    PHI_RANGE,
    gamma_passage_tables,
    ig_quantile_table,
    weibull_residual_mean,
)
from simengine.domains.maintenance.synth import BlockState, TypeRecord

__all__ = ["QUANTILES", "RowLabels", "row_labels"]

QUANTILES = (0.1, 0.5, 0.9)



@dataclass
class RowLabels:
    """Labels of a block's rows. ``parts`` is (C, rows): each part's clipped health, one
    contiguous column per part; ``closed`` (4, rows): mean, p10, p50, p90 (NaN without a
    closed form, or when not asked for)."""

    health: np.ndarray
    parts: np.ndarray
    worst: np.ndarray
    faulty: np.ndarray
    onset: np.ndarray
    rul_h: np.ndarray
    censored: np.ndarray
    closed: np.ndarray


@numba.njit(cache=True, inline="always")
def _interp(x: float, xp: np.ndarray, fp: np.ndarray) -> float:
    """``np.interp`` on a uniform grid ``xp`` (x inside it), with its arithmetic, in O(1):
    Numba's ``np.interp`` costs O(len(xp)) per scalar call."""
    last = xp.shape[0] - 1
    j = min(max(int((x - xp[0]) / (xp[1] - xp[0])), 0), last - 1)
    while j > 0 and x < xp[j]:
        j -= 1
    while j < last - 1 and x >= xp[j + 1]:
        j += 1
    if x >= xp[last]:
        return fp[last]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    return slope * (x - xp[j]) + fp[j]


@numba.njit(cache=True, nogil=True)
def _rows(steps, health, rul, censored, life, theta, rate, onset_health, cap, closed_form,
          life_kind, life_params, life_theta0, life_start_age, life_fail_tau, log_phi_grid,
          ig_tables, log_y_grid, gamma_tables, out_health, out_parts, out_worst, out_faulty,
          out_onset, out_rul, out_censored, out_closed, weibull_rows, weibull_age):
    """Fill the label arrays; returns how many rows need the Weibull mean residual life
    (their indices and ages are in ``weibull_rows``/``weibull_age``)."""
    rows, n_parts = health.shape
    n_weibull = 0
    for r in range(rows):
        worst = 0
        lowest = np.inf
        for c in range(n_parts):
            h = min(max(health[r, c], 0.0), 1.0)
            out_parts[c, r] = h
            if h < lowest:
                lowest, worst = h, c
        out_health[r] = lowest
        out_worst[r] = worst
        faulty = lowest < onset_health[worst]
        out_faulty[r] = faulty
        out_onset[r] = faulty and not (r % steps != 0 and out_faulty[r - 1])
        first = 0
        for c in range(1, n_parts):
            if rul[r, c] < rul[r, first]:
                first = c
        out_rul[r] = min(rul[r, first], cap)
        out_censored[r] = censored[r, first]
        for m in range(4):
            out_closed[m, r] = np.nan
        q = life[r, worst]
        if not closed_form or q < 0:
            continue
        kind = life_kind[q]
        s = max(theta[r] - life_theta0[q], 0.0)
        if kind == WEIBULL:
            beta, eta = life_params[q, 0], life_params[q, 1]
            x = life_start_age[q] + s
            y = (x / eta) ** beta
            for m in range(3):
                out_closed[m + 1, r] = (eta * (y - math.log1p(-QUANTILES[m])) ** (1.0 / beta)
                                        - x) / rate[r]
            weibull_rows[n_weibull] = r
            weibull_age[n_weibull] = x
            n_weibull += 1
        elif kind == WIENER:
            mu, sigma, threshold = life_params[q, 0], life_params[q, 1], life_params[q, 2]
            distance = max(health[r, worst], 1e-9) * threshold
            out_closed[0, r] = distance / mu / rate[r]
            phi = min(max(distance * mu / sigma**2, PHI_RANGE[0]), PHI_RANGE[1])
            for m in range(3):
                quantile = distance / mu * _interp(math.log(phi), log_phi_grid, ig_tables[m])
                out_closed[m + 1, r] = quantile / rate[r]
        elif kind == GAMMA:
            mean_rate, shape, threshold = life_params[q, 0], life_params[q, 1], life_params[q, 2]
            y = max(health[r, worst], 0.0) * threshold * shape / mean_rate
            x = math.log(min(max(y, GAMMA_Y_RANGE[0]), GAMMA_Y_RANGE[1]))
            out_closed[0, r] = (y + _interp(x, log_y_grid, gamma_tables[0])) / shape / rate[r]
            root = math.sqrt(y + 1.0)
            for m in range(3):
                u = y + root * _interp(x, log_y_grid, gamma_tables[m + 1])
                out_closed[m + 1, r] = max(u, 0.0) / shape / rate[r]
        elif kind in (EXPONENTIAL, PARIS) and math.isfinite(life_fail_tau[q]):
            remaining = max(life_fail_tau[q] - s, 0.0) / rate[r]
            for m in range(4):
                out_closed[m, r] = remaining
    return n_weibull


def row_labels(st: BlockState, rec: TypeRecord, steps: int, onset_health: np.ndarray,
               cap_h: float, *, closed_form: bool = True) -> RowLabels:
    """The labels of every row of ``st`` (``steps`` rows per machine)."""
    rows, n_parts = st.health.shape
    health, worst = np.empty(rows), np.empty(rows, dtype=np.int64)
    parts = np.empty((n_parts, rows))
    faulty, onset = np.empty(rows, dtype=bool), np.empty(rows, dtype=bool)
    rul, censored = np.empty(rows), np.empty(rows, dtype=bool)
    closed = np.empty((4, rows))
    weibull_rows, weibull_age = np.empty(rows, dtype=np.int64), np.empty(rows)
    log_phi, tables = _quantile_tables()
    log_y, gamma_tables = (gamma_passage_tables() if closed_form and np.any(rec.life_kind == GAMMA)
                           else (np.zeros(1), np.zeros((4, 1))))
    n = _rows(steps, st.health, st.rul_h, st.censored, st.life, st.theta_h, st.rate,
              onset_health, cap_h, closed_form, rec.life_kind, rec.life_params,
              rec.life_theta0_h, rec.life_start_age_h, rec.life_fail_tau_h, log_phi, tables,
              log_y, gamma_tables, health, parts, worst, faulty, onset, rul, censored, closed,
              weibull_rows, weibull_age)
    if n:  # the mean needs the upper incomplete gamma function: SciPy, on those rows only
        at = weibull_rows[:n]
        q = st.life[at, worst[at]]
        closed[0, at] = weibull_residual_mean(weibull_age[:n], shape=rec.life_params[q, 0],
                                              scale_h=rec.life_params[q, 1]) / st.rate[at]
    return RowLabels(health, parts, worst, faulty, onset, rul, censored, closed)


@lru_cache(maxsize=1)
def _quantile_tables() -> tuple[np.ndarray, np.ndarray]:
    """The log-φ grid and the standard inverse Gaussian quantile tables of :data:`QUANTILES`
    (see :func:`rul.inverse_gaussian_quantile`)."""
    grids, tables = zip(*(ig_quantile_table(p) for p in QUANTILES), strict=True)
    return grids[0], np.ascontiguousarray(np.stack(tables))
