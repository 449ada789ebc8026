"""Localised, timed weather events, evaluated inside compiled simulation kernels.

A fog bank (``weather.events`` entry of kind ``fog_bank``) lowers the visibility to its own MOR
over a stretch of road [from_m, to_m] during a time window [start_s, start_s + duration_s). This
module turns the scenario's event models into per-run arrays (:func:`fog_bank_arrays`) and gives
the Numba kernels the visibility at a position and time (:func:`local_visibility_m`).

Imports Numba at module level: it is imported by domains at simulation time only, never when the
command line starts (``simengine.weather`` loads it lazily).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.scenario.values import Const, Dist, Ref, ValueSpec

__all__ = ["FOG_BANK", "fog_bank_arrays", "local_visibility_m", "local_visibility_rows_m"]

FOG_BANK = "fog_bank"


@numba.njit(cache=True)
def local_visibility_m(x_m: float, t_s: float, base_visibility_m: float,
                       ev_from_m: np.ndarray, ev_to_m: np.ndarray, ev_start_s: np.ndarray,
                       ev_end_s: np.ndarray, ev_visibility_m: np.ndarray) -> float:
    """Visibility (MOR, m) at road position ``x_m`` and time ``t_s``.

    An event ``j`` applies when from ≤ x ≤ to and start ≤ t < end; a NaN bound is unbounded on
    that side, and an event with NaN visibility is ignored. The smallest visibility among the
    base and the applying events wins (the densest fog is what limits sight).
    """
    vis = base_visibility_m
    for j in range(ev_visibility_m.shape[0]):
        v = ev_visibility_m[j]
        if math.isnan(v) or v >= vis:
            continue
        lo = ev_from_m[j]
        hi = ev_to_m[j]
        if (not math.isnan(lo)) and x_m < lo:
            continue
        if (not math.isnan(hi)) and x_m > hi:
            continue
        start = ev_start_s[j]
        end = ev_end_s[j]
        if (not math.isnan(start)) and t_s < start:
            continue
        if (not math.isnan(end)) and t_s >= end:
            continue
        vis = v
    return vis


@numba.njit(cache=True)
def local_visibility_rows_m(x_m: np.ndarray, t_s: float, base_visibility_m: np.ndarray,
                            ev_from_m: np.ndarray, ev_to_m: np.ndarray, ev_start_s: np.ndarray,
                            ev_end_s: np.ndarray, ev_visibility_m: np.ndarray) -> np.ndarray:
    """:func:`local_visibility_m` for ``n`` runs at once: ``x_m`` and ``base_visibility_m`` have
    one entry per run, the event arrays shape (n, k) as :func:`fog_bank_arrays` returns them."""
    n = x_m.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = local_visibility_m(x_m[i], t_s, base_visibility_m[i], ev_from_m[i], ev_to_m[i],
                                    ev_start_s[i], ev_end_s[i], ev_visibility_m[i])
    return out


def _field_values(spec: ValueSpec | None, column: str, params: Mapping[str, np.ndarray],
                  n: int) -> np.ndarray:
    """One event field for every run: NaN when unset, the constant, the referenced parameter's
    column, or the hoisted column ``weather.events.<i>.<field>`` of a distribution."""
    if spec is None:
        return np.full(n, np.nan)
    if isinstance(spec, Const):
        return np.full(n, float(spec.value))
    if isinstance(spec, Ref):
        if spec.name not in params:
            raise KeyError(f"{column} refers to ${spec.name}, which is not among the parameter "
                           "columns")
        values = params[spec.name]
    elif column in params:
        values = params[column]
    elif isinstance(spec, Dist) and not spec.is_random:
        return np.full(n, float(spec.raw["const"]))
    else:
        raise KeyError(f"{column} is random but has no column among the parameter columns")
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{column}: expected {n} values (one per run); found shape {arr.shape}")
    return arr


def fog_bank_arrays(params: Mapping[str, np.ndarray], events: Sequence[Any], n: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-run arrays of the fog banks among ``events`` (the validated ``weather.events`` models).

    Returns ``(from_m, to_m, start_s, end_s, visibility_m)``, each of shape (n, k) for the k
    fog-bank events in file order (other kinds are skipped). Unset bounds are NaN (unbounded),
    ``end_s = start_s + duration_s`` or ``inf`` without a duration, and a fog bank without a
    visibility gets NaN (ignored by :func:`local_visibility_m`). Field values come from the
    constant, the ``$reference``'s column, or the column ``weather.events.<i>.<field>`` of a
    distribution, where ``i`` is the event's position in the whole list.
    """
    banks = [(i, ev) for i, ev in enumerate(events) if getattr(ev, "kind", None) == FOG_BANK]
    k = len(banks)
    shape = (n, k)
    from_m, to_m = np.full(shape, np.nan), np.full(shape, np.nan)
    start_s, end_s = np.full(shape, np.nan), np.full(shape, np.nan)
    visibility_m = np.full(shape, np.nan)
    for j, (i, ev) in enumerate(banks):
        prefix = f"weather.events.{i}."

        def read(name: str, ev: Any = ev, prefix: str = prefix) -> np.ndarray:
            return _field_values(getattr(ev, name, None), prefix + name, params, n)

        from_m[:, j] = read("from_m")
        to_m[:, j] = read("to_m")
        start = read("start_s")
        start_s[:, j] = start
        duration = read("duration_s")
        end_s[:, j] = np.where(np.isnan(duration), np.inf, start + duration)
        visibility_m[:, j] = read("visibility_m")
    return from_m, to_m, start_s, end_s, visibility_m
