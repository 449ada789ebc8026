"""Campaign instances of one run: how many of each, when they start, and their planned events.

A campaign entry's ``count`` is a run-scope value (one number per run). Its instances start at
times drawn from a piecewise-constant intensity over ``[start_s, end_s)`` that is proportional
to the entry's drift weight in force at each time (``drift[i].campaign_weight``, 1 before any
drift entry names it): a drift to weight 3 at day 45 makes starts three times as dense after it.
Each instance is handed to its typology's planner (:data:`typologies.PLANNERS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simengine.domains.fraud.codes import ROLES
from simengine.domains.fraud.model import FraudWorld
from simengine.domains.fraud.population import Population, random_ids
from simengine.domains.fraud.typologies import PLANNERS
from simengine.domains.fraud.typologies.base import Draw, EventBuilder, Events, PlanContext

__all__ = ["CampaignPlan", "drift_weight", "plan_campaigns", "start_times"]


@dataclass
class CampaignPlan:
    """The run's campaigns and their events."""

    events: Events
    roles: np.ndarray               # (A,) int8 codes into ROLES
    entry: np.ndarray               # (K,) index of the world.campaigns entry
    start_s: np.ndarray             # (K,)
    campaign_id: np.ndarray         # (K,) random int64
    rows: list[dict]                # planner details per campaign


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


def plan_campaigns(scenario, world: FraudWorld, pop: Population,
                   params: Mapping[str, np.ndarray], r: int, rng: np.random.Generator,
                   horizon_s: float) -> CampaignPlan:
    """Plan every campaign of run row ``r`` (all draws from ``rng``, in entry order)."""
    ctx = PlanContext(pop, rng, Draw(params, r, rng), EventBuilder(), horizon_s,
                      np.zeros(pop.accounts, dtype=np.int8), alerts=world.alerts)
    entries, starts, rows = [], [], []
    n_params = len(next(iter(params.values()))) if params else r + 1
    for j, spec in enumerate(world.campaigns):
        count = int(scenario.value(params, f"world.campaigns.{j}.count", spec.count,
                                   n=n_params)[r])
        hi = min(spec.end_s if spec.end_s is not None else horizon_s, horizon_s)
        for t0 in start_times(world, spec.label, count, min(spec.start_s, hi), hi, rng):
            k = len(rows)
            rows.append(PLANNERS[spec.typology](ctx, spec, float(t0), k))
            entries.append(j)
            starts.append(float(t0))
    events = ctx.events.build(horizon_s, rng)
    assert ctx.roles.max(initial=0) < len(ROLES)
    return CampaignPlan(events, ctx.roles, np.asarray(entries, dtype=np.int64),
                        np.asarray(starts, dtype=np.float64), random_ids(rng, len(rows)), rows)
