"""Category names of the fraud tables, stored per row as small integer codes.

Each tuple's position is the code written in the simulation; the tables turn codes into
categorical (dictionary) columns, so no Python string is created per row.
"""

from __future__ import annotations

__all__ = ["CHANNELS", "PHASES", "ROLES", "RULES", "TYPOLOGIES", "code"]

CHANNELS = ("pos", "online", "atm", "transfer", "deposit", "salary")
POS, ONLINE, ATM, TRANSFER, DEPOSIT, SALARY = range(len(CHANNELS))

TYPOLOGIES = (
    "none", "card_testing", "account_takeover", "app_scam", "friendly_fraud", "structuring",
    "fan_out", "fan_in", "cycle", "scatter_gather", "gather_scatter", "bipartite", "stack",
    "integration",
)
"""Row typologies: a campaign's typology, or for laundering the pattern that moved the row."""

PHASES = ("none", "testing", "burst", "takeover", "drain", "cash_out", "trust", "scam",
          "purchase", "placement", "layering", "integration")

ROLES = ("normal", "victim", "accomplice", "mule", "fraudster")
"""Account roles, in priority order: an account in several roles gets the highest."""

RULES = ("amount_above", "new_device_and_transfer", "deposit_near_threshold",
         "small_online_burst")


def code(names: tuple[str, ...], name: str) -> int:
    """The code of ``name`` in ``names``."""
    return names.index(name)
