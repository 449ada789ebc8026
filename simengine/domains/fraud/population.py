"""The bank's population for one run: customers, merchants, their accounts and random ids.

Account index space (positions in every per-account array):

* ``0 .. C-1`` customers (one current account each, with one or more cards: card indices
  ``card_start[c] .. card_start[c] + card_count[c] - 1`` into ``card_id``/``card_owner``),
* ``C .. C+M-1`` merchants (settlement accounts),
* ``C+M ..`` the three external counterparties: :data:`CASH` (ATM withdrawals, cash
  deposits), :data:`PAYROLL` (salaries) and :data:`OUTSIDE` (other institutions). Their
  balances are not tracked: money entering or leaving through them is the declared external flow.

Identifiers (account, card, transaction, campaign) are uniform random 63-bit integers drawn from
the run's generator, so no id pattern (prefix, order, range) says anything about a label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simengine.domains.fraud.model import FraudWorld

__all__ = ["CATEGORIES", "EXTERNALS", "Population", "build_population", "random_ids"]

EXTERNALS = ("cash", "payroll", "outside")
CASH, PAYROLL, OUTSIDE = range(3)  # offsets after the merchants

CATEGORIES: tuple[tuple[str, int, float, float, float], ...] = (
    # name, MCC, median amount, weight, online affinity (0: in person only .. 1: online only)
    ("grocery", 5411, 38.0, 0.30, 0.05),
    ("restaurants", 5812, 27.0, 0.16, 0.05),
    ("fuel", 5541, 52.0, 0.10, 0.0),
    ("pharmacy", 5912, 22.0, 0.05, 0.1),
    ("clothing", 5651, 65.0, 0.07, 0.5),
    ("retail", 5311, 55.0, 0.10, 0.5),
    ("electronics", 5732, 160.0, 0.04, 0.6),
    ("travel", 4511, 320.0, 0.02, 0.9),
    ("digital", 5815, 12.0, 0.08, 1.0),
    ("utilities", 4900, 85.0, 0.04, 0.9),
    ("entertainment", 7832, 30.0, 0.03, 0.4),
    ("gambling", 7995, 45.0, 0.01, 0.9),
)
"""Merchant categories: what they are called, their MCC, amounts and online share."""


def random_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uniform random positive int64 ids (collisions have probability ~n²/2⁶⁴)."""
    return rng.integers(1, np.iinfo(np.int64).max, size=n, dtype=np.int64)


