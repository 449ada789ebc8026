"""Philox4x32-10, the counter-based generator of Salmon et al. (SC'11, "Parallel random numbers:
as easy as 1, 2, 3"), compiled with Numba.

A counter-based generator is a pure function ``(counter, key) -> random words``: any run's numbers
can be computed directly, in any order, on any worker, without building per-run state. That is
what makes the sampler fast (one compiled loop for a whole shard) and independent of how runs are
grouped into shards or tasks. The implementation is checked against the Random123 known-answer
vectors in the tests. Numba is imported on first use only (it is heavy), and compiled kernels are
cached on disk.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

__all__ = ["philox4x32", "philox_uniforms"]

_M0 = 0xD2511F53
_M1 = 0xCD9E8D57
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK = 0xFFFFFFFF


@cache
def _kernels() -> tuple[Any, Any]:
    import numba

    @numba.njit(cache=True, inline="always")
    def block(c0, c1, c2, c3, k0, k1):  # noqa: ANN001, ANN202 - numba kernel
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
    def encrypt(counters, k0, k1):  # noqa: ANN001, ANN202
        out = np.empty(counters.shape, dtype=np.uint32)
        for i in range(counters.shape[0]):
            w = block(np.uint64(counters[i, 0]), np.uint64(counters[i, 1]),
                      np.uint64(counters[i, 2]), np.uint64(counters[i, 3]),
                      np.uint64(k0), np.uint64(k1))
            for j in range(4):
                out[i, j] = np.uint32(w[j])
        return out

    @numba.njit(cache=True)
    def uniforms(runs, slot, n, k0, k1):  # noqa: ANN001, ANN202
        out = np.empty((runs.shape[0], n), dtype=np.float64)
        scale = 1.0 / 9007199254740992.0
        for i in range(runs.shape[0]):
            run = np.uint64(runs[i])
            lo = run & np.uint64(_MASK)
            hi = run >> np.uint64(32)
            for b in range((n + 1) // 2):
                w0, w1, w2, w3 = block(np.uint64(slot), np.uint64(b), lo, hi,
                                       np.uint64(k0), np.uint64(k1))
                bits = ((w0 << np.uint64(32)) | w1) >> np.uint64(11)
                out[i, 2 * b] = (np.float64(bits) + 0.5) * scale
                if 2 * b + 1 < n:
                    bits = ((w2 << np.uint64(32)) | w3) >> np.uint64(11)
                    out[i, 2 * b + 1] = (np.float64(bits) + 0.5) * scale
        return out

    return encrypt, uniforms


def philox4x32(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Encrypt ``counters`` (shape ``(n, 4)``, uint32) under ``key`` (two 32-bit words);
    returns ``(n, 4)`` uint32 words."""
    encrypt, _ = _kernels()
    c = np.ascontiguousarray(counters, dtype=np.uint32).reshape(-1, 4)
    return encrypt(c, int(key[0]) & _MASK, int(key[1]) & _MASK)


def philox_uniforms(runs: np.ndarray, key: tuple[int, int], n: int, *, slot: int) -> np.ndarray:
    """``(len(runs), n)`` float64 uniforms in the open interval (0, 1), 53 random bits each.

    Column ``j`` of run ``r`` comes from counter ``(slot, j // 2, r_lo, r_hi)``: words 0–1 make
    the even column, words 2–3 the odd one. The interval is open because the values feed inverse
    CDFs that are infinite at 0 and 1.
    """
    _, uniforms = _kernels()
    r = np.ascontiguousarray(runs, dtype=np.int64)
    return uniforms(r, int(slot) & _MASK, int(n), int(key[0]) & _MASK, int(key[1]) & _MASK)
