"""A small synthetic camera corpus for the label-writer tests.

Rectangles and discs are painted far to near into 64×48 instance images (so nearer shapes occlude
farther ones), and every label is derived from the pixels the way the camera renderer does: the
modal box from the visible mask (plain numpy, independent of our RLE code), the amodal box from
the whole shape, visible fraction and truncation from pixel counts. RGB, depth, semantic and
instance PNGs are written with Pillow. Artefacts are stored like the sink stores them
(non-partial files in the output folder, partials under ``_parts/part-NNNNN/``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from simengine.renderers.base import Artefact
from simengine.renderers.formats import CATEGORIES, rle

WIDTH_PX, HEIGHT_PX = 64, 48
PAD_PX = 40  # canvas margin used to measure how much of a shape leaves the image
COLOURS = {name: (40 + 25 * i, 200 - 20 * i, 30 * i % 256) for i, name in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class Shape:
    """One object in one frame: a rectangle (x0, y0, x1, y1) or a disc (cx, cy, r), pixels."""

    track_id: str
    category: str
    kind: str
    geometry: tuple[float, ...]
    depth_m: float
    group: str = ""
    visible: bool = True

    def mask(self, pad_px: int = 0) -> np.ndarray:
        """The whole shape on an image grid enlarged by ``pad_px`` on every side."""
        yy, xx = np.mgrid[-pad_px:HEIGHT_PX + pad_px, -pad_px:WIDTH_PX + pad_px]
        if self.kind == "rect":
            x0, y0, x1, y1 = self.geometry
            return (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)
        cx, cy, r = self.geometry
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= r**2


@dataclass(frozen=True)
class Frame:
    run: int
    frame: int
    shapes: tuple[Shape, ...]
    visibility_m: float = 1e9
    ego_ttc_s: float = 1e9

    @property
    def stem(self) -> str:
        return f"r{self.run:07d}_f{self.frame:05d}"


def scene() -> list[Frame]:
    """Three runs: occlusion and a fully hidden pedestrian (run 3), overlapping vehicles with an
    infinite TTC (run 5), an empty frame and a lone car (run 8)."""
    frames = []
    for step in (0, 10, 20):
        dx = step // 10 * 3
        frames.append(Frame(3, step, (
            Shape("traffic.0", "car", "rect", (8 + dx, 20, 30 + dx, 34), 12.0),
            Shape("traffic.1", "pedestrian", "disc", (30 + dx, 24, 5), 20.0, group="adult"),
            Shape("static.0", "parked_vehicle", "rect", (40, 18, 60, 36), 8.0,
                  group="parked_vehicle"),
            Shape("traffic.2", "pedestrian", "disc", (50, 27, 4), 15.0, group="child"),
            Shape("static.1", "barrier", "disc", (62, 44, 6), 6.0, group="barrier"),
            Shape("static.2", "building", "rect", (0, 0, 64, 10), 150.0, group="building",
                  visible=False),
        ), visibility_m=80.0, ego_ttc_s=4.0 - step / 10))
    frames.append(Frame(5, 0, (
        Shape("traffic.0", "truck", "rect", (4, 10, 36, 40), 25.0),
        Shape("traffic.1", "cyclist", "rect", (30, 22, 38, 44), 10.0),
        Shape("traffic.2", "motorcycle", "disc", (50, 30, 7), 18.0),
    ), ego_ttc_s=math.inf))
    frames.append(Frame(8, 0, ()))
    frames.append(Frame(8, 5, (Shape("traffic.0", "car", "rect", (20, 15, 41, 30), 9.0),)))
    return frames


def tight_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the set pixels, NaN when none."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return (math.nan,) * 4
    return (float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1),
            float(ys.max() - ys.min() + 1))


def paint(frame: Frame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Instance image (0 background, i+1 for shape i) and each shape's visible mask."""
    instance = np.zeros((HEIGHT_PX, WIDTH_PX), dtype=np.uint8)
    order = sorted(range(len(frame.shapes)), key=lambda i: -frame.shapes[i].depth_m)
    for i in order:
        instance[frame.shapes[i].mask()] = i + 1
    visible = {s.track_id: instance == i + 1 for i, s in enumerate(frame.shapes)}
    return instance, visible


