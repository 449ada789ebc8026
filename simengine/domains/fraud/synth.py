"""One window of the ledger: legitimate rows and illicit events merged in time and posted.

The posting kernel (Numba) walks the window's rows in time order and keeps every balance in
integer cents, so money is conserved exactly: each row moves its amount from payer to payee and
records both sides' balances before and after; a payer never goes below its floor (minus its
declared overdraft) — a payment that would is declined and moves nothing. External
counterparties (cash, payroll, other institutions) have no tracked balance: they are the only
places money enters or leaves. Illicit events resolve their amounts here (see
:mod:`typologies.base`): a drain takes what is there, a mule forwards what actually arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from simengine.domains.fraud.population import Population, random_ids
from simengine.domains.fraud.traffic import Rows
from simengine.domains.fraud.typologies.base import CAPPED, FIXED, Events

__all__ = ["Posted", "post_window"]


@nb.njit(cache=True)
def _post(src, dst, planned, mode, frac, parent, event, n_internal, balance, floor, executed,
          amount, approved, keep, sb, sa, db, da):  # pragma: no cover - compiled
    for k in range(src.size):
        s = src[k]
        d = dst[k]
        m = mode[k]
        if m == FIXED:
            a = planned[k]
        elif m == CAPPED:
            a = planned[k]
            if s < n_internal:
                avail = balance[s] - floor[s]
                cap = np.int64(np.floor(frac[k] * avail))
                if 0 < cap < a:
                    a = cap
        else:
            p = parent[k]
            a = np.int64(np.floor(frac[k] * executed[p] + 0.5)) if p >= 0 else np.int64(0)
            if a <= 0:
                keep[k] = False
                continue
        ok = s >= n_internal or balance[s] - a >= floor[s]
        amount[k] = a
        approved[k] = ok
        if s < n_internal:
            sb[k] = balance[s]
            if ok:
                balance[s] -= a
            sa[k] = balance[s]
        if d < n_internal:
            db[k] = balance[d]
            if ok:
                balance[d] += a
            da[k] = balance[d]
        e = event[k]
        if e >= 0:
            executed[e] = a if ok else 0


@dataclass
class Posted:
    """A window's posted rows in time order (account indices, cents)."""

    t_s: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    cents: np.ndarray
    approved: np.ndarray
    src_before: np.ndarray
    src_after: np.ndarray
    dst_before: np.ndarray
    dst_after: np.ndarray
    channel: np.ndarray
    mcc: np.ndarray
    new_device: np.ndarray
    event: np.ndarray        # illicit event index, -1 for legitimate rows
    txn_id: np.ndarray

    def __len__(self) -> int:
        return int(self.t_s.size)


def post_window(rows: Rows, events: Events, lo: int, hi: int, pop: Population,
                balance: np.ndarray, executed: np.ndarray,
                rng: np.random.Generator) -> Posted:
    """Merge ``rows`` with events ``lo:hi`` (those of this window), sort by time and post them,
    updating ``balance`` and ``executed`` in place. Legitimate rows get random ids from
    ``rng``."""
    n, e = len(rows), hi - lo
    legit_ids = random_ids(rng, n)
    t = np.concatenate([rows.t_s, events.t_s[lo:hi]])
    order = np.argsort(t, kind="stable")

    def cat(a, b):
        return np.concatenate([a, b])[order]

    src = cat(rows.src, events.src[lo:hi])
    dst = cat(rows.dst, events.dst[lo:hi])
    planned = cat(rows.cents, events.planned_cents[lo:hi])
    mode = cat(np.zeros(n, np.int8), events.mode[lo:hi])
    frac = cat(np.ones(n), events.frac[lo:hi])
    parent = cat(np.full(n, -1, np.int64), events.parent[lo:hi])
    event = cat(np.full(n, -1, np.int64), np.arange(lo, hi, dtype=np.int64))
    m = n + e
    amount = np.zeros(m, np.int64)
    approved = np.zeros(m, np.bool_)
    keep = np.ones(m, np.bool_)
    sb, sa, db, da = (np.zeros(m, np.int64) for _ in range(4))
    _post(src, dst, planned, mode, frac, parent, event, pop.internal, balance, pop.floor_cents,
          executed, amount, approved, keep, sb, sa, db, da)
    idx = order if keep.all() else order[keep]
    sel = slice(None) if keep.all() else keep
    return Posted(t[idx], src[sel], dst[sel], amount[sel], approved[sel], sb[sel], sa[sel],
                  db[sel], da[sel], cat(rows.channel, events.channel[lo:hi])[sel],
                  cat(rows.mcc, events.mcc[lo:hi])[sel],
                  cat(rows.new_device, events.new_device[lo:hi])[sel], event[sel],
                  cat(legit_ids, events.txn_id[lo:hi])[sel])
