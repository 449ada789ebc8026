"""Reading a corpus back: its manifest, its resolved scenario, and its tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from simengine.errors import CorpusError
from simengine.runner.manifest import MANIFEST, Manifest
from simengine.runner.storage import Storage

__all__ = ["Corpus", "open_corpus"]


@dataclass(frozen=True)
class Corpus:
    """A corpus folder (local path or fsspec URL)."""

    path: str
    manifest: Manifest

    @cached_property
    def storage(self) -> Storage:
        return Storage(self.path)

    @property
    def complete(self) -> bool:
        return self.manifest.complete

    @property
    def scenario_text(self) -> str:
        return self.storage.read_bytes("scenario.yaml").decode()

    def files(self, folder: str) -> list[str]:
        """The data files of a table folder, in shard order."""
        prefix = f"{folder}/"
        return sorted(
            f
            for f in self.manifest.all_files()
            if f.startswith(prefix) and "/_parts/" not in f and f.endswith(".parquet")
        )

    def table(self, folder: str, *, columns: Sequence[str] | None = None,
              runs: Iterable[int] | None = None) -> Any:
        """A pyarrow Table of the shard files of ``folder`` (``episodes`` or a stream): every
        column, or ``columns``; every shard, or only the shards holding ``runs`` (from the
        manifest's run ranges: a few runs of a large corpus read a few files)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = self.files(folder)
        if not files:
            raise CorpusError(f"the corpus has no table {folder!r}", file=self.path)
        if runs is not None:
            holding = self._files_holding(runs)
            files = [f for f in files if f in holding]
        tables = []
        for rel in files:
            with self.storage.fs.open(self.storage.path(rel), "rb") as fh:
                tables.append(pq.read_table(fh, columns=list(columns) if columns else None))
        if not tables:  # no shard holds the runs: an empty table of the same columns
            with self.storage.fs.open(self.storage.path(self.files(folder)[0]), "rb") as fh:
                schema = pq.read_schema(fh)
            if columns:
                schema = pa.schema([schema.field(c) for c in columns])
            return schema.empty_table()
        return pa.concat_tables(tables)

    def _files_holding(self, runs: Iterable[int]) -> set[str]:
        from bisect import bisect_left

        wanted = sorted({int(r) for r in runs})
        out: set[str] = set()
        for receipt in self.manifest.shards.values():
            start, stop = receipt.runs
            k = bisect_left(wanted, start)
            if k < len(wanted) and wanted[k] < stop:
                out.update(receipt.files)
        return out

    def episodes(self) -> Any:
        """The episodes table: one row per run."""
        return self.table("episodes")


def open_corpus(path: str) -> Corpus:
    """Open the corpus at ``path`` (its manifest must exist)."""
    storage = Storage(path)
    if not storage.exists(MANIFEST):
        raise CorpusError("no manifest.json: not a simengine corpus", file=path)
    manifest = Manifest.from_json(
        storage.read_bytes(MANIFEST).decode(), where=storage.path(MANIFEST)
    )
    return Corpus(path, manifest)
