"""The object classes every label format uses, in one fixed order.

COCO category ids are 1..8 and YOLO class ids 0..7 in this order; changing the order changes
every label file, so new classes go at the end.
"""

from __future__ import annotations

__all__ = ["CATEGORIES", "SUPERCATEGORIES", "coco_category_id", "yolo_class_id"]

CATEGORIES: tuple[str, ...] = (
    "car",
    "truck",
    "motorcycle",
    "cyclist",
    "pedestrian",
    "parked_vehicle",
    "barrier",
    "building",
)

SUPERCATEGORIES: dict[str, str] = {
    "car": "vehicle",
    "truck": "vehicle",
    "motorcycle": "vehicle",
    "cyclist": "vulnerable_road_user",
    "pedestrian": "vulnerable_road_user",
    "parked_vehicle": "vehicle",  # it looks like a vehicle; it is static only in how it moves
    "barrier": "static",
    "building": "static",
}

_INDEX = {name: i for i, name in enumerate(CATEGORIES)}


def yolo_class_id(category: str) -> int:
    """YOLO class id (0-based) of a category name."""
    return _INDEX[category]


def coco_category_id(category: str) -> int:
    """COCO category id (1-based) of a category name."""
    return _INDEX[category] + 1