@dataclass
class Population:
    """Per-account and per-customer arrays of one run (see the module docstring)."""

    customers: int
    merchants: int
    segment_names: tuple[str, ...]
    segment: np.ndarray          # (C,) int index into segment_names
    region: np.ndarray           # (C,) int
    age_band_names: tuple[str, ...]
    age_band: np.ndarray         # (C,) int
    activity: np.ndarray         # (C,) mean-1 Gamma heterogeneity of payment rates
    income_cents: np.ndarray     # (C,) monthly salary
    payday: np.ndarray           # (C,) day of month 0..27
    pay_second: np.ndarray       # (C,) second of the payday (0..6 h) the salary lands
    merchant_category: np.ndarray  # (M,) index into CATEGORIES
    merchant_online: np.ndarray    # (M,) bool
    merchant_region: np.ndarray    # (M,) int
    bank: np.ndarray             # (A,) bank of every account (externals: -1)
    account_id: np.ndarray       # (A,) random int64
    card_id: np.ndarray          # (N,) random int64, one per card
    card_owner: np.ndarray       # (N,) customer holding each card
    card_start: np.ndarray       # (C,) first card of each customer
    card_count: np.ndarray       # (C,) cards of each customer
    opening_cents: np.ndarray    # (A,) opening balance (externals: 0)
    floor_cents: np.ndarray      # (A,) lowest allowed balance = -overdraft
    # merchant lookup: merchants sorted by (category, online, region)
    by_key: np.ndarray           # merchant offsets (into 0..M-1) in sorted order
    key_start: np.ndarray        # (K, 2, R) first position of each key in by_key
    key_count: np.ndarray        # (K, 2, R)
    any_start: np.ndarray        # (K, 2)
    any_count: np.ndarray        # (K, 2)
    active_until_s: np.ndarray | None = None
    """(C,) time a customer stops paying on its own (a bust-out vanishes); inf: never."""

    def __post_init__(self) -> None:
        if self.active_until_s is None:
            self.active_until_s = np.full(self.customers, np.inf)

    @property
    def internal(self) -> int:
        """Accounts whose balances the ledger tracks (customers and merchants)."""
        return self.customers + self.merchants

    @property
    def accounts(self) -> int:
        return self.internal + len(EXTERNALS)

    def external(self, offset: int) -> int:
        """Account index of an external counterparty (:data:`CASH`, …)."""
        return self.internal + offset

    def card_of(self, customer: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A card of each ``customer``, chosen by the uniforms ``u`` among its cards."""
        count = self.card_count[customer]
        return self.card_start[customer] + np.minimum((u * count).astype(np.int64), count - 1)

    def merchant_index(self, category: np.ndarray, online: np.ndarray, region: np.ndarray,
                       local: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Account indices of merchants of ``category`` (online or not), in ``region`` where
        ``local`` and such a merchant exists, else anywhere; ``u`` uniforms choose among them."""
        on = online.astype(np.int64)
        start = self.key_start[category, on, region]
        count = self.key_count[category, on, region]
        use_local = local & (count > 0)
        start = np.where(use_local, start, self.any_start[category, on])
        count = np.where(use_local, count, self.any_count[category, on])
        pos = start + np.minimum((u * count).astype(np.int64), np.maximum(count - 1, 0))
        return self.customers + self.by_key[pos]


def _merchants(rng: np.random.Generator, m: int, regions: int):
    weights = np.array([c[3] for c in CATEGORIES])
    affinity = np.array([c[4] for c in CATEGORIES])
    # every (category, channel) pair that can occur gets at least one merchant
    cats = np.concatenate([np.arange(len(CATEGORIES)), np.arange(len(CATEGORIES)),
                           rng.choice(len(CATEGORIES), size=max(m - 2 * len(CATEGORIES), 0),
                                      p=weights / weights.sum())])[:m]
    online = rng.random(m) < affinity[cats]
    online[: len(CATEGORIES)] = affinity > 0.99
    online[len(CATEGORIES): 2 * len(CATEGORIES)] = affinity > 0.0
    region = rng.integers(0, regions, size=m)
    return cats.astype(np.int64), online, region.astype(np.int64)


def _lookup(cats: np.ndarray, online: np.ndarray, region: np.ndarray, regions: int):
    k = len(CATEGORIES)
    key = (cats * 2 + online) * regions + region
    order = np.argsort(key, kind="stable")
    counts = np.bincount(key, minlength=k * 2 * regions).reshape(k, 2, regions)
    starts = (np.cumsum(counts.ravel()) - counts.ravel()).reshape(k, 2, regions)
    any_count = counts.sum(axis=2)
    any_start = starts[:, :, 0]
    return order.astype(np.int64), starts, counts, any_start, any_count


def _card_counts(weights: dict[int, float], c: int, rng: np.random.Generator) -> np.ndarray:
    sizes = np.array(sorted(weights), dtype=np.int64)
    w = np.array([weights[k] for k in sizes], dtype=np.float64)
    return sizes[rng.choice(sizes.size, size=c, p=w / w.sum())]


def build_population(world: FraudWorld, rng: np.random.Generator) -> Population:
    """Draw one run's population from ``world`` (all draws from ``rng``, in a fixed order)."""
    pop = world.population
    c, m = pop.customers.count, pop.merchants.count
    seg_names = tuple(pop.customers.segments)
    share = np.array([pop.customers.segments[s] for s in seg_names], dtype=np.float64)
    segment = rng.choice(len(seg_names), size=c, p=share / share.sum())
    specs = [world.segment(s) for s in seg_names]
    bands = tuple(dict.fromkeys(b for s in specs for b in s.age_bands))
    age = np.empty(c, dtype=np.int64)
    u = rng.random(c)
    for j, s in enumerate(specs):
        w = np.array([s.age_bands.get(b, 0.0) for b in bands])
        edges = np.cumsum(w / w.sum())
        mine = segment == j
        age[mine] = np.minimum(np.searchsorted(edges, u[mine], side="right"), len(bands) - 1)
    regions = pop.customers.regions
    region = rng.integers(0, regions, size=c)
    activity = rng.gamma(4.0, 0.25, size=c)
    income = np.array([s.income for s in specs])[segment] * rng.lognormal(0.0, 0.35, size=c)
    balance = np.array([s.balance for s in specs])[segment] * rng.lognormal(0.0, 0.8, size=c)
    overdraft = np.array([s.overdraft for s in specs])[segment]
    payday = rng.integers(0, 28, size=c)
    pay_second = rng.integers(0, 6 * 3600, size=c)
    cats, online, mregion = _merchants(rng, m, regions)
    by_key, key_start, key_count, any_start, any_count = _lookup(cats, online, mregion, regions)
    n_accounts = c + m + len(EXTERNALS)
    bank = np.concatenate([rng.integers(0, pop.banks, size=c + m),
                           np.full(len(EXTERNALS), -1)]).astype(np.int64)
    account_id = random_ids(rng, n_accounts)
    card_count = _card_counts(pop.cards_per_customer, c, rng)
    card_start = np.cumsum(card_count) - card_count
    card_id = random_ids(rng, int(card_count.sum()))
    opening = np.zeros(n_accounts, dtype=np.int64)
    opening[:c] = np.round(balance * 100).astype(np.int64)
    opening[c : c + m] = np.round(rng.lognormal(np.log(5000.0), 1.0, size=m) * 100)
    floor = np.zeros(n_accounts, dtype=np.int64)
    floor[:c] = -np.round(overdraft * 100).astype(np.int64)
    return Population(c, m, seg_names, segment.astype(np.int64), region.astype(np.int64), bands,
                      age, activity, np.round(income * 100).astype(np.int64),
                      payday.astype(np.int64), pay_second.astype(np.float64),
                      cats, online, mregion, bank, account_id,
                      card_id, np.repeat(np.arange(c, dtype=np.int64), card_count), card_start,
                      card_count, opening, floor, by_key, key_start, key_count, any_start,
                      any_count)
