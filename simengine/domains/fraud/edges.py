"""An edge-list view of transactions for graph ML: one edge per (run, payer, payee)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["edge_list"]


def edge_list(tx: Mapping[str, np.ndarray], *, approved_only: bool = True
              ) -> dict[str, np.ndarray]:
    """Aggregate transactions into directed edges: ``run``, ``src_account``, ``dst_account``,
    ``transactions``, ``amount`` (sum), ``first_s``, ``last_s``, ``is_fraud`` (any fraudulent
    payment on the edge) and ``fraud_transactions``."""
    keep = np.asarray(tx["approved"], dtype=bool) if approved_only else slice(None)
    run = np.asarray(tx["run"])[keep]
    src = np.asarray(tx["src_account"])[keep]
    dst = np.asarray(tx["dst_account"])[keep]
    t = np.asarray(tx["timestamp_s"])[keep]
    amount = np.asarray(tx["amount"])[keep]
    fraud = np.asarray(tx["is_fraud"], dtype=bool)[keep]
    order = np.lexsort((dst, src, run))
    run, src, dst, t, amount, fraud = (a[order] for a in (run, src, dst, t, amount, fraud))
    start = np.flatnonzero(np.r_[True, (run[1:] != run[:-1]) | (src[1:] != src[:-1])
                                 | (dst[1:] != dst[:-1])]) if run.size else np.zeros(0, int)
    n_fraud = np.add.reduceat(fraud.astype(np.int64), start) if start.size else start
    return {
        "run": run[start],
        "src_account": src[start],
        "dst_account": dst[start],
        "transactions": np.diff(np.r_[start, run.size]).astype(np.int64),
        "amount": np.add.reduceat(amount, start) if start.size else amount[:0],
        "first_s": np.minimum.reduceat(t, start) if start.size else t[:0],
        "last_s": np.maximum.reduceat(t, start) if start.size else t[:0],
        "is_fraud": n_fraud > 0,
        "fraud_transactions": n_fraud.astype(np.int64),
    }
