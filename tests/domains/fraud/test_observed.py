"""Observed labels, the alert pipeline, drift, and realised counts against their declarations."""

from __future__ import annotations

import numpy as np

from tests.domains.fraud.helpers import SMALL, simulate, small_bank


def test_observed_labels_are_never_earlier_than_the_payment() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    seen = tx["confirmed_fraud"]
    assert seen.any() and (~seen & tx["is_fraud"]).any()  # late and incomplete
    assert (tx["observed_time_s"][seen] >= tx["timestamp_s"][seen]).all()
    assert np.isnan(tx["observed_time_s"][~seen]).all()
    assert (tx["observed_time_s"][seen] <= 1728000).all()


def test_reviews_respect_capacity_and_declared_error_rates() -> None:
    _, episodes, s = small_bank()
    al = s["alerts"]
    done = np.isin(al["outcome"], ("confirmed", "dismissed"))
    assert done.sum() > 50
    assert (al["review_start_s"][done] >= al["alert_time_s"][done]).all()
    for run in (0, 1):
        m = done & (al["run"] == run)
        # one investigator, reviews of at least 0.5 h: at most 48 finished per day and never
        # two at once
        days = np.floor(al["review_end_s"][m] / 86400).astype(int)
        assert np.bincount(days).max() <= 48
        start, end = np.sort(al["review_start_s"][m]), np.sort(al["review_end_s"][m])
        assert (start[1:] >= end[:-1] - 1e-6).all()
    fraud = done & al["is_fraud"]
    legit = done & ~al["is_fraud"]
    recall = (al["outcome"][fraud] == "confirmed").mean()
    fpr = (al["outcome"][legit] == "confirmed").mean()
    n_f, n_l = fraud.sum(), legit.sum()
    assert abs(recall - 0.8) < 4 * np.sqrt(0.16 / n_f)
    assert abs(fpr - 0.1) < 4 * np.sqrt(0.09 / n_l)
    assert episodes["false_positives"].sum() == (legit & (al["outcome"] == "confirmed")).sum()
    # a legitimate row confirmed by review is labeled confirmed_fraud at the review's end
    tx = s["transactions"]
    fp = legit & (al["outcome"] == "confirmed")
    fp_ids = al["txn_id"][fp]
    rows = np.isin(tx["txn_id"], fp_ids)
    assert (tx["confirmed_fraud"][rows] & ~tx["is_fraud"][rows]).all()
    # … and no other legitimate row is, each at its own review's end (every window looks up
    # the confirmations of its own time span only)
    assert rows.sum() == fp.sum() > 0
    assert not (tx["confirmed_fraud"] & ~tx["is_fraud"] & ~rows).any()
    end_by_id = dict(zip(al["txn_id"][fp].tolist(), al["review_end_s"][fp].tolist(),
                         strict=True))
    expected = np.array([end_by_id[i] for i in tx["txn_id"][rows].tolist()])
    assert np.array_equal(tx["observed_time_s"][rows], expected)


def test_outcomes_match_the_tables() -> None:
    _, ep, s = small_bank()
    tx, camp = s["transactions"], s["campaigns"]
    for run in (0, 1):
        m = tx["run"] == run
        assert ep["transactions"][run] == m.sum()
        assert ep["fraud_transactions"][run] == tx["is_fraud"][m].sum()
        assert np.isclose(ep["fraud_share"][run], tx["is_fraud"][m].mean())
        c = camp["run"] == run
        assert ep["campaigns"][run] == c.sum()
        assert np.isclose(ep["losses"][run], camp["loss"][c].sum())
        undetected = camp["loss"][c & ~camp["detected"]].sum()
        assert np.isclose(ep["undetected_loss"][run], undetected)
        assert ep["any_undetected"][run] == (undetected > 0)
        placed = tx["amount"][m & (tx["phase"] == "placement") & tx["approved"]].sum()
        assert np.isclose(ep["laundered"][run], placed)
        assert ep["campaigns_friendly_fraud"][run] == 4


DRIFT = SMALL.replace("duration_s: 1728000           # 20 days", "duration_s: 2592000").replace(
    "  alerts:", """  drift:
    - {at_s: 1296000, campaign_weight: {card_testing: 0.25, app_scam: 4.0},
       online_share_delta: 0.2}
  alerts:""")


def test_drift_changes_the_mix_at_the_scheduled_time() -> None:
    _, _, s = simulate(DRIFT, runs=2, seed=3)
    camp, tx = s["campaigns"], s["transactions"]
    before, after = camp["start_s"] < 1296000, camp["start_s"] >= 1296000
    card = camp["typology"] == "card_testing"
    # card testing starts 4x less dense after the drift: expected share after = 0.2
    assert (card & after).sum() < (card & before).sum()
    app = camp["typology"] == "app_scam"
    assert (app & after).sum() > (app & before).sum()
    pay = (tx["channel"] == "online") | (tx["channel"] == "pos")
    early = pay & (tx["timestamp_s"] < 1296000)
    late = pay & (tx["timestamp_s"] >= 1296000)
    share_early = (tx["channel"][early] == "online").mean()
    share_late = (tx["channel"][late] == "online").mean()
    assert 0.15 < share_late - share_early < 0.25


COUNTS = """
schema_version: 1
name: counts
domain: fraud
duration_s: 259200
world:
  population:
    customers: {count: 300, segments: {families: 1.0}}
    merchants: {count: 40}
  campaigns:
    - {typology: card_testing, count: {poisson: 6}, cards: 2}
"""


def test_realised_campaign_counts_match_their_declared_mean() -> None:
    _, ep, s = simulate(COUNTS, runs=120, seed=11)
    counts = ep["campaigns_card_testing"]
    assert np.array_equal(counts, ep["world.campaigns.0.count"])
    # Poisson(6): the mean of 120 runs lies within 4 standard errors of 6
    assert abs(counts.mean() - 6) < 4 * np.sqrt(6 / 120)
    per_run = np.bincount(s["campaigns"]["run"], minlength=120)
    assert np.array_equal(per_run, counts)