def _png(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def render(frames: Sequence[Frame]) -> tuple[dict, dict, list[Artefact]]:
    """(frames columns, objects columns, image artefacts) of one shard, as the renderer makes."""
    f_cols: dict[str, list] = {k: [] for k in (
        "file", "run", "frame", "t_s", "width_px", "height_px", "fx_px", "fy_px", "cx_px",
        "cy_px", "cam_to_world", "visibility_m", "road_state", "rain_mm_h", "snow_mm_h",
        "sun_elevation_deg", "ego_ttc_s", "ego_gap_m", "depth_file", "semantic_file",
        "instance_file", "transmission_file")}
    o_cols: dict[str, list] = {}
    images: list[Artefact] = []
    for row, fr in enumerate(frames):
        instance, visible = paint(fr)
        rgb = np.full((HEIGHT_PX, WIDTH_PX, 3), 90, dtype=np.uint8)
        semantic = np.zeros((HEIGHT_PX, WIDTH_PX), dtype=np.uint8)
        depth_mm = np.full((HEIGHT_PX, WIDTH_PX), 65535, dtype=np.uint16)
        for i, s in enumerate(fr.shapes):
            m = instance == i + 1
            rgb[m] = COLOURS[s.category]
            semantic[m] = CATEGORIES.index(s.category) + 1
            depth_mm[m] = int(s.depth_m * 1000) if s.depth_m < 65 else 65000
        files = {d: f"{d}/{fr.stem}.png" for d in ("images", "depth", "semantic", "instance")}
        for d, arr in (("images", rgb), ("depth", depth_mm), ("semantic", semantic),
                       ("instance", instance)):
            images.append(Artefact(files[d], data=_png(arr)))
        fog = fr.visibility_m < 1e6
        if fog:  # Koschmieder transmission exp(-3 d / V), 16-bit
            t = np.exp(-2.996 * depth_mm / 1000.0 / fr.visibility_m)
            images.append(Artefact(f"transmission/{fr.stem}.png",
                                   data=_png(np.round(t * 65535).astype(np.uint16))))
        matrix = np.eye(4)
        matrix[:3, 3] = (fr.run * 10.0, 1.5, fr.frame * 0.25)
        f_cols["file"].append(files["images"])
        f_cols["depth_file"].append(files["depth"])
        f_cols["semantic_file"].append(files["semantic"])
        f_cols["instance_file"].append(files["instance"])
        f_cols["transmission_file"].append(f"transmission/{fr.stem}.png" if fog else "")
        for name, value in (("run", fr.run), ("frame", fr.frame), ("t_s", fr.frame * 0.1),
                            ("width_px", WIDTH_PX), ("height_px", HEIGHT_PX),
                            ("fx_px", 50.0), ("fy_px", 50.0), ("cx_px", 32.0), ("cy_px", 24.0),
                            ("cam_to_world", matrix.reshape(-1).tolist()),
                            ("visibility_m", fr.visibility_m),
                            ("road_state", "wet" if fr.run == 3 else "dry"),
                            ("rain_mm_h", 2.5 if fr.run == 3 else 0.0), ("snow_mm_h", 0.0),
                            ("sun_elevation_deg", 35.0), ("ego_ttc_s", fr.ego_ttc_s),
                            ("ego_gap_m", 30.0 - fr.frame)):
            f_cols[name].append(value)
        for i, s in enumerate(fr.shapes):
            _object_row(o_cols, row, i, s, visible[s.track_id])
    frames_columns = {k: _array(v) for k, v in f_cols.items()}
    objects_columns = {k: _array(v) for k, v in o_cols.items()}
    return frames_columns, objects_columns, images


def _object_row(cols: dict[str, list], row: int, i: int, s: Shape, visible: np.ndarray) -> None:
    whole = s.mask()
    whole_px = int(s.mask(PAD_PX).sum())
    area = int(visible.sum())
    values = {
        "frame_row": row, "track_id": s.track_id, "instance_id": i + 1, "category": s.category,
        "group": s.group,
        **dict(zip(("bbox_x_px", "bbox_y_px", "bbox_w_px", "bbox_h_px"), tight_box(visible),
                   strict=True)),
        **dict(zip(("amodal_x_px", "amodal_y_px", "amodal_w_px", "amodal_h_px"),
                   tight_box(whole), strict=True)),
        "visible_fraction": area / int(whole.sum()),
        "truncation": 1.0 - int(whole.sum()) / whole_px,
        "visible": s.visible and area > 0,
        "distance_m": s.depth_m,
        "box3d_x_m": (s.geometry[0] - 32) / 50 * s.depth_m, "box3d_y_m": 0.0,
        "box3d_z_m": s.depth_m, "box3d_l_m": 4.0, "box3d_w_m": 1.8, "box3d_h_m": 1.5,
        "box3d_yaw_rad": 0.1 * i,
        "area_px": area,
        "segmentation": rle.encode(visible) if area else "",
    }
    for k, v in values.items():
        cols.setdefault(k, []).append(v)


def _array(values: list) -> np.ndarray:
    if values and isinstance(values[0], str | list):
        out = np.empty(len(values), dtype=object)
        out[:] = values if not isinstance(values[0], list) else [list(v) for v in values]
        return out
    return np.asarray(values)


def store(root: Path, artefacts: Sequence[Artefact], part: str) -> list[Artefact]:
    """Write artefacts like the sink; returns the partials as finalize gets them back."""
    parts = []
    for art in artefacts:
        assert art.data is not None and art.table is None
        target = root / "_parts" / part / art.path if art.partial else root / art.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(art.data)
        if art.partial:
            parts.append(Artefact(art.path, data=target.read_bytes(), partial=True))
    return sorted(parts, key=lambda a: a.path)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` outside ``_parts`` (relative path → bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "_parts" not in p.parts}
