"""Category names of the fraud tables, stored per row as small integer codes.

Each tuple's position is the code written in the simulation; the tables turn codes into
categorical (dictionary) columns, so no Python string is created per row.
"""

from __future__ import annotations

__all__ = ["BLOCK_CAUSES", "CARD_CHANNELS", "CHANNELS", "LOSS_PHASES", "PHASES", "ROLES", "RULES",
           "TYPOLOGIES", "code"]

CHANNELS = ("pos", "online", "atm", "transfer", "deposit", "salary", "refund", "chargeback")
POS, ONLINE, ATM, TRANSFER, DEPOSIT, SALARY, REFUND, CHARGEBACK = range(len(CHANNELS))
CARD_CHANNELS = (POS, ONLINE, REFUND, CHARGEBACK)
"""Channels whose rows carry a card (``card_id``); the others carry none (-1)."""

TYPOLOGIES = (
    "none", "card_testing", "account_takeover", "app_scam", "friendly_fraud", "structuring",
    "fan_out", "fan_in", "cycle", "scatter_gather", "gather_scatter", "bipartite", "stack",
    "integration", "bust_out", "merchant_collusion",
)
"""Row typologies: a campaign's typology, or for laundering the pattern that moved the row."""

PHASES = ("none", "testing", "burst", "takeover", "drain", "cash_out", "trust", "scam",
          "purchase", "placement", "layering", "integration", "build", "bust", "fake_sale",
          "refund", "chargeback")

LOSS_PHASES = ("testing", "burst", "purchase", "takeover", "drain", "scam", "fake_sale", "bust")
"""Phases whose payments take money from a victim (or, for bust-out and friendly fraud, from
the bank): they count as losses."""

BLOCK_CAUSES = ("none", "report", "chargeback")
"""Why the bank stopped a campaign (``campaigns.blocked_by``)."""

ROLES = ("normal", "victim", "accomplice", "mule", "fraudster")
"""Account roles, in priority order: an account in several roles gets the highest."""

RULES = ("amount_above", "new_device_and_transfer", "deposit_near_threshold",
         "small_online_burst")


def code(names: tuple[str, ...], name: str) -> int:
    """The code of ``name`` in ``names``."""
    return names.index(name)
