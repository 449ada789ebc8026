"""One run end to end: population → campaigns → ledger windows → alert world → labels.

The run's horizon is cut into windows (days, or equal parts of a day so that a window holds at
most :data:`WINDOW_ROWS` expected rows): memory is bounded by a window, never by the run.
Observed labels depend on the future (a review days later), so the ledger is walked twice when
transactions are recorded: pass 1 posts every window, collects the illicit events' outcomes and
the alerts, and runs the alert world; pass 2 re-posts the same windows (each window's draws come
from its own generator, so they are identical) and writes them with their labels.

Randomness: population and the campaign world (its processes, disputes and reports) draw from
``keys.generator(run, SIMULATION)``; window ``w`` from ``SeedSequence(seed, spawn_key=(*stage,
run, SIMULATION, 1, w))``; the alert world from sub-stream 2. Recording a stream never changes
what was simulated.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from simengine.domains.fraud.campaigns import CampaignPlan, plan_campaigns
from simengine.domains.fraud.codes import PHASES
from simengine.domains.fraud.model import FraudWorld
from simengine.domains.fraud.population import Population, build_population, random_ids
from simengine.domains.fraud.rules import rule_hits
from simengine.domains.fraud.synth import Posted, post_window
from simengine.domains.fraud.traffic import DAY_S, Profiles, expected_rows_per_day, legit_rows
from simengine.domains.fraud.typologies.base import Draw
from simengine.domains.fraud.world import (
    CONFIRMED,
    Observations,
    Reviews,
    observe,
    review_alerts,
)
from simengine.sampling.keys import Purpose, RunKeys

__all__ = ["CACHE_ROWS", "WINDOW_ROWS", "Prepared", "RunResult", "ledger", "prepare",
           "simulate_run", "sub_rng"]

WINDOW_ROWS = 250_000
CACHE_ROWS = 1_500_000
"""Runs expected to post at most this many rows keep pass 1's windows for pass 2 (~100 bytes
a row) instead of re-posting them; larger runs re-post, so memory stays bounded."""
TRAFFIC, WORLD = 1, 2


def sub_rng(keys: RunKeys, run: int, *sub: int) -> np.random.Generator:
    seq = np.random.SeedSequence(keys.seed, spawn_key=(*keys.stage, int(run),
                                                       int(Purpose.SIMULATION), *sub))
    return np.random.Generator(np.random.PCG64(seq))


@dataclass
class Prepared:
    """A run's population, campaign plan and windows."""

    run: int
    world: FraudWorld
    pop: Population
    prof: Profiles
    plan: CampaignPlan
    windows: np.ndarray      # (W + 1,) window edges in seconds
    horizon_s: float


def prepare(scenario, params: Mapping[str, np.ndarray], keys: RunKeys, r: int) -> Prepared:
    world: FraudWorld = scenario.spec.world
    run = int(keys.runs[r])
    rng = keys.generator(run, Purpose.SIMULATION)
    horizon = float(scenario.spec.duration_s)
    pop = build_population(world, rng)
    prof = Profiles.of(world, pop)
    plan = plan_campaigns(scenario, world, pop, params, r, rng, horizon)
    parts = max(1, math.ceil(expected_rows_per_day(pop, prof, peak=True) * 1.2 / WINDOW_ROWS))
    step = DAY_S / parts
    edges = np.arange(0.0, horizon, step)
    return Prepared(run, world, pop, prof, plan, np.append(edges, horizon), horizon)


def ledger(prep: Prepared, keys: RunKeys) -> Iterator[tuple[Posted, np.ndarray, np.ndarray]]:
    """Post every window in order; yields (posted rows, balances, executed cents per event)
    — the last two are the running state, updated in place."""
    pop, ev = prep.pop, prep.plan.events
    balance = pop.opening_cents.copy()
    executed = np.zeros(len(ev), dtype=np.int64)
    bounds = np.searchsorted(ev.t_s, prep.windows, side="left")
    for w in range(prep.windows.size - 1):
        t0, t1 = float(prep.windows[w]), float(prep.windows[w + 1])
        rng = sub_rng(keys, prep.run, TRAFFIC, w)
        rows = legit_rows(pop, prep.prof, t0, t1, rng)
        yield (post_window(rows, ev, int(bounds[w]), int(bounds[w + 1]), pop, balance,
                           executed, rng), balance, executed)


