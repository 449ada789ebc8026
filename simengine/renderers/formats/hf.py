"""Hugging Face imagefolder metadata: ``images/metadata.jsonl``.

``datasets.load_dataset("imagefolder", data_dir=OUT/<output>/images)`` then yields each RGB frame
with its run, time, weather, criticality and an ``objects`` field in the detection layout (a
dict of equal-length lists: ``bbox`` as [x, y, w, h] pixels, ``category``, ``track_id``,
``visible_fraction``, ``visible``) listing the objects with visible pixels. Depth and
segmentation images live in sibling folders so the imagefolder holds RGB frames only.
Non-finite numbers are written as null (the JSON reader rejects NaN).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from simengine.renderers.base import Artefact
from simengine.renderers.formats.records import LabelSet, Row, is_annotated
from simengine.renderers.formats.schema import json_value

__all__ = ["METADATA_FILE", "finalize_artefacts", "metadata_row", "shard_artefacts"]

METADATA_FILE = "images/metadata.jsonl"

_FRAME_FIELDS = ("run", "frame", "t_s", "visibility_m", "road_state", "rain_mm_h", "snow_mm_h",
                 "sun_elevation_deg", "ego_ttc_s", "ego_gap_m")


def metadata_row(frame: Row, objects: Sequence[Row]) -> dict[str, Any]:
    """One line of ``metadata.jsonl``: the frame's fields and its visible objects."""
    shown = [o for o in objects if is_annotated(o)]
    return {
        "file_name": LabelSet.image_name(frame),
        **{name: json_value(frame[name]) for name in _FRAME_FIELDS},
        "objects": {
            "bbox": [[json_value(o[f"bbox_{k}_px"]) for k in ("x", "y", "w", "h")]
                     for o in shown],
            "category": [o["category"] for o in shown],
            "track_id": [o["track_id"] for o in shown],
            "visible_fraction": [json_value(o["visible_fraction"]) for o in shown],
            "visible": [o["visible"] for o in shown],
        },
    }


def shard_artefacts(labels: LabelSet) -> list[Artefact]:
    """Nothing per shard: the metadata file is built at finalize."""
    return []


def finalize_artefacts(labels: LabelSet, info: Mapping[str, str]) -> list[Artefact]:
    """``images/metadata.jsonl``, one line per frame in (run, frame) order."""
    lines = [json.dumps(metadata_row(f, objs), sort_keys=True, separators=(",", ":"),
                        allow_nan=False)
             for f, objs in zip(labels.frames, labels.objects, strict=True)]
    return [Artefact(METADATA_FILE, data="".join(f"{ln}\n" for ln in lines).encode())]
