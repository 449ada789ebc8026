"""numpy columns → Arrow arrays by building the Arrow buffers ourselves.

Why not ``pyarrow.array``: on its first call (and ``pyarrow.scalar``'s) pyarrow imports pandas
whenever pandas is installed, to check whether the input is a pandas object — about half a
second in every worker process, for nothing: our columns are numpy arrays. Building arrays with
``pyarrow.Array.from_buffers`` skips that and is zero-copy for numeric columns. The arrays are
the same as ``pyarrow.array`` makes (tests compare them), so the Parquet bytes do not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["numeric_array", "string_array"]


def numeric_array(values: np.ndarray) -> Any:
    """A pyarrow array of a 1-D numeric or bool numpy array (zero-copy unless it is bool or not
    contiguous)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    if values.ndim != 1:
        raise ValueError(f"numeric_array: expected a 1-D array, found shape {values.shape}")
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    if not values.dtype.isnative:
        values = values.astype(values.dtype.newbyteorder("="))
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def string_array(values: Sequence[Any] | np.ndarray) -> Any:
    """A pyarrow ``string`` array of Python strings (``None`` → null).

    Columns repeat a few names (actors, labels) over many rows, so each distinct string is
    encoded once and the bytes of every row gathered with numpy: about 0.15 µs a row."""
    import pyarrow as pa

    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    n = len(items)
    index: dict[Any, int] = {}
    codes = np.fromiter((index.setdefault(s, len(index)) for s in items), dtype=np.int64,
                        count=n)
    uniques = list(index)
    encoded = [u.encode() if u is not None else b"" for u in uniques]
    unique_len = np.array([len(b) for b in encoded], dtype=np.int64)
    lengths = unique_len[codes]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if total > np.iinfo(np.int32).max:
        raise ValueError("string_array: more than 2 GiB of text in one column chunk")
    data = _gather_bytes(encoded, unique_len, codes, lengths, total)
    null_code = index.get(None, -1)
    nulls = codes == null_code
    null_count = int(nulls.sum())
    validity = pa.py_buffer(np.packbits(~nulls, bitorder="little")) if null_count else None
    return pa.Array.from_buffers(
        pa.string(), n, [validity, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)],
        null_count=null_count,
    )


def _gather_bytes(encoded: list[bytes], unique_len: np.ndarray, codes: np.ndarray,
                  lengths: np.ndarray, total: int) -> np.ndarray:
    """The concatenated bytes of ``encoded[codes[i]]`` for every row i."""
    if total == 0:
        return np.zeros(0, dtype=np.uint8)
    width = int(unique_len.max())
    if width * len(codes) <= 4 * total + (1 << 20):
        # short strings: pad each distinct one to a fixed width, take rows, drop the padding
        table = np.zeros((len(encoded), width), dtype=np.uint8)
        for k, b in enumerate(encoded):
            table[k, : len(b)] = np.frombuffer(b, dtype=np.uint8)
        rows = table[codes]
        return rows[np.arange(width) < lengths[:, None]]
    pool = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    start = np.zeros(len(encoded), dtype=np.int64)
    np.cumsum(unique_len[:-1], out=start[1:])
    row_start = np.zeros(len(codes), dtype=np.int64)
    np.cumsum(lengths[:-1], out=row_start[1:])
    return pool[np.repeat(start[codes] - row_start, lengths) + np.arange(total)]
