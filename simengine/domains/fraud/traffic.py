"""Legitimate traffic of one time window, synthesised in bulk with NumPy.

Every customer makes Poisson many payments in a window, at rate ``activity × (card + transfers
+ atm + deposits per day)`` of its segment, modulated by a daily rhythm (hourly weights) and a
weekly one (weekends busier; the run starts on a Monday). Each payment is a card payment (online
with the segment's online share, shifted by drift; else in person at a merchant of the home
region with probability ``local_share``), a transfer (to another customer or out of the bank),
an ATM withdrawal or a cash deposit. Amounts are lognormal around the category's median, scaled
by the segment and by drift. Salaries arrive from payroll on each customer's payday.

Times are continuous seconds (written rounded down to whole seconds, exactly like illicit
ones). Nothing here depends on labels, so illicit rows drawn from the same marginals blend in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simengine.domains.fraud.codes import ATM, DEPOSIT, ONLINE, POS, SALARY, TRANSFER
from simengine.domains.fraud.model import FraudWorld
from simengine.domains.fraud.population import CASH, CATEGORIES, OUTSIDE, PAYROLL, Population

__all__ = ["DAY_S", "HOURLY", "Profiles", "Rows", "expected_rows_per_day", "legit_rows"]

DAY_S = 86400.0
HOURLY = np.array([0.2, 0.1, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.3, 1.4, 1.5, 1.6, 1.9, 1.7, 1.5,
                   1.5, 1.6, 1.8, 1.9, 1.7, 1.4, 1.1, 0.7, 0.4])
HOURLY = HOURLY / HOURLY.sum()
"""Share of a day's payments in each hour (local time)."""
WEEKDAY = np.array([0.95, 0.95, 0.97, 1.0, 1.1, 1.15, 0.88])
MONTH_DAYS = 30


@dataclass
class Rows:
    """Rows in account-index space, unsorted."""

    t_s: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    cents: np.ndarray
    channel: np.ndarray
    mcc: np.ndarray
    new_device: np.ndarray

    def __len__(self) -> int:
        return int(self.t_s.size)


@dataclass(frozen=True)
class Profiles:
    """Per-segment rates as arrays, built once per run."""

    rate: np.ndarray          # (S, 4) per day: card, transfer, atm, deposit
    online: np.ndarray        # (S,)
    scale: np.ndarray         # (S,)
    local_share: float
    device_p: float
    drift_at: np.ndarray      # (D,)
    drift_online: np.ndarray  # (D,)
    drift_scale: np.ndarray   # (D,)

    @classmethod
    def of(cls, world: FraudWorld, pop: Population) -> Profiles:
        specs = [world.segment(s) for s in pop.segment_names]
        rate = np.array([[s.card_per_day, s.transfers_per_day, s.atm_per_day,
                          s.deposits_per_day] for s in specs])
        drift = world.drift
        return cls(rate, np.array([s.online_share for s in specs]),
                   np.array([s.amount_scale for s in specs]),
                   world.population.customers.local_share,
                   world.population.device_change_per_day,
                   np.array([d.at_s for d in drift]), np.array([d.online_share_delta
                                                                for d in drift]),
                   np.array([d.spend_scale for d in drift]))

    def drift_index(self, t_s: np.ndarray) -> np.ndarray:
        """-1 before the first drift entry, else the index of the one in force."""
        return np.searchsorted(self.drift_at, t_s, side="right") - 1


