"""One window of the ledger: legitimate rows and illicit events merged in time and posted.

The posting kernel (Numba) walks the window's rows in time order and keeps every balance in
integer cents, so money is conserved exactly: each row moves its amount from payer to payee and
records both sides' balances before and after (in currency units, as the table writes them:
NaN for external counterparties); a payer never goes below its floor (minus its
declared overdraft) — a payment that would is declined and moves nothing. External
counterparties (cash, payroll, other institutions) have no tracked balance: they are the only
places money enters or leaves. Illicit events resolve their amounts here (see
:mod:`typologies.base`): a drain takes what is there, a mule forwards what actually arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.fraud.population import Population, random_ids
from simengine.domains.fraud.traffic import Rows
from simengine.domains.fraud.typologies.base import CAPPED, FIXED, OF_PARENT, SHARE, Events

__all__ = ["Posted", "post_window"]


@nb.njit(cache=True)
def _amount(k, s, m, planned, frac, parent, balance, floor, executed,
            n_internal):  # pragma: no cover - compiled
    """Cents moved by event ``k`` of mode ``m`` paid by ``s`` (OF_PARENT ≤ 0: drop it)."""
    a = planned[k]
    if m == CAPPED:
        if s < n_internal:
            cap = np.int64(np.floor(frac[k] * (balance[s] - floor[s])))
            if 0 < cap < a:
                a = cap
    elif m == SHARE:
        if s < n_internal:
            share = np.int64(np.floor(frac[k] * (balance[s] - floor[s])))
            if share > 0:
                a = share
    elif m != FIXED:
        p = parent[k]
        a = np.int64(np.floor(frac[k] * executed[p] + 0.5)) if p >= 0 else np.int64(0)
    return a


@nb.njit(cache=True)
def _post(lt, lsrc, ldst, lcents, lchannel, lmcc, ldevice, lcard, lid,
          et, esrc, edst, planned, mode, frac, parent, echannel, emcc, edevice, ecard, eid,
          lo, n_internal, balance, floor, executed,
          t, src, dst, amount, approved, sb, sa, db, da, channel, mcc, device, card, event,
          txn_id):  # pragma: no cover - compiled
    """Merge the legitimate rows and the window's events in time (legitimate first at equal
    times) and post them; returns the number of rows written (dropped events are skipped).
    Balances are recorded in currency units right here (NaN: not tracked), while the row is at
    hand: converting them in a later pass cost a second read of four columns per row."""
    n, e = lt.size, et.size
    i = j = out = 0
    while i < n or j < e:
        if j < e and (i >= n or et[j] < lt[i]):
            s, d = esrc[j], edst[j]
            a = _amount(j, s, mode[j], planned, frac, parent, balance, floor, executed,
                        n_internal)
            if mode[j] == OF_PARENT and a <= 0:
                j += 1
                continue
            t[out], channel[out], mcc[out] = et[j], echannel[j], emcc[j]
            device[out], card[out], txn_id[out] = edevice[j], ecard[j], eid[j]
            event[out] = lo + j
            j += 1
        else:
            s, d, a = lsrc[i], ldst[i], lcents[i]
            t[out], channel[out], mcc[out] = lt[i], lchannel[i], lmcc[i]
            device[out], card[out], txn_id[out] = ldevice[i], lcard[i], lid[i]
            event[out] = -1
            i += 1
        ok = s >= n_internal or balance[s] - a >= floor[s]
        src[out], dst[out], amount[out], approved[out] = s, d, a, ok
        sb[out] = sa[out] = db[out] = da[out] = np.nan
        if s < n_internal:
            sb[out] = balance[s] / 100.0
            if ok:
                balance[s] -= a
            sa[out] = balance[s] / 100.0
        if d < n_internal:
            db[out] = balance[d] / 100.0
            if ok:
                balance[d] += a
            da[out] = balance[d] / 100.0
        if event[out] >= 0:
            executed[event[out]] = a if ok else 0
        out += 1
    return out


@dataclass
class Posted:
    """A window's posted rows in time order (account indices, cents)."""

    t_s: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    cents: np.ndarray
    approved: np.ndarray
    src_before: np.ndarray   # balances in currency units (NaN: external, not tracked)
    src_after: np.ndarray
    dst_before: np.ndarray
    dst_after: np.ndarray
    channel: np.ndarray
    mcc: np.ndarray
    new_device: np.ndarray
    event: np.ndarray        # illicit event index, -1 for legitimate rows
    txn_id: np.ndarray
    card: np.ndarray         # card index, -1: none

    def __len__(self) -> int:
        return int(self.t_s.size)


def post_window(rows: Rows, events: Events, lo: int, hi: int, pop: Population,
                balance: np.ndarray, executed: np.ndarray,
                rng: np.random.Generator) -> Posted:
    """Merge ``rows`` (in time order) with events ``lo:hi`` (those of this window) and post
    them, updating ``balance`` and ``executed`` in place. Legitimate rows get random ids from
    ``rng``."""
    n, e = len(rows), hi - lo
    legit_ids = random_ids(rng, n)
    m = n + e
    t = np.empty(m)
    src, dst, amount, card, event, txn_id = (np.empty(m, np.int64) for _ in range(6))
    sb, sa, db, da = (np.empty(m) for _ in range(4))
    approved, device = np.empty(m, np.bool_), np.empty(m, np.bool_)
    channel, mcc = np.empty(m, np.int8), np.empty(m, np.int16)
    ev = slice(lo, hi)
    k = _post(rows.t_s, rows.src, rows.dst, rows.cents, rows.channel, rows.mcc,
              rows.new_device, rows.card, legit_ids, events.t_s[ev], events.src[ev],
              events.dst[ev], events.planned_cents[ev], events.mode[ev], events.frac[ev],
              events.parent[ev], events.channel[ev], events.mcc[ev], events.new_device[ev],
              events.card[ev], events.txn_id[ev], lo, pop.internal, balance,
              pop.floor_cents, executed, t, src, dst, amount, approved, sb, sa, db, da,
              channel, mcc, device, card, event, txn_id)
    cut = slice(None) if k == m else slice(0, k)
    return Posted(t[cut], src[cut], dst[cut], amount[cut], approved[cut], sb[cut], sa[cut],
                  db[cut], da[cut], channel[cut], mcc[cut], device[cut], event[cut],
                  txn_id[cut], card[cut])
