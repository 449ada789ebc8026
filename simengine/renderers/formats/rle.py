"""COCO run-length encoding of binary masks, byte-compatible with the reference implementation.

A mask is read in column-major (Fortran) order and cut into alternating runs of 0s and 1s,
starting with 0s (so a mask whose first pixel is set starts with a run of length 0). The
*compressed* ``counts`` string stores each run length — from the fourth run on, as the
difference to the run two places before — in 5-bit groups, least significant first, each
written as ``chr(48 + group)`` with bit 0x20 meaning "more groups follow" and bit 0x10 of the
last group giving the sign.

Everything is vectorised with numpy, so label writing does not depend on the reference C
library at run time: a 640×480 mask encodes in a small fraction of a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["area", "counts_of", "decode", "encode", "pixel_totals", "to_bbox"]

_GROUPS = 7
"""5-bit groups per number: enough for run-length differences of masks below 2**32 pixels."""
_MAX_PIXELS = 2**32 - 1


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Run lengths of a mask in column-major order, starting with a (maybe empty) run of 0s.

    Changes are found in the mask's own (row-major) layout and their column-major positions
    sorted, which avoids transposing the whole image; masks with very many changes (noise) are
    transposed instead, where sorting would cost more.
    """
    m = np.asarray(mask).astype(bool, copy=False)
    h, w = m.shape
    n = h * w
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    changed = np.flatnonzero(m[1:] != m[:-1])
    if changed.size > n // 32:
        flat = m.ravel(order="F")
        edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    else:
        rows, cols = np.divmod(changed, w)
        column_starts = (np.flatnonzero(m[-1, :-1] != m[0, 1:]) + 1) * h
        edges = np.sort(np.concatenate((cols * h + rows + 1, column_starts)))
    bounds = np.concatenate(([0], edges, [n])).astype(np.int64, copy=False)
    runs = np.diff(bounds)
    if m[0, 0]:
        runs = np.concatenate(([0], runs))
    return runs


def _to_string(runs: np.ndarray) -> str:
    """Compressed counts string of run lengths (differences from the fourth on)."""
    x = runs.astype(np.int64, copy=True)
    if x.size > 3:
        x[3:] = runs[3:] - runs[1:-2]
    shifts = 5 * np.arange(_GROUPS, dtype=np.int64)
    groups = (x[:, None] >> shifts) & 0x1F  # arithmetic shift keeps the sign
    rest = x[:, None] >> (shifts + 5)
    more = np.where((groups & 0x10) != 0, rest != -1, rest != 0)
    more[:, -1] = False
    length = np.argmin(more, axis=1) + 1  # the first group after which nothing more follows
    chars = (groups + 48 + 0x20 * more).astype(np.uint8)
    keep = np.arange(_GROUPS)[None, :] < length[:, None]
    return chars[keep].tobytes().decode("ascii")


def encode(mask: np.ndarray) -> str:
    """COCO compressed RLE ``counts`` of a 2-D boolean mask (H, W); any nonzero value is set."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"a mask must be 2-D (height, width), got shape {mask.shape}")
    if mask.size > _MAX_PIXELS:
        raise ValueError(f"a mask may have at most {_MAX_PIXELS} pixels, got {mask.size}")
    return _to_string(_run_lengths(mask))


def _numbers(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The signed numbers of a compressed string (before undoing differences) and, per
    character, whether it ends a number."""
    c = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48
    if (c < 0).any() or (c > 63).any():
        raise ValueError("not a COCO compressed RLE string: characters outside '0'..'o'")
    last = (c & 0x20) == 0
    if c.size == 0:
        return np.zeros(0, dtype=np.int64), last
    if not last[-1]:
        raise ValueError("not a COCO compressed RLE string: the last number is unfinished")
    ends = np.flatnonzero(last)
    starts = np.concatenate(([0], ends[:-1] + 1))
    position = np.arange(c.size) - np.repeat(starts, ends - starts + 1)
    if position.max() >= 12:  # 60 bits: far beyond any mask, still exact in int64
        raise ValueError("not a COCO compressed RLE string: a number is too long")
    x = np.add.reduceat((c & 0x1F) << (5 * position), starts)
    negative = (c[ends] & 0x10) != 0
    return x - np.where(negative, np.int64(1) << (5 * (position[ends] + 1)), 0), last


