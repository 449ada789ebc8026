"""Per-sample state rebuilt from a run's plant record, machine block by machine block (Numba).

For every machine of a type and every step of its grid: whether it runs, its effective clock
(from the piecewise clock the plant recorded), each part's health and remaining life on the
realised path. The plant record is first flattened into arrays (:class:`TypeRecord`), so one
kernel call fills a whole block of machines without a Python loop per machine or per row, and
memory stays bounded by the block, never by the fleet. The run outcomes that need the state
(lowest health, overheating hours) come from a second kernel that stores nothing per row.

A sample at time t shows the plant just before whatever happens at t: an inspection that
stops a machine at t reads it running (the reading that raised the alarm is in the row).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.maintenance.compile import Layout, TypeGrid
from simengine.domains.maintenance.degradation import (
    EXPONENTIAL,
    GAMMA,
    WEIBULL,
    WIENER,
    health_at,
    path_health,
)
from simengine.domains.maintenance.plant import PlantRecord

__all__ = ["BlockState", "TypeRecord", "block_state", "blocks", "last_rate", "type_record",
           "type_summary"]

PARAMS = 6
"""Width of the per-life parameter table (Paris uses all six)."""


@dataclass(frozen=True)
class TypeRecord:
    """The plant record of one machine type as flat arrays (``i`` = machine within the type).

    Clock pieces of machine i are ``piece_*[piece_offsets[i]:piece_offsets[i + 1]]`` (start
    time, clock reading, ageing integral at the start, cascade multiplier, running); its part
    lives ``life_*[life_offsets[i]:life_offsets[i + 1]]``, each covering grid steps
    ``[life_k0, life_k1)``. Path models keep their damage path in ``paths`` from
    ``life_path_offset`` (``life_path_len`` values, step ``life_dtau_h``)."""

    machines: np.ndarray
    piece_offsets: np.ndarray
    piece_t_h: np.ndarray
    piece_theta_h: np.ndarray
    piece_cum_h: np.ndarray
    piece_mult: np.ndarray
    piece_up: np.ndarray
    life_offsets: np.ndarray
    life_component: np.ndarray
    life_k0: np.ndarray
    life_k1: np.ndarray
    life_theta0_h: np.ndarray
    life_failed: np.ndarray
    life_t_fail_h: np.ndarray
    life_kind: np.ndarray
    life_start_age_h: np.ndarray
    life_fail_tau_h: np.ndarray
    life_params: np.ndarray
    life_path_offset: np.ndarray
    life_path_len: np.ndarray
    life_dtau_h: np.ndarray
    paths: np.ndarray

    @property
    def count(self) -> int:
        return int(self.machines.size)


def type_record(record: PlantRecord, layout: Layout, grid: TypeGrid, t: int) -> TypeRecord:
    """Flatten the plant record of machine type ``t`` (one pass over its pieces and lives)."""
    machines = layout.of_type(t)
    local = {int(m): i for i, m in enumerate(machines)}
    pieces = [record.pieces[int(m)] for m in machines]
    piece_offsets = np.zeros(machines.size + 1, dtype=np.int64)
    np.cumsum([len(p) for p in pieces], out=piece_offsets[1:])
    flat = np.array([p for ps in pieces for p in ps], dtype=np.float64).reshape(-1, 5)
    by_machine: list[list] = [[] for _ in machines]
    for rec in record.lives:
        i = local.get(rec.machine)
        if i is not None:
            by_machine[i].append(rec)
    lives = [rec for recs in by_machine for rec in recs]
    life_offsets = np.zeros(machines.size + 1, dtype=np.int64)
    np.cumsum([len(r) for r in by_machine], out=life_offsets[1:])
    n = len(lives)
    k0, k1 = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    params = np.zeros((n, PARAMS))
    path_offset, path_len = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    paths: list[np.ndarray] = []
    used = 0
    for j, rec in enumerate(lives):
        k0[j] = int(math.ceil(rec.t0_h / grid.dt_h - 1e-9))
        k1[j] = (min(int(math.ceil(rec.t1_h / grid.dt_h - 1e-9)), grid.steps)
                 if math.isfinite(rec.t1_h) else grid.steps)
        params[j, : len(rec.life.params)] = rec.life.params
        if rec.life.path is not None:
            path_offset[j], path_len[j] = used, rec.life.path.size
            paths.append(rec.life.path)
            used += rec.life.path.size
    return TypeRecord(
        machines=machines,
        piece_offsets=piece_offsets,
        piece_t_h=np.ascontiguousarray(flat[:, 0]),
        piece_theta_h=np.ascontiguousarray(flat[:, 1]),
        piece_cum_h=np.ascontiguousarray(flat[:, 2]),
        piece_mult=np.ascontiguousarray(flat[:, 3]),
        piece_up=flat[:, 4] > 0,
        life_offsets=life_offsets,
        life_component=np.array([r.component for r in lives], dtype=np.int64),
        life_k0=k0,
        life_k1=k1,
        life_theta0_h=np.array([r.theta0_h for r in lives], dtype=np.float64),
        life_failed=np.array([r.end == "failure" for r in lives], dtype=bool),
        life_t_fail_h=np.array([r.t_fail_h for r in lives], dtype=np.float64),
        life_kind=np.array([r.life.kind for r in lives], dtype=np.int64),
        life_start_age_h=np.array([r.life.start_age_h for r in lives], dtype=np.float64),
        life_fail_tau_h=np.array([r.life.fail_tau_h for r in lives], dtype=np.float64),
        life_params=params,
        life_path_offset=path_offset,
        life_path_len=path_len,
        life_dtau_h=np.array([r.life.dtau_h for r in lives], dtype=np.float64),
        paths=np.concatenate(paths) if paths else np.zeros(0),
    )


@dataclass
class BlockState:
    """Machines ``[i0, i1)`` of one type, rows in (machine, step) order: ``up``, ``rate``
    (effective hours per hour, cascade included), ``theta_h`` (effective clock) per row;
    ``health``, ``rul_h``, ``censored`` and ``life`` (index into the record's lives, −1 where
    none) per row and part."""

    i0: int
    i1: int
    up: np.ndarray
    rate: np.ndarray
    theta_h: np.ndarray
    health: np.ndarray
    rul_h: np.ndarray
    censored: np.ndarray
    life: np.ndarray


@numba.njit(cache=True, nogil=True)
def _fill(i0, i1, steps, t_h, regime, regime_rate, grid_cum, piece_offsets, piece_t,
          piece_theta, piece_cum, piece_mult, piece_up, life_offsets, life_component, life_k0,
          life_k1, life_theta0, life_failed, life_t_fail, life_kind, life_start_age,
          life_fail_tau, life_params, life_path_offset, life_path_len, life_dtau, paths,
          up, rate, theta, health, rul, censored, life):
    for i in range(i0, i1):
        base = (i - i0) * steps
        j, stop = piece_offsets[i], piece_offsets[i + 1]
        for k in range(steps):
            while j + 1 < stop and piece_t[j + 1] < t_h[k]:
                j += 1
            r = base + k
            running = piece_up[j]
            up[r] = running
            th = piece_theta[j]
            if running:
                th = piece_theta[j] + piece_mult[j] * (grid_cum[i, k] - piece_cum[j])
            theta[r] = th
            rate[r] = regime_rate[regime[i, k], k] * piece_mult[j]
        for q in range(life_offsets[i], life_offsets[i + 1]):
            c = life_component[q]
            kind = life_kind[q]
            p0, p1, p2 = life_params[q, 0], life_params[q, 1], life_params[q, 2]
            v = life_start_age[q]
            v_term = (v / p1) ** p0 if kind == WEIBULL else 0.0  # the same at every step
            offset, last, dtau = life_path_offset[q], life_path_len[q] - 1, life_dtau[q]
            theta0, fail_tau, failed = life_theta0[q], life_fail_tau[q], life_failed[q]
            x_end = fail_tau / dtau
            for k in range(life_k0[q], life_k1[q]):
                r = base + k
                s = max(theta[r] - theta0, 0.0)
                if kind == WEIBULL:
                    h = 1.0 - (((v + s) / p1) ** p0 - v_term) / p2
                elif kind == EXPONENTIAL:
                    h = 1.0 - p0 - math.expm1(p1 * (v + s) ** p2)
                else:
                    h = path_health(paths, offset, last, s / dtau, x_end)
                health[r, c] = h
                life[r, c] = q
                if failed:
                    rul[r, c] = max(life_t_fail[q] - t_h[k], 0.0)
                else:
                    if math.isfinite(fail_tau):
                        tau = max(fail_tau - s, 0.0)
                    elif kind in (GAMMA, WIENER):
                        tau = max(h, 0.0) * p2 / p0
                    else:
                        tau = math.inf
                    rul[r, c] = tau / rate[r]
                    censored[r, c] = True


def block_state(rec: TypeRecord, grid: TypeGrid, n_parts: int, i0: int, i1: int
                ) -> BlockState:
    """The state of machines ``[i0, i1)`` of the type at every step of its grid."""
    rows = (i1 - i0) * grid.steps
    up = np.empty(rows, dtype=bool)
    rate = np.empty(rows)
    theta = np.empty(rows)
    health = np.ones((rows, n_parts))
    rul = np.full((rows, n_parts), np.inf)
    censored = np.zeros((rows, n_parts), dtype=bool)
    life = np.full((rows, n_parts), -1, dtype=np.int64)
    _fill(i0, i1, grid.steps, grid.t_h, grid.regime, grid.regime_rate, grid.cum,
          rec.piece_offsets, rec.piece_t_h, rec.piece_theta_h, rec.piece_cum_h, rec.piece_mult,
          rec.piece_up, rec.life_offsets, rec.life_component, rec.life_k0, rec.life_k1,
          rec.life_theta0_h, rec.life_failed,
          rec.life_t_fail_h, rec.life_kind, rec.life_start_age_h, rec.life_fail_tau_h,
          rec.life_params, rec.life_path_offset, rec.life_path_len, rec.life_dtau_h, rec.paths,
          up, rate, theta, health, rul, censored, life)
    return BlockState(i0, i1, up, rate, theta, health, rul, censored, life)


def blocks(count: int, steps: int, rows: int) -> list[tuple[int, int]]:
    """Machine ranges of about ``rows`` rows each (at least one machine): a function of the
    type's size only, so chunks never depend on memory or workers."""
    per = max(rows // max(steps, 1), 1)
    return [(i, min(i + per, count)) for i in range(0, count, per)]


@numba.njit(cache=True, nogil=True)
def _summary(steps, t_h, regime, regime_temp, max_temp, n_parts, piece_offsets, piece_t,
             piece_theta, piece_cum, piece_mult, piece_up, grid_cum, life_offsets,
             life_component, life_k0, life_k1, life_theta0, life_kind, life_start_age,
             life_params, life_path_offset, life_path_len, life_dtau, life_fail_tau, paths):
    count = regime.shape[0]
    lowest = np.inf
    hot = 0
    theta = np.empty(steps)
    covered = np.empty(n_parts, dtype=np.int64)
    for i in range(count):
        j, stop = piece_offsets[i], piece_offsets[i + 1]
        for k in range(steps):
            while j + 1 < stop and piece_t[j + 1] < t_h[k]:
                j += 1
            th = piece_theta[j]
            if piece_up[j]:
                th = piece_theta[j] + piece_mult[j] * (grid_cum[i, k] - piece_cum[j])
                if regime_temp[regime[i, k], k] > max_temp:
                    hot += 1
            theta[k] = th
        covered[:] = 0
        for q in range(life_offsets[i], life_offsets[i + 1]):
            k0, k1 = life_k0[q], life_k1[q]
            if k1 <= k0:
                continue
            covered[life_component[q]] += k1 - k0
            kind = life_kind[q]
            # health falls with age on every model but Wiener's: its lowest is at the last step
            first = k0 if kind == WIENER else k1 - 1
            for k in range(first, k1):
                s = max(theta[k] - life_theta0[q], 0.0)
                h = health_at(kind, s, life_params[q], life_start_age[q], paths,
                              life_path_offset[q], life_path_len[q], life_dtau[q],
                              life_fail_tau[q])
                lowest = min(lowest, h)
        for c in range(n_parts):
            if covered[c] < steps:
                lowest = min(lowest, 1.0)
    return lowest, hot


def type_summary(rec: TypeRecord, grid: TypeGrid, n_parts: int,
                 max_temperature_c: float | None) -> tuple[float, float]:
    """(lowest part health over the run, machine-hours running above ``max_temperature_c``).

    Health falls monotonically with a part's age on every wear model but Wiener's, and a
    machine's effective clock never runs backwards, so a life's lowest health is the one at
    its last step; Wiener lives are scanned step by step."""
    lowest, hot = _summary(grid.steps, grid.t_h, grid.regime, grid.regime_temp_c,
                           np.inf if max_temperature_c is None else max_temperature_c, n_parts,
                           rec.piece_offsets, rec.piece_t_h, rec.piece_theta_h, rec.piece_cum_h,
                           rec.piece_mult, rec.piece_up, grid.cum, rec.life_offsets,
                           rec.life_component, rec.life_k0, rec.life_k1, rec.life_theta0_h,
                           rec.life_kind, rec.life_start_age_h, rec.life_params,
                           rec.life_path_offset, rec.life_path_len, rec.life_dtau_h,
                           rec.life_fail_tau_h, rec.paths)
    return float(lowest), hot * grid.dt_h


def last_rate(rec: TypeRecord, grid: TypeGrid, i: int) -> float:
    """Machine ``i``'s ageing rate (cascade included) at the last step of the grid."""
    a, b = rec.piece_offsets[i], rec.piece_offsets[i + 1]
    j = int(np.searchsorted(rec.piece_t_h[a:b], grid.t_h[-1], side="left")) - 1
    return grid.rate_at(i, grid.steps - 1) * float(rec.piece_mult[a + max(j, 0)])
