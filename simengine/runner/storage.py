"""The sink's storage: atomic writes through fsspec, and deterministic Parquet.

Every file is written under a unique temporary name and renamed to its final name, so a killed
worker or a retried task can never leave a torn file under a final name. Parquet files are
written with fixed row-group sizes, zstd, and no timestamps, so their bytes depend only on their
rows.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["ROW_GROUP_ROWS", "Storage", "TableWriter", "to_arrow"]

ROW_GROUP_ROWS = 65_536
"""Rows per Parquet row group: a constant, so bytes never depend on memory or workers."""
TMP_MARK = ".tmp-"


def to_arrow(columns: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None):
    """A pyarrow Table from numpy columns: object arrays of str become string columns, 2-D
    arrays fixed-size list columns (a vibration window per row); each field whose name carries
    a unit (``speed_mps``) gets it in its metadata (:func:`simengine.units.unit_of`)."""
    import pyarrow as pa

    arrays = {}
    for name, col in columns.items():
        col = np.asarray(col)
        if col.dtype == object:
            arrays[name] = pa.array(col.tolist(), type=pa.string())
        elif col.ndim == 2:
            flat = pa.array(np.ascontiguousarray(col).reshape(-1))
            arrays[name] = pa.FixedSizeListArray.from_arrays(flat, col.shape[1])
        else:
            arrays[name] = pa.array(col)
    from simengine.units import unit_of

    fields = []
    for name, arr in arrays.items():
        unit = unit_of(name)
        fields.append(pa.field(name, arr.type, metadata={"unit": unit} if unit else None))
    table = pa.table(arrays, schema=pa.schema(fields))
    if metadata:
        table = table.replace_schema_metadata({k: str(v) for k, v in metadata.items()})
    return table


class Storage:
    """A corpus folder on any fsspec filesystem (local path or URL)."""

    def __init__(self, root: str) -> None:
        import fsspec

        self.fs, self.root = fsspec.core.url_to_fs(root)
        self.root = self.root.rstrip("/")

    def path(self, relative: str) -> str:
        return f"{self.root}/{relative}" if relative else self.root

    def exists(self, relative: str = "") -> bool:
        return self.fs.exists(self.path(relative))

    def is_empty(self) -> bool:
        return not self.exists() or not self.fs.ls(self.root)

    def _tmp(self, relative: str) -> str:
        return self.path(f"{relative}{TMP_MARK}{uuid.uuid4().hex}")

    def _commit(self, tmp: str, relative: str) -> None:
        final = self.path(relative)
        self.fs.mv(tmp, final)

    def write_bytes(self, relative: str, data: bytes) -> str:
        """Atomically write ``data``; returns its sha256."""
        self.fs.makedirs(self.path(relative).rsplit("/", 1)[0], exist_ok=True)
        tmp = self._tmp(relative)
        with self.fs.open(tmp, "wb") as fh:
            fh.write(data)
        self._commit(tmp, relative)
        return hashlib.sha256(data).hexdigest()

    def read_bytes(self, relative: str) -> bytes:
        with self.fs.open(self.path(relative), "rb") as fh:
            return fh.read()

    def sha256(self, relative: str) -> str | None:
        """Checksum of a file, or None if it is missing."""
        if not self.fs.exists(self.path(relative)):
            return None
        digest = hashlib.sha256()
        with self.fs.open(self.path(relative), "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()

    def remove(self, relative: str) -> None:
        if self.fs.exists(self.path(relative)):
            self.fs.rm(self.path(relative), recursive=True)

    def files(self) -> list[str]:
        """All files below the root, relative, sorted."""
        if not self.exists():
            return []
        found = self.fs.find(self.root)
        return sorted(f[len(self.root) + 1 :] for f in found)

    def remove_temporaries(self) -> int:
        """Delete leftovers of interrupted writes; returns how many."""
        stale = [f for f in self.files() if TMP_MARK in f.rsplit("/", 1)[-1]]
        for f in stale:
            self.remove(f)
        return len(stale)

    def table_writer(self, relative: str, metadata: Mapping[str, str]) -> TableWriter:
        return TableWriter(self, relative, metadata)


class TableWriter:
    """Streams chunks into one Parquet file in row groups of exactly ROW_GROUP_ROWS rows."""

    def __init__(self, storage: Storage, relative: str, metadata: Mapping[str, str]) -> None:
        self.storage = storage
        self.relative = relative
        self.metadata = dict(metadata)
        self.rows = 0
        self._pending: list[Any] = []
        self._pending_rows = 0
        self._writer: Any = None
        self._tmp: str | None = None
        self._fh: Any = None

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        table = to_arrow(columns, self.metadata)
        if table.num_rows == 0:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        while self._pending_rows >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, n: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        merged = pa.concat_tables(self._pending)
        head, rest = merged.slice(0, n), merged.slice(n)
        if self._writer is None:
            fs = self.storage.fs
            fs.makedirs(self.storage.path(self.relative).rsplit("/", 1)[0], exist_ok=True)
            self._tmp = self.storage._tmp(self.relative)
            self._fh = fs.open(self._tmp, "wb")
            self._writer = pq.ParquetWriter(
                self._fh, head.schema, compression="zstd", write_statistics=True
            )
        self._writer.write_table(head, row_group_size=ROW_GROUP_ROWS)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def close(self) -> str | None:
        """Finish the file; returns its sha256, or None when no row was written (no file)."""
        if self._pending_rows:
            self._flush(self._pending_rows)
        if self._writer is None:
            return None
        self._writer.close()
        self._fh.close()
        assert self._tmp is not None
        self.storage._commit(self._tmp, self.relative)
        return self.storage.sha256(self.relative)

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
                self._fh.close()
            finally:
                self.storage.fs.rm(self._tmp)


def write_table(storage: Storage, relative: str, chunks: Iterable[Mapping[str, np.ndarray]],
                metadata: Mapping[str, str]) -> tuple[int, str | None]:
    """Write chunks to one Parquet file; returns (rows, sha256 or None)."""
    writer = storage.table_writer(relative, metadata)
    try:
        for chunk in chunks:
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.rows, writer.close()
