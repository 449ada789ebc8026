"""Bust-out: build a good history on a credit line, max it out, vanish.

A first-party fraudster (a customer of the bank) opens a credit line of ``credit_limit`` (its
account's overdraft). For ``build_days`` it pays with one of its cards — about
``build_purchases_per_week`` ordinary purchases a week — and every ``repay_every_days`` deposits
cash covering what it spent (phase ``build``), so the account looks well kept. Then, in
``bust_h`` hours, ``K = bust_purchases`` card purchases at high-value merchants take
everything available: purchase ``j`` takes ``1/(K − j)`` of what is available at that moment,
so the last one leaves the account exactly at its floor, ``−credit_limit`` (phase ``bust``).
From the first bust purchase on the customer makes no payment of its own (it vanishes: its
legitimate traffic, salaries and deposits stop).

The campaign process starts two children for the build phase — the purchases, and the
repayments that deposit what was spent since the last one — then waits for the bust. The
credit line and the vanishing are changes of the population the ledger reads later.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simengine.domains.fraud.codes import DEPOSIT, ONLINE, POS
from simengine.domains.fraud.model import BustOut
from simengine.domains.fraud.population import CASH, CATEGORIES
from simengine.domains.fraud.typologies.base import FIXED, SHARE, PlanContext, until
from simengine.domains.fraud.typologies.card import mcc_of, online_merchants, segment_weights

if TYPE_CHECKING:
    from simengine.domains.fraud.actors import Campaign

__all__ = ["plan_bust_out"]

_BUST_CATEGORIES = ("electronics", "travel", "retail", "clothing")


def _shops(ctx: PlanContext, who: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` ordinary purchases' merchants and channels (the customer's home region)."""
    weight = np.array([c[3] for c in CATEGORIES])
    affinity = np.array([c[4] for c in CATEGORIES])
    cat = ctx.rng.choice(len(CATEGORIES), size=n, p=weight / weight.sum())
    online = ctx.rng.random(n) < affinity[cat]
    region = np.full(n, ctx.pop.region[who], dtype=np.int64)
    shops = ctx.pop.merchant_index(cat, online, region, np.ones(n, dtype=bool),
                                   ctx.rng.random(n))
    return shops, np.where(online, ONLINE, POS)


@dataclass
class _Tab:
    """What the fraudster spent since its last repayment."""

    spent: float = 0.0


def _build(ctx: PlanContext, spec: BustOut, camp: Campaign, who: int, card: int,
           end_s: float, tab: _Tab) -> Generator:
    """Ordinary purchases from now to ``end_s``, about ``build_purchases_per_week`` (each adds
    its amount to the tab the next repayment covers)."""
    start_s = camp.now
    weeks = (end_s - start_s) / (7 * 86400.0)
    n = int(ctx.rng.poisson(spec.build_purchases_per_week * weeks))
    times = np.sort(start_s + ctx.rng.random(n) * (end_s - start_s))
    shops, channels = _shops(ctx, who, n)
    amounts = ctx.draw.many(spec.build_amount, n)
    for t, m, ch, a in zip(times, shops, channels, amounts, strict=True):
        yield until(ctx.env, t)
        camp.add(who, int(m), a, channel=int(ch), mcc=mcc_of(ctx, int(m)), phase="build",
                 card=card)
        tab.spent += float(a)


def _repay(ctx: PlanContext, spec: BustOut, camp: Campaign, who: int, end_s: float,
           tab: _Tab) -> Generator:
    """Every ``repay_every_days`` before ``end_s``: a cash deposit of what was spent since the
    last one (none when nothing was)."""
    period_s = 86400.0 * spec.repay_every_days
    cash = ctx.pop.external(CASH)
    while camp.now + period_s < end_s:
        yield ctx.env.timeout(period_s)
        if tab.spent > 0:
            camp.add(cash, who, tab.spent, mode=FIXED, channel=DEPOSIT, phase="build")
            tab.spent = 0.0


def plan_bust_out(ctx: PlanContext, spec: BustOut, camp: Campaign) -> Generator:
    d = ctx.draw
    who = int(ctx.customers(1, segment_weights(ctx, spec.target_segments))[0])
    ctx.mark(who, "fraudster")
    limit_cents = round(100 * d.one(spec.credit_limit))
    ctx.pop.floor_cents[who] = min(int(ctx.pop.floor_cents[who]), -limit_cents)
    camp.row.update(fraudsters=np.array([who]), phases=("build", "bust"),
                    credit_limit=limit_cents / 100.0)
    card = int(ctx.pop.card_of(np.array([who]), ctx.rng.random(1))[0])
    bust_s = camp.now + 86400.0 * d.one(spec.build_days)
    tab = _Tab()
    camp.spawn(_build(ctx, spec, camp, who, card, bust_s, tab))
    camp.spawn(_repay(ctx, spec, camp, who, bust_s, tab))
    yield until(ctx.env, bust_s)
    ctx.pop.active_until_s[who] = min(float(ctx.pop.active_until_s[who]), camp.now)
    k = d.count(spec.bust_purchases)
    times = camp.now + np.sort(ctx.rng.random(k)) * 3600.0 * d.one(spec.bust_h)
    shops = online_merchants(ctx, _BUST_CATEGORIES, k)
    nominal = d.many(spec.build_amount, k) * 10.0  # what a declined attempt asks for
    for j in range(k):
        if j:
            yield until(ctx.env, times[j])
        m = int(shops[j])
        camp.add(who, m, nominal[j], mode=SHARE, frac=1.0 / (k - j), channel=ONLINE,
                 mcc=mcc_of(ctx, m), phase="bust", card=card)
