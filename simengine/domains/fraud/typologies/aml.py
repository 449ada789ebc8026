"""Money laundering: placement by structuring, composed layering steps, integration.

The campaign's funds are tracked as *holdings*: (account, amount in cents, time the money is
there, the event that brought it). Placement deposits the total S in cash into 1..n accounts in
pieces drawn from U(α·T, T − ε) (structuring below the reporting threshold T). Each layering
step moves every holding on; every hop forwards ``(1 − m)`` of what the payer received (m, the
declared ``margin``), ``hop_delay_h`` after the money arrived:

* ``fan_out: k`` — a holder pays k new mules (random shares); ``fan_in`` — every holder pays
  one collector; ``cycle: n`` — a₀ → a₁ → … → a_{n−1} → a₀, back to the first holder;
* ``scatter_gather: k`` = fan-out then fan-in; ``gather_scatter: k`` = fan-in then fan-out;
* ``bipartite: k`` — every holder pays each of k beneficiaries an equal share;
* ``stack: depth`` — ``depth`` bipartite layers of width 3, each payer splitting ⅓ / ⅓ / rest.

Integration moves each final holding out (``external``: to another institution; ``cash_out``:
ATM). Amounts are fixed when the hop is made (every payer holds the laundered money when it
pays), so a cycle's return to its origin is exactly ``(1 − m)^n`` of what left it, up to cent
rounding.

The network is composed when the campaign starts (its accounts recruited then) and runs as
simpy processes: one per depositing account, one per hop (it waits for its money to arrive, then
``hop_delay_h``), and one per gathering account (fan-in, bipartite targets), which waits for all
its incoming hops. Money already at a fan-in's collector stays there.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simengine.domains.fraud.codes import ATM, DEPOSIT, TRANSFER
from simengine.domains.fraud.model import Laundering, Layer
from simengine.domains.fraud.population import CASH, OUTSIDE
from simengine.domains.fraud.typologies.base import PlanContext, until

if TYPE_CHECKING:
    import simpy

    from simengine.domains.fraud.actors import Campaign

    Future = simpy.Process
    """A process whose value is a :class:`Holding`."""

__all__ = ["Holding", "plan_laundering"]


@dataclass(frozen=True)
class Holding:
    """Laundered money sitting in ``account`` since ``t_s``, brought by event ``parent``."""

    account: int
    cents: int
    t_s: float
    parent: int


class _Mover:
    """Composes one campaign's layering network and runs it as processes.

    A *future* is a process whose value is a :class:`Holding` (the money has arrived). Each step
    takes the futures of the previous one and returns its own; accounts are recruited when the
    network is composed, at the campaign's start (the network is set up before money moves).
    """

    def __init__(self, ctx: PlanContext, spec: Laundering, camp: Campaign) -> None:
        self.ctx, self.spec, self.camp = ctx, spec, camp
        self.keep = 1.0 - spec.margin
        self.accounts: set[int] = set()

    def fresh(self, n: int) -> np.ndarray:
        acc = self.ctx.recruit_mules(n, 0.0)
        self.accounts.update(int(a) for a in acc)
        return acc

    def split(self, cents: int, shares: np.ndarray) -> list[int]:
        """``(1 − m)·cents`` split by ``shares`` into whole cents (the last takes the rest)."""
        total = int(self.keep * cents)
        parts = [int(total * s) for s in shares[:-1]]
        return [*parts, total - sum(parts)]

    def move(self, h: Holding, dst: int, cents: int, typology: str, *,
             phase: str = "layering", channel: int = TRANSFER) -> Generator:
        """Wait ``hop_delay_h``, then move ``cents`` of ``h`` to ``dst``; returns the new
        holding."""
        yield self.ctx.env.timeout(3600.0 * self.ctx.draw.one(self.spec.hop_delay_h))
        e = self.camp.add(h.account, dst, cents / 100.0, channel=channel, typology=typology,
                          phase=phase, parent=h.parent)
        return Holding(dst, cents, self.camp.now, e)

    def hop(self, src: Future, dst: int, typology: str, shares: np.ndarray, part: int = 0, *,
            gather: bool = False, **kw) -> Future:
        """Once ``src`` has arrived, forward share ``part`` (of ``shares``) of it to ``dst``
        (when gathering, money already at ``dst`` stays there)."""
        def run() -> Generator:
            h = yield src
            if gather and h.account == dst:
                return h
            return (yield from self.move(h, dst, self.split(h.cents, shares)[part], typology,
                                         **kw))
        return self.camp.spawn(run())

    def gather(self, legs: list[Future], account: int) -> Future:
        """The money of ``legs``, all arrived at ``account``."""
        def run() -> Generator:
            yield self.ctx.env.all_of(legs)
            got = [leg.value for leg in legs]
            last = max(got, key=lambda a: a.t_s)
            return Holding(account, sum(a.cents for a in got), last.t_s, last.parent)
        return self.camp.spawn(run())

    def fan_out(self, ins: list[Future], k: int, name: str = "fan_out") -> list[Future]:
        out = []
        for f in ins:
            shares = self.ctx.rng.dirichlet(np.full(k, 4.0))
            out += [self.hop(f, int(dst), name, shares, j) for j, dst in enumerate(self.fresh(k))]
        return out

    def fan_in(self, ins: list[Future], name: str = "fan_in") -> list[Future]:
        collector = int(self.fresh(1)[0])
        self.ctx.mark(collector, "fraudster")
        legs = [self.hop(f, collector, name, _ALL, gather=True) for f in ins]
        return [self.gather(legs, collector)]

    def cycle(self, ins: list[Future], n: int) -> list[Future]:
        def run(f: Future, others: np.ndarray) -> Generator:
            cur = yield f
            ring = [cur.account, *(int(a) for a in others)]
            for j in range(1, len(ring) + 1):
                cur = yield from self.move(cur, ring[j % len(ring)],
                                           self.split(cur.cents, _ALL)[0], "cycle")
            return cur
        return [self.camp.spawn(run(f, self.fresh(max(n - 1, 1)))) for f in ins]

    def bipartite(self, ins: list[Future], k: int, name: str = "bipartite",
                  shares: np.ndarray | None = None) -> list[Future]:
        targets = self.fresh(k)
        shares = np.full(k, 1.0 / k) if shares is None else shares
        legs = [[self.hop(f, int(dst), name, shares, j) for f in ins]
                for j, dst in enumerate(targets)]
        return [self.gather(got, int(dst)) for got, dst in zip(legs, targets, strict=True)]


_ALL = np.ones(1)


def _apply(mover: _Mover, layer: Layer, ins: list[Future]) -> list[Future]:
    d = mover.ctx.draw
    kind = layer.kind
    value = getattr(layer, kind)
    k = d.count(value) if kind != "fan_in" else 1
    steps: dict[str, Callable[[], list[Future]]] = {
        "fan_out": lambda: mover.fan_out(ins, k),
        "fan_in": lambda: mover.fan_in(ins),
        "cycle": lambda: mover.cycle(ins, k),
        "scatter_gather": lambda: mover.fan_in(mover.fan_out(ins, k, "scatter_gather"),
                                               "scatter_gather"),
        "gather_scatter": lambda: mover.fan_out(mover.fan_in(ins, "gather_scatter"), k,
                                                "gather_scatter"),
        "bipartite": lambda: mover.bipartite(ins, k),
        "stack": lambda: _stack(mover, ins, k),
    }
    return steps[kind]()


def _stack(mover: _Mover, ins: list[Future], depth: int) -> list[Future]:
    thirds = np.array([1 / 3, 1 / 3, 1 / 3])
    for _ in range(depth):
        ins = mover.bipartite(ins, 3, "stack", thirds)
    return ins


def _structure(mover: _Mover) -> list[Future]:
    """Placement: the cash deposits, one process per depositing account; each account's
    future is its last deposit."""
    ctx, spec, camp = mover.ctx, mover.spec, mover.camp
    st = spec.structuring
    total = round(ctx.draw.one(spec.amount) * 100)
    depositors = mover.fresh(ctx.draw.count(st.accounts))
    ctx.mark(depositors, "accomplice")
    span_s = 86400.0 * ctx.draw.one(st.days)
    lo_a, hi_a = st.alpha
    got: dict[int, list[tuple[float, int]]] = {int(a): [] for a in depositors}
    placed = 0
    while placed < total:
        alpha = ctx.rng.uniform(lo_a, hi_a)
        cents = round(ctx.rng.uniform(alpha * st.threshold, st.threshold - st.epsilon) * 100)
        acc = int(depositors[ctx.rng.integers(depositors.size)])
        got[acc].append((camp.now + ctx.rng.random() * span_s, cents))
        placed += cents

    def deposits(acc: int, plan: list[tuple[float, int]]) -> Generator:
        cash = ctx.pop.external(CASH)
        e = -1
        for t, cents in plan:
            yield until(ctx.env, t)
            e = camp.add(cash, acc, cents / 100.0, channel=DEPOSIT, typology="structuring",
                         phase="placement")
        return Holding(acc, sum(c for _, c in plan), camp.now, e)

    return [camp.spawn(deposits(acc, sorted(plan))) for acc, plan in got.items() if plan]


def plan_laundering(ctx: PlanContext, spec: Laundering, camp: Campaign) -> Generator:
    mover = _Mover(ctx, spec, camp)
    holdings = _structure(mover)
    for layer in spec.layers:
        holdings = _apply(mover, layer, holdings)
    if spec.integration != "none":
        external = spec.integration == "external"
        dst = ctx.pop.external(OUTSIDE if external else CASH)
        holdings = [mover.hop(f, dst, "integration", _ALL, phase="integration",
                              channel=TRANSFER if external else ATM) for f in holdings]
    camp.row.update(mules=np.array(sorted(mover.accounts), dtype=np.int64),
                    phases=("placement", "layering", "integration"))
    yield ctx.env.all_of(holdings)
