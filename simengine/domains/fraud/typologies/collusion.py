"""Merchant collusion and refund fraud.

A colluding merchant (role ``fraudster``) charges ``cards`` compromised cards of other customers
(victims) with fake sales over ``sales_days`` (phase ``fake_sale``). Each sale is followed,
``refund_delay_h`` later, by a refund of ``refund_share`` of what the sale actually took to a
card of one of the ring's ``accomplices`` — customers who never bought there (phase
``refund``); the accomplice withdraws the refund at an ATM ``cash_out_delay_h`` later
(``cash_out``). Victims dispute fake sales with ``alerts.chargeback_probability``: the
chargeback takes the amount back from the merchant.

The merchant's sales are one process; each sale starts a child process for its refund and the
cash-out that follows. When the bank stops the campaign at the first dispute
(``alerts.block_on_detection``), later sales, refunds and cash-outs never happen.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from simengine.domains.fraud.codes import ATM, ONLINE, POS, REFUND
from simengine.domains.fraud.model import MerchantCollusion
from simengine.domains.fraud.population import CASH
from simengine.domains.fraud.typologies.base import OF_PARENT, PlanContext, until
from simengine.domains.fraud.typologies.card import mcc_of, segment_weights

if TYPE_CHECKING:
    from simengine.domains.fraud.actors import Campaign

__all__ = ["plan_merchant_collusion"]

_TYPOLOGY = "merchant_collusion"


def plan_merchant_collusion(ctx: PlanContext, spec: MerchantCollusion,
                            camp: Campaign) -> Generator:
    d, pop = ctx.draw, ctx.pop
    merchant = pop.customers + int(ctx.rng.integers(pop.merchants))
    ctx.mark(merchant, "fraudster")
    channel = ONLINE if pop.merchant_online[merchant - pop.customers] else POS
    mcc = mcc_of(ctx, merchant)
    n_ring = d.count(spec.accomplices)
    people = ctx.customers(d.count(spec.cards) + n_ring,
                           segment_weights(ctx, spec.target_segments))
    ring, victims = people[:n_ring], people[n_ring:]
    camp.row.update(fraudsters=np.array([merchant]), phases=("fake_sale",))
    if victims.size == 0:
        return
    ctx.mark(victims, "victim")
    ctx.mark(ring, "accomplice")
    camp.row.update(victims=victims, accomplices=ring,
                    phases=("fake_sale", "refund", "cash_out", "chargeback"))
    victim_cards = pop.card_of(victims, ctx.rng.random(victims.size))
    ring_cards = pop.card_of(ring, ctx.rng.random(ring.size))
    times = np.sort(camp.now + ctx.rng.random(victims.size) * 86400.0 * d.one(spec.sales_days))
    for t, victim, card, amount in zip(times, victims, victim_cards,
                                       d.many(spec.sale_amount, victims.size), strict=True):
        yield until(ctx.env, t)
        sale = camp.add(int(victim), merchant, amount, channel=channel, mcc=mcc,
                        phase="fake_sale", card=int(card))
        camp.dispute(sale, ctx.alerts.chargeback_probability)
        j = int(ctx.rng.integers(ring.size))
        camp.spawn(_refund(ctx, spec, camp, merchant, mcc, sale, int(ring[j]),
                           int(ring_cards[j])))


def _refund(ctx: PlanContext, spec: MerchantCollusion, camp: Campaign, merchant: int,
            mcc: int, sale: int, member: int, card: int) -> Generator:
    """The merchant refunds a share of ``sale`` to a ring ``member``'s card, who withdraws it."""
    d = ctx.draw
    yield ctx.env.timeout(3600.0 * d.one(spec.refund_delay_h))
    refund = camp.add(merchant, member, 0.0, mode=OF_PARENT, frac=spec.refund_share,
                      parent=sale, channel=REFUND, mcc=mcc, phase="refund", card=card)
    yield ctx.env.timeout(3600.0 * d.one(spec.cash_out_delay_h))
    camp.add(member, ctx.pop.external(CASH), 0.0, mode=OF_PARENT, frac=1.0, parent=refund,
             channel=ATM, phase="cash_out")
