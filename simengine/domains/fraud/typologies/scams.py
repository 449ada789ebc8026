"""Authorised push payment (APP) scams with a trust-building phase.

A scammer (a recruited customer account) builds trust over ``trust_days`` with small payments
(romance and impersonation: the victim sends small gifts; investment: the scammer pays small
"returns" to the victim), then — strictly after the trust phase — the victim pushes
``scam_payments`` larger payments, each capped by what the victim can spend; the scammer moves
each one out of the bank ``cash_out_delay_h`` later.
"""

from __future__ import annotations

import numpy as np

from simengine.domains.fraud.codes import TRANSFER
from simengine.domains.fraud.model import AppScam
from simengine.domains.fraud.population import OUTSIDE
from simengine.domains.fraud.typologies.base import CAPPED, FIXED, OF_PARENT, PlanContext
from simengine.domains.fraud.typologies.card import segment_weights

__all__ = ["plan_app_scam"]


def plan_app_scam(ctx: PlanContext, spec: AppScam, start_s: float, campaign: int) -> dict:
    d = ctx.draw
    victim = int(ctx.customers(1, segment_weights(ctx, spec.target_segments))[0])
    scammer = victim
    while scammer == victim:
        scammer = int(ctx.rng.integers(ctx.pop.customers))
    ctx.mark(victim, "victim")
    ctx.mark(scammer, "fraudster")
    trust_end = start_s + 86400.0 * d.one(spec.trust_days)
    n_trust = d.count(spec.trust_payments)
    times = start_s + np.sort(ctx.rng.random(n_trust)) * (trust_end - start_s)
    inward = spec.kind == "investment"
    last = -1
    for t, amount in zip(times, d.many(spec.trust_amount, n_trust), strict=True):
        src, dst = (scammer, victim) if inward else (victim, scammer)
        last = ctx.events.add(t, src, dst, amount, mode=FIXED, channel=TRANSFER,
                              typology="app_scam", phase="trust", campaign=campaign,
                              parent=last)
    n_scam = d.count(spec.scam_payments)
    t = trust_end
    outside = ctx.pop.external(OUTSIDE)
    for gap, amount, delay in zip(d.many(spec.scam_gap_h, n_scam),
                                  d.many(spec.scam_amount, n_scam),
                                  d.many(spec.cash_out_delay_h, n_scam), strict=True):
        t += 3600.0 * gap
        pay = ctx.events.add(t, victim, scammer, amount, mode=CAPPED, frac=1.0,
                             channel=TRANSFER, typology="app_scam", phase="scam",
                             campaign=campaign, parent=last)
        ctx.events.add(t + 3600.0 * delay, scammer, outside, 0.0, mode=OF_PARENT, frac=1.0,
                       channel=TRANSFER, typology="app_scam", phase="cash_out",
                       campaign=campaign, parent=pay)
        last = pay
    return {"victims": np.array([victim]), "fraudsters": np.array([scammer]),
            "phases": ("trust", "scam", "cash_out"), "trust_end_s": trust_end}
