"""Card typologies: card testing followed by a card-not-present burst, and friendly fraud.

Card testing (reference: compromise of n cards tested at a few online merchants): each stolen
card gets ``tests_per_card`` tiny online payments a few minutes apart at one of the campaign's
test merchants; a share of the cards is then used, ``burst_delay_h`` later, for a burst of
ordinary-looking online purchases. Amounts come from the declared distributions, so the burst
overlaps normal online spending. A stolen card is one card of its holder (who may hold others).
Victims dispute each payment with ``alerts.chargeback_probability`` (phase ``chargeback``: the
merchant pays the amount back).

Friendly fraud: a customer buys online with one of its cards and disputes every purchase; the
chargebacks bring the money back from the merchants.

Card testing is one process testing the cards one after the other; each card that goes on to a
burst starts a child process for it, so bursts overlap later tests. Disputes are the holders'
own processes (:meth:`actors.Campaign.dispute`); when the bank stops the campaign
(``alerts.block_on_detection``, at the first dispute) no later test, burst or purchase happens.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from simengine.domains.fraud.codes import ONLINE
from simengine.domains.fraud.model import CardTesting, FriendlyFraud
from simengine.domains.fraud.population import CATEGORIES
from simengine.domains.fraud.typologies.base import PlanContext

if TYPE_CHECKING:
    from simengine.domains.fraud.actors import Campaign

__all__ = [
    "mcc_of",
    "online_merchants",
    "plan_card_testing",
    "plan_friendly_fraud",
    "segment_weights",
]

_TEST_CATEGORIES = ("digital",)
_BURST_CATEGORIES = ("electronics", "retail", "clothing", "travel", "digital")


def segment_weights(ctx: PlanContext, targets: dict[str, float]) -> np.ndarray | None:
    """Per-segment victim weights (None: every customer equally likely)."""
    if not targets:
        return None
    return np.array([targets.get(s, 0.0) for s in ctx.pop.segment_names], dtype=np.float64)


def online_merchants(ctx: PlanContext, categories: tuple[str, ...], n: int) -> np.ndarray:
    names = [c[0] for c in CATEGORIES]
    cats = np.array([names.index(c) for c in categories])[ctx.rng.integers(len(categories),
                                                                             size=n)]
    return ctx.pop.merchant_index(cats, np.ones(n, dtype=bool), np.zeros(n, dtype=np.int64),
                                  np.zeros(n, dtype=bool), ctx.rng.random(n))


def mcc_of(ctx: PlanContext, merchant: int) -> int:
    return CATEGORIES[int(ctx.pop.merchant_category[merchant - ctx.pop.customers])][1]


def plan_card_testing(ctx: PlanContext, spec: CardTesting, camp: Campaign) -> Generator:
    d = ctx.draw
    holders = ctx.customers(d.count(spec.cards), segment_weights(ctx, spec.target_segments))
    ctx.mark(holders, "victim")
    camp.row.update(victims=holders, phases=("testing", "burst", "chargeback"))
    cards = ctx.pop.card_of(holders, ctx.rng.random(holders.size))
    testers = online_merchants(ctx, _TEST_CATEGORIES, 2)
    p_dispute = ctx.alerts.chargeback_probability
    for holder, card in zip(holders, cards, strict=True):
        n_tests = d.count(spec.tests_per_card)
        gaps = d.many(spec.test_gap_s, n_tests)
        amounts = d.many(spec.test_amount, n_tests)
        last = -1
        for k in range(n_tests):
            yield ctx.env.timeout(gaps[k])
            m = int(testers[k % testers.size])
            last = camp.add(int(holder), m, amounts[k], channel=ONLINE, mcc=mcc_of(ctx, m),
                            phase="testing", parent=last, card=int(card))
            camp.dispute(last, p_dispute)
        if ctx.rng.random() < spec.burst_probability:
            camp.spawn(_burst(ctx, spec, camp, int(holder), int(card), last))


def _burst(ctx: PlanContext, spec: CardTesting, camp: Campaign, holder: int, card: int,
           test: int) -> Generator:
    """The card that worked (its last test: ``test``) buys ``burst_delay_h`` later."""
    d = ctx.draw
    yield ctx.env.timeout(3600.0 * d.one(spec.burst_delay_h))
    n_buy = d.count(spec.burst_purchases)
    shops = online_merchants(ctx, _BURST_CATEGORIES, n_buy)
    for amount, gap, m in zip(d.many(spec.burst_amount, n_buy),
                              d.many(spec.burst_gap_s, n_buy), shops, strict=True):
        yield ctx.env.timeout(gap)
        e = camp.add(holder, int(m), amount, channel=ONLINE, mcc=mcc_of(ctx, int(m)),
                     phase="burst", parent=test, card=card)
        camp.dispute(e, ctx.alerts.chargeback_probability)


def plan_friendly_fraud(ctx: PlanContext, spec: FriendlyFraud, camp: Campaign) -> Generator:
    d = ctx.draw
    who = ctx.customers(1, segment_weights(ctx, spec.target_segments))
    ctx.mark(who, "fraudster")
    camp.row.update(fraudsters=who, phases=("purchase", "chargeback"))
    card = int(ctx.pop.card_of(who, ctx.rng.random(1))[0])
    n = d.count(spec.purchases)
    shops = online_merchants(ctx, _BURST_CATEGORIES, n)
    for amount, gap, m in zip(d.many(spec.amount, n), d.many(spec.gap_h, n), shops,
                              strict=True):
        e = camp.add(int(who[0]), int(m), amount, channel=ONLINE, mcc=mcc_of(ctx, int(m)),
                     phase="purchase", card=card)
        camp.dispute(e, 1.0)
        yield ctx.env.timeout(3600.0 * gap)
