"""Leak audit of a labeled table (PaySim's lesson: ids and balances must not give frauds away).

Two checks, both with 5-fold cross-validation on a sample (all positives up to half the sample,
then negatives drawn uniformly):

1. **Metadata AUC** — a gradient-boosted classifier sees only metadata: identifier columns
   (``*_id``, ``*_account``: the raw value, its low digits and its high bits), row order (the
   position in the corpus and within its run) and timestamp granularity (the second within the
   minute). A clean corpus gives AUC 0.5 ± ``tolerance`` (0.03). Ids are positive; a value
   ≤ 0 means the row has none (a transfer has no card): whether a row has an id is what kind
   of row it is (the channel, judged by the single-column check), not an id pattern, so those
   rows get values drawn from the column's present ids and only the ids' values are judged.
2. **Single-column AUC** of every non-label column: numbers by their rank, categories by
   out-of-fold target encoding; the AUC is folded to ≥ 0.5. A column above ``max_column_auc``
   (0.95) fails unless the scenario declares it an intended signal (``labels.intended_signals``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["AuditReport", "ColumnScore", "audit_corpus", "audit_table"]

FOLDS = 5
ID_SUFFIXES = ("_id", "_account")
DEFAULT_LABELS = ("is_fraud", "typology", "campaign_id", "phase", "parent_txn_id",
                  "confirmed_fraud", "observed_time_s", "role")


@dataclass(frozen=True)
class ColumnScore:
    name: str
    auc: float
    intended: bool = False


@dataclass(frozen=True)
class AuditReport:
    """What the audit found; ``ok`` when both checks pass."""

    table: str
    label: str
    rows: int
    positives: int
    metadata_auc: float
    metadata_features: tuple[str, ...]
    columns: tuple[ColumnScore, ...]
    tolerance: float = 0.03
    max_column_auc: float = 0.95
    skipped: tuple[str, ...] = field(default=())

    @property
    def metadata_ok(self) -> bool:
        return abs(self.metadata_auc - 0.5) <= self.tolerance

    @property
    def flagged(self) -> tuple[ColumnScore, ...]:
        return tuple(c for c in self.columns if c.auc > self.max_column_auc and not c.intended)

    @property
    def ok(self) -> bool:
        return self.metadata_ok and not self.flagged

    def format(self) -> str:
        lines = [f"leak audit of {self.table}.{self.label}: {self.rows:,} rows sampled, "
                 f"{self.positives:,} positive",
                 f"  metadata AUC {self.metadata_auc:.3f} (must be 0.5 ± {self.tolerance}) "
                 f"{'ok' if self.metadata_ok else 'LEAK'} "
                 f"[{', '.join(self.metadata_features)}]",
                 f"  single-column AUC (must be ≤ {self.max_column_auc} unless intended):"]
        for c in sorted(self.columns, key=lambda c: -c.auc):
            mark = "intended" if c.intended else ("LEAK" if c.auc > self.max_column_auc
                                                  else "ok")
            lines.append(f"    {c.name:<24} {c.auc:.3f}  {mark}")
        lines.append("PASS" if self.ok else "FAIL")
        return "\n".join(lines)


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    from scipy.stats import rankdata

    pos = int(y.sum())
    neg = y.size - pos
    if pos == 0 or neg == 0:
        return 0.5
    ranks = rankdata(score)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _fold_auc(y: np.ndarray, score: np.ndarray, fold: np.ndarray, k_folds: int) -> float:
    """The AUC within each fold, averaged (weighted by the fold's positives). Pooling the
    out-of-fold scores instead would compare scores of models trained on different folds:
    with folds split by run their base rates differ, each model's scores shift with its
    training base rate, and the pooled AUC of pure noise falls below 0.5."""
    total, weight = 0.0, 0
    for k in range(k_folds):
        test = fold == k
        pos = int(y[test].sum())
        if 0 < pos < int(test.sum()):
            total += pos * _auc(y[test], score[test])
            weight += pos
    return total / weight if weight else 0.5


def _folds(y: np.ndarray, run: np.ndarray | None, seed: int) -> tuple[np.ndarray, int]:
    """Fold of each row: by run when the sample holds two or more runs (ids are drawn per run,
    so only an id *pattern* — never one account's identity — can carry over to another run),
    else stratified by label."""
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    fold = np.zeros(y.size, dtype=np.int64)
    runs = np.unique(run) if run is not None else np.zeros(1)
    if runs.size >= 2:
        k = min(FOLDS, runs.size)
        split = GroupKFold(n_splits=k).split(np.zeros(y.size), y, groups=run)
    else:
        k = FOLDS
        split = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(
            np.zeros(y.size), y)
    for j, (_, test) in enumerate(split):
        fold[test] = j
    return fold, k


def _target_encoded(values: np.ndarray, y: np.ndarray, fold: np.ndarray, k_folds: int
                    ) -> np.ndarray:
    """Out-of-fold mean label per category (unseen categories: the prior)."""
    _, codes = np.unique(values.astype(str), return_inverse=True)
    out = np.empty(y.size)
    for k in range(k_folds):
        train, test = fold != k, fold == k
        n = np.bincount(codes[train], minlength=codes.max() + 1)
        s = np.bincount(codes[train], weights=y[train], minlength=codes.max() + 1)
        prior = y[train].mean()
        out[test] = ((s + prior) / (n + 1))[codes[test]]
    return out


def _order_in_second(t_s: np.ndarray) -> np.ndarray:
    """Each row's position among the rows stamped with the same second (the tie order a
    writer chose: appending frauds after legitimate rows would show here)."""
    n = t_s.size
    start = np.zeros(n, dtype=np.int64)
    if n:
        marks = np.flatnonzero(np.r_[True, t_s[1:] != t_s[:-1]])
        start[marks] = marks
        start = np.maximum.accumulate(start)
    return np.arange(n) - start


def _present_ids(col: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``col`` with its missing ids (≤ 0) replaced by draws from its present ones."""
    missing = col <= 0
    if not missing.any() or missing.all():
        return col
    out = col.copy()
    out[missing] = rng.choice(col[~missing], size=int(missing.sum()))
    return out


def _metadata(columns: Mapping[str, np.ndarray], order: np.ndarray, excluded: set[str],
              seed: int = 0) -> tuple[np.ndarray, list[str]]:
    feats = [order.astype(np.float64)]
    names = ["order_in_second"]
    rng = np.random.default_rng(seed)
    for name, col in columns.items():
        col = np.asarray(col)
        if name in excluded:
            continue
        if name.endswith(ID_SUFFIXES) and col.dtype.kind in "iu":
            col = _present_ids(col, rng)
            feats += [col.astype(np.float64), (col % 1000).astype(np.float64),
                      (col >> 40).astype(np.float64)]
            names += [name, f"{name}%1000", f"{name}>>40"]
        elif name.startswith("timestamp") and col.dtype.kind in "iuf":
            t = col.astype(np.float64)
            feats += [np.mod(t, 60.0), t - np.floor(t)]
            names += [f"{name}%60", f"{name}_fraction"]
    return np.column_stack(feats), names


def sample_rows(y: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """Sorted row positions: every positive up to half of ``max_rows``, then negatives drawn
    uniformly (the AUC does not depend on the class ratio)."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    if pos.size > max_rows // 2:
        pos = rng.choice(pos, max_rows // 2, replace=False)
    take = min(neg.size, max_rows - pos.size)
    if take < neg.size:
        neg = rng.choice(neg, take, replace=False)
    return np.sort(np.concatenate([pos, neg]))


def audit_table(columns: Mapping[str, np.ndarray], *, label: str = "is_fraud",
                table: str = "transactions", labels: Iterable[str] = DEFAULT_LABELS,
                intended: Iterable[str] = (), max_rows: int = 50_000, seed: int = 0,
                tolerance: float = 0.03, max_column_auc: float = 0.95,
                order: np.ndarray | None = None) -> AuditReport:
    """Audit one table given as numpy columns (see the module docstring)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import PredefinedSplit, cross_val_predict

    y_all = np.asarray(columns[label]).astype(bool)
    rows = sample_rows(y_all, max_rows, seed)
    y = y_all[rows]
    if order is None:
        t_key = next((k for k in columns if k.startswith("timestamp")), None)
        order = (_order_in_second(np.asarray(columns[t_key])) if t_key is not None
                 else np.zeros(y_all.size, dtype=np.int64))
    sample = {k: np.asarray(v)[rows] for k, v in columns.items()}
    fold, k_folds = _folds(y, sample.get("run"), seed)
    excluded = {label, "run", *labels}
    x, feat_names = _metadata(sample, np.asarray(order)[rows], excluded, seed)
    from threadpoolctl import threadpool_limits

    model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, random_state=seed)
    with threadpool_limits(limits=1):  # small fits: threads cost more than they give
        proba = cross_val_predict(model, x, y, cv=PredefinedSplit(fold),
                                  method="predict_proba")
    meta = _fold_auc(y, proba[:, 1], fold, k_folds)
    intended = set(intended)
    scores, skipped = [], []
    for name, col in sample.items():
        if name in excluded:
            continue
        if col.dtype.kind in "biuf":
            v = col.astype(np.float64)
            v = np.where(np.isnan(v), -1e300, v)
        elif col.dtype.kind in "OUS":
            v = _target_encoded(col, y, fold, k_folds)
        else:
            skipped.append(name)
            continue
        a = _auc(y, v)
        scores.append(ColumnScore(name, max(a, 1.0 - a), name in intended))
    return AuditReport(table, label, int(y.size), int(y.sum()), meta, tuple(feat_names),
                       tuple(scores), tolerance, max_column_auc, tuple(skipped))


def audit_corpus(path, *, table: str = "transactions", label: str = "is_fraud",
                 max_rows: int = 50_000, seed: int = 0) -> AuditReport:
    """Audit table ``table`` of the corpus at ``path``; intended signals come from the
    corpus scenario's ``labels.intended_signals``."""
    from simengine.corpus import open_corpus
    from simengine.errors import CorpusError
    from simengine.scenario.yaml_loader import load_yaml

    corpus = open_corpus(str(path))
    data = load_yaml(corpus.scenario_text, file="scenario.yaml").data
    labels_raw = (data.get("labels") or {}) if isinstance(data, dict) else {}
    intended = tuple(labels_raw.get("intended_signals", ()) or ())
    import pyarrow as pa

    arrow = corpus.table(table)
    if label not in arrow.column_names:
        raise CorpusError(f"table {table!r} has no label column {label!r}; columns: "
                          f"{', '.join(arrow.column_names)}", file=str(path))
    y = arrow.column(label).to_numpy(zero_copy_only=False).astype(bool)
    t_key = next((k for k in arrow.column_names if k.startswith("timestamp")), None)
    rows = sample_rows(y, max_rows, seed)
    cols = {}
    for name in arrow.column_names:
        col = arrow.column(name)
        if name == t_key:  # the tie order needs every row's timestamp
            continue
        col = col.take(pa.array(rows))
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        cols[name] = col.to_numpy(zero_copy_only=False)
    order = None
    if t_key is not None:
        order = _order_in_second(arrow.column(t_key).to_numpy(zero_copy_only=False))[rows]
        cols[t_key] = arrow.column(t_key).take(pa.array(rows)).to_numpy(zero_copy_only=False)
    return audit_table(cols, label=label, table=table, intended=intended, max_rows=max_rows,
                       seed=seed, order=order)
