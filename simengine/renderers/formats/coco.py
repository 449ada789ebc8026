"""COCO detection/segmentation labels: one ``coco.json`` for the whole output.

Standard fields are what ``pycocotools`` and the detection frameworks read (``bbox`` is the
modal box from the visible mask, ``segmentation`` its compressed RLE, ``area`` its pixel count,
``iscrowd`` 0); everything else we know sits under an ``attributes`` key of the image or
annotation. Objects with no visible pixel are not annotations (they stay in the Parquet index).
Numbers that JSON cannot hold (NaN, infinity) are written as null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from simengine.renderers.base import Artefact
from simengine.renderers.formats.categories import (
    CATEGORIES,
    SUPERCATEGORIES,
    coco_category_id,
)
from simengine.renderers.formats.records import LabelSet, Row
from simengine.renderers.formats.schema import (
    OPTIONAL_FRAME_COLUMNS,
    finite_or_none,
    json_value,
)

__all__ = ["COCO_FILE", "coco_document", "finalize_artefacts", "shard_artefacts"]

COCO_FILE = "coco.json"

_WEATHER = ("visibility_m", "road_state", "rain_mm_h", "snow_mm_h", "sun_elevation_deg")
_CRITICALITY = ("ego_ttc_s", "ego_gap_m")
_INTRINSICS = ("fx_px", "fy_px", "cx_px", "cy_px")
_BOX3D = ("x_m", "y_m", "z_m", "l_m", "w_m", "h_m", "yaw_rad")


def _pick(row: Row, names: tuple[str, ...], prefix: str = "") -> dict[str, Any]:
    return {name: json_value(row[prefix + name]) for name in names}


def _box(row: Row, prefix: str) -> list[float | None]:
    return [finite_or_none(row[f"{prefix}_{k}_px"]) for k in ("x", "y", "w", "h")]


def _image(image_id: int, frame: Row) -> dict[str, Any]:
    files = {name.removesuffix("_file"): frame[name]
             for name in OPTIONAL_FRAME_COLUMNS if frame.get(name)}
    return {
        "id": image_id,
        "file_name": frame["file"],
        "width": frame["width_px"],
        "height": frame["height_px"],
        "attributes": {
            "run": frame["run"],
            "frame": frame["frame"],
            "t_s": json_value(frame["t_s"]),
            "weather": _pick(frame, _WEATHER),
            "criticality": _pick(frame, _CRITICALITY),
            "intrinsics": _pick(frame, _INTRINSICS),
            "extrinsics": {"cam_to_world": [json_value(v) for v in frame["cam_to_world"]]},
            "files": files,
        },
    }


def _annotation(annotation_id: int, image_id: int, obj: Row, frame: Row) -> dict[str, Any]:
    return {
        "id": annotation_id,
        "image_id": image_id,
        "category_id": coco_category_id(obj["category"]),
        "bbox": _box(obj, "bbox"),
        "area": obj["area_px"],
        "segmentation": {"size": [frame["height_px"], frame["width_px"]],
                         "counts": obj["segmentation"]},
        "iscrowd": 0,
        "attributes": {
            "track_id": obj["track_id"],
            "instance_id": obj["instance_id"],
            "group": obj["group"],
            "amodal_bbox": _box(obj, "amodal"),
            "visible_fraction": json_value(obj["visible_fraction"]),
            "truncation": json_value(obj["truncation"]),
            "visible": obj["visible"],
            "distance_m": json_value(obj["distance_m"]),
            "box3d": _pick(obj, _BOX3D, prefix="box3d_"),
        },
    }


def coco_document(labels: LabelSet, info: Mapping[str, str]) -> dict[str, Any]:
    """The COCO dataset dict of a label set; image ids number the frames from 1."""
    images, annotations = [], []
    for i, (frame, objs) in enumerate(zip(labels.frames, labels.objects, strict=True)):
        image_id = i + 1
        images.append(_image(image_id, frame))
        for obj, ann_id in zip(objs, labels.annotation_ids[i], strict=True):
            if ann_id is not None:
                annotations.append(_annotation(ann_id, image_id, obj, frame))
    categories = [{"id": coco_category_id(name), "name": name,
                   "supercategory": SUPERCATEGORIES[name]} for name in CATEGORIES]
    return {
        "info": {str(k): str(v) for k, v in info.items()},
        "licenses": [],
        "categories": categories,
        "images": images,
        "annotations": annotations,
    }


def shard_artefacts(labels: LabelSet) -> list[Artefact]:
    """COCO writes nothing per shard: ``coco.json`` is built at finalize."""
    return []


def finalize_artefacts(labels: LabelSet, info: Mapping[str, str]) -> list[Artefact]:
    """``coco.json``: compact, sorted keys, strict JSON."""
    doc = coco_document(labels, info)
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return [Artefact(COCO_FILE, data=text.encode() + b"\n")]
