"""Merchant collusion and refund fraud.

A colluding merchant (role ``fraudster``) charges ``cards`` compromised cards of other customers
(victims) with fake sales over ``sales_days`` (phase ``fake_sale``). Each sale is followed,
``refund_delay_h`` later, by a refund of ``refund_share`` of what the sale actually took to a
card of one of the ring's ``accomplices`` — customers who never bought there (phase
``refund``); the accomplice withdraws the refund at an ATM ``cash_out_delay_h`` later
(``cash_out``). Victims dispute fake sales with ``alerts.chargeback_probability``: the
chargeback takes the amount back from the merchant.
"""

from __future__ import annotations

import numpy as np

from simengine.domains.fraud.codes import ATM, ONLINE, POS, REFUND
from simengine.domains.fraud.model import MerchantCollusion
from simengine.domains.fraud.population import CASH
from simengine.domains.fraud.typologies.base import OF_PARENT, PlanContext
from simengine.domains.fraud.typologies.card import mcc_of, segment_weights

__all__ = ["plan_merchant_collusion"]

_TYPOLOGY = "merchant_collusion"


def plan_merchant_collusion(ctx: PlanContext, spec: MerchantCollusion, start_s: float,
                            campaign: int) -> dict:
    d, pop = ctx.draw, ctx.pop
    merchant = pop.customers + int(ctx.rng.integers(pop.merchants))
    ctx.mark(merchant, "fraudster")
    channel = ONLINE if pop.merchant_online[merchant - pop.customers] else POS
    mcc = mcc_of(ctx, merchant)
    n_ring = d.count(spec.accomplices)
    people = ctx.customers(d.count(spec.cards) + n_ring,
                           segment_weights(ctx, spec.target_segments))
    ring, victims = people[:n_ring], people[n_ring:]
    if victims.size == 0:
        return {"fraudsters": np.array([merchant]), "phases": ("fake_sale",)}
    ctx.mark(victims, "victim")
    ctx.mark(ring, "accomplice")
    victim_cards = pop.card_of(victims, ctx.rng.random(victims.size))
    ring_cards = pop.card_of(ring, ctx.rng.random(ring.size))
    span_s = 86400.0 * d.one(spec.sales_days)
    times = np.sort(start_s + ctx.rng.random(victims.size) * span_s)
    cash = pop.external(CASH)
    p_dispute = ctx.alerts.chargeback_probability
    for t, victim, card, amount in zip(times, victims, victim_cards,
                                       d.many(spec.sale_amount, victims.size), strict=True):
        sale = ctx.events.add(t, int(victim), merchant, amount, channel=channel, mcc=mcc,
                              typology=_TYPOLOGY, phase="fake_sale", campaign=campaign,
                              card=int(card))
        ctx.dispute(sale, t, p_dispute, typology=_TYPOLOGY, campaign=campaign)
        j = int(ctx.rng.integers(ring.size))
        t_refund = t + 3600.0 * d.one(spec.refund_delay_h)
        refund = ctx.events.add(t_refund, merchant, int(ring[j]), 0.0, mode=OF_PARENT,
                                frac=spec.refund_share, parent=sale, channel=REFUND, mcc=mcc,
                                typology=_TYPOLOGY, phase="refund", campaign=campaign,
                                card=int(ring_cards[j]))
        ctx.events.add(t_refund + 3600.0 * d.one(spec.cash_out_delay_h), int(ring[j]), cash,
                       0.0, mode=OF_PARENT, frac=1.0, parent=refund, channel=ATM,
                       typology=_TYPOLOGY, phase="cash_out", campaign=campaign)
    return {"victims": victims, "fraudsters": np.array([merchant]), "accomplices": ring,
            "phases": ("fake_sale", "refund", "cash_out", "chargeback")}
