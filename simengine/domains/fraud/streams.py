"""The recorded tables of one run: transactions, accounts, campaigns, alerts.

Money columns are in currency units (``amount``; balances before/after of both sides, NaN for
the external counterparties, whose balances are not tracked). ``card_id`` is the card of a card
payment, refund or chargeback (-1 for transfers, ATM, deposits and salaries). Ids are the
population's random ids. Label columns of ``transactions``: ``is_fraud`` (the row belongs to a
campaign, chargebacks that reverse it included), ``typology``, ``campaign_id`` (-1: none),
``phase``, ``parent_txn_id`` (the causal parent, -1: none), ``confirmed_fraud`` and
``observed_time_s`` (what the bank knows by the horizon, and since when; NaN: never).
"""

from __future__ import annotations

from collections.abc import Sequence

import numba as nb
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.fraud.codes import CHANNELS, PHASES, ROLES, RULES, TYPOLOGIES
from simengine.domains.fraud.population import EXTERNALS, Population
from simengine.domains.fraud.synth import Posted
from simengine.domains.fraud.typologies.base import Events
from simengine.domains.fraud.world import OUTCOMES

__all__ = ["LABEL_COLUMNS", "TRANSACTION_COLUMNS", "account_table", "alert_table",
           "campaign_table", "category", "transaction_table"]

LABEL_COLUMNS = ("is_fraud", "typology", "campaign_id", "phase", "parent_txn_id",
                 "confirmed_fraud", "observed_time_s")
"""Columns of ``transactions`` that are labels (the leak audit never uses them as features)."""
TRANSACTION_COLUMNS = ("run", "txn_id", "timestamp_s", "src_account", "dst_account", "card_id",
                       "amount", "channel", "mcc", "approved", "new_device",
                       "src_balance_before", "src_balance_after", "dst_balance_before",
                       "dst_balance_after", *LABEL_COLUMNS)
"""Columns of ``transactions``, in order."""


def category(names: Sequence[str], codes: np.ndarray) -> np.ndarray:
    """A string column from small integer codes."""
    try:
        from simengine.categorical import categorical
    except ImportError:
        return np.asarray(list(names), dtype=object)[np.asarray(codes, dtype=np.int64)]
    return categorical(codes, tuple(names))


def _money(cents: np.ndarray, external: np.ndarray | None = None) -> np.ndarray:
    out = cents / 100.0
    if external is not None:
        out[external] = np.nan
    return out


@nb.njit(cache=True)
def _row_columns(t_s, src, dst, card, cents, account_id, card_id):  # pragma: no cover - compiled
    """The per-row columns of ``transactions`` in one pass: whole-second timestamps, the
    accounts' and cards' random ids, and amounts in currency units (the balances are posted
    in currency units already: :class:`synth.Posted`)."""
    n = t_s.size
    ts = np.empty(n, np.int64)
    sid = np.empty(n, np.int64)
    did = np.empty(n, np.int64)
    cid = np.empty(n, np.int64)
    amount = np.empty(n)
    for i in range(n):
        ts[i] = np.int64(np.floor(t_s[i]))
        sid[i] = account_id[src[i]]
        did[i] = account_id[dst[i]]
        cid[i] = card_id[card[i]] if card[i] >= 0 else -1
        amount[i] = cents[i] / 100.0
    return ts, sid, did, cid, amount


