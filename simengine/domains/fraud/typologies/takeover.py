"""Account takeover → drain to mules → cash-out.

From a new device the fraudster probes the victim's online banking with a small transfer to the
first mule (phase ``takeover``), then drains the account in ``K = max(mules, 3)`` transfers over
``within_h`` hours, each taking ``min(chunk_max, f × available)`` with
``f = 1 − (1 − drain_fraction)^(1/K)`` so that K transfers leave about ``1 − drain_fraction`` of
what was available (phase ``drain``). Each mule withdraws what it received, minus its cut, at an
ATM ``cash_out_delay_h`` later (phase ``cash_out``).

The campaign is one process waiting from drain to drain; each cash-out is a child process
started by its drain. The victim's report (``alerts.report_*``) counts from the probe; when the
bank stops the campaign (``alerts.block_on_detection``), later drains and pending cash-outs
never happen.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from simengine.domains.fraud.codes import ATM, TRANSFER
from simengine.domains.fraud.model import AccountTakeover
from simengine.domains.fraud.population import CASH
from simengine.domains.fraud.typologies.base import CAPPED, OF_PARENT, PlanContext, until
from simengine.domains.fraud.typologies.card import segment_weights

if TYPE_CHECKING:
    from simengine.domains.fraud.actors import Campaign

__all__ = ["plan_account_takeover"]


def plan_account_takeover(ctx: PlanContext, spec: AccountTakeover,
                          camp: Campaign) -> Generator:
    d, env = ctx.draw, ctx.env
    victim = int(ctx.customers(1, segment_weights(ctx, spec.target_segments))[0])
    ctx.mark(victim, "victim")
    mules = ctx.recruit_mules(d.count(spec.mules), spec.mule_reuse_probability)
    mules = mules[mules != victim]
    if mules.size == 0:
        mules = ctx.recruit_mules(1, 0.0)
    camp.row.update(victims=np.array([victim]), mules=mules,
                    phases=("takeover", "drain", "cash_out"))
    probe = camp.add(victim, int(mules[0]), float(ctx.rng.uniform(1, 10)), channel=TRANSFER,
                     phase="takeover", new_device=True)
    k = max(int(mules.size), 3)
    frac = 1.0 - (1.0 - d.one(spec.drain_fraction)) ** (1.0 / k)
    t0 = camp.now + 3600.0 * d.one(spec.probe_delay_h)
    times = t0 + np.sort(ctx.rng.random(k)) * 3600.0 * d.one(spec.within_h)
    delays = 3600.0 * d.many(spec.cash_out_delay_h, k)
    for j in range(k):
        yield until(env, times[j])
        mule = int(mules[j % mules.size])
        drain = camp.add(victim, mule, spec.chunk_max, mode=CAPPED, frac=frac,
                         channel=TRANSFER, phase="drain", parent=probe, new_device=True)
        camp.spawn(_cash_out(ctx, spec, camp, mule, drain, float(delays[j])))


def _cash_out(ctx: PlanContext, spec: AccountTakeover, camp: Campaign, mule: int, drain: int,
              delay_s: float) -> Generator:
    """The mule withdraws what the drain brought, minus its cut, ``delay_s`` later."""
    yield ctx.env.timeout(delay_s)
    camp.add(mule, ctx.pop.external(CASH), 0.0, mode=OF_PARENT, frac=1.0 - spec.mule_keep,
             channel=ATM, phase="cash_out", parent=drain)
