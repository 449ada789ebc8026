"""The Parquet frame index: ``frames.parquet`` and ``objects.parquet`` of a rendering output.

Written for every output whatever its label formats: one row per frame (every frame column,
``cam_to_world`` as a list of 16 doubles, plus the COCO ``image_id``) and one row per labeled
object, including objects with no visible pixel (plus ``run``, ``frame``, ``image_id``, the
COCO ``annotation_id`` or null, and ``frame_row``, the object's row in ``frames.parquet``). Both
join to ``episodes/`` on ``run``. zstd, fixed row groups, no timestamps: the bytes depend only on
the rows.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from simengine.renderers.base import Artefact
from simengine.renderers.formats.records import LabelSet, Row
from simengine.renderers.formats.schema import (
    FRAME_COLUMNS,
    OBJECT_COLUMNS,
    OPTIONAL_FRAME_COLUMNS,
)

__all__ = ["FRAMES_FILE", "OBJECTS_FILE", "finalize_artefacts", "index_tables"]

FRAMES_FILE = "frames.parquet"
OBJECTS_FILE = "objects.parquet"
ROW_GROUP_ROWS = 65_536
"""Rows per row group, the same constant as the corpus's other tables."""


def _arrow_type(kind: str):
    import pyarrow as pa

    return {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_(),
            "matrix": pa.list_(pa.float64())}[kind]


def _table(rows: Sequence[Row], kinds: Mapping[str, str], extras: Sequence[str],
           info: Mapping[str, str]):
    """A pyarrow table: typed contract columns in order, then extras (types inferred)."""
    import pyarrow as pa

    arrays = {name: pa.array([r.get(name) for r in rows], type=_arrow_type(kind))
              for name, kind in kinds.items()}
    for name in extras:
        arrays[name] = pa.array([r.get(name) for r in rows])
    table = pa.table(arrays)
    return table.replace_schema_metadata({str(k): str(v) for k, v in info.items()})


def _extras(rows: Sequence[Row], known: Mapping[str, str]) -> list[str]:
    return sorted({name for r in rows for name in r} - set(known))


def index_tables(labels: LabelSet, info: Mapping[str, str]) -> tuple[Any, Any]:
    """(frames, objects) pyarrow tables of a label set."""
    frames: list[Row] = []
    objects: list[Row] = []
    for i, (frame, objs) in enumerate(zip(labels.frames, labels.objects, strict=True)):
        frames.append({**frame, "image_id": i + 1})
        for obj, ann_id in zip(objs, labels.annotation_ids[i], strict=True):
            objects.append({**obj, "annotation_id": ann_id, "image_id": i + 1, "frame_row": i})
    optional = {name: kind for name, kind in OPTIONAL_FRAME_COLUMNS.items()
                if any(name in f for f in frames)}
    frame_kinds = {"image_id": "int", **FRAME_COLUMNS, **optional}
    object_kinds = {"run": "int", "frame": "int", "image_id": "int", "annotation_id": "int",
                    **OBJECT_COLUMNS}
    return (_table(frames, frame_kinds, _extras(frames, frame_kinds), info),
            _table(objects, object_kinds, _extras(objects, object_kinds), info))


def _parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", row_group_size=ROW_GROUP_ROWS,
                   write_statistics=True)
    return sink.getvalue()


def shard_artefacts(labels: LabelSet) -> list[Artefact]:
    """Nothing per shard: the index is built at finalize."""
    return []


def finalize_artefacts(labels: LabelSet, info: Mapping[str, str]) -> list[Artefact]:
    """``frames.parquet`` and ``objects.parquet`` (``info`` as the files' key-value metadata)."""
    frames, objects = index_tables(labels, info)
    return [Artefact(FRAMES_FILE, data=_parquet_bytes(frames)),
            Artefact(OBJECTS_FILE, data=_parquet_bytes(objects))]
