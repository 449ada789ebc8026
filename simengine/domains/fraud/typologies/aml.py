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
ATM). Amounts are fixed when planned (every payer holds the laundered money when it pays), so a
cycle's return to its origin is exactly ``(1 − m)^n`` of what left it, up to cent rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simengine.domains.fraud.codes import ATM, DEPOSIT, TRANSFER
from simengine.domains.fraud.model import Laundering, Layer
from simengine.domains.fraud.population import CASH, OUTSIDE
from simengine.domains.fraud.typologies.base import PlanContext

__all__ = ["Holding", "plan_laundering"]


@dataclass(frozen=True)
class Holding:
    account: int
    cents: int
    t_s: float
    parent: int


class _Mover:
    """Plans hops for one campaign."""

    def __init__(self, ctx: PlanContext, spec: Laundering, campaign: int) -> None:
        self.ctx, self.spec, self.campaign = ctx, spec, campaign
        self.keep = 1.0 - spec.margin
        self.accounts: set[int] = set()

    def fresh(self, n: int) -> np.ndarray:
        acc = self.ctx.recruit_mules(n, 0.0)
        self.accounts.update(int(a) for a in acc)
        return acc

    def hop(self, h: Holding, dst: int, cents: int, typology: str, *, phase: str = "layering",
            channel: int = TRANSFER) -> Holding:
        t = h.t_s + 3600.0 * self.ctx.draw.one(self.spec.hop_delay_h)
        e = self.ctx.events.add(t, h.account, dst, cents / 100.0, channel=channel,
                                typology=typology, phase=phase, campaign=self.campaign,
                                parent=h.parent)
        return Holding(dst, cents, t, e)

    def split(self, cents: int, shares: np.ndarray) -> list[int]:
        """``(1 − m)·cents`` split by ``shares`` into whole cents (the last takes the rest)."""
        total = int(self.keep * cents)
        parts = [int(total * s) for s in shares[:-1]]
        return [*parts, total - sum(parts)]

    def fan_out(self, holdings: list[Holding], k: int, name: str = "fan_out") -> list[Holding]:
        out = []
        for h in holdings:
            shares = self.ctx.rng.dirichlet(np.full(k, 4.0))
            for dst, cents in zip(self.fresh(k), self.split(h.cents, shares), strict=True):
                out.append(self.hop(h, int(dst), cents, name))
        return out

    def fan_in(self, holdings: list[Holding], name: str = "fan_in") -> list[Holding]:
        collector = int(self.fresh(1)[0])
        self.ctx.mark(collector, "fraudster")
        arrived = [self.hop(h, collector, self.split(h.cents, np.ones(1))[0], name)
                   for h in holdings if h.account != collector]
        last = max(arrived, key=lambda a: a.t_s)
        return [Holding(collector, sum(a.cents for a in arrived), last.t_s, last.parent)]

    def cycle(self, holdings: list[Holding], n: int) -> list[Holding]:
        out = []
        for h in holdings:
            ring = [h.account, *(int(a) for a in self.fresh(max(n - 1, 1)))]
            cur = h
            for j in range(1, len(ring) + 1):
                cur = self.hop(cur, ring[j % len(ring)], self.split(cur.cents, np.ones(1))[0],
                               "cycle")
            out.append(cur)
        return out

    def bipartite(self, holdings: list[Holding], k: int, name: str = "bipartite",
                  shares: np.ndarray | None = None) -> list[Holding]:
        targets = self.fresh(k)
        shares = np.full(k, 1.0 / k) if shares is None else shares
        received: dict[int, list[Holding]] = {int(t): [] for t in targets}
        for h in holdings:
            for dst, cents in zip(targets, self.split(h.cents, shares), strict=True):
                received[int(dst)].append(self.hop(h, int(dst), cents, name))
        out = []
        for acc, got in received.items():
            last = max(got, key=lambda a: a.t_s)
            out.append(Holding(acc, sum(a.cents for a in got), last.t_s, last.parent))
        return out


def _apply(mover: _Mover, layer: Layer, holdings: list[Holding]) -> list[Holding]:
    d = mover.ctx.draw
    kind = layer.kind
    value = getattr(layer, kind)
    k = d.count(value) if kind != "fan_in" else 1
    steps: dict[str, Callable[[], list[Holding]]] = {
        "fan_out": lambda: mover.fan_out(holdings, k),
        "fan_in": lambda: mover.fan_in(holdings),
        "cycle": lambda: mover.cycle(holdings, k),
        "scatter_gather": lambda: mover.fan_in(mover.fan_out(holdings, k, "scatter_gather"),
                                               "scatter_gather"),
        "gather_scatter": lambda: mover.fan_out(mover.fan_in(holdings, "gather_scatter"), k,
                                                "gather_scatter"),
        "bipartite": lambda: mover.bipartite(holdings, k),
        "stack": lambda: _stack(mover, holdings, k),
    }
    return steps[kind]()


def _stack(mover: _Mover, holdings: list[Holding], depth: int) -> list[Holding]:
    thirds = np.array([1 / 3, 1 / 3, 1 / 3])
    for _ in range(depth):
        holdings = mover.bipartite(holdings, 3, "stack", thirds)
    return holdings


def _structure(mover: _Mover, start_s: float) -> list[Holding]:
    ctx, spec = mover.ctx, mover.spec
    st = spec.structuring
    total = round(ctx.draw.one(spec.amount) * 100)
    depositors = mover.fresh(ctx.draw.count(st.accounts))
    ctx.mark(depositors, "accomplice")
    span_s = 86400.0 * ctx.draw.one(st.days)
    lo_a, hi_a = st.alpha
    cash = ctx.pop.external(CASH)
    got: dict[int, list[tuple[float, int, int]]] = {int(a): [] for a in depositors}
    placed = 0
    while placed < total:
        alpha = ctx.rng.uniform(lo_a, hi_a)
        cents = round(ctx.rng.uniform(alpha * st.threshold, st.threshold - st.epsilon) * 100)
        acc = int(depositors[ctx.rng.integers(depositors.size)])
        t = start_s + ctx.rng.random() * span_s
        e = ctx.events.add(t, cash, acc, cents / 100.0, channel=DEPOSIT, typology="structuring",
                           phase="placement", campaign=mover.campaign)
        got[acc].append((t, cents, e))
        placed += cents
    out = []
    for acc, deposits in got.items():
        if deposits:
            t, _, e = max(deposits)
            out.append(Holding(acc, sum(c for _, c, _ in deposits), t, e))
    return out


def plan_laundering(ctx: PlanContext, spec: Laundering, start_s: float, campaign: int) -> dict:
    mover = _Mover(ctx, spec, campaign)
    holdings = _structure(mover, start_s)
    for layer in spec.layers:
        holdings = _apply(mover, layer, holdings)
    if spec.integration != "none":
        external = spec.integration == "external"
        dst = ctx.pop.external(OUTSIDE if external else CASH)
        for h in holdings:
            mover.hop(h, dst, mover.split(h.cents, np.ones(1))[0], "integration",
                      phase="integration", channel=TRANSFER if external else ATM)
    return {"mules": np.array(sorted(mover.accounts), dtype=np.int64),
            "phases": ("placement", "layering", "integration")}