def transaction_table(run: int, p: Posted, pop: Population, events: Events,
                      campaign_id: np.ndarray, observed_s: np.ndarray, fp_ids: np.ndarray,
                      fp_time_s: np.ndarray, fp_at_s: np.ndarray) -> dict[str, np.ndarray]:
    """One row per posted transaction of a window, with labels. ``observed_s`` per event;
    ``fp_ids``/``fp_time_s``/``fp_at_s`` (sorted by id) the legitimate rows confirmed by a
    review, when they were confirmed and their own times."""
    n = len(p)
    fraud = p.event >= 0
    rows = np.flatnonzero(fraud)  # labels are scattered to the few illicit rows only
    k = p.event[rows]

    def label(values: np.ndarray, empty, dtype) -> np.ndarray:
        out = np.full(n, empty, dtype=dtype)
        out[rows] = values
        return out

    parent_event = events.parent[k]
    parent = np.where(parent_event >= 0, events.txn_id[np.maximum(parent_event, 0)], -1)
    observed = label(observed_s[k], np.nan, np.float64)
    # only the confirmed rows of this window's time span are looked up (most windows have none)
    here = (fp_at_s >= p.t_s[0]) & (fp_at_s <= p.t_s[-1]) if n else np.zeros(0, bool)
    if here.any():
        ids, times = fp_ids[here], fp_time_s[here]
        pos = np.minimum(np.searchsorted(ids, p.txn_id), ids.size - 1)
        fp = np.flatnonzero(~fraud & (ids[pos] == p.txn_id))
        observed[fp] = times[pos[fp]]
    ts, sid, did, cid, amount = _row_columns(p.t_s, p.src, p.dst, p.card, p.cents,
                                             pop.account_id, pop.card_id)
    return {
        "run": np.full(n, run, dtype=np.int64),
        "txn_id": p.txn_id,
        "timestamp_s": ts,
        "src_account": sid,
        "dst_account": did,
        "card_id": cid,
        "amount": amount,
        "channel": category(CHANNELS, p.channel),
        "mcc": p.mcc,
        "approved": p.approved,
        "new_device": p.new_device,
        "src_balance_before": p.src_before,
        "src_balance_after": p.src_after,
        "dst_balance_before": p.dst_before,
        "dst_balance_after": p.dst_after,
        "is_fraud": fraud,
        "typology": category(TYPOLOGIES, label(events.typology[k], 0, np.int8)),
        "campaign_id": label(campaign_id[events.campaign[k]], -1, np.int64),
        "phase": category(PHASES, label(events.phase[k], 0, np.int8)),
        "parent_txn_id": label(parent, -1, np.int64),
        "confirmed_fraud": ~np.isnan(observed),
        "observed_time_s": observed,
    }


def account_table(run: int, pop: Population, roles: np.ndarray,
                  closing_cents: np.ndarray) -> dict[str, np.ndarray]:
    """One row per account: who holds it, its role (label) and balances."""
    c, m, a = pop.customers, pop.merchants, pop.accounts
    kind = np.concatenate([np.zeros(c, np.int64), np.ones(m, np.int64),
                           np.full(len(EXTERNALS), 2, np.int64)])
    seg = np.concatenate([pop.segment + 1, np.zeros(a - c, np.int64)])
    age = np.concatenate([pop.age_band + 1, np.zeros(a - c, np.int64)])
    region = np.concatenate([pop.region, pop.merchant_region, np.full(len(EXTERNALS), -1)])
    external = np.arange(a) >= pop.internal
    return {
        "run": np.full(a, run, dtype=np.int64),
        "account_id": pop.account_id,
        "kind": category(("customer", "merchant", *EXTERNALS), np.where(
            external, 2 + np.arange(a) - pop.internal, kind)),
        "bank": pop.bank,
        "segment": category(("", *pop.segment_names), seg),
        "age_band": category(("", *pop.age_band_names), age),
        "region": region.astype(np.int64),
        "cards": np.concatenate([pop.card_count, np.zeros(a - c, np.int64)]),
        "role": category(ROLES, roles),
        "opening_balance": _money(pop.opening_cents.astype(np.int64), external),
        "overdraft_limit": _money(-pop.floor_cents, external),
        "closing_balance": _money(closing_cents.copy(), external),
    }


def campaign_table(run: int, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One row per campaign (columns computed by the run)."""
    n = len(next(iter(columns.values()))) if columns else 0
    return {"run": np.full(n, run, dtype=np.int64), **columns}


def alert_table(run: int, alert_id: np.ndarray, txn_id: np.ndarray, rule: np.ndarray,
                t_s: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, outcome: np.ndarray,
                is_fraud: np.ndarray) -> dict[str, np.ndarray]:
    """One row per alert: the rule, the review and its outcome, and the truth."""
    return {
        "run": np.full(alert_id.size, run, dtype=np.int64),
        "alert_id": alert_id,
        "txn_id": txn_id,
        "rule": category(RULES, rule),
        "alert_time_s": t_s,
        "review_start_s": start_s,
        "review_end_s": end_s,
        "outcome": category(OUTCOMES, outcome),
        "is_fraud": is_fraud,
    }
