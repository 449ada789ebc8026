"""The compiled Philox4x32-10 kernels behind :mod:`simengine.sampling.philox`.

A module of its own so that importing the sampler does not import Numba (it is heavy), and with
top-level functions so that ``cache=True`` works: Numba cannot reuse the on-disk cache of
functions defined inside another function (each process would compile them again, ~1.5 s, and
add one more cache file).
"""

from __future__ import annotations

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources

_M0 = 0xD2511F53
_M1 = 0xCD9E8D57
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK = 0xFFFFFFFF
_UNIT = 1.0 / 4503599627370496.0  # 2**-52


@numba.njit(cache=True, inline="always")
def block(c0, c1, c2, c3, k0, k1):
    for r in range(10):
        if r:
            k0 = (k0 + np.uint64(_W0)) & np.uint64(_MASK)
            k1 = (k1 + np.uint64(_W1)) & np.uint64(_MASK)
        p0 = np.uint64(_M0) * c0
        p1 = np.uint64(_M1) * c2
        c0, c1, c2, c3 = (
            (p1 >> np.uint64(32)) ^ c1 ^ k0,
            p1 & np.uint64(_MASK),
            (p0 >> np.uint64(32)) ^ c3 ^ k1,
            p0 & np.uint64(_MASK),
        )
    return c0, c1, c2, c3


@numba.njit(cache=True)
def encrypt(counters, k0, k1):
    out = np.empty(counters.shape, dtype=np.uint32)
    for i in range(counters.shape[0]):
        w = block(np.uint64(counters[i, 0]), np.uint64(counters[i, 1]),
                  np.uint64(counters[i, 2]), np.uint64(counters[i, 3]),
                  np.uint64(k0), np.uint64(k1))
        for j in range(4):
            out[i, j] = np.uint32(w[j])
    return out


@numba.njit(cache=True, inline="always")
def unit(a, b):
    # the top 52 bits of the 64-bit word a:b → the midpoint (k + 0.5) / 2**52 of its cell
    bits = ((a << np.uint64(32)) | b) >> np.uint64(12)
    return (np.float64(bits) + 0.5) * _UNIT


@numba.njit(cache=True)
def uniforms(runs, slot, n, k0, k1):
    out = np.empty((runs.shape[0], n), dtype=np.float64)
    for i in range(runs.shape[0]):
        run = np.uint64(runs[i])
        lo = run & np.uint64(_MASK)
        hi = run >> np.uint64(32)
        for b in range((n + 1) // 2):
            w0, w1, w2, w3 = block(np.uint64(slot), np.uint64(b), lo, hi,
                                   np.uint64(k0), np.uint64(k1))
            out[i, 2 * b] = unit(w0, w1)
            if 2 * b + 1 < n:
                out[i, 2 * b + 1] = unit(w2, w3)
    return out


@numba.njit(cache=True)
def from_words(hi, lo):
    out = np.empty(hi.shape[0], dtype=np.float64)
    for i in range(hi.shape[0]):
        out[i] = unit(np.uint64(hi[i]), np.uint64(lo[i]))
    return out
