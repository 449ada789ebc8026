"""Label writers of the camera renderer: COCO, YOLO, Hugging Face imagefolder, Parquet index.

The renderer calls :func:`shard_label_artefacts` once per shard with its frames and objects
(columns described in :mod:`.schema`) and :func:`finalize_label_artefacts` once at the end with
every shard's partial artefacts. Per-image files (YOLO labels) are written with their shard;
corpus-wide files (``coco.json``, ``data.yaml``, ``images/metadata.jsonl``, the Parquet index) are
rebuilt from the partials in (run, frame) order, so they are byte-identical however the runs were
sharded and after any resume. RLE masks are encoded by :mod:`.rle`, without pycocotools.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from simengine.renderers.base import Artefact
from simengine.renderers.formats import coco, hf, index, yolo
from simengine.renderers.formats.categories import CATEGORIES
from simengine.renderers.formats.records import LabelSet

__all__ = [
    "CATEGORIES",
    "FORMATS",
    "LabelSet",
    "check_formats",
    "finalize_label_artefacts",
    "shard_label_artefacts",
]


@dataclass(frozen=True)
class _Writer:
    """One label format: its per-shard files and its corpus-wide files."""

    shard: Callable[[LabelSet], list[Artefact]]
    finalize: Callable[[LabelSet, Mapping[str, str]], list[Artefact]]


_WRITERS: dict[str, _Writer] = {
    "coco": _Writer(coco.shard_artefacts, coco.finalize_artefacts),
    "yolo": _Writer(yolo.shard_artefacts, yolo.finalize_artefacts),
    "hf": _Writer(hf.shard_artefacts, hf.finalize_artefacts),
}
_INDEX = _Writer(index.shard_artefacts, index.finalize_artefacts)

FORMATS: tuple[str, ...] = tuple(_WRITERS)
"""Label format names a rendering output may ask for (the Parquet index is always written)."""


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The requested formats without repeats, in order; ValueError naming the known ones for
    an unknown name (usable as a pydantic validator of a preset's options)."""
    if isinstance(formats, str):
        raise ValueError(f"formats must be a list of names, got the string {formats!r}")
    unknown = [f for f in formats if f not in _WRITERS]
    if unknown:
        raise ValueError(f"unknown label format(s) {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(formats))


def _writers(formats: Sequence[str]) -> list[_Writer]:
    return [_INDEX] + [_WRITERS[name] for name in check_formats(formats)]


def shard_label_artefacts(frames: Mapping[str, Any], objects: Mapping[str, Any], *,
                          formats: Sequence[str]) -> list[Artefact]:
    """A shard's label artefacts: the partial rows finalize merges, and per-image files.

    Raises ValueError for an unknown format or columns that break the contract (missing
    columns, unequal lengths, unknown category, RLE not matching the image or ``area_px``).
    """
    writers = _writers(formats)
    labels = LabelSet.from_columns(frames, objects)
    out = labels.partials()
    for writer in writers:
        out.extend(writer.shard(labels))
    return sorted(out, key=lambda a: a.path)


def finalize_label_artefacts(parts: Sequence[Sequence[Artefact]], *, formats: Sequence[str],
                             info: Mapping[str, str]) -> list[Artefact]:
    """Corpus-wide label files from every shard's partials (other partials are ignored).

    ``info`` (engine version, scenario name, ...) becomes COCO's ``info`` block and the Parquet
    index's key-value metadata; it must not hold timestamps if the files are to be reproducible.
    """
    writers = _writers(formats)
    labels = LabelSet.from_parts(parts)
    out: list[Artefact] = []
    for writer in writers:
        out.extend(writer.finalize(labels, info))
    return sorted(out, key=lambda a: a.path)
