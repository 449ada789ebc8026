"""The columns a camera renderer hands to the label writers, and their conversion to rows.

``frames`` has one row per rendered image, ``objects`` one row per labeled object per frame
(``frame_row`` indexes ``frames``). Each contract column has a kind that fixes its Python and
Parquet type, so the bytes of every label file depend on the values only, never on the numpy
dtypes a renderer happened to use. Columns outside the contract are passed through to the
Parquet index (numbers, booleans and strings only).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "FRAME_COLUMNS",
    "OBJECT_COLUMNS",
    "OPTIONAL_FRAME_COLUMNS",
    "column_rows",
    "finite_or_none",
    "json_value",
]

FRAME_COLUMNS: dict[str, str] = {
    "file": "str",
    "run": "int",
    "frame": "int",
    "t_s": "float",
    "width_px": "int",
    "height_px": "int",
    "fx_px": "float",
    "fy_px": "float",
    "cx_px": "float",
    "cy_px": "float",
    "cam_to_world": "matrix",
    "visibility_m": "float",
    "road_state": "str",
    "rain_mm_h": "float",
    "snow_mm_h": "float",
    "sun_elevation_deg": "float",
    "ego_ttc_s": "float",
    "ego_gap_m": "float",
}
"""Required per-frame columns and their kinds; ``cam_to_world`` is a row-major 4×4 matrix."""

OPTIONAL_FRAME_COLUMNS: dict[str, str] = {
    "depth_file": "str",
    "semantic_file": "str",
    "instance_file": "str",
    "transmission_file": "str",
}
"""Relative paths of a frame's sibling images, when the renderer writes them ("" = none)."""

OBJECT_COLUMNS: dict[str, str] = {
    "frame_row": "int",
    "track_id": "str",
    "instance_id": "int",
    "category": "str",
    "group": "str",
    "bbox_x_px": "float",
    "bbox_y_px": "float",
    "bbox_w_px": "float",
    "bbox_h_px": "float",
    "amodal_x_px": "float",
    "amodal_y_px": "float",
    "amodal_w_px": "float",
    "amodal_h_px": "float",
    "visible_fraction": "float",
    "truncation": "float",
    "visible": "bool",
    "distance_m": "float",
    "box3d_x_m": "float",
    "box3d_y_m": "float",
    "box3d_z_m": "float",
    "box3d_l_m": "float",
    "box3d_w_m": "float",
    "box3d_h_m": "float",
    "box3d_yaw_rad": "float",
    "area_px": "int",
    "segmentation": "str",
}
"""Required per-object columns and their kinds."""


def finite_or_none(value: float) -> float | None:
    """``value``, or None when it is NaN or infinite (JSON has no such numbers)."""
    return value if math.isfinite(value) else None


def json_value(value: Any) -> Any:
    """A row value as strict JSON can hold it: non-finite floats become None."""
    return finite_or_none(value) if isinstance(value, float) else value


def _matrix_values(column: Any, name: str) -> list[list[float]]:
    rows = [np.asarray(m, dtype=np.float64).reshape(-1) for m in column]
    if any(r.size != 16 for r in rows):
        raise ValueError(f"column {name!r} must hold 16 numbers (a row-major 4×4) per row")
    return [r.tolist() for r in rows]


def _string_values(column: Any, name: str) -> list[str]:
    values = list(column)
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"column {name!r} must hold strings")
    return [str(v) for v in values]


def _whole_values(column: Any, name: str) -> list[int]:
    array = np.asarray(column)
    if array.dtype.kind == "f" and not np.array_equal(array, np.round(array)):
        raise ValueError(f"column {name!r} must hold whole numbers")
    return array.astype(np.int64).tolist()


def _float_values(column: Any, name: str) -> list[float]:
    return np.asarray(column, dtype=np.float64).tolist()


def _bool_values(column: Any, name: str) -> list[bool]:
    return np.asarray(column).astype(bool).tolist()


_CONVERTERS: dict[str, Callable[[Any, str], list[Any]]] = {
    "int": _whole_values,
    "float": _float_values,
    "bool": _bool_values,
    "str": _string_values,
    "matrix": _matrix_values,
}
"""Python values of a column by its kind (exact for ints and floats)."""


def _extra_values(column: Any, name: str) -> list[Any]:
    array = np.asarray(column)
    if array.ndim == 1 and array.dtype.kind in "biuf":
        return array.tolist()
    if array.ndim == 1 and array.dtype.kind in "OU":
        return _string_values(array.astype(object), name)
    raise ValueError(f"extra column {name!r} must be 1-D numbers, booleans or strings")


def column_rows(columns: Mapping[str, Any], required: Mapping[str, str], *,
                optional: Mapping[str, str] | None = None, what: str) -> list[dict[str, Any]]:
    """One dict per row of ``columns`` (contract columns converted by kind, extras as is).

    Raises ValueError naming the missing columns, or columns of unequal length.
    """
    optional = optional or {}
    if not columns:
        return []
    missing = [name for name in required if name not in columns]
    if missing:
        raise ValueError(f"{what} columns missing: {', '.join(missing)}")
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{what} columns have unequal lengths: {lengths}")
    kinds = {**required, **optional}
    converted = {
        name: (_CONVERTERS[kinds[name]](col, name) if name in kinds
               else _extra_values(col, name))
        for name, col in columns.items()
    }
    n = next(iter(lengths.values()))
    names = list(converted)
    return [{name: converted[name][i] for name in names} for i in range(n)]
