"""Numba kernels of legitimate traffic: a Walker alias table to pick payers, and one pass that
turns pre-drawn uniforms into rows.

Row ``i`` reads its own uniforms ``u[i, 0..8]`` and normal ``z[i]`` (drawn by the caller from
the window's generator), so the rows depend only on those draws, never on the CPU or on the
order of evaluation. Slots: 0 payer, 1 kind, 2 online, 3 category, 4 local merchant, 5 which
merchant / which peer, 6 which card, 7 new device, 8 peer or outside (transfers) and online
(refunds). The formulas are those of :mod:`traffic` (its docstring says what they mean).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.fraud.codes import ATM, DEPOSIT, ONLINE, POS, REFUND, SALARY, TRANSFER

__all__ = ["U_SLOTS", "alias_table", "fill_rows", "order_statistic_times", "pack_payers",
           "place_salaries"]

U_SLOTS = 9
CARD, XFER, CASH_OUT, CASH_IN, REFUND_KIND = range(5)  # kinds, in traffic.KINDS order


@nb.njit(cache=True)
def alias_table(weights):  # pragma: no cover - compiled
    """Walker/Vose alias table of ``weights`` (≥ 0, positive sum): (probability, alias)."""
    n = weights.size
    scaled = weights * (n / weights.sum())
    prob = np.ones(n)
    alias = np.arange(n)
    small = np.empty(n, np.int64)
    large = np.empty(n, np.int64)
    ns = nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        g = large[nl - 1]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        if scaled[g] < 1.0:
            nl -= 1
            small[ns] = g
            ns += 1
    return prob, alias


@nb.njit(cache=True, error_model="numpy")
def order_statistic_times(e, lo, hi, top, w, w_total):  # pragma: no cover - compiled
    """``e.size - 1`` sorted times from the density ∝ ``w`` on the segments [lo, hi), from
    ``e.size`` standard exponentials: the uniforms' order statistics are the normalised
    cumulative spacings, mapped through the density's piecewise-linear CDF (one forward walk
    over the segments, as the uniforms are sorted). ``top``: the largest float below each
    ``hi``; ``w_total``: ``w.sum()`` (as NumPy sums it, so the CDF is bit-identical to
    ``np.cumsum(w) / w.sum()``)."""
    n = e.size - 1
    total = 0.0
    for i in range(n + 1):
        total += e[i]
    m = w.size
    cum = np.empty(m)
    c = 0.0
    for j in range(m):
        c += w[j]
        cum[j] = c / w_total
    t = np.empty(n)
    s = 0.0
    k = 0
    run = -np.inf
    for i in range(n):
        s += e[i]
        u = s / total
        while k < m - 1 and u >= cum[k]:
            k += 1
        before = cum[k - 1] if k > 0 else 0.0
        frac = (u - before) / (w[k] / w_total)
        frac = min(max(frac, 0.0), 1.0)
        ti = min(lo[k] + frac * (hi[k] - lo[k]), top[k])
        run = max(run, ti)
        t[i] = run
    return t


@nb.njit(cache=True)
def place_salaries(t, pay_t, payroll, paid, income, o_t, o_src, o_dst, o_cents, o_channel,
                   o_mcc, o_dev, o_card):  # pragma: no cover - compiled
    """Lay out a window's table: the legitimate rows at sorted times ``t`` and the salaries
    (at sorted times ``pay_t``, from account ``payroll`` to ``paid`` of ``income`` cents) in
    time order, a salary after rows at its time. Writes every time and the salary rows into
    the ``o_*`` columns; returns where each legitimate row goes (for :func:`fill_rows`)."""
    n, k = t.size, pay_t.size
    at = np.empty(n, np.int64)
    i = 0
    for q in range(n + k):
        s = q - i
        if s < k and (i >= n or pay_t[s] < t[i]):
            o_t[q] = pay_t[s]
            o_src[q] = payroll
            o_dst[q] = paid[s]
            o_cents[q] = income[s]
            o_channel[q] = SALARY
            o_mcc[q] = 0
            o_dev[q] = False
            o_card[q] = -1
        else:
            o_t[q] = t[i]
            at[i] = q
            i += 1
    return at


@nb.njit(inline="always")
def _pick(cum, x):  # pragma: no cover - compiled
    """First index k with x < cum[k] (searchsorted, side right), capped at the last; ``cum``
    is non-decreasing, so that index is the number of entries ≤ x, counted here without a
    data-dependent branch (the draws are random, so an early exit mispredicts)."""
    k = 0
    for j in range(cum.size):
        k += cum[j] <= x
    return min(k, cum.size - 1)


@nb.njit(inline="always")
def _merchant(cat, on, region, local, u, key_start, key_count, any_start, any_count,
              by_key, customers):  # pragma: no cover - compiled
    # both candidates are read and one selected without a branch: ``local`` is a coin flip
    # the CPU cannot predict (a mispredicted branch cost ~18 ns a row)
    local_start = key_start[cat, on, region]
    local_count = key_count[cat, on, region]
    in_region = local & (local_count > 0)
    start = local_start if in_region else any_start[cat, on]
    count = local_count if in_region else any_count[cat, on]
    j = min(np.int64(u * count), max(count - 1, 0))
    return customers + by_key[start + j]


@nb.njit(cache=True)
def pack_payers(segment, region, card_start, card_count):  # pragma: no cover - compiled
    """What :func:`fill_rows` needs of each customer in one int64 (one memory read per row
    instead of four: the reads are random, so each would be a cache miss): segment << 52 |
    region << 40 | card count << 32 | first card (the caller checks the ranges: segment < 2¹¹,
    region < 2¹², card count < 2⁸, first card < 2³²)."""
    out = np.empty(segment.size, np.int64)
    for k in range(segment.size):
        out[k] = ((np.int64(segment[k]) << 52) | (np.int64(region[k]) << 40)
                  | (np.int64(card_count[k]) << 32) | np.int64(card_start[k]))
    return out


@nb.njit(cache=True)
def fill_rows(t, u, z, alias_p, alias_i, payer, cum_kind,
              online_share, scale, drift_at, drift_online, drift_scale, cum_on, cum_off,
              cum_all, affinity, cat_mcc, cat_median, key_start, key_count, any_start,
              any_count, by_key, local_share, device_p, cash, outside, at,
              src, dst, cents, channel, mcc, new_device, card):  # pragma: no cover - compiled
    """Fill the row columns (``src`` … ``card``) of the rows at sorted times ``t``; row ``i``
    goes to place ``at[i]`` of the columns (:func:`place_salaries` leaves room for salaries)."""
    c = payer.size
    n = t.size
    # payers first, in a loop of their own: its random reads (alias table, payer data) do not
    # depend on one another, so the CPU overlaps their cache misses (136 → 98 ns a row)
    whos = np.empty(n, np.int64)
    for i in range(n):
        x = u[i, 0] * c
        who = min(np.int64(x), c - 1)
        if x - who >= alias_p[who]:
            who = alias_i[who]
        whos[i] = who
    packs = np.empty(n, np.int64)
    for i in range(n):
        packs[i] = payer[whos[i]]  # see pack_payers
    d = -1
    for i in range(n):
        while d + 1 < drift_at.size and drift_at[d + 1] <= t[i]:
            d += 1
        who = whos[i]
        packed = packs[i]
        s = packed >> 52
        online_p = online_share[s]
        sc = scale[s]
        if d >= 0:
            online_p += drift_online[d]
            sc *= drift_scale[d]
        kind = _pick(cum_kind[s], u[i, 1])
        o = at[i]
        src[o] = who
        mcc[o] = 0
        card[o] = -1
        new_device[o] = False
        if kind in (CARD, REFUND_KIND):
            if kind == CARD:
                on = u[i, 2] < online_p
                cat = _pick(cum_on if on else cum_off,
                            u[i, 3] * (cum_on[-1] if on else cum_off[-1]))
                local = (not on) and u[i, 4] < local_share
            else:
                cat = _pick(cum_all, u[i, 3] * cum_all[-1])
                on = u[i, 8] < affinity[cat]
                local = True
            m = _merchant(cat, np.int64(on), (packed >> 40) & 0xFFF, local, u[i, 5], key_start,
                          key_count, any_start, any_count, by_key, c)
            n_cards = (packed >> 32) & 0xFF
            card[o] = (packed & 0xFFFFFFFF) + min(np.int64(u[i, 6] * n_cards), n_cards - 1)
            mcc[o] = cat_mcc[cat]
            amount = cat_median[cat] * sc * np.exp(0.7 * z[i])
            if kind == CARD:
                dst[o] = m
                channel[o] = ONLINE if on else POS
                new_device[o] = on and u[i, 7] < device_p
            else:
                src[o] = m
                dst[o] = who
                channel[o] = REFUND
        elif kind == XFER:
            if u[i, 8] < 0.5:
                other = min(np.int64(u[i, 5] * (c - 1)), c - 2)
                dst[o] = other + 1 if other >= who else other
            else:
                dst[o] = outside
            channel[o] = TRANSFER
            amount = 150.0 * sc * np.exp(1.1 * z[i])
            new_device[o] = u[i, 7] < device_p
        elif kind == CASH_OUT:
            dst[o] = cash
            channel[o] = ATM
            amount = 20.0 * max(np.rint(80.0 * np.exp(0.6 * z[i]) / 20.0), 1.0)
        else:
            src[o] = cash
            dst[o] = who
            channel[o] = DEPOSIT
            amount = 400.0 * sc * np.exp(0.9 * z[i])
        cents[o] = max(np.int64(np.rint(amount * 100.0)), 1)
