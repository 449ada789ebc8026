"""What the bank observes: alert reviews by investigators (simpy), chargebacks and reports.

Alerts queue first-in first-out for ``investigators`` reviewers (a simpy Resource). A review
takes ``max(min_review_h, review_h)`` hours; an alert still queued ``expire_h`` after it was
raised is closed unreviewed. A review confirms a fraudulent payment with probability ``recall``
and a legitimate one with probability ``false_positive_rate`` (a false positive). Disputes and
reports are decided in the campaign world (:mod:`actors`) while the campaigns run, and handed
over here: victims of card fraud dispute each payment with ``chargeback_probability`` after
``chargeback_delay_h`` (friendly fraud is a dispute by definition) — the bank knows the disputed
payment when the dispute is filed, and a chargeback row then moves the money back (none when the
payment was declined); takeover and scam victims report the campaign with
``report_probability``, ``report_delay_h`` after the first payment taken from them. With
``block_on_detection`` the campaign world stops a campaign at its first dispute or report, so a
stopped campaign is always detected, no later than it was stopped.

A campaign is *detected* at its earliest confirmation (review, dispute or report) within the
horizon; its payments count as observed from then on (those made later, when made). So an
observed label is never earlier than the payment it labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simengine.domains.fraud.model import AlertSpec
from simengine.domains.fraud.typologies.base import Draw

__all__ = ["OUTCOMES", "Observations", "Reviews", "observe", "review_alerts"]

OUTCOMES = ("open", "confirmed", "dismissed", "expired")
OPEN, CONFIRMED, DISMISSED, EXPIRED = range(4)


@dataclass
class Reviews:
    """Per alert (in the order given): review start/end (NaN if none) and outcome code."""

    start_s: np.ndarray
    end_s: np.ndarray
    outcome: np.ndarray


def review_alerts(spec: AlertSpec, t_s: np.ndarray, is_fraud: np.ndarray, horizon_s: float,
                  draw: Draw, rng: np.random.Generator) -> Reviews:
    """Run the review queue over alerts raised at sorted times ``t_s``."""
    import simpy

    n = t_s.size
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    outcome = np.zeros(n, dtype=np.int8)
    work_s = 3600.0 * np.maximum(draw.many(spec.review_h, n), spec.min_review_h)
    u = rng.random(n)
    p_confirm = np.where(is_fraud, spec.recall, spec.false_positive_rate)
    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=spec.investigators)
    expire_s = 3600.0 * spec.expire_h

    def review(i: int):
        with staff.request() as req:
            got = yield req | env.timeout(expire_s)
            if req not in got:
                outcome[i], end[i] = EXPIRED, env.now
                return
            start[i] = env.now
            yield env.timeout(work_s[i])
            end[i] = env.now
            outcome[i] = CONFIRMED if u[i] < p_confirm[i] else DISMISSED

    def arrivals():
        for i in range(n):
            yield env.timeout(max(t_s[i] - env.now, 0.0))
            env.process(review(i))

    env.process(arrivals())
    env.run(until=horizon_s)
    unfinished = np.isnan(end) | (end > horizon_s)
    outcome[unfinished] = OPEN
    end[unfinished] = np.nan
    return Reviews(start, end, outcome)


@dataclass
class Observations:
    """Per illicit event: when the bank knows it (NaN: not within the horizon); per campaign:
    its first detection (NaN: none); and how many detections came from each source."""

    observed_s: np.ndarray
    detected_s: np.ndarray
    by_chargeback: int
    by_report: int


def observe(n_campaigns: int, campaign: np.ndarray, src: np.ndarray, t_s: np.ndarray,
            dispute_t_s: np.ndarray, report_s: np.ndarray, confirmed_event: np.ndarray,
            confirmed_t_s: np.ndarray, horizon_s: float) -> Observations:
    """What the bank learns about illicit events (arrays per event, in time order).

    A confirmed review or a dispute of one payment reveals the payments of the same campaign
    from the same payer (a card, a victim's account) — those made earlier at the confirmation
    time, later ones when made. A victim's report reveals the whole campaign (the bank follows
    the money to the mules). ``dispute_t_s``: when the event's dispute was filed, or when the
    event is itself a chargeback its own time (inf: none); ``report_s``: per campaign, when
    its victim reported it (inf: no report) — both decided by the campaign world."""
    e = t_s.size
    row_t = np.full(e, np.inf)
    np.minimum.at(row_t, confirmed_event, confirmed_t_s)
    t_cb = np.asarray(dispute_t_s, dtype=np.float64)
    by_cb = int(np.sum((t_cb < row_t) & (t_cb <= horizon_s)))
    row_t = np.minimum(row_t, t_cb)
    _, group = np.unique(campaign * (int(src.max(initial=0)) + 1) + src, return_inverse=True)
    group_t = np.full(group.max(initial=-1) + 1, np.inf)
    np.minimum.at(group_t, group, row_t)
    t_rep = np.asarray(report_s, dtype=np.float64)
    known = np.minimum(group_t[group], t_rep[campaign]) if e else np.zeros(0)
    known[known > horizon_s] = np.inf
    observed = np.maximum(t_s, known)
    detected = np.full(n_campaigns, np.inf)
    np.minimum.at(detected, campaign, known)
    by_rep = int(np.sum((t_rep <= horizon_s) & (t_rep <= detected)))
    observed[~np.isfinite(observed)] = np.nan
    detected[~np.isfinite(detected)] = np.nan
    return Observations(observed, detected, by_cb, by_rep)
