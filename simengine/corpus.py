"""Reading a corpus back: its manifest, its resolved scenario, and its tables."""

from __future__ import annotations

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

    def table(self, folder: str) -> Any:
        """A pyarrow Table of every shard file of ``folder`` (``episodes`` or a stream)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = self.files(folder)
        if not files:
            raise CorpusError(f"the corpus has no table {folder!r}", file=self.path)
        tables = []
        for rel in files:
            with self.storage.fs.open(self.storage.path(rel), "rb") as fh:
                tables.append(pq.read_table(fh))
        return pa.concat_tables(tables)

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
