"""Structural signatures of the typologies, read back from the transactions table."""

from __future__ import annotations

import numpy as np

from tests.domains.fraud.helpers import small_bank


def _rows(tx, typology, phase=None):
    m = tx["typology"] == typology
    if phase is not None:
        m &= tx["phase"] == phase
    return np.flatnonzero(m)


def _by_id(tx):
    return {int(t): i for i, t in enumerate(tx["txn_id"])}


def test_every_typology_and_phase_appears_with_its_parent_earlier() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    found = set(zip(tx["typology"][tx["is_fraud"]], tx["phase"][tx["is_fraud"]], strict=True))
    for pair in [("card_testing", "testing"), ("card_testing", "burst"),
                 ("friendly_fraud", "purchase"), ("account_takeover", "takeover"),
                 ("account_takeover", "drain"), ("account_takeover", "cash_out"),
                 ("app_scam", "trust"), ("app_scam", "scam"), ("app_scam", "cash_out"),
                 ("structuring", "placement"), ("fan_out", "layering"), ("cycle", "layering"),
                 ("fan_in", "layering"), ("bipartite", "layering"), ("stack", "layering"),
                 ("integration", "integration")]:
        assert pair in found, pair
    ids = _by_id(tx)
    child = np.flatnonzero(tx["parent_txn_id"] >= 0)
    parent = np.array([ids[int(p)] for p in tx["parent_txn_id"][child]])
    assert (tx["timestamp_s"][parent] <= tx["timestamp_s"][child]).all()
    assert (tx["campaign_id"][parent] == tx["campaign_id"][child]).all()
    assert (tx["campaign_id"][~tx["is_fraud"]] == -1).all()
    assert (tx["typology"][~tx["is_fraud"]] == "none").all()


def test_structuring_deposits_stay_below_the_threshold() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    dep = _rows(tx, "structuring")
    assert dep.size > 0
    assert (tx["channel"][dep] == "deposit").all()
    assert (tx["amount"][dep] <= 10000 - 1).all() and (tx["amount"][dep] >= 8000).all()


def test_cycle_returns_to_its_origin_minus_the_margin_per_hop() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    ids = _by_id(tx)
    cyc = _rows(tx, "cycle")
    assert cyc.size > 0 and tx["approved"][cyc].all()
    closed = 0
    for i in cyc:
        # each hop forwards (1 - 0.1) of what its parent moved (to the cent)
        p = ids[int(tx["parent_txn_id"][i])]
        assert abs(tx["amount"][i] - 0.9 * tx["amount"][p]) <= 0.011
        if tx["typology"][p] != "cycle":  # the first hop of a ring: follow it round
            start, hops, cur = tx["src_account"][i], 1, i
            while True:
                nxt = np.flatnonzero((tx["parent_txn_id"] == tx["txn_id"][cur])
                                     & (tx["typology"] == "cycle"))
                if nxt.size == 0:
                    break
                cur, hops = int(nxt[0]), hops + 1
            if hops < 4:  # the ring's next hop (2-10 h later) fell after the horizon
                assert tx["timestamp_s"][cur] > 1728000 - 10 * 3600
                continue
            assert tx["dst_account"][cur] == start
            expected = tx["amount"][i] * 0.9 ** 3
            assert abs(tx["amount"][cur] - expected) <= 0.05
            closed += 1
    assert closed > 0


def test_fan_out_has_the_declared_degree_and_fan_in_one_collector() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    out = _rows(tx, "fan_out")
    parents, counts = np.unique(tx["parent_txn_id"][out], return_counts=True)
    # every holder pays 5 new accounts, each 2-10 h after the money arrived: all 5 unless the
    # 20-day horizon cuts some off
    ids = _by_id(tx)
    t_parent = np.array([tx["timestamp_s"][ids[int(p)]] for p in parents])
    whole = t_parent + 10 * 3600 < 1728000
    assert whole.sum() >= 5 and (counts[whole] == 5).all() and (counts <= 5).all()
    fin = _rows(tx, "fan_in")
    for c in np.unique(tx["campaign_id"][fin]):
        m = fin[tx["campaign_id"][fin] == c]
        assert np.unique(tx["dst_account"][m]).size == 1
        assert np.unique(tx["src_account"][m]).size == m.size >= 2


def test_takeover_probe_then_drain_to_mules_then_cash_out() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    for c in np.unique(tx["campaign_id"][_rows(tx, "account_takeover")]):
        m = (tx["campaign_id"] == c)
        t = {ph: tx["timestamp_s"][m & (tx["phase"] == ph)]
             for ph in ("takeover", "drain", "cash_out")}
        assert t["takeover"].size == 1
        assert t["takeover"].max() <= t["drain"].min() <= t["cash_out"].min()
        drains = m & (tx["phase"] == "drain") & tx["approved"]
        assert (tx["amount"][drains] <= 800).all()
        assert tx["new_device"][m & (tx["phase"] != "cash_out")].all()
        cash = m & (tx["phase"] == "cash_out")
        assert (tx["channel"][cash] == "atm").all()
        # mules are the drains' payees; each withdraws 90 % of what it received
        assert set(tx["src_account"][cash]) <= set(tx["dst_account"][drains])


def test_app_trust_phase_precedes_the_scam_payments() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    camps = np.unique(tx["campaign_id"][_rows(tx, "app_scam")])
    assert camps.size > 0
    for c in camps:
        m = tx["campaign_id"] == c
        trust = tx["timestamp_s"][m & (tx["phase"] == "trust")]
        scam = tx["timestamp_s"][m & (tx["phase"] == "scam")]
        if scam.size:
            assert trust.max() <= scam.min()
            assert np.median(tx["amount"][m & (tx["phase"] == "trust")]) < \
                np.median(tx["amount"][m & (tx["phase"] == "scam")])


def test_account_roles_match_the_transactions() -> None:
    _, _, s = small_bank()
    tx, acc = s["transactions"], s["accounts"]
    role = dict(zip(zip(acc["run"], acc["account_id"], strict=True), acc["role"], strict=True))
    cash = tx["phase"] == "cash_out"
    atm = cash & (tx["typology"] == "account_takeover")
    assert {role[(r, a)] for r, a in zip(tx["run"][atm], tx["src_account"][atm],
                                         strict=True)} <= {"mule", "fraudster"}
    drain = tx["phase"] == "drain"
    assert {role[(r, a)] for r, a in zip(tx["run"][drain], tx["src_account"][drain],
                                         strict=True)} <= {"victim", "mule", "fraudster",
                                                           "accomplice"}
    assert (acc["role"] == "normal").mean() > 0.9
