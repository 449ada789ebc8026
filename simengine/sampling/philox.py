"""Philox4x32-10, the counter-based generator of Salmon et al. (SC'11, "Parallel random numbers:
as easy as 1, 2, 3"), vectorised over NumPy arrays.

A counter-based generator is a pure function ``(counter, key) -> random words``: any run's numbers
can be computed directly, in any order, on any worker, without building per-run state. That is
what makes the sampler both fast (one vectorised call for a whole shard) and independent of how
runs are grouped into shards or tasks. The implementation is checked against the Random123
known-answer vectors in the tests.
"""

from __future__ import annotations

import numpy as np

__all__ = ["philox4x32", "uniforms_from_words"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)


def philox4x32(counters: np.ndarray, key: tuple[int, int], *, rounds: int = 10) -> np.ndarray:
    """Encrypt ``counters`` (shape ``(n, 4)``, uint32) under ``key`` (two 32-bit words).

    Returns ``(n, 4)`` uint32 words. Arithmetic is done in uint64 so the 32x32→64-bit products
    are exact.
    """
    c = np.asarray(counters, dtype=np.uint64)
    c0, c1, c2, c3 = (c[:, i].copy() for i in range(4))
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    for r in range(rounds):
        if r:
            k0 = (k0 + _W0) & 0xFFFFFFFF
            k1 = (k1 + _W1) & 0xFFFFFFFF
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (
            (p1 >> _SHIFT32) ^ c1 ^ np.uint64(k0),
            p1 & _MASK32,
            (p0 >> _SHIFT32) ^ c3 ^ np.uint64(k1),
            p0 & _MASK32,
        )
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


def uniforms_from_words(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Two uint32 words → a float64 in the open interval (0, 1): the midpoints
    ``(k + 0.5) / 2**52`` of a grid of 2**52 cells, from the top 52 bits of the 64.

    The open interval matters: the result feeds inverse CDFs (``ndtri``) that are infinite at 0
    and 1. Every value is exactly representable (``(2k + 1) / 2**53``), so nothing rounds to
    1.0 — with 53 bits, ``(2**53 - 1 + 0.5) / 2**53`` would — and the grid is symmetric:
    ``u`` and ``1 - u`` are both on it.
    """
    bits = (hi.astype(np.uint64) << _SHIFT32 | lo.astype(np.uint64)) >> np.uint64(12)
    return (bits.astype(np.float64) + 0.5) * (1.0 / 4503599627370496.0)
