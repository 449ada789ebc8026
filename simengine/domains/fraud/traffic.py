"""Legitimate traffic of one time window, synthesised in bulk (NumPy draws, a Numba pass).

Every customer pays as a Poisson process at rate ``activity × (card + transfers + atm +
deposits + refunds per day)`` of its segment, modulated by the scenario's calendar rhythm
(:mod:`rhythm`: hour of day, day of week, part of month, season). A window's rows are drawn as
the superposition of these processes: their number is Poisson with the summed rate, their
times are the order statistics of the rhythm's density over the window (sorted uniforms from
exponential spacings, mapped through its piecewise-constant CDF: sorted by construction, no
sort needed), and each row's payer is drawn in proportion to its rate (a Walker alias table).
That is the same law as drawing each customer's count and times separately.

Each payment is a card payment with one of the customer's cards (online with the segment's
online share, shifted by drift; else in person at a merchant of the home region with
probability ``local_share``), a transfer (to another customer or out of the bank), an ATM
withdrawal, a cash deposit, or a refund from a merchant to one of its cards. Amounts are
lognormal around the category's median, scaled by the segment and by drift. Salaries arrive
from payroll on each customer's payday. A customer that has vanished
(``Population.active_until_s``: a bust-out) has no rows after that.

Times are continuous seconds (written rounded down to whole seconds, exactly like illicit
ones). Nothing here depends on labels, so illicit rows drawn from the same marginals blend in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simengine.domains.fraud.model import FraudWorld
from simengine.domains.fraud.population import CASH, CATEGORIES, OUTSIDE, PAYROLL, Population
from simengine.domains.fraud.rhythm import MONTH_DAYS, RhythmSpec, hour_weights
from simengine.domains.fraud.traffic_kernel import (
    U_SLOTS,
    alias_table,
    fill_rows,
    order_statistic_times,
    pack_payers,
    place_salaries,
)

__all__ = ["DAY_S", "KINDS", "Profiles", "Rows", "expected_rows_per_day", "legit_rows"]

DAY_S = 86400.0
KINDS = ("card", "transfer", "atm", "deposit", "refund")
"""Kinds of legitimate payment, in the column order of :attr:`Profiles.rate`."""

_WEIGHT = np.array([c[3] for c in CATEGORIES])
_AFFINITY = np.array([c[4] for c in CATEGORIES])
_MCC = np.array([c[1] for c in CATEGORIES], dtype=np.int16)
_MEDIAN = np.array([c[2] for c in CATEGORIES])
_CUM_ON = np.cumsum(_WEIGHT * _AFFINITY)
_CUM_OFF = np.cumsum(_WEIGHT * (1 - _AFFINITY))
_CUM_ALL = np.cumsum(_WEIGHT)


@dataclass
class Rows:
    """Rows in account-index space, in time order."""

    t_s: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    cents: np.ndarray
    channel: np.ndarray
    mcc: np.ndarray
    new_device: np.ndarray
    card: np.ndarray          # card index, -1 for rows without a card

    def __len__(self) -> int:
        return int(self.t_s.size)


@dataclass(frozen=True)
class Profiles:
    """Per-segment rates and per-customer payer weights as arrays, built once per run."""

    rate: np.ndarray          # (S, 5) per day, by KINDS
    online: np.ndarray        # (S,)
    scale: np.ndarray         # (S,)
    local_share: float
    device_p: float
    drift_at: np.ndarray      # (D,)
    drift_online: np.ndarray  # (D,)
    drift_scale: np.ndarray   # (D,)
    rhythm: RhythmSpec
    per_day: float            # expected legitimate rows of an average day (without salaries)
    alias_p: np.ndarray       # (C,) alias table of the customers' rates
    alias_i: np.ndarray       # (C,)
    payer: np.ndarray         # (C,) segment, region, cards packed (traffic_kernel.pack_payers)

    @classmethod
    def of(cls, world: FraudWorld, pop: Population) -> Profiles:
        specs = [world.segment(s) for s in pop.segment_names]
        rate = np.array([[s.card_per_day, s.transfers_per_day, s.atm_per_day,
                          s.deposits_per_day, s.refunds_per_day] for s in specs])
        lam = pop.activity * rate.sum(axis=1)[pop.segment]
        per_day = float(lam.sum())
        alias_p, alias_i = alias_table(lam if per_day > 0 else np.ones_like(lam))
        drift = world.drift
        return cls(rate, np.array([s.online_share for s in specs]),
                   np.array([s.amount_scale for s in specs]),
                   world.population.customers.local_share,
                   world.population.device_change_per_day,
                   np.array([d.at_s for d in drift], dtype=np.float64),
                   np.array([d.online_share_delta for d in drift], dtype=np.float64),
                   np.array([d.spend_scale for d in drift], dtype=np.float64), world.rhythm,
                   per_day, alias_p, alias_i, _payers(pop))

    def drift_index(self, t_s: np.ndarray) -> np.ndarray:
        """-1 before the first drift entry, else the index of the one in force."""
        return np.searchsorted(self.drift_at, t_s, side="right") - 1

    @property
    def cum_kind(self) -> np.ndarray:
        """(S, 5) cumulative kind probabilities of each segment."""
        total = np.maximum(self.rate.sum(axis=1, keepdims=True), 1e-300)
        return np.cumsum(self.rate / total, axis=1)


def _payers(pop: Population) -> np.ndarray:
    """Each customer's segment, region and cards in one int64 (:func:`pack_payers`)."""
    limits = ((pop.segment, 1 << 11, "segments"), (pop.region, 1 << 12, "regions"),
              (pop.card_count, 1 << 8, "cards per customer"),
              (pop.card_start, 1 << 32, "cards in the bank"))
    for values, limit, what in limits:
        if values.size and (int(values.max()) >= limit or int(values.min()) < 0):
            raise ValueError(f"fraud traffic supports fewer than {limit} {what}; found "
                             f"{int(values.max()) + 1}")
    return pack_payers(pop.segment, pop.region, pop.card_start, pop.card_count)


