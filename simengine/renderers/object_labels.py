"""Per-object labels from an instance mask and the object's 3-D geometry (pure numpy).

Conventions (the label files document them too):

- Pixel coordinates are continuous with the origin at the image's top-left corner; pixel
  (u, v) covers [u, u+1) × [v, v+1) and is drawn when its centre (u+½, v+½) is inside the
  projected surface. The renderer's projection is set up to follow exactly this rule.
- Camera coordinates follow OpenCV: x right, y down, z forward (metres);
  ``u = cx + fx·x/z``, ``v = cy + fy·y/z``.
- The **modal** box is the bounding box of the object's visible pixels; objects with fewer than
  ``min_visible_px`` visible pixels get none (NaN).
- The **amodal** box bounds the projection of the object's 3-D box, cut at the near plane (the
  part of the box behind the camera projects nowhere) and clipped to the image.
- ``truncation`` is the share of that projected box area (polygon area, not pixels) lying
  outside the image.
- ``visible_fraction`` = visible pixels / pixels the object would cover if nothing occluded
  it. The unoccluded silhouette is computed, not rendered: every object is drawn as a union
  of convex boxes (``scene.object_parts``), and the projection of a convex body is the convex
  hull of its projected vertices, so rasterising the union of those hulls with the renderer's
  pixel-centre rule gives the silhouette exactly — for the cost of a few polygon scans instead
  of one extra render per object. Truncation is not occlusion: an object cut by the image
  border but hidden by nothing has ``visible_fraction`` 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ObjectGeometry",
    "ObjectLabel",
    "PinholeCamera",
    "box_corners",
    "clip_polygon_to_rect",
    "convex_hull",
    "label_object",
    "polygon_area",
    "projected_hull",
    "rasterize_convex",
    "silhouette",
]

_SIGNS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)],
                  dtype=np.float64)
_EDGES = np.array([(a, b) for a in range(8) for b in range(a + 1, 8)
                   if int(np.abs(_SIGNS[a] - _SIGNS[b]).sum()) == 2], dtype=np.int64)
"""The 12 edges of a box whose corners are ordered as ``_SIGNS``."""


@dataclass(frozen=True)
class PinholeCamera:
    """An ideal pinhole camera: image size, intrinsics (px) and pose.

    ``cam_to_world`` maps OpenCV camera coordinates to the road frame (4×4); ``heading_rad``
    is the direction the camera faces about the vertical (for a camera looking straight down,
    the direction of the image's top), used for 3-D box yaw.
    """

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    near_m: float
    cam_to_world: np.ndarray
    heading_rad: float = 0.0
    world_to_cam: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m = np.asarray(self.cam_to_world, dtype=np.float64)
        inv = np.eye(4)
        inv[:3, :3] = m[:3, :3].T
        inv[:3, 3] = -m[:3, :3].T @ m[:3, 3]
        object.__setattr__(self, "cam_to_world", m)
        object.__setattr__(self, "world_to_cam", inv)

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """Road-frame points (..., 3) → camera coordinates (..., 3)."""
        r, t = self.world_to_cam[:3, :3], self.world_to_cam[:3, 3]
        return np.asarray(points_world, dtype=np.float64) @ r.T + t

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """Camera points (..., 3) with z > 0 → pixel coordinates (..., 2)."""
        p = np.asarray(points_cam, dtype=np.float64)
        u = self.cx_px + self.fx_px * p[..., 0] / p[..., 2]
        v = self.cy_px + self.fy_px * p[..., 1] / p[..., 2]
        return np.stack([u, v], axis=-1)


def box_corners(centre_m: np.ndarray, size_m: np.ndarray, yaw_rad: float) -> np.ndarray:
    """The 8 corners (8, 3) of a box: centre, (length, width, height), yaw about z."""
    local = _SIGNS * (np.asarray(size_m, dtype=np.float64) / 2)
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    return local @ rot.T + np.asarray(centre_m, dtype=np.float64)


@dataclass(frozen=True)
class ObjectGeometry:
    """An object's 3-D box (centre, size l×w×h, yaw about z) and the corners of the boxes it
    is drawn with, all in the road frame."""

    centre_m: np.ndarray
    size_m: np.ndarray
    yaw_rad: float
    parts_world: np.ndarray  # (parts, 8, 3), corners ordered as box_corners

    @property
    def corners(self) -> np.ndarray:
        return box_corners(self.centre_m, self.size_m, self.yaw_rad)


# -- 2-D polygon helpers ---------------------------------------------------------------------


def convex_hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (k, 2) of 2-D points, counter-clockwise in (u, v), no repeated points
    (Andrew's monotone chain; a handful of points per call, so plain Python floats)."""
    pts = sorted(set(map(tuple, np.asarray(points, dtype=np.float64).reshape(-1, 2).tolist())))
    if len(pts) <= 2:
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    def half(ordered: list) -> list:
        chain: list = []
        for p in ordered:
            while len(chain) >= 2:
                (ox, oy), (ax, ay) = chain[-2], chain[-1]
                if (ax - ox) * (p[1] - oy) - (ay - oy) * (p[0] - ox) > 0:
                    break
                chain.pop()
            chain.append(p)
        return chain

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def polygon_area(poly: np.ndarray) -> float:
    """Area of a simple polygon (shoelace formula); 0 for fewer than 3 vertices."""
    p = np.asarray(poly, dtype=np.float64)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def clip_polygon_to_rect(poly: np.ndarray, width: float, height: float) -> np.ndarray:
    """A convex polygon cut to the rectangle [0, width] × [0, height] (Sutherland–Hodgman)."""
    out = np.asarray(poly, dtype=np.float64)
    for axis, bound, keep_below in ((0, 0.0, False), (0, width, True), (1, 0.0, False),
                                    (1, height, True)):
        if len(out) == 0:
            break
        d = out[:, axis] - bound
        inside = d <= 0 if keep_below else d >= 0
        result = []
        for i in range(len(out)):
            j = (i + 1) % len(out)
            if inside[i]:
                result.append(out[i])
            if inside[i] != inside[j]:
                t = d[i] / (d[i] - d[j])
                result.append(out[i] + t * (out[j] - out[i]))
        out = np.array(result).reshape(-1, 2)
    return out


def projected_hull(corners_world: np.ndarray, camera: PinholeCamera) -> np.ndarray:
    """The image of a convex box (8 corners) in front of the near plane: the convex hull of its
    visible corners and of its edges' crossings of the near plane, projected (k, 2)."""
    cam = camera.to_camera(corners_world)
    z = cam[:, 2]
    front = z >= camera.near_m
    if not front.any():
        return np.zeros((0, 2))
    points = [cam[front]]
    a, b = _EDGES[:, 0], _EDGES[:, 1]
    crossing = front[a] != front[b]
    if crossing.any():
        a, b = a[crossing], b[crossing]
        t = (camera.near_m - z[a]) / (z[b] - z[a])
        points.append(cam[a] + t[:, None] * (cam[b] - cam[a]))
    return convex_hull(camera.project(np.concatenate(points)))


def rasterize_convex(poly: np.ndarray, rows: range, cols: range) -> np.ndarray:
    """Pixels of the window ``rows`` × ``cols`` whose centres lie in a convex polygon."""
    mask = np.zeros((len(rows), len(cols)), dtype=bool)
    p = np.asarray(poly, dtype=np.float64)
    if len(p) < 3 or len(rows) == 0 or len(cols) == 0:
        return mask
    y = np.arange(rows.start, rows.stop, dtype=np.float64) + 0.5
    x0, y0 = p[:, 0], p[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    lo, hi = np.minimum(y0, y1), np.maximum(y0, y1)
    slanted = y1 != y0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (y[:, None] - y0[None, :]) / (y1 - y0)[None, :]
    xs = x0[None, :] + t * (x1 - x0)[None, :]
    hit = slanted[None, :] & (y[:, None] >= lo[None, :]) & (y[:, None] <= hi[None, :])
    left = np.where(hit, xs, np.inf).min(axis=1)
    right = np.where(hit, xs, -np.inf).max(axis=1)
    centres = np.arange(cols.start, cols.stop, dtype=np.float64) + 0.5
    mask[:] = (centres[None, :] >= left[:, None]) & (centres[None, :] <= right[:, None])
    return mask


def _window(polys: list[np.ndarray], width: int, height: int) -> tuple[range, range]:
    pts = np.concatenate([p for p in polys if len(p)]) if polys else np.zeros((0, 2))
    if len(pts) == 0:
        return range(0), range(0)
    c0 = max(0, math.floor(pts[:, 0].min()))
    c1 = min(width, math.ceil(pts[:, 0].max()) + 1)
    r0 = max(0, math.floor(pts[:, 1].min()))
    r1 = min(height, math.ceil(pts[:, 1].max()) + 1)
    return range(r0, max(r0, r1)), range(c0, max(c0, c1))


def silhouette(parts_world: np.ndarray, camera: PinholeCamera) -> tuple[np.ndarray, range, range]:
    """The unoccluded pixels of an object drawn as convex parts: a window mask and its rows
    and columns in the image."""
    hulls = [projected_hull(part, camera) for part in parts_world]
    rows, cols = _window(hulls, camera.width_px, camera.height_px)
    mask = np.zeros((len(rows), len(cols)), dtype=bool)
    for hull in hulls:
        if len(hull) >= 3:
            mask |= rasterize_convex(hull, rows, cols)
    return mask, rows, cols


# -- labels ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectLabel:
    """Geometry labels of one object in one image (see the module docstring)."""

    bbox_px: tuple[float, float, float, float]  # modal x, y, w, h (NaN: too few pixels)
    amodal_px: tuple[float, float, float, float]
    visible_px: int
    silhouette_px: int
    visible_fraction: float
    truncation: float
    box3d_cam: tuple[float, float, float, float, float, float, float]  # x, y, z, l, w, h, yaw
    distance_m: float

    @property
    def has_modal_box(self) -> bool:
        return not math.isnan(self.bbox_px[0])


_NO_BOX = (math.nan, math.nan, math.nan, math.nan)


def _modal_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (float(cols[0]), float(rows[0]), float(cols[-1] + 1 - cols[0]),
            float(rows[-1] + 1 - rows[0]))


def _wrap(angle: float) -> float:
    """Angle in (−π, π]."""
    wrapped = math.remainder(angle, 2 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped


def label_object(mask: np.ndarray, geometry: ObjectGeometry, camera: PinholeCamera, *,
                 min_visible_px: int) -> ObjectLabel | None:
    """Labels of one object from its boolean instance ``mask`` (height, width) and geometry;
    None when no part of its 3-D box projects into the image."""
    hull = projected_hull(geometry.corners, camera)
    if len(hull) < 3:
        return None
    inside = clip_polygon_to_rect(hull, camera.width_px, camera.height_px)
    total_area = polygon_area(hull)
    inside_area = polygon_area(inside)
    if len(inside) < 3 or inside_area <= 0.0:
        return None
    amodal = (float(inside[:, 0].min()), float(inside[:, 1].min()),
              float(inside[:, 0].max() - inside[:, 0].min()),
              float(inside[:, 1].max() - inside[:, 1].min()))
    truncation = min(1.0, max(0.0, 1.0 - inside_area / total_area))
    visible_px = int(np.count_nonzero(mask))
    unoccluded, _, _ = silhouette(geometry.parts_world, camera)
    silhouette_px = int(np.count_nonzero(unoccluded))
    # rasterisation may differ from the renderer on an edge pixel: never report more than 1
    denominator = max(silhouette_px, visible_px)
    fraction = visible_px / denominator if denominator else 0.0
    bbox = _modal_box(mask) if visible_px >= max(1, min_visible_px) else _NO_BOX
    centre_cam = camera.to_camera(np.asarray(geometry.centre_m, dtype=np.float64))
    length, width, height = (float(v) for v in geometry.size_m)
    yaw = _wrap(float(geometry.yaw_rad) - camera.heading_rad)
    box3d = (float(centre_cam[0]), float(centre_cam[1]), float(centre_cam[2]), length, width,
             height, yaw)
    return ObjectLabel(bbox, amodal, visible_px, silhouette_px, fraction, truncation, box3d,
                       float(np.linalg.norm(centre_cam)))
