"""One frame of the driving domain's ``scenes`` → a pybullet DIRECT world the sensors look at.

Every object is a union of a few boxes (:func:`object_parts`) sized from its row's
``length_m``/``width_m``/``height_m``: vehicles fill their box (a body and a darker glass band,
or a cab and a cargo box), riders sit on a narrow bike, pedestrians are legs, torso and head by
group, statics are plain boxes. The same parts feed the label geometry, so the unoccluded
silhouette of an object is known exactly without rendering it alone (see ``object_labels``).
Colours are fixed per class (and per pedestrian group) so a person can tell them apart.

The road is built from the per-run columns (:data:`ROAD_COLUMNS`: ``road_type``, ``lanes``,
``lane_width_m``, ``shoulder_m``, the junction's and crosswalks'): lanes of asphalt with solid
edge lines and dashed lane lines, a right shoulder (:data:`SHOULDER_M` when the table does not
say), kerbside pavement in town and grass elsewhere. That road is uniform along x, so its
bodies follow the camera in steps of the dash period and the markings stay put in the world
while a finite mesh covers the view. A junction (the cross road, its lines and stop lines) and
zebra crossings are fixed in the world, drawn over it (:data:`OVERLAY_Z_M`); the analytic
surface map (:meth:`RoadLook.surface_at`) lays out the same rectangles (:meth:`RoadLook.features`).

Bodies are created once per object and moved between frames (``resetBasePositionAndOrientation``);
when the set of objects changes (a new run with other objects or sizes) the world is reset and
rebuilt in row order, so what a frame looks like never depends on which runs came before it.
All road meshes lie just below z = 0 (:data:`SURFACE_Z_M`) so an object standing at z = 0
shows its full height and no two surfaces share a depth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "DASH_M",
    "MARKING_WIDTH_M",
    "OVERLAY_Z_M",
    "ROAD_COLUMNS",
    "ROAD_SURFACES",
    "SHOULDER_M",
    "STOP_LINE_M",
    "STOP_SETBACK_M",
    "SURFACES",
    "SURFACE_Z_M",
    "VERGE_M",
    "ZEBRA_PERIOD_M",
    "ZEBRA_STRIPE_M",
    "Crosswalk",
    "FrameObjects",
    "Junction",
    "Part",
    "Rect",
    "RoadLook",
    "SceneBuilder",
    "category_of",
    "frame_slices",
    "object_parts",
    "parts_corners",
    "road_columns",
]

SHOULDER_M = 2.5
"""Width of the right shoulder when a scenes table does not give ``shoulder_m`` (m); the
driving domain's default."""
VERGE_M = 3.0
"""Width of the pavement beside an urban road, or the paved strip beside a highway (m)."""
MARKING_WIDTH_M = 0.15
"""Width of painted lines (m)."""
SURFACE_Z_M = (-0.010, -0.008, -0.006, -0.004, -0.002)
"""Height of each surface's mesh (by surface id): just below z = 0 and 2 mm apart, so the
higher one wins the depth test where strips overlap and markings lie on the asphalt."""

RGBA = tuple[float, float, float, float]

_COLOURS: dict[str, RGBA] = {
    "car": (0.80, 0.12, 0.12, 1.0),
    "car.glass": (0.35, 0.10, 0.12, 1.0),
    "truck": (0.15, 0.30, 0.80, 1.0),
    "truck.cab": (0.55, 0.65, 0.90, 1.0),
    "motorcycle": (0.95, 0.55, 0.10, 1.0),
    "cyclist": (0.65, 0.20, 0.80, 1.0),
    "rider": (0.20, 0.20, 0.25, 1.0),
    "skin": (0.85, 0.70, 0.55, 1.0),
    "pedestrian.adult": (0.95, 0.85, 0.20, 1.0),
    "pedestrian.child": (0.15, 0.85, 0.90, 1.0),
    "pedestrian.elderly": (0.90, 0.55, 0.75, 1.0),
    "pedestrian.wheelchair": (0.40, 0.90, 0.40, 1.0),
    "trousers": (0.18, 0.22, 0.40, 1.0),
    "chair": (0.30, 0.30, 0.30, 1.0),
    "parked_vehicle": (0.10, 0.60, 0.55, 1.0),
    "parked_vehicle.glass": (0.08, 0.30, 0.30, 1.0),
    "barrier": (0.95, 0.45, 0.10, 1.0),
    "building": (0.78, 0.72, 0.60, 1.0),
}


