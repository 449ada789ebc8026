"""The plant as a simpy model: who fails when, who repairs what, with which crew and spare.

simpy decides the events only; it never steps per sensor sample. Each machine is a process that
computes, from its parts' current lives and its ageing-rate integral (:class:`TypeGrid`), the
next failure, condition alarm or age-based replacement, and sleeps until then. A condition
alarm is the first inspection at which a measured alarm channel is beyond its limit
(:mod:`~simengine.domains.maintenance.monitor`), or, with ``health_below``, the first inspection
after the true health crossed the level. A cascade (a partner machine down) changes its ageing
rate: the process is interrupted and recomputes. Maintenance waits for spares (a
``simpy.Container`` per pool, one-for-one reorders after a lead time), then for a crew (a
``simpy.Resource``), then takes its repair time. A corrective repair is imperfect (Kijima,
:mod:`~simengine.domains.maintenance.repair`); preventive actions install new parts. An alarm
whose diagnosed part shows no fault (health at or above its ``onset_health``: noise, a spike
or a drifting sensor) is a ``false_alarm``: the crew inspects, nothing is replaced.

The result (:class:`PlantRecord`) is the event log, the maintenance log, and per machine the
piecewise-linear effective clock and the lives of every part, from which
:mod:`~simengine.domains.maintenance.synth` rebuilds every sample.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from simengine.domains.maintenance.compile import EntityDraw, Layout, TypeGrid
from simengine.domains.maintenance.degradation import AGE_KINDS, Life, LifeFactory
from simengine.domains.maintenance.model import MaintenanceWorld
from simengine.domains.maintenance.monitor import Alarm, Monitor, PartState
from simengine.domains.maintenance.repair import repaired_life

__all__ = ["LifeRecord", "PlantRecord", "simulate_plant"]

CORRECTIVE, CONDITION, AGE, OPPORTUNISTIC, FALSE_ALARM = (
    "corrective", "condition_based", "time_based", "opportunistic", "false_alarm")


@dataclass
class LifeRecord:
    """A part's life on a machine: installed at ``t0_h`` when the machine's effective clock
    read ``theta0_h``; ended at ``t1_h`` (failure, replacement or the horizon)."""

    machine: int
    component: int
    life: Life
    t0_h: float
    theta0_h: float
    t1_h: float = math.inf
    end: str = "horizon"
    t_fail_h: float = math.inf


@dataclass
class PlantRecord:
    """What one run's plant did."""

    # per machine: clock pieces (t_start_h, theta_start_h, cum_start, slope_mult, up)
    pieces: list[list[tuple[float, float, float, float, bool]]]
    lives: list[LifeRecord]
    events: list[tuple[float, int, str, int]] = field(default_factory=list)  # t, m, kind, comp
    log: list[dict] = field(default_factory=list)


