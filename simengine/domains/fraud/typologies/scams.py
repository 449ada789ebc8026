"""Authorised push payment (APP) scams with a trust-building phase.

A scammer (a recruited customer account) builds trust over ``trust_days`` with small payments
(romance and impersonation: the victim sends small gifts; investment: the scammer pays small
"returns" to the victim), then — strictly after the trust phase — the victim pushes
``scam_payments`` larger payments, each capped by what the victim can spend; the scammer moves
each one out of the bank ``cash_out_delay_h`` later.

The scam is one process (trust payments, then scam payments); each cash-out is a child process
started by its scam payment. The victim's report (``alerts.report_*``) counts from the first scam
payment; when the bank stops the campaign (``alerts.block_on_detection``), later scam payments
and pending cash-outs never happen.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from simengine.domains.fraud.codes import TRANSFER
from simengine.domains.fraud.model import AppScam
from simengine.domains.fraud.population import OUTSIDE
from simengine.domains.fraud.typologies.base import CAPPED, FIXED, OF_PARENT, PlanContext, until
from simengine.domains.fraud.typologies.card import segment_weights

if TYPE_CHECKING:
    from simengine.domains.fraud.actors import Campaign

__all__ = ["plan_app_scam"]


def plan_app_scam(ctx: PlanContext, spec: AppScam, camp: Campaign) -> Generator:
    d = ctx.draw
    victim = int(ctx.customers(1, segment_weights(ctx, spec.target_segments))[0])
    scammer = victim
    while scammer == victim:
        scammer = int(ctx.rng.integers(ctx.pop.customers))
    ctx.mark(victim, "victim")
    ctx.mark(scammer, "fraudster")
    start_s = camp.now
    trust_end = start_s + 86400.0 * d.one(spec.trust_days)
    camp.row.update(victims=np.array([victim]), fraudsters=np.array([scammer]),
                    phases=("trust", "scam", "cash_out"), trust_end_s=trust_end)
    n_trust = d.count(spec.trust_payments)
    times = start_s + np.sort(ctx.rng.random(n_trust)) * (trust_end - start_s)
    src, dst = (scammer, victim) if spec.kind == "investment" else (victim, scammer)
    last = -1
    for t, amount in zip(times, d.many(spec.trust_amount, n_trust), strict=True):
        yield until(ctx.env, t)
        last = camp.add(src, dst, amount, mode=FIXED, channel=TRANSFER, phase="trust",
                        parent=last)
    yield until(ctx.env, trust_end)
    n_scam = d.count(spec.scam_payments)
    for gap, amount, delay in zip(d.many(spec.scam_gap_h, n_scam),
                                  d.many(spec.scam_amount, n_scam),
                                  d.many(spec.cash_out_delay_h, n_scam), strict=True):
        yield ctx.env.timeout(3600.0 * gap)
        last = camp.add(victim, scammer, amount, mode=CAPPED, frac=1.0, channel=TRANSFER,
                        phase="scam", parent=last)
        camp.spawn(_cash_out(ctx, camp, scammer, last, 3600.0 * float(delay)))


def _cash_out(ctx: PlanContext, camp: Campaign, scammer: int, pay: int,
              delay_s: float) -> Generator:
    """The scammer moves scam payment ``pay`` out of the bank ``delay_s`` later."""
    yield ctx.env.timeout(delay_s)
    camp.add(scammer, ctx.pop.external(OUTSIDE), 0.0, mode=OF_PARENT, frac=1.0,
             channel=TRANSFER, phase="cash_out", parent=pay)