def _mass(t0: float, t1: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Expected share of a day's payments in [t0, t1), and the window's hour edges/weights."""
    first, last = int(np.floor(t0 / 3600.0)), int(np.ceil(t1 / 3600.0))
    hours = np.arange(first, last)
    lo = np.maximum(hours * 3600.0, t0)
    hi = np.minimum((hours + 1) * 3600.0, t1)
    w = HOURLY[hours % 24] * WEEKDAY[(hours // 24) % 7] * (hi - lo) / 3600.0
    return float(w.sum()), lo, np.where(w > 0, w, 0.0)


def expected_rows_per_day(pop: Population, prof: Profiles) -> float:
    return float((pop.activity * prof.rate.sum(axis=1)[pop.segment]).sum())


def _times(rng, n, lo, hi, w) -> np.ndarray:
    cum = np.cumsum(w)
    k = np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), w.size - 1)
    return lo[k] + rng.random(n) * (hi[k] - lo[k])


def _cents(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(x * 100.0), 1).astype(np.int64)


def legit_rows(pop: Population, prof: Profiles, t0: float, t1: float,
               rng: np.random.Generator) -> Rows:
    """The legitimate rows of window [t0, t1) (all draws from ``rng``)."""
    c = pop.customers
    mass, lo, w = _mass(t0, t1)
    hi = np.minimum(lo + 3600.0 - np.mod(lo, 3600.0), t1)
    lam = pop.activity * prof.rate.sum(axis=1)[pop.segment] * mass
    n = rng.poisson(lam)
    who = np.repeat(np.arange(c, dtype=np.int64), n)
    r = who.size
    seg = pop.segment[who]
    cum = np.cumsum(prof.rate / np.maximum(prof.rate.sum(axis=1, keepdims=True), 1e-300), axis=1)
    kind = (rng.random(r)[:, None] > cum[seg, :3]).sum(axis=1)
    t = _times(rng, r, lo, hi, w) if r else np.zeros(0)
    online_p, scale = prof.online[seg], prof.scale[seg]
    if prof.drift_at.size:
        d = prof.drift_index(t)
        online_p = online_p + np.where(d >= 0, prof.drift_online[np.maximum(d, 0)], 0.0)
        scale = scale * np.where(d >= 0, prof.drift_scale[np.maximum(d, 0)], 1.0)
    src, dst = who.copy(), np.empty(r, dtype=np.int64)
    channel = np.empty(r, dtype=np.int8)
    mcc = np.zeros(r, dtype=np.int16)
    amount = np.empty(r)
    z = rng.standard_normal(r)
    u = rng.random(r)
    # card payments
    card = np.flatnonzero(kind == 0)
    online = rng.random(card.size) < online_p[card]
    weight = np.array([x[3] for x in CATEGORIES])
    affinity = np.array([x[4] for x in CATEGORIES])
    cum_on = np.cumsum(weight * affinity)
    cum_off = np.cumsum(weight * (1 - affinity))
    uc = rng.random(card.size)
    cat = np.where(online,
                   np.searchsorted(cum_on, uc * cum_on[-1], side="right"),
                   np.searchsorted(cum_off, uc * cum_off[-1], side="right"))
    cat = np.minimum(cat, len(CATEGORIES) - 1)
    local = ~online & (rng.random(card.size) < prof.local_share)
    dst[card] = pop.merchant_index(cat, online, pop.region[who[card]], local, u[card])
    channel[card] = np.where(online, ONLINE, POS)
    mcc[card] = np.array([x[1] for x in CATEGORIES], dtype=np.int16)[cat]
    median = np.array([x[2] for x in CATEGORIES])[cat]
    amount[card] = median * scale[card] * np.exp(0.7 * z[card])
    # transfers: to another customer or out of the bank
    tr = np.flatnonzero(kind == 1)
    peer = u[tr] < 0.5
    other = rng.integers(0, c - 1, size=tr.size)
    other = other + (other >= who[tr])  # never the payer itself
    dst[tr] = np.where(peer, other, pop.external(OUTSIDE))
    channel[tr] = TRANSFER
    amount[tr] = 150.0 * scale[tr] * np.exp(1.1 * z[tr])
    # ATM withdrawals, in notes of 20
    atm = np.flatnonzero(kind == 2)
    dst[atm] = pop.external(CASH)
    channel[atm] = ATM
    amount[atm] = 20.0 * np.maximum(np.round(80.0 * np.exp(0.6 * z[atm]) / 20.0), 1)
    # cash deposits
    dep = np.flatnonzero(kind == 3)
    src[dep] = pop.external(CASH)
    dst[dep] = who[dep]
    channel[dep] = DEPOSIT
    amount[dep] = 400.0 * scale[dep] * np.exp(0.9 * z[dep])
    new_device = ((channel == ONLINE) | (channel == TRANSFER)) & (rng.random(r) < prof.device_p)
    rows = Rows(t, src, dst, _cents(amount), channel, mcc, new_device)
    return _with_salaries(rows, pop, t0, t1)


def _with_salaries(rows: Rows, pop: Population, t0: float, t1: float) -> Rows:
    """Salaries land between 00:00 and 06:00 of each customer's payday."""
    day = int(t0 // DAY_S)
    pay_lo = day * DAY_S
    lo, hi = max(t0, pay_lo), min(t1, pay_lo + 6 * 3600.0)
    if hi <= lo:
        return rows
    paid = np.flatnonzero(pop.payday == day % MONTH_DAYS)
    t = pay_lo + pop.pay_second[paid]
    keep = (t >= lo) & (t < hi)
    paid, t = paid[keep], t[keep]
    k = paid.size
    return Rows(
        np.concatenate([rows.t_s, t]),
        np.concatenate([rows.src, np.full(k, pop.external(PAYROLL))]),
        np.concatenate([rows.dst, paid]),
        np.concatenate([rows.cents, pop.income_cents[paid]]),
        np.concatenate([rows.channel, np.full(k, SALARY, dtype=np.int8)]),
        np.concatenate([rows.mcc, np.zeros(k, dtype=np.int16)]),
        np.concatenate([rows.new_device, np.zeros(k, dtype=bool)]),
    )