def counts_of(counts: str) -> np.ndarray:
    """Run lengths (int64) of a compressed counts string."""
    x, _ = _numbers(counts)
    runs = x.copy()
    runs[1::2] = np.cumsum(x[1::2])
    runs[2::2] = np.cumsum(x[2::2])
    if (runs < 0).any():
        raise ValueError("not a COCO compressed RLE string: a negative run length")
    return runs


def pixel_totals(counts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(pixels covered, pixels set) of many counts strings, decoded in one vectorised pass.

    Run ``k`` (k >= 1) is the sum of the stored numbers ``j <= k`` of its parity from ``j = 1``
    or ``2`` on, so number ``j`` of a string with ``m`` numbers enters ``(m - j + 1) // 2``
    runs: the totals are weighted sums, with no per-string loop. Run signs are not checked
    (:func:`counts_of` does that for one string).
    """
    n = len(counts)
    x, last = _numbers("".join(counts))
    string_end = np.cumsum([len(s) for s in counts], dtype=np.int64)
    nonempty = string_end[np.diff(string_end, prepend=0) > 0]
    if not last[nonempty - 1].all():
        raise ValueError("not a COCO compressed RLE string: a number is unfinished")
    owner = np.searchsorted(string_end, np.flatnonzero(last), side="right")
    per_string = np.bincount(owner, minlength=n)
    j = np.arange(x.size) - (np.cumsum(per_string) - per_string)[owner]
    weighted = x * np.where(j == 0, 1, (per_string[owner] - j + 1) // 2)
    odd = j % 2 == 1
    covered = np.bincount(owner, weights=weighted, minlength=n)
    set_px = np.bincount(owner[odd], weights=weighted[odd], minlength=n)
    return covered.astype(np.int64), set_px.astype(np.int64)


def _checked_runs(counts: str, height: int, width: int) -> np.ndarray:
    runs = counts_of(counts)
    if int(runs.sum()) != height * width:
        raise ValueError(
            f"RLE covers {int(runs.sum())} pixels but the mask is {height}×{width} = "
            f"{height * width}"
        )
    return runs


def decode(counts: str, height: int, width: int) -> np.ndarray:
    """The (height, width) boolean mask of a compressed counts string."""
    runs = _checked_runs(counts, height, width)
    values = (np.arange(runs.size) % 2).astype(bool)
    return np.repeat(values, runs).reshape((height, width), order="F")


def area(counts: str) -> int:
    """Number of set pixels (the sum of the odd runs)."""
    return int(counts_of(counts)[1::2].sum())


def to_bbox(counts: str, height: int, width: int) -> tuple[float, float, float, float]:
    """Tight box ``(x, y, w, h)`` in pixels of the set pixels; ``(0, 0, 0, 0)`` when empty.

    Same definition as the reference: a set run that spans more than one column makes the box
    span the full image height.
    """
    runs = _checked_runs(counts, height, width)
    m = runs.size // 2 * 2
    cum = np.cumsum(runs[:m])
    t = cum - np.arange(m) % 2  # first pixel of each set run, last pixel of each
    if m == 0 or (runs[1:m:2] == 0).all():
        return (0.0, 0.0, 0.0, 0.0)
    set_runs = runs[1:m:2] > 0  # zero-length runs (not produced by encode) mark no pixel
    first, final = t[0::2][set_runs], t[1::2][set_runs]
    x0, y0 = first // height, first % height
    x1, y1 = final // height, final % height
    xs, xe = int(x0.min()), int(x1.max())
    if (x1 > x0).any():
        ys, ye = 0, height - 1
    else:
        ys, ye = int(y0.min()), int(y1.max())
    return (float(xs), float(ys), float(xe - xs + 1), float(ye - ys + 1))
