"""The ledger: balances chain per account, money is conserved, no forbidden negative balance."""

from __future__ import annotations

import numpy as np

from tests.domains.fraud.helpers import small_bank


def _sides(tx, run):
    """Every (account, before, after) event of one run, in row order."""
    m = tx["run"] == run
    n = int(m.sum())
    acc = np.concatenate([tx["src_account"][m], tx["dst_account"][m]])
    before = np.concatenate([tx["src_balance_before"][m], tx["dst_balance_before"][m]])
    after = np.concatenate([tx["src_balance_after"][m], tx["dst_balance_after"][m]])
    order = np.concatenate([np.arange(n) * 2, np.arange(n) * 2 + 1])
    return acc, before, after, order


def test_balances_chain_per_account_over_whole_runs() -> None:
    _, _, streams = small_bank()
    tx, acc_table = streams["transactions"], streams["accounts"]
    for run in (0, 1):
        acc, before, after, order = _sides(tx, run)
        tracked = ~np.isnan(before)
        acc, before, after, order = acc[tracked], before[tracked], after[tracked], order[tracked]
        idx = np.lexsort((order, acc))
        acc, before, after = acc[idx], before[idx], after[idx]
        same = acc[1:] == acc[:-1]
        assert np.array_equal(after[:-1][same], before[1:][same])  # exact: integer cents
        # the first row of each account starts from its opening balance, the last ends at
        # its closing balance
        a = acc_table["run"] == run
        opening = dict(zip(acc_table["account_id"][a], acc_table["opening_balance"][a],
                           strict=True))
        closing = dict(zip(acc_table["account_id"][a], acc_table["closing_balance"][a],
                           strict=True))
        first = np.r_[True, ~same]
        last = np.r_[~same, True]
        assert all(opening[k] == v for k, v in zip(acc[first], before[first], strict=True))
        assert all(closing[k] == v for k, v in zip(acc[last], after[last], strict=True))


def test_each_row_moves_its_amount_or_nothing() -> None:
    _, _, streams = small_bank()
    tx = streams["transactions"]
    ok = tx["approved"]
    moved = np.where(ok, tx["amount"], 0.0)
    src = ~np.isnan(tx["src_balance_before"])
    dst = ~np.isnan(tx["dst_balance_before"])
    assert np.allclose((tx["src_balance_before"] - tx["src_balance_after"])[src], moved[src],
                       atol=1e-6)
    assert np.allclose((tx["dst_balance_after"] - tx["dst_balance_before"])[dst], moved[dst],
                       atol=1e-6)
    assert (tx["amount"] > 0).all()
    assert 0 < (~ok).mean() < 0.2  # declines happen, and stay the exception


def test_money_is_conserved_except_external_flows() -> None:
    _, _, streams = small_bank()
    tx, acc = streams["transactions"], streams["accounts"]
    for run in (0, 1):
        a = acc["run"] == run
        internal = a & ~np.isnan(acc["opening_balance"])
        delta = acc["closing_balance"][internal].sum() - acc["opening_balance"][internal].sum()
        t = (tx["run"] == run) & tx["approved"]
        inflow = tx["amount"][t & np.isnan(tx["src_balance_before"])].sum()
        outflow = tx["amount"][t & np.isnan(tx["dst_balance_before"])].sum()
        assert abs(delta - (inflow - outflow)) < 1e-3


def test_no_balance_below_the_declared_overdraft() -> None:
    _, _, streams = small_bank()
    tx, acc = streams["transactions"], streams["accounts"]
    limit = dict(zip(zip(acc["run"], acc["account_id"], strict=True), acc["overdraft_limit"],
                     strict=True))
    for side in ("src", "dst"):
        after = tx[f"{side}_balance_after"]
        neg = np.flatnonzero(after < 0)
        assert neg.size > 0 or side == "dst"
        floors = np.array([-limit[(r, k)] for r, k in zip(tx["run"][neg],
                                                           tx[f"{side}_account"][neg],
                                                           strict=True)])
        assert (after[neg] >= floors - 1e-9).all()


def test_rows_are_in_time_order_with_whole_second_stamps() -> None:
    _, _, streams = small_bank()
    tx = streams["transactions"]
    for run in (0, 1):
        t = tx["timestamp_s"][tx["run"] == run]
        assert t.dtype == np.int64 and (np.diff(t) >= 0).all()
