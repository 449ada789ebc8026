"""Cards as their own identifiers, and chargebacks that move the disputed money back."""

from __future__ import annotations

import numpy as np

from tests.domains.fraud.helpers import small_bank

CARD_CHANNELS = ("pos", "online", "refund", "chargeback")


def _holder(tx: dict, rows: np.ndarray) -> np.ndarray:
    """The card holder's account of card rows: the payer of a payment, the payee of a refund
    or chargeback."""
    incoming = np.isin(tx["channel"][rows], ("refund", "chargeback"))
    return np.where(incoming, tx["dst_account"][rows], tx["src_account"][rows])


def test_card_rows_carry_a_card_and_other_rows_none() -> None:
    from simengine.domains.fraud.streams import TRANSACTION_COLUMNS

    _, _, s = small_bank()
    tx = s["transactions"]
    assert tuple(tx) == TRANSACTION_COLUMNS
    card_rows = np.isin(tx["channel"], CARD_CHANNELS)
    assert (tx["card_id"][card_rows] > 0).all()
    assert (tx["card_id"][~card_rows] == -1).all()


def test_every_card_belongs_to_one_account_and_accounts_hold_several() -> None:
    _, _, s = small_bank()
    tx, acc = s["transactions"], s["accounts"]
    for run in (0, 1):
        rows = np.flatnonzero((tx["run"] == run) & (tx["card_id"] > 0))
        pairs = np.unique(np.stack([tx["card_id"][rows], _holder(tx, rows)]), axis=1)
        cards, per_card = np.unique(pairs[0], return_counts=True)
        assert (per_card == 1).all()  # one holder per card
        a = acc["run"] == run
        # cards are not accounts: their ids never coincide
        assert not set(cards.tolist()) & set(acc["account_id"][a].tolist())
        held = dict(zip(acc["account_id"][a], acc["cards"][a], strict=True))
        holders, used = np.unique(pairs[1], return_counts=True)
        assert all(u <= held[h] for h, u in zip(holders, used, strict=True))
        assert (used >= 2).sum() > 100  # customers really pay with more than one card
        # declared {1: 0.6, 2: 0.3, 3: 0.1} cards per customer
        n = acc["cards"][a & (acc["kind"] == "customer")]
        for k, p in ((1, 0.6), (2, 0.3), (3, 0.1)):
            assert abs((n == k).mean() - p) < 4 * np.sqrt(p * (1 - p) / n.size)
        assert (acc["cards"][a & (acc["kind"] != "customer")] == 0).all()


def test_a_chargeback_returns_the_disputed_amount_from_the_merchant() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    index = {int(t): i for i, t in enumerate(tx["txn_id"])}
    cb = np.flatnonzero(tx["channel"] == "chargeback")
    assert cb.size > 50
    assert (tx["phase"][cb] == "chargeback").all() and tx["is_fraud"][cb].all()
    parent = np.array([index[int(p)] for p in tx["parent_txn_id"][cb]])
    assert np.isin(tx["channel"][parent], ("pos", "online")).all()
    assert tx["approved"][parent].all()  # a declined payment moved nothing to dispute
    assert np.array_equal(tx["amount"][cb], tx["amount"][parent])
    assert np.array_equal(tx["src_account"][cb], tx["dst_account"][parent])  # the merchant
    assert np.array_equal(tx["dst_account"][cb], tx["src_account"][parent])  # the holder
    assert np.array_equal(tx["card_id"][cb], tx["card_id"][parent])
    assert np.array_equal(tx["campaign_id"][cb], tx["campaign_id"][parent])
    assert (tx["timestamp_s"][cb] > tx["timestamp_s"][parent]).all()
    ok = tx["approved"][cb]
    assert ok.mean() > 0.9
    # the money moves: the holder gains exactly the amount, the merchant loses it
    assert np.allclose(tx["dst_balance_after"][cb][ok] - tx["dst_balance_before"][cb][ok],
                       tx["amount"][cb][ok], atol=1e-6)
    assert np.allclose(tx["src_balance_before"][cb][ok] - tx["src_balance_after"][cb][ok],
                       tx["amount"][cb][ok], atol=1e-6)
    # and the bank knows the disputed payment no later than its chargeback
    assert (tx["observed_time_s"][parent] <= tx["timestamp_s"][cb] + 1).all()


def test_friendly_fraud_purchases_are_all_disputed_after_the_declared_delay() -> None:
    from scipy.stats import norm

    _, ep, s = small_bank()
    tx = s["transactions"]
    ff = tx["typology"] == "friendly_fraud"
    buys = np.flatnonzero(ff & (tx["phase"] == "purchase") & tx["approved"])
    cbs = np.flatnonzero(ff & (tx["phase"] == "chargeback"))
    assert set(tx["parent_txn_id"][cbs].tolist()) <= set(tx["txn_id"][buys].tolist())
    # every purchase is disputed chargeback_delay_h ~ lognormal(median 96 h, sigma 0.7) later;
    # a chargeback row exists when that falls before the 20-day horizon
    left_h = (1728000 - tx["timestamp_s"][buys]) / 3600.0
    p = norm.cdf((np.log(left_h) - np.log(96.0)) / 0.7)
    assert abs(cbs.size - p.sum()) <= 4 * np.sqrt((p * (1 - p)).sum()) + 1
    for run in (0, 1):
        m = (tx["run"] == run) & (tx["channel"] == "chargeback") & tx["approved"]
        assert np.isclose(ep["charged_back"][run], tx["amount"][m].sum())