def _mass(rhythm: RhythmSpec, t0: float, t1: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Expected share of a day's payments in [t0, t1), and the window's hour edges/weights."""
    first, last = int(np.floor(t0 / 3600.0)), int(np.ceil(t1 / 3600.0))
    hours = np.arange(first, last)
    lo = np.maximum(hours * 3600.0, t0)
    hi = np.minimum((hours + 1) * 3600.0, t1)
    w = hour_weights(rhythm, hours) * (hi - lo) / 3600.0
    return float(w.sum()), lo, np.where(w > 0, w, 0.0)


def expected_rows_per_day(pop: Population, prof: Profiles, *, peak: bool = False) -> float:
    """Expected legitimate rows on an average day (``peak``: on the busiest day the rhythm
    allows — what a window must be sized for)."""
    return prof.per_day * prof.rhythm.peak_day_multiplier() if peak else prof.per_day


def sorted_times(rng: np.random.Generator, n: int, lo: np.ndarray, hi: np.ndarray,
                 w: np.ndarray) -> np.ndarray:
    """``n`` sorted draws from the density ∝ ``w`` on the segments [lo, hi): the order
    statistics of uniforms (normalised cumulative exponential spacings) through the CDF."""
    if n == 0:
        return np.zeros(0)
    return order_statistic_times(rng.standard_exponential(n + 1), lo, hi,
                                 np.nextafter(hi, -np.inf), w, float(w.sum()))


def legit_rows(pop: Population, prof: Profiles, t0: float, t1: float,
               rng: np.random.Generator) -> Rows:
    """The legitimate rows of window [t0, t1) in time order (all draws from ``rng``)."""
    mass, lo, w = _mass(prof.rhythm, t0, t1)
    hi = np.minimum(lo + 3600.0 - np.mod(lo, 3600.0), t1)
    n = int(rng.poisson(prof.per_day * mass)) if mass > 0 else 0
    t = sorted_times(rng, n, lo, hi, w)
    u = rng.random((n, U_SLOTS))
    z = rng.standard_normal(n)
    pay_t, paid = _salaries(pop, t0, t1)
    m = n + pay_t.size
    rows = Rows(np.empty(m), np.empty(m, np.int64), np.empty(m, np.int64), np.empty(m, np.int64),
                np.empty(m, np.int8), np.empty(m, np.int16), np.empty(m, np.bool_),
                np.empty(m, np.int64))
    at = place_salaries(t, pay_t, pop.external(PAYROLL), paid, pop.income_cents[paid],
                        rows.t_s, rows.src, rows.dst, rows.cents, rows.channel, rows.mcc,
                        rows.new_device, rows.card)
    fill_rows(t, u, z, prof.alias_p, prof.alias_i, prof.payer, prof.cum_kind, prof.online,
              prof.scale, prof.drift_at, prof.drift_online, prof.drift_scale, _CUM_ON,
              _CUM_OFF, _CUM_ALL, _AFFINITY, _MCC, _MEDIAN, pop.key_start, pop.key_count,
              pop.any_start, pop.any_count, pop.by_key, prof.local_share, prof.device_p,
              pop.external(CASH), pop.external(OUTSIDE), at, rows.src, rows.dst, rows.cents,
              rows.channel, rows.mcc, rows.new_device, rows.card)
    return _without_vanished(rows, pop)


def _without_vanished(rows: Rows, pop: Population) -> Rows:
    """Drop the rows of customers after they vanished (their own payments, and salaries,
    deposits and refunds to them)."""
    c = pop.customers
    if not np.isfinite(pop.active_until_s).any():
        return rows
    holder = np.where(rows.src < c, rows.src, rows.dst)
    keep = ~((holder < c) & (rows.t_s >= pop.active_until_s[np.minimum(holder, c - 1)]))
    if keep.all():
        return rows
    return Rows(*(getattr(rows, f)[keep] for f in Rows.__dataclass_fields__))


def _salaries(pop: Population, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
    """The salaries paid in window [t0, t1): (sorted times, customers). Salaries land between
    00:00 and 06:00 of each customer's payday; they go after other rows at equal times."""
    day = int(t0 // DAY_S)
    pay_lo = day * DAY_S
    lo, hi = max(t0, pay_lo), min(t1, pay_lo + 6 * 3600.0)
    if hi <= lo:
        return np.zeros(0), np.zeros(0, np.int64)
    paid = np.flatnonzero(pop.payday == day % MONTH_DAYS)
    t = pay_lo + pop.pay_second[paid]
    keep = (t >= lo) & (t < hi)
    paid, t = paid[keep], t[keep]
    order = np.argsort(t, kind="stable")
    return t[order], paid[order]
