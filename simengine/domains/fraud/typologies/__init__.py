"""Typology planners, one module per family, looked up by the campaign's ``typology``."""

from __future__ import annotations

from collections.abc import Callable

from simengine.domains.fraud.typologies import aml, card, scams, takeover

__all__ = ["PLANNERS"]

PLANNERS: dict[str, Callable] = {
    "card_testing": card.plan_card_testing,
    "friendly_fraud": card.plan_friendly_fraud,
    "account_takeover": takeover.plan_account_takeover,
    "app_scam": scams.plan_app_scam,
    "laundering": aml.plan_laundering,
}
"""typology → ``plan(ctx, spec, start_s, campaign) -> campaign row``."""
