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

__all__ = ["philox4x32", "philox_uniforms", "uniforms_from_words"]

_MASK = 0xFFFFFFFF


@cache
def _kernels() -> tuple[Any, Any, Any]:
    from simengine.sampling import _philox_numba as k

    return k.encrypt, k.uniforms, k.from_words


def philox4x32(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Encrypt ``counters`` (shape ``(n, 4)``, uint32) under ``key`` (two 32-bit words);
    returns ``(n, 4)`` uint32 words."""
    encrypt, _, _ = _kernels()
    c = np.ascontiguousarray(counters, dtype=np.uint32).reshape(-1, 4)
    return encrypt(c, int(key[0]) & _MASK, int(key[1]) & _MASK)


def philox_uniforms(runs: np.ndarray, key: tuple[int, int], n: int, *, slot: int) -> np.ndarray:
    """``(len(runs), n)`` float64 uniforms in the open interval (0, 1), 52 random bits each.

    Column ``j`` of run ``r`` comes from counter ``(slot, j // 2, r_lo, r_hi)``: words 0–1 make
    the even column, words 2–3 the odd one (see :func:`uniforms_from_words`). The interval is
    open because the values feed inverse CDFs that are infinite at 0 and 1.
    """
    _, uniforms, _ = _kernels()
    r = np.ascontiguousarray(runs, dtype=np.int64)
    return uniforms(r, int(slot) & _MASK, int(n), int(key[0]) & _MASK, int(key[1]) & _MASK)


def uniforms_from_words(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Two uint32 words → a float64 in the open interval (0, 1), exactly as
    :func:`philox_uniforms` maps them: the midpoint ``(k + 0.5) / 2**52`` of the cell of the top
    52 bits ``k`` of the 64-bit word ``hi:lo``.

    Every value is exactly representable (``(2k + 1) / 2**53``), so none rounds to 1.0 — with 53
    bits, ``(2**53 - 1 + 0.5) / 2**53`` would, and ``ndtri`` would return ``inf`` — and the grid
    is symmetric: ``u`` and ``1 - u`` are both on it.
    """
    _, _, from_words = _kernels()
    h = np.ascontiguousarray(hi, dtype=np.uint32).ravel()
    lo_ = np.ascontiguousarray(lo, dtype=np.uint32).ravel()
    return from_words(h, lo_)
