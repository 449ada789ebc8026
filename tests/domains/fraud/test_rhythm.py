"""The declared calendar rhythm of legitimate spending, and the errors for bad declarations."""

from __future__ import annotations

import numpy as np
import pytest

from simengine.errors import ScenarioError
from tests.domains.fraud.helpers import SMALL, scenario, simulate

QUIET = """
schema_version: 1
name: seasons
domain: fraud
duration_s: 5184000           # 60 days
world:
  population:
    customers: {count: 1500, segments: {families: 1.0}}
    merchants: {count: 100}
  rhythm:
    daily: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    weekly: [1, 1, 1, 1, 1, 1, 1]
    monthly: [1.5, 0.5]
    seasonal: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    start_month: 11
"""


def test_spending_follows_the_declared_hours_month_parts_and_seasons() -> None:
    _, _, s = simulate(QUIET, runs=1)
    tx = s["transactions"]
    t = tx["timestamp_s"][tx["channel"] != "salary"]  # salaries keep their own calendar
    hour = (t // 3600) % 24
    assert t.size > 50000 and (hour >= 6).all()  # daily weight 0 from midnight to 6
    # blocks of 15 days: November first half (1 × 1.5), second half (1 × 0.5), December
    # (season 2) first half (2 × 1.5), second half (2 × 0.5): shares 1.5 : 0.5 : 3 : 1 of 6
    counts = np.bincount(t // (15 * 86400), minlength=4)
    expected = np.array([1.5, 0.5, 3.0, 1.0]) / 6.0
    share = counts / counts.sum()
    assert (np.abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / t.size)).all()


def test_the_default_week_is_busier_on_fridays_and_saturdays() -> None:
    _, _, s = simulate(QUIET.replace("weekly: [1, 1, 1, 1, 1, 1, 1]",
                                     "weekly: [1, 1, 1, 1, 1, 3, 1]"), runs=1)
    tx = s["transactions"]
    t = tx["timestamp_s"][tx["channel"] != "salary"]
    day = t // 86400
    saturday = day % 7 == 5  # the run starts on a Monday
    # per-day rate on Saturdays is 3× that of other days of the same month part and season
    for lo, hi in ((0, 15), (15, 30), (30, 45), (45, 60)):
        block = (day >= lo) & (day < hi)
        days = np.arange(lo, hi)
        n_sat, n_other = (days % 7 == 5).sum(), (days % 7 != 5).sum()
        ratio = (saturday & block).sum() / n_sat / ((~saturday & block).sum() / n_other)
        assert 2.6 < ratio < 3.4


@pytest.mark.parametrize(("snippet", "message"), [
    ("rhythm: {daily: [1, 2, 3]}", "world.rhythm.daily: daily needs 24 hourly weights"),
    ("rhythm: {weekly: [1, 1, 1, 1, 1, 1, -1]}", "weekly values must be finite and ≥ 0"),
    ("rhythm: {monthly: [0, 0]}", "monthly needs at least one value above 0"),
    ("rhythm: {seasonal: [1, 2]}", "seasonal needs 12 month multipliers (January first)"),
    ("rhythm: {start_month: 13}", "world.rhythm.start_month"),
    ("rhythm: {hourly: []}", "hourly"),
])
def test_a_bad_rhythm_is_a_clear_error_at_its_line(snippet: str, message: str) -> None:
    text = SMALL.replace("  alerts:\n", f"  {snippet}\n  alerts:\n", 1)
    with pytest.raises(ScenarioError) as err:
        scenario(text)
    line = 1 + text[: text.index(snippet)].count("\n")
    assert message in str(err.value) and f"small-bank.yaml:{line}:" in str(err.value)


def test_bad_card_counts_and_typology_fields_are_clear_errors() -> None:
    text = SMALL.replace("merchants: {count: 200}",
                         "merchants: {count: 200}\n    cards_per_customer: {9: 1}")
    with pytest.raises(ScenarioError, match="cards per customer must be 1 to 8; found 9"):
        scenario(text)
    text = SMALL.replace("refund_share: 0.75", "refund_share: 1.5")
    with pytest.raises(ScenarioError, match=r"world\.campaigns\.5\..*must be <= 1; found 1\.5"):
        scenario(text)


def test_a_misspelt_typology_field_names_the_field_and_its_closest_key() -> None:
    text = SMALL.replace("build_purchases_per_week: 5", "build_purchase_per_week: 5")
    with pytest.raises(ScenarioError, match=r"world\.campaigns\.4\.build_purchase_per_week: "
                       r"unknown key .* \(did you mean 'build_purchases_per_week'\?\)"):
        scenario(text)
