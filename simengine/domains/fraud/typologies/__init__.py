"""Typology planners, one module per family, looked up by the campaign's ``typology``; each is
a simpy process of the run's campaign world (:mod:`simengine.domains.fraud.actors`)."""

from __future__ import annotations

from collections.abc import Callable

from simengine.domains.fraud.typologies import aml, bust_out, card, collusion, scams, takeover

__all__ = ["PLANNERS"]

PLANNERS: dict[str, Callable] = {
    "card_testing": card.plan_card_testing,
    "friendly_fraud": card.plan_friendly_fraud,
    "account_takeover": takeover.plan_account_takeover,
    "app_scam": scams.plan_app_scam,
    "bust_out": bust_out.plan_bust_out,
    "merchant_collusion": collusion.plan_merchant_collusion,
    "laundering": aml.plan_laundering,
}
"""typology → ``plan(ctx, spec, camp)``: a generator run as the campaign's simpy process, from
its start time (``ctx.env.now``); it fills ``camp.row`` (victims, mules, phases…) and adds events
through ``camp.add``."""