@dataclass(frozen=True)
class Part:
    """An axis-aligned box in the object's frame (x forward, y left, z up; origin at the
    bottom centre of the object's box): centre and half extents in metres, and a colour."""

    centre_m: tuple[float, float, float]
    half_m: tuple[float, float, float]
    rgba: RGBA


def _slab(ln: float, w: float, z0: float, z1: float, colour: str, *, x: float = 0.0,
          y: float = 0.0) -> Part:
    """A box ``ln`` long and ``w`` wide between heights ``z0`` and ``z1``, centred at (x, y)."""
    return Part((x, y, (z0 + z1) / 2), (ln / 2, w / 2, (z1 - z0) / 2), _COLOURS[colour])


def _vehicle(ln: float, w: float, h: float, colour: str) -> tuple[Part, ...]:
    return (_slab(ln, w, 0.0, 0.62 * h, colour), _slab(ln, w, 0.62 * h, h, f"{colour}.glass"))


def _truck(ln: float, w: float, h: float) -> tuple[Part, ...]:
    cab = min(2.2, 0.3 * ln)
    return (_slab(cab, w, 0.0, h, "truck.cab", x=(ln - cab) / 2),
            _slab(ln - cab, w, 0.0, h, "truck", x=-cab / 2))


def _rider(ln: float, w: float, h: float, colour: str, frame_w: float) -> tuple[Part, ...]:
    """A bike ``frame_w`` wide with handlebars at full width and a seated rider."""
    return (
        _slab(ln, frame_w * w, 0.0, 0.55 * h, colour),
        _slab(0.10 * ln, w, 0.55 * h, 0.62 * h, colour, x=0.35 * ln),
        _slab(0.35 * ln, 0.60 * w, 0.55 * h, 0.85 * h, "rider", x=-0.05 * ln),
        _slab(0.20 * ln, 0.35 * w, 0.85 * h, h, "skin", x=-0.02 * ln),
    )


def _person(ln: float, w: float, h: float, group: str) -> tuple[Part, ...]:
    """Two legs, a torso the full box width and depth, and a head reaching the top."""
    hip, neck = (0.42, 0.78) if group == "child" else (0.47, 0.84)
    head_w = 0.55 if group == "child" else 0.45
    leg_w = 0.25 * w
    torso = f"pedestrian.{group}" if f"pedestrian.{group}" in _COLOURS else "pedestrian.adult"
    return (
        _slab(ln, leg_w, 0.0, hip * h, "trousers", y=0.5 * w - leg_w),
        _slab(ln, leg_w, 0.0, hip * h, "trousers", y=-(0.5 * w - leg_w)),
        _slab(ln, w, hip * h, neck * h, torso),
        _slab(0.75 * ln, head_w * w, neck * h, h, "skin"),
    )


def _wheelchair(ln: float, w: float, h: float) -> tuple[Part, ...]:
    return (
        _slab(ln, w, 0.0, 0.50 * h, "chair"),
        _slab(0.45 * ln, 0.65 * w, 0.50 * h, 0.85 * h, "pedestrian.wheelchair", x=-0.1 * ln),
        _slab(0.30 * ln, 0.35 * w, 0.85 * h, h, "skin", x=-0.1 * ln),
    )


def object_parts(cls: str, group: str, length_m: float, width_m: float,
                 height_m: float) -> tuple[Part, ...]:
    """The boxes an object is drawn with, all inside its ``length × width × height`` box.

    Vehicles and statics fill the box exactly; riders and pedestrians touch every face of it
    (so their 2-D extent matches the projected box) but are narrower in between."""
    ln, w, h = float(length_m), float(width_m), float(height_m)
    if cls == "pedestrian":
        return _wheelchair(ln, w, h) if group == "wheelchair" else _person(ln, w, h, group)
    if cls == "truck":
        return _truck(ln, w, h)
    if cls == "motorcycle":
        return _rider(ln, w, h, "motorcycle", 0.35)
    if cls == "cyclist":
        return _rider(ln, w, h, "cyclist", 0.15)
    if cls == "static" and group == "parked_vehicle":
        return _vehicle(ln, w, h, "parked_vehicle")
    if cls == "static":
        colour = group if group in _COLOURS else "building"
        return (_slab(ln, w, 0.0, h, colour),)
    return _vehicle(ln, w, h, "car")


