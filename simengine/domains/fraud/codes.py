"""Category names of the fraud tables, stored per row as small integer codes.

Each tuple's position is the code written in the simulation; the tables turn codes into
categorical (dictionary) columns, so no Python string is created per row.
"""

from __future__ import annotations

__all__ = ["CARD_CHANNELS", "CHANNELS", "PHASES", "ROLES", "RULES", "TYPOLOGIES", "code"]

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

ROLES = ("normal", "victim", "accomplice", "mule", "fraudster")
"""Account roles, in priority order: an account in several roles gets the highest."""

RULES = ("amount_above", "new_device_and_transfer", "deposit_near_threshold",
         "small_online_burst")


def code(names: tuple[str, ...], name: str) -> int:
    """The code of ``name`` in ``names``."""
    return names.index(name)
