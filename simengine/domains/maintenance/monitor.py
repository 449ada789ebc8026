"""Condition monitoring: what the plant reads on its alarm channels, and when an alarm fires.

Condition-based maintenance with ``alarms:`` acts on the *measured* value of a declared channel
— the value the ``timeseries`` records, noise and sensor faults included — at inspection samples
(every ``inspect_every_h``) or, ``online``, at every sample. The reading at a sample uses
exactly the arithmetic of the recorded rows (same normals from the machine's own noise
generator, same health and channel kernels), so the row of an alarm shows the value that raised
it. An alarm names the part whose damage contributes most to the alarming channel
(|per_damage|·(1 − health)): the diagnosis the crew acts on.

The plant asks, for a running machine, for the first alarm between now and its next failure,
given its current clock and parts (:meth:`Monitor.first_alarm`); a stuck sensor repeats the
recorded value before its onset, which may lie in the past (:meth:`Monitor.recorded`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simengine.domains.maintenance.compile import Layout, TypeGrid, regimes_of
from simengine.domains.maintenance.degradation import Life, healths
from simengine.domains.maintenance.model import MaintenanceWorld
from simengine.domains.maintenance.sensors import (
    FaultEpisode,
    channel_coefficients,
    channel_values,
    fault_offset,
)

__all__ = ["Alarm", "Monitor", "PartState"]

SCAN_BLOCK = 256
"""Inspection samples evaluated per vectorised call while looking for the next alarm."""


@dataclass(frozen=True)
class Alarm:
    """The first alarm found: grid step, alarm index, the reading, the diagnosed part."""

    step: int
    alarm: int
    reading: float
    part: int


@dataclass(frozen=True)
class PartState:
    """A part life as the monitor needs it: the life, the clock reading at its installation,
    and the grid steps it covers [k0, k1)."""

    life: Life
    theta0_h: float
    k0: int
    k1: int


class Monitor:
    """The alarm channels of one run. ``noise_of(m)``: machine ``m``'s (steps, K) standard
    normals; ``faults[m]``: its sensor-fault episodes."""

    def __init__(self, world: MaintenanceWorld, layout: Layout, grids: list[TypeGrid],
                 noise_of: Callable[[int], np.ndarray],
                 faults: Sequence[Sequence[FaultEpisode]]) -> None:
        policy = world.maintenance.policy
        self.world, self.layout, self.grids = world, layout, grids
        self.noise_of, self.faults = noise_of, faults
        self.limits = [(a.above, a.below) for a in policy.alarms]
        self.channels = [a.channel for a in policy.alarms]
        self._noise: dict[int, np.ndarray] = {}
        self.tables = []
        for t, tname in enumerate(layout.types):
            spec = world.machines[tname]
            own = list(spec.sensors)
            rows = [own.index(c) for c in self.channels]
            coef = channel_coefficients(list(spec.sensors.values()), layout.components[t],
                                        [g.name for g in regimes_of(spec)])
            picked = tuple(np.ascontiguousarray(x[rows]) for x in coef)
            std = np.array([x.noise_std or 1.0 for x in spec.sensors.values()])
            stride = 1 if policy.online else int(round(policy.inspect_every_h
                                                       / grids[t].dt_h))
            self.tables.append((rows, picked, std, stride, spec.sensor_faults))

    # -- readings ---------------------------------------------------------------------------
    def _normals(self, m: int) -> np.ndarray:
        """(steps, A) normals of the alarm channels of machine ``m`` (generated once)."""
        got = self._noise.get(m)
        if got is None:
            rows = self.tables[self.layout.machine_type[m]][0]
            got = self._noise[m] = np.ascontiguousarray(self.noise_of(m)[:, rows])
        return got

    def clean(self, m: int, ks: np.ndarray, theta_h: np.ndarray, up: np.ndarray,
              parts: Sequence[PartState | None]) -> tuple[np.ndarray, np.ndarray]:
        """Fault-free (A, n) readings of machine ``m`` at steps ``ks`` given its clock and
        running state there, and the (C, n) clipped part healths."""
        t = self.layout.machine_type[m]
        g, i = self.grids[t], int(self.layout.machine_index[m])
        _, coef, _, _, _ = self.tables[t]
        health = np.ones((len(parts), ks.size))
        for c, part in enumerate(parts):
            if part is None:
                continue
            p = np.zeros(6)
            p[: len(part.life.params)] = part.life.params
            path = part.life.path if part.life.path is not None else np.zeros(1)
            s = np.maximum(theta_h - part.theta0_h, 0.0)
            health[c] = healths(part.life.kind, p, part.life.start_age_h, path,
                                part.life.dtau_h, part.life.fail_tau_h, s)
        health = np.minimum(np.maximum(health, 0.0), 1.0)
        values = channel_values(up, g.regime_load, np.ascontiguousarray(g.ambient_c[ks]),
                                health, np.ascontiguousarray(g.regime[i, ks]), *coef,
                                np.ascontiguousarray(self._normals(m)[ks]))
        return values, health

    def _with_faults(self, m: int, ks: np.ndarray, values: np.ndarray,
                     history: Callable[[int], tuple[float, bool, list]]) -> np.ndarray:
        """The readings as recorded: the machine's sensor faults applied."""
        t = self.layout.machine_type[m]
        rows, _, std, _, spec = self.tables[t]
        g = self.grids[t]
        local = int(self.layout.machine_index[m])
        episodes = self.faults[t][local] if spec is not None and self.faults[t] else ()
        for ep in episodes:
            if ep.channel not in rows or not ep.steps.size:
                continue
            if ep.steps[-1] < ks[0] or ep.steps[0] > ks[-1]:
                continue
            inside = np.isin(ks, ep.steps)
            for a in [x for x, row in enumerate(rows) if row == ep.channel]:
                if ep.kind == "dropout":
                    values[a, inside] = np.nan
                elif ep.kind == "stuck":
                    first = int(ep.steps[0])
                    held = (self.recorded(m, a, first - 1, history) if first > 0
                            else self.recorded(m, a, first, history, faults=False)
                            + std[ep.channel])
                    values[a, inside] = held
                else:
                    offset = fault_offset(ep, spec, float(std[ep.channel]), g.t_h)
                    values[a, inside] += offset[np.isin(ep.steps, ks)]
        return values

    def recorded(self, m: int, a: int, k: int,
                 history: Callable[[int], tuple[float, bool, list]], *,
                 faults: bool = True) -> float:
        """The recorded value of alarm channel ``a`` of machine ``m`` at step ``k``, from the
        plant's history (``history(k)``: clock, running, part states at step k)."""
        ks = np.array([k])
        theta, up, parts = history(k)
        values, _ = self.clean(m, ks, np.array([theta]), np.array([up]), parts)
        if faults:
            values = self._with_faults(m, ks, values, history)
        return float(values[a, 0])

    # -- alarms -----------------------------------------------------------------------------
    def _fires(self, values: np.ndarray) -> np.ndarray:
        hit = np.zeros(values.shape, dtype=bool)
        for a, (above, below) in enumerate(self.limits):
            hit[a] = values[a] > above if above is not None else values[a] < below
        return hit

    def first_alarm(self, m: int, now_h: float, until_h: float, clock: tuple[float, float, float],
                    parts: Sequence[PartState | None],
                    history: Callable[[int], tuple[float, bool, list]], *,
                    include_now: bool = True) -> Alarm | None:
        """The first inspection sample in [now, until) whose reading raises an alarm, for a
        machine running from ``now_h`` with clock piece ``clock`` = (θ at start, ageing
        integral at start, cascade multiplier) and parts ``parts`` — or None. A sample at
        exactly ``now_h`` counts only with ``include_now`` (not when the machine restarts at
        that instant: the sample shows it stopped)."""
        t = self.layout.machine_type[m]
        g, i = self.grids[t], int(self.layout.machine_index[m])
        _, coef, _, stride, _ = self.tables[t]
        per_damage = np.abs(coef[3])
        k = int(math.ceil(now_h / g.dt_h - 1e-9))
        if not include_now and k * g.dt_h <= now_h:
            k += 1
        k = -(-k // stride) * stride
        stop = min(g.steps, int(math.ceil(until_h / g.dt_h - 1e-9))) if math.isfinite(
            until_h) else g.steps
        theta0, cum0, mult = clock
        while k < stop:
            ks = np.arange(k, min(k + stride * SCAN_BLOCK, stop), stride)
            theta = theta0 + mult * (g.cum[i, ks] - cum0)
            values, health = self.clean(m, ks, theta, np.ones(ks.size, dtype=bool), parts)
            values = self._with_faults(m, ks, values, history)
            hit = self._fires(values)
            any_hit = hit.any(axis=0)
            if any_hit.any():
                n = int(np.argmax(any_hit))
                a = int(np.argmax(hit[:, n]))
                part = int(np.argmax(per_damage[a] * (1.0 - health[:, n])))
                return Alarm(int(ks[n]), a, float(values[a, n]), part)
            k = int(ks[-1]) + stride
        return None
