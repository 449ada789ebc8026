"""Account takeover → drain to mules → cash-out.

From a new device the fraudster probes the victim's online banking with a small transfer to the
first mule (phase ``takeover``), then drains the account in ``K = max(mules, 3)`` transfers over
``within_h`` hours, each taking ``min(chunk_max, f × available)`` with
``f = 1 − (1 − drain_fraction)^(1/K)`` so that K transfers leave about ``1 − drain_fraction`` of
what was available (phase ``drain``). Each mule withdraws what it received, minus its cut, at an
ATM ``cash_out_delay_h`` later (phase ``cash_out``).
"""

from __future__ import annotations

import numpy as np

from simengine.domains.fraud.codes import ATM, TRANSFER
from simengine.domains.fraud.model import AccountTakeover
from simengine.domains.fraud.population import CASH
from simengine.domains.fraud.typologies.base import CAPPED, OF_PARENT, PlanContext
from simengine.domains.fraud.typologies.card import segment_weights

__all__ = ["plan_account_takeover"]


def plan_account_takeover(ctx: PlanContext, spec: AccountTakeover, start_s: float,
                          campaign: int) -> dict:
    d = ctx.draw
    victim = int(ctx.customers(1, segment_weights(ctx, spec.target_segments))[0])
    ctx.mark(victim, "victim")
    mules = ctx.recruit_mules(d.count(spec.mules), spec.mule_reuse_probability)
    mules = mules[mules != victim]
    if mules.size == 0:
        mules = ctx.recruit_mules(1, 0.0)
    probe = ctx.events.add(start_s, victim, int(mules[0]), float(ctx.rng.uniform(1, 10)),
                           channel=TRANSFER, typology="account_takeover", phase="takeover",
                           campaign=campaign, new_device=True)
    k = max(int(mules.size), 3)
    frac = 1.0 - (1.0 - d.one(spec.drain_fraction)) ** (1.0 / k)
    t0 = start_s + 3600.0 * d.one(spec.probe_delay_h)
    times = t0 + np.sort(ctx.rng.random(k)) * 3600.0 * d.one(spec.within_h)
    delays = 3600.0 * d.many(spec.cash_out_delay_h, k)
    cash = ctx.pop.external(CASH)
    for j in range(k):
        mule = int(mules[j % mules.size])
        drain = ctx.events.add(times[j], victim, mule, spec.chunk_max, mode=CAPPED, frac=frac,
                               channel=TRANSFER, typology="account_takeover", phase="drain",
                               campaign=campaign, parent=probe, new_device=True)
        ctx.events.add(times[j] + delays[j], mule, cash, 0.0, mode=OF_PARENT,
                       frac=1.0 - spec.mule_keep, channel=ATM, typology="account_takeover",
                       phase="cash_out", campaign=campaign, parent=drain)
    return {"victims": np.array([victim]), "mules": mules,
            "phases": ("takeover", "drain", "cash_out")}
