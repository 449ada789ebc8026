"""Per-run outcomes and per-campaign summaries, from pass 1 of a run.

Outcome columns (one row per run):

- ``transactions``, ``fraud_transactions``, ``fraud_share`` (fraudulent rows / rows),
  ``declined_share``;
- ``campaigns`` and ``campaigns_<name>`` per campaign entry (realised instances);
- ``campaigns_detected``, ``detected_share`` (fraudulent rows the bank knows by the horizon /
  fraudulent rows; 0 when there are none);
- ``blocked_campaigns`` (campaigns the bank stopped on a report or dispute; 0 unless
  ``alerts.block_on_detection``);
- ``losses`` (money taken from victims: card testing and bursts, disputed purchases, takeover
  probes and drains, scam payments, fake sales, bust-out purchases), ``charged_back`` (money
  moved back to card holders by chargebacks), ``laundered`` (cash placed by laundering
  campaigns), ``max_campaign_loss``;
- ``undetected_loss`` (losses of campaigns not detected by the horizon) and ``any_undetected``
  (bool, margin ``undetected_loss``: > 0 exactly when some undetected campaign took money);
- ``alerts``, ``false_positives`` (legitimate rows confirmed by a review), ``expired_alerts``,
  ``open_alerts`` (still queued or in review at the horizon).
"""

from __future__ import annotations

import numpy as np

from simengine.domains.fraud.codes import BLOCK_CAUSES, LOSS_PHASES, PHASES
from simengine.domains.fraud.world import CONFIRMED, EXPIRED, OPEN

__all__ = ["INTS", "campaign_columns", "outcome_names", "run_outcomes"]

INTS = ("transactions", "fraud_transactions", "campaigns", "campaigns_detected",
        "blocked_campaigns", "alerts", "false_positives", "expired_alerts", "open_alerts")
LOSS_CODES = tuple(PHASES.index(p) for p in LOSS_PHASES)
CHARGEBACK_PHASE = PHASES.index("chargeback")


def outcome_names(labels: tuple[str, ...]) -> tuple[str, ...]:
    per = tuple(f"campaigns_{x}" for x in dict.fromkeys(labels))
    return ("transactions", "fraud_transactions", "fraud_share", "declined_share", "campaigns",
            *per, "campaigns_detected", "blocked_campaigns", "detected_share", "losses",
            "charged_back", "laundered", "max_campaign_loss", "undetected_loss",
            "any_undetected", "alerts", "false_positives", "expired_alerts", "open_alerts")


def _per_campaign(res) -> tuple[np.ndarray, np.ndarray]:
    ev = res.prep.plan.events
    k = res.prep.plan.entry.size
    ok_cents = np.where(res.event_ok, res.event_cents, 0)
    loss = np.zeros(k)
    np.add.at(loss, ev.campaign, np.where(np.isin(ev.phase, LOSS_CODES), ok_cents, 0) / 100.0)
    moved = np.zeros(k)
    np.add.at(moved, ev.campaign, ok_cents / 100.0)
    return loss, moved


def run_outcomes(res, labels: tuple[str, ...]) -> dict[str, float]:
    plan = res.prep.plan
    ev = plan.events
    fraud_rows = int(res.event_posted.sum())
    observed = int(np.sum(~np.isnan(res.observed_s))) if len(ev) else 0
    loss, _ = _per_campaign(res)
    detected = ~np.isnan(res.observations.detected_s)
    placement = ev.phase == PHASES.index("placement")
    outcome = res.reviews.outcome
    is_fraud = res.alerts["event"] >= 0
    out: dict[str, float] = {
        "transactions": res.rows,
        "fraud_transactions": fraud_rows,
        "fraud_share": fraud_rows / max(res.rows, 1),
        "declined_share": res.declined / max(res.rows, 1),
        "campaigns": int(plan.entry.size),
    }
    for j, label in enumerate(labels):
        key = f"campaigns_{label}"
        out[key] = out.get(key, 0) + int(np.sum(plan.entry == j))
    undetected = float(loss[~detected].sum())
    out.update({
        "campaigns_detected": int(detected.sum()),
        "blocked_campaigns": int(np.sum(~np.isnan(plan.blocked_s))),
        "detected_share": observed / fraud_rows if fraud_rows else 0.0,
        "losses": float(loss.sum()),
        "charged_back": float(np.where(res.event_ok & (ev.phase == CHARGEBACK_PHASE),
                                       res.event_cents, 0).sum() / 100),
        "laundered": float(np.where(res.event_ok & placement, res.event_cents, 0).sum() / 100),
        "max_campaign_loss": float(loss.max(initial=0.0)),
        "undetected_loss": undetected,
        "any_undetected": undetected > 0,
        "alerts": int(outcome.size),
        "false_positives": int(np.sum((outcome == CONFIRMED) & ~is_fraud)),
        "expired_alerts": int(np.sum(outcome == EXPIRED)),
        "open_alerts": int(np.sum(outcome == OPEN)),
    })
    return out


def campaign_columns(res) -> dict[str, np.ndarray]:
    """Columns of the ``campaigns`` stream (without ``run``)."""
    from simengine.domains.fraud.streams import category

    prep = res.prep
    plan, ev = prep.plan, prep.plan.events
    k = plan.entry.size
    world = prep.world
    loss, moved = _per_campaign(res)
    n_tx = np.bincount(ev.campaign[res.event_posted], minlength=k)
    end = np.full(k, np.nan)
    if len(ev):
        np.fmax.at(end, ev.campaign[res.event_posted], ev.t_s[res.event_posted])
    labels = tuple(dict.fromkeys(c.label for c in world.campaigns))
    typologies = tuple(dict.fromkeys(c.typology for c in world.campaigns))
    entry_label = np.array([labels.index(world.campaigns[j].label) for j in plan.entry],
                           dtype=np.int64)
    entry_typ = np.array([typologies.index(world.campaigns[j].typology) for j in plan.entry],
                         dtype=np.int64)
    phases = tuple(dict.fromkeys(" > ".join(r["phases"]) for r in plan.rows))

    def count(key: str) -> np.ndarray:
        return np.array([len(r.get(key, ())) for r in plan.rows], dtype=np.int64)

    return {
        "campaign_id": plan.campaign_id,
        "typology": category(typologies, entry_typ),
        "name": category(labels, entry_label),
        "phases": category(phases, np.array([phases.index(" > ".join(r["phases"]))
                                             for r in plan.rows], dtype=np.int64)),
        "start_s": plan.start_s,
        "end_s": end,
        "transactions": n_tx.astype(np.int64),
        "amount": moved,
        "loss": loss,
        "victims": count("victims"),
        "mules": count("mules"),
        "fraudsters": count("fraudsters"),
        "accomplices": count("accomplices"),
        "detected": ~np.isnan(res.observations.detected_s),
        "detected_s": res.observations.detected_s,
        "blocked_s": plan.blocked_s,
        "blocked_by": category(BLOCK_CAUSES, plan.blocked_by),
    }
