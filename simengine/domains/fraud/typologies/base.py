"""What every typology planner shares: the illicit-event table it appends to and its context.

A planner is a simpy process of the run's campaign world (:mod:`actors`) that turns one
campaign instance into *events* — transactions to execute at the times it adds them.
An event's amount is decided when the ledger executes it, by its mode:

* :data:`FIXED` — the planned amount (declined when the payer cannot cover it);
* :data:`CAPPED` — ``min(planned, frac × available)`` where available is what the payer could
  spend at that moment (balance above its overdraft floor): a drain or a scam takes what is
  there;
* :data:`OF_PARENT` — ``frac ×`` what the causal parent event actually moved (a mule forwards
  what arrived minus its cut); dropped when the parent moved nothing;
* :data:`SHARE` — ``frac × available``, however large (a bust-out taking everything on its
  credit line); when nothing is available, the planned amount, declined.

Events carry their causal parent (an earlier event), typology, phase and campaign, so every
label is known by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from simengine.domains.fraud.codes import PHASES, ROLES, TYPOLOGIES, code
from simengine.domains.fraud.model import AlertSpec
from simengine.domains.fraud.population import Population, random_ids
from simengine.scenario.values import Const, Dist, Ref, ValueSpec

if TYPE_CHECKING:
    import simpy

__all__ = ["CAPPED", "FIXED", "OF_PARENT", "SHARE", "Draw", "EventBuilder", "Events", "PlanContext",
           "until"]

FIXED, CAPPED, OF_PARENT, SHARE = 0, 1, 2, 3


@dataclass
class Events:
    """The illicit events of one run, sorted by time (``parent`` re-indexed accordingly)."""

    t_s: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    planned_cents: np.ndarray
    mode: np.ndarray
    frac: np.ndarray
    parent: np.ndarray
    channel: np.ndarray
    mcc: np.ndarray
    typology: np.ndarray
    phase: np.ndarray
    campaign: np.ndarray
    new_device: np.ndarray
    card: np.ndarray         # card index, -1: none
    txn_id: np.ndarray

    def __len__(self) -> int:
        return int(self.t_s.size)


class EventBuilder:
    """Collects events in plain lists (a run has thousands, not millions, of them)."""

    FIELDS = ("t_s", "src", "dst", "planned_cents", "mode", "frac", "parent", "channel", "mcc",
              "typology", "phase", "campaign", "new_device", "card")

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, t_s: float, src: int, dst: int, amount: float, *, channel: int,
            typology: str, phase: str, campaign: int, mode: int = FIXED, frac: float = 1.0,
            parent: int = -1, mcc: int = 0, new_device: bool = False, card: int = -1) -> int:
        """Append one event; returns its index (for children's ``parent``)."""
        self.rows.append((float(t_s), int(src), int(dst), round(float(amount) * 100), mode,
                          float(frac), int(parent), channel, mcc, code(TYPOLOGIES, typology),
                          code(PHASES, phase), campaign, bool(new_device), int(card)))
        return len(self.rows) - 1

    def get(self, event: int, name: str):
        """Field ``name`` of an added event."""
        return self.rows[event][self.FIELDS.index(name)]

    def build(self, horizon_s: float, rng: np.random.Generator) -> Events:
        """Sort by time, drop events at or after the horizon (and their descendants, which
        come later), and give each a random transaction id."""
        dtypes = (np.float64, np.int64, np.int64, np.int64, np.int8, np.float64, np.int64,
                  np.int8, np.int16, np.int8, np.int8, np.int64, bool, np.int64)
        cols = [np.array([r[i] for r in self.rows], dtype=d) if self.rows else np.zeros(0, d)
                for i, d in enumerate(dtypes)]
        t = cols[0]
        keep = np.flatnonzero(t < horizon_s)
        order = keep[np.argsort(t[keep], kind="stable")]
        new_index = np.full(t.size, -1, dtype=np.int64)
        new_index[order] = np.arange(order.size)
        out = {f: c[order] for f, c in zip(self.FIELDS, cols, strict=True)}
        parent = out["parent"]
        out["parent"] = np.where(parent >= 0, new_index[np.maximum(parent, 0)], -1)
        return Events(**out, txn_id=random_ids(rng, order.size))


def until(env: simpy.Environment, t_s: float) -> simpy.Timeout:
    """A timeout that fires at time ``t_s`` (at once if that has passed)."""
    return env.timeout(max(t_s - env.now, 0.0))


class Draw:
    """Entity-scope values for one run: constants, ``$param`` values of the run, or draws from
    the run's generator. Draws are taken in blocks of at least :data:`BLOCK` per value (one
    vectorised call) and handed out in order, so the values depend only on the order of the
    requests."""

    BLOCK = 256

    def __init__(self, params: Mapping[str, np.ndarray], r: int, rng: np.random.Generator):
        self.params = params
        self.r = r
        self.rng = rng
        self._built: dict[int, object] = {}
        self._pool: dict[int, np.ndarray] = {}

    def many(self, spec: ValueSpec, n: int) -> np.ndarray:
        """``n`` draws of ``spec``."""
        if isinstance(spec, Const):
            return np.full(n, float(spec.value))
        if isinstance(spec, Ref):
            return np.full(n, float(np.asarray(self.params[spec.name])[self.r]))
        assert isinstance(spec, Dist)
        key = id(spec)
        pool = self._pool.get(key, np.zeros(0))
        if pool.size < n:
            dist = self._built.get(key)
            if dist is None:
                dist = spec.build(lambda name: float(np.asarray(self.params[name])[self.r]))
                self._built[key] = dist
            fresh = dist.sample(self.rng, max(self.BLOCK, n - pool.size))  # type: ignore[attr-defined]
            pool = np.concatenate([pool, np.asarray(fresh, dtype=np.float64)])
        self._pool[key] = pool[n:]
        return pool[:n]

    def one(self, spec: ValueSpec) -> float:
        return float(self.many(spec, 1)[0])

    def count(self, spec: ValueSpec) -> int:
        return max(int(round(self.one(spec))), 1)


@dataclass
class PlanContext:
    """What a planner may use and change: the population, draws, the event builder, the
    campaign world's simpy environment (``env``: planners run as its processes and add events
    at ``env.now``), account roles, the pool of earlier mules, and the victims' dispute and
    report behaviour (``alerts``)."""

    pop: Population
    rng: np.random.Generator
    draw: Draw
    events: EventBuilder
    horizon_s: float
    roles: np.ndarray                                    # (A,) int8 code into ROLES
    env: simpy.Environment
    alerts: AlertSpec = field(default_factory=AlertSpec)
    mules: list[int] = field(default_factory=list)

    def mark(self, accounts, role: str) -> None:
        """Give ``accounts`` ``role`` unless they already hold a higher one."""
        idx = np.atleast_1d(np.asarray(accounts, dtype=np.int64))
        self.roles[idx] = np.maximum(self.roles[idx], code(ROLES, role))

    def customers(self, n: int, weights: np.ndarray | None = None) -> np.ndarray:
        """``n`` distinct customers (by segment weights when given)."""
        c = self.pop.customers
        if weights is None:
            return self.rng.choice(c, size=min(n, c), replace=False)
        p = weights[self.pop.segment]
        return self.rng.choice(c, size=min(n, c), replace=False, p=p / p.sum())

    def recruit_mules(self, n: int, reuse: float) -> np.ndarray:
        """``n`` mule accounts: each slot reuses an earlier mule with probability ``reuse``."""
        out = []
        for _ in range(n):
            if self.mules and self.rng.random() < reuse:
                out.append(self.mules[int(self.rng.integers(len(self.mules)))])
            else:
                fresh = int(self.rng.integers(self.pop.customers))
                self.mules.append(fresh)
                out.append(fresh)
        self.mark(out, "mule")
        return np.asarray(out, dtype=np.int64)