@dataclass
class RunResult:
    """Pass 1 of a run: counts, per-event results, alerts, observations and outcomes."""

    prep: Prepared
    rows: int = 0
    declined: int = 0
    closing_cents: np.ndarray | None = None
    event_cents: np.ndarray | None = None
    event_ok: np.ndarray | None = None
    event_posted: np.ndarray | None = None
    alert_t: list = field(default_factory=list)
    alert_txn: list = field(default_factory=list)
    alert_event: list = field(default_factory=list)
    alert_rule: list = field(default_factory=list)
    reviews: Reviews | None = None
    observations: Observations | None = None
    observed_s: np.ndarray | None = None      # per event
    fp_ids: np.ndarray | None = None
    fp_time_s: np.ndarray | None = None
    fp_at_s: np.ndarray | None = None         # the confirmed legitimate rows' own times
    alert_id: np.ndarray | None = None
    outcomes: dict = field(default_factory=dict)
    cached: list[Posted] | None = None

    @property
    def alerts(self) -> dict[str, np.ndarray]:
        return {"t": np.concatenate(self.alert_t), "txn": np.concatenate(self.alert_txn),
                "event": np.concatenate(self.alert_event),
                "rule": np.concatenate(self.alert_rule)}


def _first_pass(prep: Prepared, keys: RunKeys, *, keep: bool) -> RunResult:
    res = RunResult(prep, cached=[] if keep else None)
    ev = prep.plan.events
    posted_ev = np.zeros(len(ev), dtype=bool)
    rules = prep.world.alerts.rules
    state: list = []
    res.alert_t.append(np.zeros(0))
    res.alert_txn.append(np.zeros(0, np.int64))
    res.alert_event.append(np.zeros(0, np.int64))
    res.alert_rule.append(np.zeros(0, np.int8))
    for p, balance, executed in ledger(prep, keys):
        state = [balance, executed]
        res.rows += len(p)
        if res.cached is not None:
            res.cached.append(p)
        res.declined += int((~p.approved).sum())
        posted_ev[p.event[p.event >= 0]] = True
        if rules:
            hits = rule_hits(p, rules, prep.pop.customers)
            idx = np.flatnonzero(hits >= 0)
            res.alert_t.append(p.t_s[idx])
            res.alert_txn.append(p.txn_id[idx])
            res.alert_event.append(p.event[idx])
            res.alert_rule.append(hits[idx])
    res.closing_cents = state[0].copy() if state else prep.pop.opening_cents
    res.event_cents = state[1] if state else np.zeros(len(ev), np.int64)
    res.event_posted = posted_ev
    res.event_ok = posted_ev & (res.event_cents > 0)
    return res


def _observe(res: RunResult, keys: RunKeys) -> None:
    prep = res.prep
    plan, ev, spec = prep.plan, prep.plan.events, prep.world.alerts
    rng = sub_rng(keys, prep.run, WORLD)
    draw = Draw({}, 0, rng)
    alerts = res.alerts
    is_fraud = alerts["event"] >= 0
    res.reviews = review_alerts(spec, alerts["t"], is_fraud, prep.horizon_s, draw, rng)
    res.alert_id = random_ids(rng, alerts["t"].size)
    confirmed = res.reviews.outcome == CONFIRMED
    fraud_conf = confirmed & is_fraud
    res.observations = observe(
        plan.entry.size, ev.campaign, ev.src, ev.t_s, dispute_t_s=dispute_times(ev),
        report_s=plan.report_s, confirmed_event=alerts["event"][fraud_conf],
        confirmed_t_s=res.reviews.end_s[fraud_conf], horizon_s=prep.horizon_s)
    res.observed_s = res.observations.observed_s
    res.observed_s[~res.event_posted] = np.nan
    fp = confirmed & ~is_fraud
    order = np.argsort(alerts["txn"][fp])
    res.fp_ids = alerts["txn"][fp][order]
    res.fp_time_s = res.reviews.end_s[fp][order]
    res.fp_at_s = alerts["t"][fp][order]


def dispute_times(ev) -> np.ndarray:
    """Per event: when its dispute was filed (its chargeback's time, whether or not the
    chargeback moved money), or its own time if it is a chargeback (inf: no dispute)."""
    t = np.full(len(ev), np.inf)
    cb = np.flatnonzero(ev.phase == PHASES.index("chargeback"))
    t[ev.parent[cb]] = ev.t_s[cb]
    t[cb] = ev.t_s[cb]
    return t


def simulate_run(scenario, params: Mapping[str, np.ndarray], keys: RunKeys, r: int, *,
                 keep_windows: bool = False) -> RunResult:
    """Pass 1 and the alert world of row ``r``; outcomes in ``result.outcomes``. With
    ``keep_windows`` a small run keeps its posted windows (``result.cached``) for pass 2."""
    from simengine.domains.fraud.outcomes import run_outcomes

    prep = prepare(scenario, params, keys, r)
    expected = expected_rows_per_day(prep.pop, prep.prof) * prep.horizon_s / DAY_S
    res = _first_pass(prep, keys, keep=keep_windows and expected <= CACHE_ROWS)
    _observe(res, keys)
    res.outcomes = run_outcomes(res, labels_of(prep))
    return res


def labels_of(prep: Prepared) -> tuple[str, ...]:
    """The campaign label of each world.campaigns entry."""
    return tuple(c.label for c in prep.world.campaigns)

