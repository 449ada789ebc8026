"""Bust-out (build, max out, vanish) and merchant collusion (fake sales, refunds to the ring)."""

from __future__ import annotations

import numpy as np

from tests.domains.fraud.helpers import small_bank


def _accounts(acc: dict, run: int, column: str) -> dict:
    a = acc["run"] == run
    return dict(zip(acc["account_id"][a], acc[column][a], strict=True))


def test_bust_out_builds_history_then_maxes_out_the_line_and_vanishes() -> None:
    _, _, s = small_bank()
    tx, acc, camp = s["transactions"], s["accounts"], s["campaigns"]
    seen = unused = 0
    for c in np.unique(tx["campaign_id"][tx["typology"] == "bust_out"]):
        m = tx["campaign_id"] == c
        run = int(tx["run"][m][0])
        build = np.flatnonzero(m & (tx["phase"] == "build"))
        bust = np.flatnonzero(m & (tx["phase"] == "bust"))
        start = camp["start_s"][(camp["run"] == run) & (camp["campaign_id"] == c)][0]
        if bust.size == 0:
            continue
        who = tx["src_account"][bust[0]]
        role = _accounts(acc, run, "role")[who]
        limit = _accounts(acc, run, "overdraft_limit")[who]
        assert role == "fraudster" and 3000 <= limit <= 6000
        # build phase: 6-12 days of card purchases and cash repayments, all before the bust
        assert tx["timestamp_s"][build].max() <= tx["timestamp_s"][bust].min()
        days = (tx["timestamp_s"][bust].min() - start) / 86400
        assert 6 - 1e-5 <= days <= 12 + 1e-5
        assert set(tx["channel"][build]) <= {"pos", "online", "deposit"}
        assert (tx["channel"][build] == "deposit").any()
        # every bust purchase is on the same card; the last approved one leaves the account
        # exactly at its floor, -credit_limit (to the cent)
        assert np.unique(tx["card_id"][bust]).size == 1
        ok = bust[tx["approved"][bust]]
        assert tx["src_balance_after"][ok[-1]] == -limit
        # ... so together they take everything available when the bust starts (more when
        # money arrives meanwhile), which is the whole line when the build left it unused
        before = tx["src_balance_before"][bust[0]]
        assert tx["amount"][ok].sum() >= before + limit - 0.005
        unused += before >= 0
        # it vanishes: no payment of its own (and no salary or deposit) after the bust starts
        after = (tx["run"] == run) & (tx["timestamp_s"] >= tx["timestamp_s"][bust[0]])
        own = after & ~m & ((tx["src_account"] == who)
                            | ((tx["dst_account"] == who)
                               & np.isin(tx["channel"], ("salary", "deposit", "refund"))))
        assert not (own & ~tx["is_fraud"]).any()
        seen += 1
    assert seen >= 3 and unused >= 2


def test_collusion_fake_sales_refund_to_the_ring_who_cash_out() -> None:
    _, _, s = small_bank()
    tx, acc = s["transactions"], s["accounts"]
    index = {int(t): i for i, t in enumerate(tx["txn_id"])}
    camps = np.unique(tx["campaign_id"][tx["typology"] == "merchant_collusion"])
    assert camps.size >= 4
    for c in camps:
        m = tx["campaign_id"] == c
        run = int(tx["run"][m][0])
        roles = _accounts(acc, run, "role")
        sales = np.flatnonzero(m & (tx["phase"] == "fake_sale"))
        refunds = np.flatnonzero(m & (tx["phase"] == "refund"))
        merchant = np.unique(tx["dst_account"][sales])
        assert merchant.size == 1 and roles[merchant[0]] == "fraudster"
        assert np.unique(tx["src_account"][sales]).size == sales.size  # one card per victim
        assert {roles[v] for v in tx["src_account"][sales]} <= {"victim", "mule", "fraudster",
                                                                  "accomplice"}
        for r in refunds:
            sale = index[int(tx["parent_txn_id"][r])]
            assert tx["phase"][sale] == "fake_sale"
            assert tx["src_account"][r] == merchant[0] and tx["channel"][r] == "refund"
            assert tx["timestamp_s"][r] >= tx["timestamp_s"][sale]
            # refund_share 0.75 of what the sale took, to the cent
            assert abs(tx["amount"][r] - round(0.75 * tx["amount"][sale], 2)) <= 0.011
            ring = tx["dst_account"][r]
            assert roles[ring] in ("accomplice", "mule", "fraudster")
            # refund fraud: the money goes to another card than the one that paid
            assert tx["card_id"][r] != tx["card_id"][sale] and ring != tx["src_account"][sale]
            assert not np.isin(tx["card_id"][r], tx["card_id"][sales])
        cash = np.flatnonzero(m & (tx["phase"] == "cash_out"))
        for k in cash:
            refund = index[int(tx["parent_txn_id"][k])]
            assert tx["phase"][refund] == "refund" and tx["channel"][k] == "atm"
            assert tx["src_account"][k] == tx["dst_account"][refund]
            assert tx["amount"][k] == tx["amount"][refund]
    assert (tx["phase"] == "refund").sum() > 10
