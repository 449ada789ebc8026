"""Label rows in canonical order, their per-shard partial files, and their merge at finalize.

A shard's frames and objects are validated, converted to plain rows and written as two JSON
lines partials (one object per line, sorted keys, floats in shortest round-trip form). At the end
all shards' partials are merged and sorted again — frames by (run, frame), objects of a frame by
(track_id, instance_id) — so every corpus-wide file depends on the set of frames only, never on
how runs were cut into shards or in which order shards finished. Image ids number the sorted
frames from 1; annotation ids number the objects with visible pixels from 1 in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from simengine.renderers.base import Artefact
from simengine.renderers.formats import rle
from simengine.renderers.formats.categories import CATEGORIES
from simengine.renderers.formats.schema import (
    FRAME_COLUMNS,
    OBJECT_COLUMNS,
    OPTIONAL_FRAME_COLUMNS,
    column_rows,
)

__all__ = ["FRAMES_PART", "OBJECTS_PART", "LabelSet", "Row", "is_annotated"]

FRAMES_PART = "label-rows/frames.jsonl"
OBJECTS_PART = "label-rows/objects.jsonl"
"""Paths of the partial artefacts (under each shard's ``_parts/`` folder)."""

Row = dict[str, Any]
IMAGES_DIR = "images/"


def is_annotated(obj: Row) -> bool:
    """Whether an object is a detection target: it has visible pixels in the image."""
    return obj["area_px"] > 0


def _frame_key(frame: Row) -> tuple[int, int]:
    return (frame["run"], frame["frame"])


def _object_key(obj: Row) -> tuple[int, int, str, int]:
    return (obj["run"], obj["frame"], obj["track_id"], obj["instance_id"])


def _check_frame(frame: Row) -> None:
    where = f"frame (run {frame['run']}, step {frame['frame']})"
    file = frame["file"]
    name = file[len(IMAGES_DIR):]
    if not file.startswith(IMAGES_DIR) or not name or name.endswith("/") or "." not in name:
        raise ValueError(f"{where}: file must be an image under images/, got {file!r}")
    if frame["width_px"] <= 0 or frame["height_px"] <= 0:
        raise ValueError(f"{where}: width_px and height_px must be positive")


def _check_object(obj: Row, frame: Row) -> None:
    where = f"object {obj['track_id']!r} in {frame['file']}"
    if obj["category"] not in CATEGORIES:
        raise ValueError(f"{where}: unknown category {obj['category']!r}; known: "
                         f"{', '.join(CATEGORIES)}")
    if obj["instance_id"] < 1:
        raise ValueError(f"{where}: instance_id must be >= 1 (0 is background)")


def _check_masks(objects: Sequence[Row], frames: Sequence[Row], frame_of: np.ndarray) -> None:
    """Every segmentation covers its whole image and has ``area_px`` set pixels (all objects
    decoded in one pass)."""
    covered, set_px = rle.pixel_totals([o["segmentation"] for o in objects])
    pixels = np.array([f["width_px"] * f["height_px"] for f in frames], dtype=np.int64)
    empty = np.array([o["segmentation"] == "" for o in objects], dtype=bool)
    area = np.array([o["area_px"] for o in objects], dtype=np.int64)
    wrong = np.flatnonzero(np.where(empty, area != 0,
                                    (covered != pixels[frame_of]) | (set_px != area)))
    if wrong.size:
        i = int(wrong[0])
        where = f"object {objects[i]['track_id']!r} in {frames[frame_of[i]]['file']}"
        if empty[i]:
            raise ValueError(f"{where}: area_px is {area[i]} but segmentation is empty")
        if covered[i] != pixels[frame_of[i]]:
            raise ValueError(f"{where}: segmentation covers {covered[i]} pixels, the image "
                             f"{pixels[frame_of[i]]}")
        raise ValueError(f"{where}: area_px is {area[i]} but the segmentation has "
                         f"{set_px[i]} pixels")


def _dump_lines(rows: Sequence[Row]) -> bytes:
    return b"".join(json.dumps(r, sort_keys=True, separators=(",", ":")).encode() + b"\n"
                    for r in rows)


def _load_lines(data: bytes | None) -> list[Row]:
    return [json.loads(line) for line in (data or b"").splitlines() if line]


@dataclass(frozen=True)
class LabelSet:
    """Frames sorted by (run, frame) and, per frame, its objects sorted by (track_id,
    instance_id). Object rows carry their frame's ``run`` and ``frame`` instead of a row index."""

    frames: tuple[Row, ...]
    objects: tuple[tuple[Row, ...], ...]

    @classmethod
    def from_columns(cls, frames: Mapping[str, Any], objects: Mapping[str, Any]) -> LabelSet:
        """Validate one shard's columns (see :mod:`.schema`) and sort them."""
        frame_rows = column_rows(frames, FRAME_COLUMNS, optional=OPTIONAL_FRAME_COLUMNS,
                                 what="frames")
        object_rows = column_rows(objects, OBJECT_COLUMNS, what="objects")
        for f in frame_rows:
            _check_frame(f)
        rows = np.array([o.pop("frame_row") for o in object_rows], dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(frame_rows)):
            raise ValueError(f"objects: frame_row must index the {len(frame_rows)} frames")
        for obj, row in zip(object_rows, rows.tolist(), strict=True):
            frame = frame_rows[row]
            _check_object(obj, frame)
            obj["run"], obj["frame"] = frame["run"], frame["frame"]
        _check_masks(object_rows, frame_rows, rows)
        return cls.from_rows(frame_rows, object_rows)

    @classmethod
    def from_rows(cls, frames: Sequence[Row], objects: Sequence[Row]) -> LabelSet:
        """Sort rows into a label set; every object must belong to one of the frames."""
        ordered = sorted(frames, key=_frame_key)
        index: dict[tuple[int, int], int] = {}
        for i, f in enumerate(ordered):
            if _frame_key(f) in index:
                raise ValueError(f"frame (run {f['run']}, step {f['frame']}) appears twice")
            index[_frame_key(f)] = i
        per_frame: list[list[Row]] = [[] for _ in ordered]
        for obj in sorted(objects, key=_object_key):
            i = index.get(_frame_key(obj))
            if i is None:
                raise ValueError(f"object {obj['track_id']!r} belongs to no frame "
                                 f"(run {obj['run']}, step {obj['frame']})")
            per_frame[i].append(obj)
        return cls(tuple(ordered), tuple(tuple(objs) for objs in per_frame))

    @classmethod
    def from_parts(cls, parts: Sequence[Sequence[Artefact]]) -> LabelSet:
        """Merge the label partials of every shard; other partials are ignored."""
        frames: list[Row] = []
        objects: list[Row] = []
        for shard in parts:
            for art in shard:
                if art.path == FRAMES_PART:
                    frames.extend(_load_lines(art.data))
                elif art.path == OBJECTS_PART:
                    objects.extend(_load_lines(art.data))
        return cls.from_rows(frames, objects)

    def partials(self) -> list[Artefact]:
        """This set's rows as the two partial artefacts :meth:`from_parts` reads back."""
        objects = [obj for objs in self.objects for obj in objs]
        return [Artefact(FRAMES_PART, data=_dump_lines(self.frames), partial=True),
                Artefact(OBJECTS_PART, data=_dump_lines(objects), partial=True)]

    @cached_property
    def annotation_ids(self) -> tuple[tuple[int | None, ...], ...]:
        """Per frame and object, its annotation id (1, 2, ... in order) or None when the
        object has no visible pixels."""
        ids: list[tuple[int | None, ...]] = []
        counter = 0
        for objs in self.objects:
            row: list[int | None] = []
            for obj in objs:
                if is_annotated(obj):
                    counter += 1
                    row.append(counter)
                else:
                    row.append(None)
            ids.append(tuple(row))
        return tuple(ids)

    @staticmethod
    def image_name(frame: Row) -> str:
        """A frame's RGB file relative to ``images/``."""
        return frame["file"][len(IMAGES_DIR):]
