"""YOLO labels: ``labels/<stem>.txt`` beside ``images/`` and a ``data.yaml``.

One text file per image, written with the shard (its content depends on that image only), one
line per object: ``class cx cy w h`` — class id 0..7 in :data:`CATEGORIES` order, the modal box
centre and size divided by the image width and height, 6 decimals. YOLO has no attribute
channel, so it lists only what a detector can be asked to find: objects with visible pixels
whose ``visible`` flag is set (fog contrast at least 0.05). An image without one gets an empty
file, which YOLO reads as a background image.
"""

from __future__ import annotations

from collections.abc import Mapping

from simengine.renderers.base import Artefact
from simengine.renderers.formats.categories import CATEGORIES, yolo_class_id
from simengine.renderers.formats.records import LabelSet, Row, is_annotated

__all__ = ["DATA_YAML", "finalize_artefacts", "label_line", "label_path", "shard_artefacts"]

DATA_YAML = "data.yaml"


def label_path(frame: Row) -> str:
    """``images/a/b.png`` → ``labels/a/b.txt`` (the layout YOLO trainers look for)."""
    stem = LabelSet.image_name(frame).rsplit(".", 1)[0]
    return f"labels/{stem}.txt"


def label_line(obj: Row, width_px: int, height_px: int) -> str:
    """``class cx cy w h`` of an object's modal box, normalised to the image size."""
    x, y = obj["bbox_x_px"], obj["bbox_y_px"]
    w, h = obj["bbox_w_px"], obj["bbox_h_px"]
    values = ((x + w / 2) / width_px, (y + h / 2) / height_px, w / width_px, h / height_px)
    return " ".join([str(yolo_class_id(obj["category"]))] + [f"{v:.6f}" for v in values])


def _is_target(obj: Row) -> bool:
    return is_annotated(obj) and obj["visible"]


def shard_artefacts(labels: LabelSet) -> list[Artefact]:
    """One label file per image of the shard."""
    out = []
    for frame, objs in zip(labels.frames, labels.objects, strict=True):
        lines = [label_line(o, frame["width_px"], frame["height_px"]) for o in objs
                 if _is_target(o)]
        out.append(Artefact(label_path(frame), data="".join(f"{ln}\n" for ln in lines).encode()))
    return out


def data_yaml() -> str:
    """The dataset file: root, image folders (train and val share ``images``), class names."""
    names = "".join(f"  {i}: {name}\n" for i, name in enumerate(CATEGORIES))
    return f"path: .\ntrain: images\nval: images\nnc: {len(CATEGORIES)}\nnames:\n{names}"


def finalize_artefacts(labels: LabelSet, info: Mapping[str, str]) -> list[Artefact]:
    """``data.yaml`` (it depends only on the class list)."""
    return [Artefact(DATA_YAML, data=data_yaml().encode())]