def category_of(cls: str, group: str) -> str:
    """Label category: the class for actors, the group for statics (parked_vehicle, …)."""
    return group if cls == "static" else cls


def parts_corners(parts: Sequence[Part], x_m: float, y_m: float,
                  heading_rad: float) -> np.ndarray:
    """World coordinates of every part's 8 corners, shape (parts, 8, 3)."""
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)],
                     dtype=np.float64)
    centre = np.array([p.centre_m for p in parts], dtype=np.float64)
    half = np.array([p.half_m for p in parts], dtype=np.float64)
    local = centre[:, None, :] + signs[None, :, :] * half[:, None, :]
    c, s = math.cos(heading_rad), math.sin(heading_rad)
    world = np.empty_like(local)
    world[..., 0] = x_m + c * local[..., 0] - s * local[..., 1]
    world[..., 1] = y_m + s * local[..., 0] + c * local[..., 1]
    world[..., 2] = local[..., 2]
    return world


# -- frames of a scenes table -------------------------------------------------------------


def frame_slices(scenes: Mapping[str, np.ndarray]) -> list[slice]:
    """Row ranges of each (run, frame) in a scenes table (rows are in (run, frame) order)."""
    run = np.asarray(scenes["run"])
    frame = np.asarray(scenes["frame"])
    if run.size == 0:
        return []
    starts = np.flatnonzero(np.r_[True, (run[1:] != run[:-1]) | (frame[1:] != frame[:-1])])
    stops = np.r_[starts[1:], run.size]
    return [slice(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


@dataclass(frozen=True)
class FrameObjects:
    """The object rows of one frame, as plain arrays (row order is the scenes' order)."""

    names: tuple[str, ...]
    classes: tuple[str, ...]
    groups: tuple[str, ...]
    is_ego: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    heading_rad: np.ndarray
    length_m: np.ndarray
    width_m: np.ndarray
    height_m: np.ndarray

    @classmethod
    def from_scenes(cls, scenes: Mapping[str, np.ndarray], rows: slice) -> FrameObjects:
        def num(name: str) -> np.ndarray:
            return np.asarray(scenes[name][rows], dtype=np.float64)

        groups = scenes["group"][rows] if "group" in scenes else [""] * (rows.stop - rows.start)
        return cls(
            names=tuple(str(v) for v in scenes["object"][rows]),
            classes=tuple(str(v) for v in scenes["class"][rows]),
            groups=tuple("" if v is None else str(v) for v in groups),
            is_ego=np.asarray(scenes["is_ego"][rows], dtype=bool),
            x_m=num("x_m"), y_m=num("y_m"), heading_rad=num("heading_rad"),
            length_m=num("length_m"), width_m=num("width_m"), height_m=num("height_m"),
        )

    def __len__(self) -> int:
        return len(self.names)

    def parts(self, i: int) -> tuple[Part, ...]:
        return object_parts(self.classes[i], self.groups[i], self.length_m[i],
                            self.width_m[i], self.height_m[i])

    def key(self, i: int) -> tuple:
        """What a body depends on: name, class, group and size (to the micrometre)."""
        size = tuple(round(float(v), 6) for v in
                     (self.length_m[i], self.width_m[i], self.height_m[i]))
        return (self.names[i], self.classes[i], self.groups[i], size)


# -- the road -------------------------------------------------------------------------------


SURFACES = ("ground", "verge", "shoulder", "asphalt", "marking")
"""Surface ids of the flat world (index = id); shoulder, asphalt and marking are road."""
ROAD_SURFACES = (2, 3, 4)
ASPHALT, MARKING = 3, 4
DASH_M = 3.0
"""Length of a painted dash (m)."""
STOP_LINE_M = 0.3
"""Width of a stop line (m)."""
STOP_SETBACK_M = 1.0
"""Gap between a stop line and the edge of the road it stops traffic for (m)."""
ZEBRA_STRIPE_M = 0.5
"""Width of a zebra crossing's painted stripe (m); stripes and gaps alternate every metre."""
ZEBRA_PERIOD_M = 1.0
"""Stripe + gap of a zebra crossing (m)."""
OVERLAY_Z_M = (-0.0014, -0.0007)
"""Height of the junction's and crosswalks' asphalt patches and of their paint: above the
lengthwise markings (:data:`SURFACE_Z_M`), which the patches hide where they interrupt them."""
ROAD_COLUMNS = ("road_type", "lanes", "lane_width_m", "shoulder_m", "junction_x_m",
                "junction_width_m", "junction_lanes", "crosswalk_x_m", "crosswalk_width_m")
"""Per-run scenes columns that describe the road (plus ``crosswalk_<k>_x_m`` and
``crosswalk_<k>_width_m`` for a k-th crosswalk, k ≥ 2)."""


@dataclass(frozen=True)
class Junction:
    """A straight road crossing at right angles, its centre line at ``x_m``; ``width_m`` wide
    along the main road, with ``lanes`` lanes."""

    x_m: float
    width_m: float
    lanes: int


@dataclass(frozen=True)
class Crosswalk:
    """A zebra crossing across the main road's lanes, centred at ``x_m``, ``width_m`` long."""

    x_m: float
    width_m: float


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle of the flat world (edges may be infinite). With a
    ``dash_period_m`` it is painted only where the distance along y from
    ``dash_origin_y_m`` is within :data:`DASH_M` of a whole number of periods."""

    x0: float
    x1: float
    y0: float
    y1: float
    dash_period_m: float = 0.0
    dash_origin_y_m: float = 0.0

    def contains(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        on = (x_m >= self.x0) & (x_m <= self.x1) & (y_m >= self.y0) & (y_m <= self.y1)
        if self.dash_period_m > 0:
            on &= np.mod(np.abs(y_m - self.dash_origin_y_m), self.dash_period_m) < DASH_M
        return on


@dataclass(frozen=True)
class RoadLook:
    """What the road looks like: kind (``urban``/``highway``), lanes and their width, the
    right shoulder, and an optional junction and crosswalks.

    The flat world is a set of surfaces (:data:`SURFACES`) laid out across y — ground, verge
    (pavement in town, a paved strip on highways), right shoulder, lanes, verge, ground —
    plus painted lines: solid at both road edges, dashed between lanes with dashes starting at
    whole multiples of :attr:`dash_period_m` along x. That much is uniform along x.

    Fixed in the world on top of it (:meth:`features`): a junction's cross road is asphalt
    across the whole width of the world over its span of x (hiding the main road's lines
    there), with solid edge lines and dashed lane lines running away from the main road and a
    stop line across every approach, :data:`STOP_SETBACK_M` before the other road; a crosswalk
    is asphalt between the main road's edge lines (hiding its lane lines) with zebra stripes
    along x, :data:`ZEBRA_STRIPE_M` wide every :data:`ZEBRA_PERIOD_M`, centred across the
    lanes. The road has no travel directions, so stop lines span every lane.
    """

    road_type: str
    lanes: int
    lane_width_m: float
    shoulder_m: float = SHOULDER_M
    junction: Junction | None = None
    crosswalks: tuple[Crosswalk, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RoadLook:
        """The road of a scenes row (a mapping of the per-run columns to values); tables
        without the geometry columns get the straight road with the default shoulder."""
        def number(name: str, default: float) -> float:
            value = row.get(name, default)
            return default if value is None else float(value)

        junction = None
        jx, jw = number("junction_x_m", math.nan), number("junction_width_m", 0.0)
        if math.isfinite(jx) and jw > 0:
            junction = Junction(jx, jw, max(1, int(number("junction_lanes", 1))))
        crosswalks = []
        names = [("crosswalk_x_m", "crosswalk_width_m")]
        k = 2
        while f"crosswalk_{k}_x_m" in row:
            names.append((f"crosswalk_{k}_x_m", f"crosswalk_{k}_width_m"))
            k += 1
        for x_name, w_name in names:
            cx, cw = number(x_name, math.nan), number(w_name, 0.0)
            if math.isfinite(cx) and cw > 0:
                crosswalks.append(Crosswalk(cx, cw))
        return cls(str(row["road_type"]), int(row["lanes"]), float(row["lane_width_m"]),
                   number("shoulder_m", SHOULDER_M), junction, tuple(crosswalks))

    @classmethod
    def from_scenes(cls, scenes: Mapping[str, np.ndarray], row: int) -> RoadLook:
        """The road of row ``row`` of a scenes table."""
        return cls.from_row({k: scenes[k][row] for k in road_columns(scenes)})

    @property
    def dash_period_m(self) -> float:
        """Dash + gap of the lane lines: 3 m + 9 m on highways, 3 m + 6 m in town."""
        return 9.0 if self.road_type == "urban" else 12.0

    @property
    def width_m(self) -> float:
        return self.lanes * self.lane_width_m

    def palette(self) -> tuple[RGBA, ...]:
        """Colour of each surface id."""
        urban = self.road_type == "urban"
        return (
            (0.50, 0.50, 0.44, 1.0) if urban else (0.33, 0.50, 0.28, 1.0),  # ground
            (0.62, 0.62, 0.60, 1.0) if urban else (0.42, 0.42, 0.40, 1.0),  # verge
            (0.38, 0.38, 0.39, 1.0),  # shoulder
            (0.30, 0.30, 0.32, 1.0),  # asphalt
            (0.93, 0.93, 0.90, 1.0),  # marking
        )

    def strips(self) -> list[tuple[float, float, int]]:
        """Surface strips across the road between the ground on either side:
        (y_min, y_max, surface id), right to left."""
        w, s = self.width_m, self.shoulder_m
        return [(-s - VERGE_M, -s, 1), (-s, 0.0, 2), (0.0, w, 3), (w, w + VERGE_M, 1)]

    def lines(self) -> list[tuple[float, bool]]:
        """Painted lines: (y of the centre line, dashed?) — solid edges, dashed between."""
        lines = [(0.0, False), (self.width_m, False)]
        lines += [(k * self.lane_width_m, True) for k in range(1, self.lanes)]
        return lines

    def features(self) -> list[tuple[tuple[float, float], list[Rect], list[Rect]]]:
        """The junction and crosswalks: per feature its span of x (a bound on everything it
        paints), its asphalt patches and its paint, in world coordinates (y may be infinite:
        the cross road runs on without end)."""
        out = []
        if self.junction is not None:
            out.append(self._junction_rects(self.junction))
        out.extend(self._crosswalk_rects(c) for c in self.crosswalks)
        return out

    def _junction_rects(self, j: Junction
                        ) -> tuple[tuple[float, float], list[Rect], list[Rect]]:
        w, s, half, inf = self.width_m, self.shoulder_m, MARKING_WIDTH_M / 2, math.inf
        x0, x1 = j.x_m - j.width_m / 2, j.x_m + j.width_m / 2
        right, left = -s, w  # where the cross road leaves the main road's paved width
        paint = []
        for x in (x0, x1):  # the cross road's edge lines
            paint += [Rect(x - half, x + half, -inf, right), Rect(x - half, x + half, left, inf)]
        lane_w = j.width_m / j.lanes
        for k in range(1, j.lanes):  # its lane lines, dashed away from the main road
            x = x0 + k * lane_w
            paint += [Rect(x - half, x + half, -inf, right, self.dash_period_m, right),
                      Rect(x - half, x + half, left, inf, self.dash_period_m, left)]
        back = STOP_SETBACK_M
        paint += [Rect(x0 - back - STOP_LINE_M, x0 - back, 0.0, w),  # main road approaches
                  Rect(x1 + back, x1 + back + STOP_LINE_M, 0.0, w),
                  Rect(x0, x1, right - back - STOP_LINE_M, right - back),  # cross road's
                  Rect(x0, x1, left + back, left + back + STOP_LINE_M)]
        reach = back + STOP_LINE_M + half
        return (x0 - reach, x1 + reach), [Rect(x0, x1, -inf, inf)], paint

    def _crosswalk_rects(self, c: Crosswalk
                         ) -> tuple[tuple[float, float], list[Rect], list[Rect]]:
        w, half = self.width_m, MARKING_WIDTH_M / 2
        x0, x1 = c.x_m - c.width_m / 2, c.x_m + c.width_m / 2
        stripes = int(math.floor(w / ZEBRA_PERIOD_M + 1e-9))
        first = (w - stripes * ZEBRA_PERIOD_M) / 2 + (ZEBRA_PERIOD_M - ZEBRA_STRIPE_M) / 2
        paint = [Rect(x0, x1, first + k * ZEBRA_PERIOD_M, first + k * ZEBRA_PERIOD_M
                      + ZEBRA_STRIPE_M) for k in range(stripes)]
        return (x0, x1), [Rect(x0, x1, half, w - half)], paint

    def surface_at(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Surface id (uint8) at road-frame points; the same layout the meshes draw."""
        strips = self.strips()
        edges = [strips[0][0], *(hi for _, hi, _ in strips)]
        ids = [0, *(sid for _, _, sid in strips), 0]
        band = np.zeros(np.shape(y_m), dtype=np.uint8)
        for edge in edges:  # band k lies between edges k-1 and k
            band += y_m >= edge
        surface = np.asarray(ids, dtype=np.uint8)[band]
        half = MARKING_WIDTH_M / 2
        period = self.dash_period_m
        for y, dashed in self.lines():
            on = np.flatnonzero(np.abs(y_m - y) <= half)
            if dashed:
                on = on[np.mod(x_m[on], period) < DASH_M]
            surface[on] = MARKING
        for (lo, hi), patches, paint in self.features():  # on top, as the meshes lie
            near = np.flatnonzero((x_m >= lo) & (x_m <= hi))
            if near.size == 0:
                continue
            x, y = x_m[near], y_m[near]
            for rects, sid in ((patches, ASPHALT), (paint, MARKING)):
                for rect in rects:
                    surface[near[rect.contains(x, y)]] = sid
        return surface


def road_columns(scenes: Mapping[str, Any]) -> list[str]:
    """The road-describing columns (:data:`ROAD_COLUMNS` and further crosswalks') that a
    scenes table has."""
    return [k for k in scenes if k in ROAD_COLUMNS
            or (k.startswith("crosswalk_") and k.endswith(("_x_m", "_width_m")))]


def _breaks(lo: float, hi: float, near_step_m: float, growth: float, *,
            origin: float = 0.0) -> list[float]:
    """Breakpoints from ``lo`` to ``hi`` whose spacing grows away from ``origin``: small tiles
    near the camera keep every triangle's screen area (and TinyRenderer's scan of its bounding
    box) small, while few large tiles cover the distance."""
    points = {lo, hi}
    for sign in (1.0, -1.0):
        x, step = origin, near_step_m
        while lo < x < hi or x == origin:
            if lo <= x <= hi:
                points.add(x)
            x += sign * step
            step *= growth
    return sorted(points)


def _grid(xs: Sequence[float], ys: Sequence[float], z: float,
          vertices: list, indices: list) -> None:
    """Append an upward-facing grid of quads over ``xs`` × ``ys`` at height ``z``."""
    base = len(vertices)
    ny = len(ys)
    for x in xs:
        vertices.extend([float(x), float(y), z] for y in ys)
    for i in range(len(xs) - 1):
        for j in range(ny - 1):
            a = base + i * ny + j
            b, c, d = a + 1, a + ny, a + ny + 1
            indices.extend((a, c, d, a, d, b))


def _pieces(rect: Rect, y_lo: float, y_hi: float) -> list[Rect]:
    """A rectangle clipped to ``y_lo..y_hi``, as the solid rectangles a mesh draws (one per
    dash when it is dashed); none when it lies outside."""
    y0, y1 = max(rect.y0, y_lo), min(rect.y1, y_hi)
    if y0 >= y1:
        return []
    if rect.dash_period_m <= 0:
        return [Rect(rect.x0, rect.x1, y0, y1)]
    period, origin = rect.dash_period_m, rect.dash_origin_y_m
    out = []
    reach = max(abs(y0 - origin), abs(y1 - origin))
    for k in range(math.ceil(reach / period) + 1):
        # dashes of DASH_M start at whole periods from the origin, away from it on both sides
        for a, b in ((origin + k * period, origin + k * period + DASH_M),
                     (origin - k * period - DASH_M, origin - k * period)):
            lo, hi = max(a, y0), min(b, y1)
            if lo < hi and (lo, hi) not in [(q.y0, q.y1) for q in out]:
                out.append(Rect(rect.x0, rect.x1, lo, hi))
    return out


class SceneBuilder:
    """A pybullet world for one client: the road (following the camera) and the objects.

    ``ahead_m``/``behind_m``/``side_m`` say how much ground the camera can see around the
    point it follows. Call :meth:`show` once per frame; ``body_objects`` maps each body id in
    a segmentation mask to the index of its object in the frame (the road maps to nothing).
    With ``draw_road=False`` only the objects are bodies: a camera that draws the flat road
    itself (see ``camera.FlatGround``) saves TinyRenderer the road's pixels.
    """

    def __init__(self, client: int, *, ahead_m: float, behind_m: float, side_m: float,
                 draw_road: bool = True) -> None:
        self.client = client
        self.draw_road = draw_road
        self.ahead_m = float(ahead_m)
        self.behind_m = float(behind_m)
        self.side_m = float(side_m)
        self.road: RoadLook | None = None
        self.road_bodies: dict[str, int] = {}
        self.road_surfaces: dict[int, int] = {}
        self._fixed: set[int] = set()
        self._keys: tuple = ()
        self._bodies: list[int] = []
        self.body_objects: dict[int, int] = {}

    # -- road --------------------------------------------------------------------------
    def _mesh_body(self, vertices: list, indices: list, rgba: RGBA, *,
                   collision: int = -1) -> int:
        import pybullet as p

        visual = p.createVisualShape(p.GEOM_MESH, vertices=vertices, indices=indices,
                                     normals=[[0.0, 0.0, 1.0]] * len(vertices),
                                     rgbaColor=list(rgba), physicsClientId=self.client)
        return p.createMultiBody(baseMass=0, baseVisualShapeIndex=visual,
                                 baseCollisionShapeIndex=collision, physicsClientId=self.client)

    def _build_road(self, look: RoadLook) -> None:
        import pybullet as p

        period = look.dash_period_m
        lo, hi = -self.behind_m - period, self.ahead_m + period
        xs = _breaks(lo, hi, 2.0, 1.25)
        palette = look.palette()
        strips = look.strips()
        ids = [0, *(sid for _, _, sid in strips), 0]
        for n, (y0, y1, sid) in enumerate(strips):
            vertices: list = []
            indices: list = []
            # reach 5 cm under a higher neighbour, so no crack can show between two strips
            lo_y = y0 - (0.05 if ids[n] > sid else 0.0)
            hi_y = y1 + (0.05 if ids[n + 2] > sid else 0.0)
            _grid(xs, [lo_y, hi_y], SURFACE_Z_M[sid], vertices, indices)
            self.road_bodies[f"strip{n}"] = self._mesh_body(vertices, indices, palette[sid])
            self.road_surfaces[self.road_bodies[f"strip{n}"]] = sid
        left, right = strips[-1][1], strips[0][0]
        side = max(self.side_m, 10.0)
        vertices, indices = [], []
        z = SURFACE_Z_M[0]
        _grid(xs, [left - 0.05, *_breaks(left, left + side, 4.0, 1.6, origin=left)[1:]],
              z, vertices, indices)
        _grid(xs, [*_breaks(right - side, right, 4.0, 1.6, origin=right)[:-1], right + 0.05],
              z, vertices, indices)
        # one flat collision box under everything, for range sensors' rays (the meshes above
        # are what cameras see; a body without a visual would be drawn with a default texture)
        ground = p.createCollisionShape(
            p.GEOM_BOX, halfExtents=[(hi - lo) / 2, side + look.width_m, 0.05],
            collisionFramePosition=[(hi + lo) / 2, look.width_m / 2, z - 0.05],
            physicsClientId=self.client)
        self.road_bodies["ground"] = self._mesh_body(vertices, indices, palette[0],
                                                     collision=ground)
        self.road_surfaces[self.road_bodies["ground"]] = 0
        vertices, indices = [], []
        half = MARKING_WIDTH_M / 2
        for y, dashed in look.lines():
            if dashed:
                start = math.floor(lo / period) * period
                for x0 in np.arange(start, hi, period):
                    _grid([x0, x0 + DASH_M], [y - half, y + half], SURFACE_Z_M[4],
                          vertices, indices)
            else:
                _grid(xs, [y - half, y + half], SURFACE_Z_M[4], vertices, indices)
        self.road_bodies["markings"] = self._mesh_body(vertices, indices, palette[4])
        self.road_surfaces[self.road_bodies["markings"]] = 4
        self._build_features(look, right - side, left + side)
        self.road = look

    def _build_features(self, look: RoadLook, y_lo: float, y_hi: float) -> None:
        """The junction's and crosswalks' patches and paint: two bodies fixed in the world
        (not moved by :meth:`follow`), reaching across y as far as the ground does."""
        features = look.features()
        if not features:
            return
        palette = look.palette()
        centre = min(max(look.width_m / 2, y_lo), y_hi)
        for name, layer, sid in (("patches", 1, ASPHALT), ("paint", 2, MARKING)):
            vertices: list = []
            indices: list = []
            for _, patches, paint in features:
                for rect in (patches, paint)[layer - 1]:
                    for piece in _pieces(rect, y_lo, y_hi):
                        ys = _breaks(piece.y0, piece.y1, 2.0, 1.25,
                                     origin=min(max(centre, piece.y0), piece.y1))
                        xs = np.linspace(piece.x0, piece.x1,
                                         max(2, math.ceil((piece.x1 - piece.x0) / 2.0) + 1))
                        _grid(xs, ys, OVERLAY_Z_M[layer - 1], vertices, indices)
            body = self._mesh_body(vertices, indices, palette[sid])
            self.road_bodies[name] = body
            self.road_surfaces[body] = sid
            self._fixed.add(body)

    def follow(self, x_m: float) -> None:
        """Move the lengthwise road so it covers the view around ``x_m`` (in whole dash
        periods); the junction and crosswalks stay where they are."""
        import pybullet as p

        assert self.road is not None
        x0 = math.floor(x_m / self.road.dash_period_m) * self.road.dash_period_m
        for body in self.road_bodies.values():
            if body not in self._fixed:
                p.resetBasePositionAndOrientation(body, [x0, 0.0, 0.0], [0, 0, 0, 1],
                                                  physicsClientId=self.client)

    # -- objects -------------------------------------------------------------------------
    def _object_body(self, parts: Sequence[Part]) -> int:
        import pybullet as p

        kinds = [p.GEOM_BOX] * len(parts)
        half = [list(q.half_m) for q in parts]
        centre = [list(q.centre_m) for q in parts]
        visual = p.createVisualShapeArray(
            shapeTypes=kinds, halfExtents=half, visualFramePositions=centre,
            rgbaColors=[list(q.rgba) for q in parts], physicsClientId=self.client)
        collision = p.createCollisionShapeArray(
            shapeTypes=kinds, halfExtents=half, collisionFramePositions=centre,
            physicsClientId=self.client)
        return p.createMultiBody(baseMass=0, baseCollisionShapeIndex=collision,
                                 baseVisualShapeIndex=visual, physicsClientId=self.client)

    def show(self, objects: FrameObjects, road: RoadLook, *, follow_x_m: float,
             skip: np.ndarray | None = None) -> dict[int, int]:
        """Pose the world for one frame; returns body id → object index.

        ``skip`` marks objects not to draw (the ego, whose inside a dashcam sits in)."""
        import pybullet as p

        drawn = [i for i in range(len(objects)) if skip is None or not skip[i]]
        keys = (road, tuple(objects.key(i) for i in drawn))
        if keys != self._keys:  # another road or set of objects: rebuild in a fixed order
            self.clear()
            if self.draw_road:
                self._build_road(road)
            self.road = road
            self._bodies = [self._object_body(objects.parts(i)) for i in drawn]
            self._keys = keys
        if self.draw_road:
            self.follow(follow_x_m)
        for body, i in zip(self._bodies, drawn, strict=True):
            half_yaw = 0.5 * float(objects.heading_rad[i])
            p.resetBasePositionAndOrientation(
                body, [float(objects.x_m[i]), float(objects.y_m[i]), 0.0],
                [0.0, 0.0, math.sin(half_yaw), math.cos(half_yaw)], physicsClientId=self.client)
        self.body_objects = dict(zip(self._bodies, drawn, strict=True))
        return self.body_objects

    def clear(self) -> None:
        """Empty the world (the next :meth:`show` rebuilds it). ``resetSimulation`` also frees
        the shapes of removed bodies — runs with other sizes would otherwise pile them up — and
        restarts body ids at 0, so a rebuilt world is the one a fresh process builds."""
        import pybullet as p

        p.resetSimulation(physicsClientId=self.client)
        self.road_bodies, self._bodies, self._keys, self.road = {}, [], (), None
        self.road_surfaces, self._fixed = {}, set()
        self.body_objects = {}