class _Plant:
    def __init__(self, world: MaintenanceWorld, layout: Layout, grids: list[TypeGrid],
                 draw: EntityDraw, rng: np.random.Generator, monitor: Monitor | None) -> None:
        self.world, self.layout, self.grids, self.draw, self.rng = world, layout, grids, draw, rng
        self.monitor = monitor
        self.alarm: list[Alarm | None] = [None] * layout.machines
        self.env = simpy.Environment()
        n_machines = layout.machines
        self.horizon = layout.horizon_h
        self.policy = world.maintenance.policy
        crews = world.maintenance.crews
        self.crews = simpy.Resource(self.env, capacity=crews) if crews else None
        self.spares = {name: simpy.Container(self.env, init=s.stock)
                       for name, s in world.maintenance.spares.items()}
        self.theta = np.zeros(n_machines)
        self.t_upd = np.zeros(n_machines)
        self.down_partners = np.zeros(n_machines, dtype=np.int64)
        self.up = np.ones(n_machines, dtype=bool)
        self.restart_h = np.full(n_machines, -math.inf)
        self.waiting = np.zeros(n_machines, dtype=bool)
        self.procs: list[simpy.Process] = []
        self.record = PlantRecord([[] for _ in range(n_machines)], [])
        self.current: list[list[LifeRecord]] = []
        self.history: list[list[LifeRecord]] = [[] for _ in range(n_machines)]
        self.factories = []
        for t, tname in enumerate(layout.types):
            dtau = world.machines[tname].sample_every_s / 3600.0
            self.factories.append([self._factory(c, dtau) for c in layout.components[t]])
        for m in range(n_machines):
            self._piece(m)
            self.current.append([self._install(m, c) for c in range(self._ncomp(m))])

    # -- clocks ---------------------------------------------------------------------------
    def _grid(self, m: int) -> tuple[TypeGrid, int]:
        return self.grids[self.layout.machine_type[m]], int(self.layout.machine_index[m])

    def _ncomp(self, m: int) -> int:
        return len(self.layout.components[self.layout.machine_type[m]])

    def _mult(self, m: int) -> float:
        cascade = self.world.machines[self.layout.types[self.layout.machine_type[m]]].cascade
        return cascade.load_factor ** self.down_partners[m] if cascade else 1.0

    def _advance(self, m: int) -> None:
        now = self.env.now
        if self.up[m]:
            g, i = self._grid(m)
            gained = g.effective_at(i, now) - g.effective_at(i, self.t_upd[m])
            self.theta[m] += self._mult(m) * gained
        self.t_upd[m] = now

    def _piece(self, m: int) -> None:
        g, i = self._grid(m)
        now = self.env.now
        self.record.pieces[m].append((now, self.theta[m], g.effective_at(i, now), self._mult(m),
                                      bool(self.up[m])))

    def _time_after(self, m: int, dtheta: float) -> float:
        """Wall time at which the running machine's clock has advanced by ``dtheta``."""
        if not math.isfinite(dtheta):
            return math.inf
        g, i = self._grid(m)
        target = g.effective_at(i, self.env.now) + max(dtheta, 0.0) / self._mult(m)
        return max(g.time_at(i, target), self.env.now)

    # -- lives ----------------------------------------------------------------------------
    def _factory(self, cname: str, dtau: float) -> LifeFactory:
        comp = self.world.components[cname]
        body = comp.wear.body
        fixed = {k: v for k, v in body.model_dump().items() if isinstance(v, float | int)}
        draw = self.draw
        return LifeFactory(comp.wear.kind, lambda name: draw(getattr(body, name)),
                           threshold=getattr(body, "threshold", 1.0), fixed=fixed, dtau_h=dtau)

    def _install(self, m: int, c: int, repaired: LifeRecord | None = None) -> LifeRecord:
        """A new part, or (``repaired``) the part after an imperfect corrective repair."""
        g, i = self._grid(m)
        cap = (g.cum[i, -1] - g.effective_at(i, self.env.now)) * self._cap_mult(m) + 1.0
        factory = self.factories[self.layout.machine_type[m]][c]
        if repaired is None:
            life = factory.new(self.rng, tau_cap_h=cap)
        else:
            fix = self.world.maintenance.repair
            life = repaired_life(factory, repaired.life, self._age(repaired), self.rng,
                                 q=fix.q, kijima=fix.kijima, tau_cap_h=cap)
        rec = LifeRecord(m, c, life, self.env.now, self.theta[m])
        self.record.lives.append(rec)
        self.history[m].append(rec)
        return rec

    def _cap_mult(self, m: int) -> float:
        """The largest cascade multiplier machine ``m`` can reach (one partner feeds it in a
        ring, all others with ``partner: all``)."""
        t = self.layout.types[self.layout.machine_type[m]]
        cascade = self.world.machines[t].cascade
        if cascade is None:
            return 1.0
        feeders = 1 if cascade.partner == "next" else max(self.world.machines[t].count - 1, 1)
        return max(cascade.load_factor, 1.0) ** feeders

    def _age(self, rec: LifeRecord) -> float:
        return self.theta[rec.machine] - rec.theta0_h

    def _health(self, rec: LifeRecord) -> float:
        return float(rec.life.health(np.array([self._age(rec)]))[0])

    # -- the machine process ----------------------------------------------------------------
    def _next(self, m: int) -> tuple[float, str, int]:
        best = (math.inf, "", -1)
        inspect = self.policy.inspect_every_h
        for c, rec in enumerate(self.current[m]):
            age = self._age(rec)
            t_fail = self._time_after(m, rec.life.fail_tau_h - age)
            best = min(best, (t_fail, CORRECTIVE, c))
            if self.policy.kind == "condition_based" and self.policy.health_below is not None:
                level = self.policy.health_below
                to_level = rec.life.time_to_health(level)
                if to_level <= 0.0:  # installed below the alarm level: never alarms
                    to_level = math.inf
                t_cross = self._time_after(m, to_level - age)
                t_alarm = math.ceil(t_cross / inspect - 1e-12) * inspect if math.isfinite(
                    t_cross) else math.inf
                if t_alarm < t_fail:
                    best = min(best, (t_alarm, CONDITION, c))
            elif self.policy.kind == "time_based":
                t_pm = self._time_after(m, self.policy.every_h - age)
                if t_pm < t_fail:
                    best = min(best, (t_pm, AGE, c))
        self.alarm[m] = None
        if self.monitor is not None:
            alarm = self.monitor.first_alarm(m, self.env.now, min(best[0], self.horizon),
                                             self._clock(m), self._parts(m),
                                             lambda k: self._state_at(m, k),
                                             include_now=self.restart_h[m] != self.env.now)
            if alarm is not None:
                self.alarm[m] = alarm
                best = min(best, (alarm.step * self._grid(m)[0].dt_h, CONDITION, alarm.part))
        return best

    # -- what the monitor needs -------------------------------------------------------------
    def _clock(self, m: int) -> tuple[float, float, float]:
        _, theta0, cum0, mult, _ = self.record.pieces[m][-1]
        return theta0, cum0, mult

    def _span(self, m: int, rec: LifeRecord) -> tuple[int, int]:
        g, _ = self._grid(m)
        k0 = int(math.ceil(rec.t0_h / g.dt_h - 1e-9))
        k1 = (min(int(math.ceil(rec.t1_h / g.dt_h - 1e-9)), g.steps)
              if math.isfinite(rec.t1_h) else g.steps)
        return k0, k1

    def _parts(self, m: int) -> list[PartState | None]:
        return [PartState(r.life, r.theta0_h, *self._span(m, r)) for r in self.current[m]]

    def _state_at(self, m: int, k: int) -> tuple[float, bool, list[PartState | None]]:
        """Machine ``m`` at grid step ``k`` (past, or ahead on its current clock) as a recorded
        row sees it: clock, running, the part lives covering the step."""
        g, i = self._grid(m)
        t_k = k * g.dt_h
        pieces = self.record.pieces[m]
        j = max(bisect.bisect_left([p[0] for p in pieces], t_k) - 1, 0)
        _, theta0, cum0, mult, up = pieces[j]
        theta = theta0 + mult * (g.cum[i, k] - cum0) if up else theta0
        parts: list[PartState | None] = [None] * self._ncomp(m)
        for rec in self.history[m]:
            k0, k1 = self._span(m, rec)
            if k0 <= k < k1:
                parts[rec.component] = PartState(rec.life, rec.theta0_h, k0, k1)
        return theta, up, parts

    def machine(self, m: int):
        env = self.env
        while True:
            self._advance(m)
            t_next, kind, c = self._next(m)
            if t_next >= self.horizon:
                t_next = self.horizon + 1.0
            self.waiting[m] = True
            try:
                yield env.timeout(t_next - env.now)
            except simpy.Interrupt:
                continue
            finally:
                self.waiting[m] = False
            self._advance(m)
            yield from self.maintain(m, c, kind)

    def _set_partners(self, m: int, delta: int) -> None:
        t = self.layout.machine_type[m]
        cascade = self.world.machines[self.layout.types[t]].cascade
        if cascade is None:
            return
        same = self.layout.of_type(t)
        if cascade.partner == "next":
            k = int(self.layout.machine_index[m])
            partners = [int(same[(k + 1) % same.size])] if same.size > 1 else []
        else:
            partners = [int(p) for p in same if p != m]
        for p in partners:
            self._advance(p)
            self.down_partners[p] += delta
            self._piece(p)
            self.record.events.append((self.env.now, p, "cascade_start" if delta > 0
                                       else "cascade_end", -1))
            if self.waiting[p]:
                self.procs[p].interrupt()

    def _diagnosis(self, m: int, c: int, kind: str) -> list[tuple[int, str]]:
        """The parts this stop acts on: the failed, aged or alarmed part (none on a false
        alarm: the diagnosed part shows no fault), plus opportunistic replacements."""
        parts = [(c, kind)]
        comps = self.layout.components[self.layout.machine_type[m]]
        if kind == CONDITION and self.alarm[m] is not None:
            onset = self.world.components[comps[c]].onset_health
            if self._health(self.current[m][c]) >= onset:
                parts = [(c, FALSE_ALARM)]
        level = self.policy.opportunistic_health_below
        if level is not None:
            parts += [(o, OPPORTUNISTIC) for o, r in enumerate(self.current[m])
                      if o != c and self._health(r) < level]
        return parts

    def maintain(self, m: int, c: int, kind: str):
        env, rec = self.env, self.record
        t_request = env.now
        alarm = self.alarm[m] if kind == CONDITION else None
        rec.events.append((t_request, m, "failure" if kind == CORRECTIVE else "alarm"
                           if kind == CONDITION else "age_limit", c))
        self.up[m] = False
        self._piece(m)
        self._set_partners(m, +1)
        parts = self._diagnosis(m, c, kind)
        tname = self.layout.types[self.layout.machine_type[m]]
        comps = [self.world.components[n] for n in self.layout.components[
            self.layout.machine_type[m]]]
        for p, k in parts:
            pool = comps[p].spare
            if pool is not None and k != FALSE_ALARM:
                yield self.spares[pool].get(1)
                env.process(self._reorder(pool))
        t_spare = env.now
        req = self.crews.request() if self.crews is not None else None
        if req is not None:
            yield req
        t_start = env.now
        maint = self.world.maintenance
        durations = [self.draw(comps[p].repair_h or maint.repair_h) if k == CORRECTIVE
                     else self.draw(maint.preventive_h) for p, k in parts]
        yield env.timeout(max(durations))
        if req is not None:
            self.crews.release(req)
        t_end = env.now
        for (p, k), dur in zip(parts, durations, strict=True):
            old = self.current[m][p]
            age = self._age(old)
            ages = old.life.kind in AGE_KINDS
            before = (old.life.start_age_h + age if ages else math.nan,
                      1.0 - self._health(old))
            new = old
            if k != FALSE_ALARM:
                old.t1_h, old.end = t_end, ("failure" if k == CORRECTIVE else k)
                if k == CORRECTIVE:
                    old.t_fail_h = t_request
                new = self.current[m][p] = self._install(m, p, old if k == CORRECTIVE
                                                         else None)
            after = ((new.life.start_age_h + self._age(new) if ages else math.nan),
                     1.0 - self._health(new))
            reading = alarm is not None and p == c
            rec.log.append({"machine": m, "component": p, "action": k, "t_request_h": t_request,
                            "t_start_h": t_start, "t_end_h": t_end,
                            "wait_spare_h": t_spare - t_request, "wait_crew_h": t_start - t_spare,
                            "repair_h": dur, "virtual_age_before_h": before[0],
                            "virtual_age_after_h": after[0], "damage_before": before[1],
                            "damage_after": after[1],
                            "alarm_channel": (self.monitor.channels[alarm.alarm]
                                              if reading and self.monitor else ""),
                            "reading": alarm.reading if reading else math.nan,
                            "machine_type": tname})
        rec.events.append((t_end, m, "restart", -1))
        self.restart_h[m] = t_end
        self.up[m] = True
        self.t_upd[m] = env.now
        self._piece(m)
        self._set_partners(m, -1)

    def _reorder(self, pool: str):
        lead = self.draw(self.world.maintenance.spares[pool].lead_time_h)
        yield self.env.timeout(lead)
        yield self.spares[pool].put(1)

    def run(self) -> PlantRecord:
        self.procs = [self.env.process(self.machine(m)) for m in range(self.layout.machines)]
        self.env.run(until=self.horizon)
        for m in range(self.layout.machines):
            self._advance(m)
        self.record.events.sort(key=lambda e: (e[0], e[1]))
        return self.record


def simulate_plant(world: MaintenanceWorld, layout: Layout, grids: list[TypeGrid],
                   draw: EntityDraw, rng: np.random.Generator, *,
                   monitor: Monitor | None = None) -> PlantRecord:
    """Run one plant over the horizon (``monitor``: the alarm channels, for condition-based
    maintenance on ``alarms``)."""
    return _Plant(world, layout, grids, draw, rng, monitor).run()
