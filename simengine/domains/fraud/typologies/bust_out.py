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
"""

from __future__ import annotations

import numpy as np

from simengine.domains.fraud.codes import DEPOSIT, ONLINE, POS
from simengine.domains.fraud.model import BustOut
from simengine.domains.fraud.population import CASH, CATEGORIES
from simengine.domains.fraud.typologies.base import FIXED, SHARE, PlanContext
from simengine.domains.fraud.typologies.card import mcc_of, online_merchants, segment_weights

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


def _build(ctx: PlanContext, spec: BustOut, who: int, card: int, start_s: float,
           end_s: float, campaign: int) -> None:
    weeks = (end_s - start_s) / (7 * 86400.0)
    n = int(ctx.rng.poisson(spec.build_purchases_per_week * weeks))
    times = np.sort(start_s + ctx.rng.random(n) * (end_s - start_s))
    shops, channels = _shops(ctx, who, n)
    amounts = ctx.draw.many(spec.build_amount, n)
    cash = ctx.pop.external(CASH)
    period = 86400.0 * spec.repay_every_days
    due = np.floor((times - start_s) / period).astype(np.int64)
    for t, m, ch, a in zip(times, shops, channels, amounts, strict=True):
        ctx.events.add(t, who, int(m), a, channel=int(ch), mcc=mcc_of(ctx, int(m)),
                       typology="bust_out", phase="build", campaign=campaign, card=card)
    for k in np.unique(due):
        repay_t = start_s + (k + 1) * period
        if repay_t < end_s:
            ctx.events.add(repay_t, cash, who, float(amounts[due == k].sum()), mode=FIXED,
                           channel=DEPOSIT, typology="bust_out", phase="build",
                           campaign=campaign)


def plan_bust_out(ctx: PlanContext, spec: BustOut, start_s: float, campaign: int) -> dict:
    d = ctx.draw
    who = int(ctx.customers(1, segment_weights(ctx, spec.target_segments))[0])
    ctx.mark(who, "fraudster")
    limit_cents = round(100 * d.one(spec.credit_limit))
    ctx.pop.floor_cents[who] = min(int(ctx.pop.floor_cents[who]), -limit_cents)
    card = int(ctx.pop.card_of(np.array([who]), ctx.rng.random(1))[0])
    bust_s = start_s + 86400.0 * d.one(spec.build_days)
    _build(ctx, spec, who, card, start_s, bust_s, campaign)
    k = d.count(spec.bust_purchases)
    times = bust_s + np.sort(ctx.rng.random(k)) * 3600.0 * d.one(spec.bust_h)
    times[0] = bust_s
    shops = online_merchants(ctx, _BUST_CATEGORIES, k)
    nominal = d.many(spec.build_amount, k) * 10.0  # what a declined attempt asks for
    for j in range(k):
        m = int(shops[j])
        ctx.events.add(times[j], who, m, nominal[j], mode=SHARE, frac=1.0 / (k - j),
                       channel=ONLINE, mcc=mcc_of(ctx, m), typology="bust_out", phase="bust",
                       campaign=campaign, card=card)
    ctx.pop.active_until_s[who] = min(float(ctx.pop.active_until_s[who]), bust_s)
    return {"fraudsters": np.array([who]), "phases": ("build", "bust"),
            "credit_limit": limit_cents / 100.0}
