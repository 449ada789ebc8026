"""The campaign world of one run: a simpy environment in which campaigns start and act.

A campaign entry's ``count`` is a run-scope value (one number per run). Its instances start at
times drawn from a piecewise-constant intensity over ``[start_s, end_s)`` that is proportional
to the entry's drift weight in force at each time (``drift[i].campaign_weight``, 1 before any
drift entry names it): a drift to weight 3 at day 45 makes starts three times as dense after it.
The ``count`` start times are drawn at once (sorted), before the world runs; each entry then has
an arrival process that waits from one start time to the next and starts the instance there —
the same law as a process drawing its own gaps, with the count fixed by the scenario.

Each instance (:class:`actors.Campaign`) runs its typology's planner
(:data:`typologies.PLANNERS`) as a process, which starts child processes for its parallel
activity and may be stopped by the bank (``alerts.block_on_detection``). The world runs to the
horizon; the events added by then are the run's illicit events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simengine.domains.fraud.actors import Campaign
from simengine.domains.fraud.codes import ROLES
from simengine.domains.fraud.model import FraudWorld
from simengine.domains.fraud.population import Population, random_ids
from simengine.domains.fraud.typologies import PLANNERS
from simengine.domains.fraud.typologies.base import (
    Draw,
    EventBuilder,
    Events,
    PlanContext,
    until,
)

__all__ = ["CampaignPlan", "drift_weight", "plan_campaigns", "start_times"]


@dataclass
class CampaignPlan:
    """The run's campaigns and their events, in entry order then start order."""

    events: Events
    roles: np.ndarray               # (A,) int8 codes into ROLES
    entry: np.ndarray               # (K,) index of the world.campaigns entry
    start_s: np.ndarray             # (K,)
    campaign_id: np.ndarray         # (K,) random int64
    rows: list[dict]                # planner details per campaign
    report_s: np.ndarray            # (K,) when a victim reported it (inf: no report)
    blocked_s: np.ndarray           # (K,) when the bank stopped it (NaN: never)
    blocked_by: np.ndarray          # (K,) int8 code into BLOCK_CAUSES


def drift_weight(world: FraudWorld, label: str, t_s: np.ndarray) -> np.ndarray:
    """The start-rate multiplier of campaign ``label`` at times ``t_s``."""
    w = np.ones_like(np.asarray(t_s, dtype=np.float64))
    for d in world.drift:
        if label in d.campaign_weight:
            w = np.where(np.asarray(t_s) >= d.at_s, d.campaign_weight[label], w)
    return w


def start_times(world: FraudWorld, label: str, n: int, lo: float, hi: float,
                rng: np.random.Generator) -> np.ndarray:
    """``n`` sorted start times on [lo, hi) with density ∝ the drift weight."""
    edges = np.unique(np.clip([lo, *(d.at_s for d in world.drift), hi], lo, hi))
    if edges.size < 2 or n == 0:
        return np.full(n, lo) if n else np.zeros(0)
    w = drift_weight(world, label, edges[:-1]) * np.diff(edges)
    if w.sum() <= 0:
        return np.zeros(0)
    piece = rng.choice(w.size, size=n, p=w / w.sum())
    t = edges[piece] + rng.random(n) * np.diff(edges)[piece]
    return np.sort(t)


def _arrivals(ctx: PlanContext, spec, times: np.ndarray, instances: list[Campaign]):
    """The arrival process of one campaign entry: starts each instance at its start time."""
    plan = PLANNERS[spec.typology]
    for t0, camp in zip(times, instances, strict=True):
        yield until(ctx.env, float(t0))
        camp.spawn(plan(ctx, spec, camp))


def plan_campaigns(scenario, world: FraudWorld, pop: Population,
                   params: Mapping[str, np.ndarray], r: int, rng: np.random.Generator,
                   horizon_s: float) -> CampaignPlan:
    """Run the campaign world of run row ``r`` up to the horizon (all draws from ``rng``: the
    counts and start times in entry order, then whatever the processes draw, in the order
    simpy runs them)."""
    import simpy

    env = simpy.Environment()
    ctx = PlanContext(pop, rng, Draw(params, r, rng), EventBuilder(), horizon_s,
                      np.zeros(pop.accounts, dtype=np.int8), env, alerts=world.alerts)
    camps: list[Campaign] = []
    entries, starts = [], []
    n_params = len(next(iter(params.values()))) if params else r + 1
    for j, spec in enumerate(world.campaigns):
        count = int(scenario.value(params, f"world.campaigns.{j}.count", spec.count,
                                   n=n_params)[r])
        hi = min(spec.end_s if spec.end_s is not None else horizon_s, horizon_s)
        times = start_times(world, spec.label, count, min(spec.start_s, hi), hi, rng)
        mine = [Campaign(ctx, len(camps) + i, spec.typology) for i in range(times.size)]
        camps += mine
        entries += [j] * times.size
        starts += [float(t) for t in times]
        env.process(_arrivals(ctx, spec, times, mine))
    env.run(until=horizon_s)
    events = ctx.events.build(horizon_s, rng)
    assert ctx.roles.max(initial=0) < len(ROLES)
    return CampaignPlan(
        events, ctx.roles, np.asarray(entries, dtype=np.int64),
        np.asarray(starts, dtype=np.float64), random_ids(rng, len(camps)),
        [c.row for c in camps],
        report_s=np.array([c.report_s for c in camps], dtype=np.float64),
        blocked_s=np.array([c.blocked_s for c in camps], dtype=np.float64),
        blocked_by=np.array([c.blocked_by for c in camps], dtype=np.int8))
