"""The ``camera`` renderer: labeled RGB, metric depth and segmentation from a pybullet world.

For each selected frame the camera is placed on the ego (a dashcam at the windscreen, or a
bird's-eye camera above it), the frame's objects are posed in the worker's pybullet world
(:mod:`.scene`) and ``getCameraImage`` renders with ``ER_TINY_RENDERER`` — the CPU rasteriser,
so pixels do not depend on a GPU or driver. Labels come from the segmentation mask and the
objects' geometry (:mod:`.object_labels`); weather is applied to the image with the rendered
depth (:mod:`simengine.weather.image_effects`).

Files per frame, ``r{run:07d}_f{frame:05d}.png`` under:

- ``images/`` — RGB, 8 bit, after weather effects;
- ``depth/`` — 16-bit depth along the optical axis (z in camera coordinates) in units of
  ``depth_unit_m`` (default 1 mm), 0 = no return (sky, beyond ``far_m``); depths at or beyond
  65535 units are stored as 65535;
- ``semantic/`` — 8-bit category: 0 background (road, ground, sky), else 1 + the category's
  index in ``formats.CATEGORIES`` (car = 1 … building = 8), the same ids as COCO's;
- ``instance/`` — 16-bit instance id: 0 background, else 1 + the object's row within the frame
  (stable across a run's frames, since the scenes keep the object order);
- ``transmission/`` — 16-bit fog transmission t = exp(−β·depth) scaled by 65535, only for
  frames with extinction (fog, rain or snow) when weather effects are on;
- ``surface/`` — only when ``channels`` lists ``surface``: 8-bit road surface of each pixel,
  the ids of ``scene.SURFACES`` (0 ground, 1 verge, 2 shoulder, 3 asphalt — lanes, the
  junction's cross road and crosswalks —, 4 marking — lane lines, stop lines, zebra stripes),
  255 where an object or the sky is seen. The ``semantic`` images label objects only (road
  pixels are 0 there); this is the road's own segmentation.

The dashcam does not draw the ego (it sits inside it) and does not label it; the bird's-eye
camera draws and labels it like any other object.

Speed: TinyRenderer shades every covered pixel at a cost that makes the flat road most of a
frame's time, so by default (``ground: analytic``) pybullet draws only the objects and the road
is composited in (:class:`FlatGround`: each pixel's ray meets the road plane, colours read from
TinyRenderer itself); ``ground: mesh`` has pybullet draw the road meshes instead, and the tests
check that both give the same picture. PNGs are written with zlib level 1 and no row filter.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from simengine.batches import FrameBatch
from simengine.renderers.base import Artefact, Renderer
from simengine.renderers.object_labels import ObjectGeometry, PinholeCamera, label_object
from simengine.renderers.scene import (
    ROAD_SURFACES,
    FrameObjects,
    RoadLook,
    SceneBuilder,
    category_of,
    frame_slices,
    parts_corners,
    road_columns,
)
from simengine.sampling.keys import Purpose, RunKeys
from simengine.scenario.models import StrictModel

__all__ = ["CameraMount", "CameraOptions", "CameraRenderer", "RenderedFrame"]

SKY_RGB = (184, 204, 230)
"""Colour of pixels where nothing was hit (sky, beyond ``far_m``), 8-bit sRGB."""
NO_SURFACE = 255
"""Surface id of pixels that show no road surface (objects, sky)."""
PNG_COMPRESSION = 1
"""zlib level of every PNG: fast, and fixed so the bytes are reproducible."""
LIGHT_DIRECTION = (0.35, 0.25, 1.0)
"""Fixed light direction of the rasteriser's shading (towards the light, road frame)."""

Channel = Literal["rgb", "depth", "semantic", "instance", "surface"]
Format = Literal["coco", "yolo", "hf"]


class CameraMount(StrictModel):
    """Where the camera sits on the ego.

    ``type: ego`` is a dashcam looking along the ego's heading, ``forward_m``/``left_m`` from
    the ego's box centre, ``height_m`` above the road, tilted down by ``pitch_deg``;
    ``type: bev`` looks straight down from ``height_m`` above the ego's centre with the top
    of the image towards its heading.
    """

    type: Literal["ego", "bev"] = Field(
        default="ego", description="ego: a dashcam on the ego; bev: bird's-eye view above it.")
    forward_m: float = Field(default=0.5, ge=-20, le=20,
                             description="Ahead of the ego's box centre along its heading (m).")
    left_m: float = Field(default=0.0, ge=-10, le=10,
                          description="Left of the ego's box centre (m).")
    height_m: float = Field(default=1.4, gt=0, le=1000, description="Height above the road (m).")
    pitch_deg: float = Field(default=0.0, ge=-60, le=60,
                             description="Downward tilt (degrees; positive looks down).")

    @model_validator(mode="after")
    def _bev_keys(self) -> CameraMount:
        if self.type == "bev":
            extra = sorted({"forward_m", "left_m", "pitch_deg"} & self.model_fields_set)
            if extra:
                raise ValueError(f"{', '.join(extra)} apply to a dashcam (type: ego) only; a "
                                 "bev camera sits straight above the ego and looks down")
            if "height_m" not in self.model_fields_set:
                raise ValueError("a bev mount needs its height_m, e.g. {type: bev, "
                                 "height_m: 50}")
        return self


class CameraOptions(StrictModel):
    """Options of the ``camera`` renderer (a preset's keys besides its header)."""

    width_px: int = Field(default=640, ge=16, le=4096, description="Image width (pixels).")
    height_px: int = Field(default=480, ge=16, le=4096, description="Image height (pixels).")
    fov_deg: float = Field(default=60.0, gt=1, lt=170,
                           description="Vertical field of view (degrees); square pixels.")
    mount: CameraMount = Field(default_factory=CameraMount,
                               description="Where the camera is: {type: ego, forward_m, "
                               "left_m, height_m, pitch_deg} or {type: bev, height_m}.")
    near_m: float = Field(default=0.5, gt=0, description="Near clipping distance (m).")
    far_m: float = Field(default=200.0, gt=0, le=5000,
                         description="Far clipping distance (m); nothing beyond it is drawn.")
    channels: tuple[Channel, ...] = Field(
        default=("rgb", "depth", "semantic", "instance"),
        description="Images written per frame: rgb (always), depth, semantic, instance, "
        "surface (road surfaces; not written unless listed).")
    formats: tuple[Format, ...] = Field(default=("coco", "yolo", "hf"),
                                        description="Label formats: coco, yolo, hf.")
    weather_effects: bool = Field(default=True,
                                  description="Apply fog, rain, snow and low light to images.")
    min_visible_px: int = Field(default=10, ge=1,
                                description="Objects with fewer visible pixels get no box.")
    depth_unit_m: float = Field(default=0.001, gt=0, le=1,
                                description="Metres per unit of the 16-bit depth images.")
    ground: Literal["analytic", "mesh"] = Field(
        default="analytic",
        description="How the flat road is drawn: analytic (each pixel's ray meets the road "
        "plane; same colours, several times faster) or mesh (pybullet meshes).")

    @field_validator("channels", "formats")
    @classmethod
    def _unique(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("list each name once")
        return value

    @field_validator("channels")
    @classmethod
    def _with_rgb(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "rgb" not in value:
            raise ValueError("channels must include rgb (the labels refer to the RGB images)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CameraOptions:
        if self.near_m >= self.far_m:
            raise ValueError(f"near_m ({self.near_m}) must be less than far_m ({self.far_m})")
        return self


# -- camera geometry ----------------------------------------------------------------------------


def _intrinsics(o: CameraOptions) -> tuple[float, float, float, float]:
    fy = o.height_px / (2.0 * math.tan(math.radians(o.fov_deg) / 2.0))
    return fy, fy, o.width_px / 2.0, o.height_px / 2.0


def camera_pose(o: CameraOptions, x_m: float, y_m: float, heading_rad: float) -> np.ndarray:
    """cam_to_world (4×4, OpenCV axes: x right, y down, z forward) for an ego pose."""
    c, s = math.cos(heading_rad), math.sin(heading_rad)
    m = o.mount
    if m.type == "bev":
        forward = np.array([0.0, 0.0, -1.0])
        down = np.array([-c, -s, 0.0])  # the image's top looks along the heading
        position = np.array([x_m, y_m, m.height_m])
    else:
        pitch = math.radians(m.pitch_deg)
        forward = np.array([c * math.cos(pitch), s * math.cos(pitch), -math.sin(pitch)])
        right = np.array([s, -c, 0.0])
        down = np.cross(forward, right)
        position = np.array([x_m + c * m.forward_m - s * m.left_m,
                             y_m + s * m.forward_m + c * m.left_m, m.height_m])
    right = np.cross(down, forward)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, down, forward, position
    return pose


def make_camera(o: CameraOptions, x_m: float, y_m: float, heading_rad: float) -> PinholeCamera:
    """The pinhole camera of a frame whose ego is at (x_m, y_m) with ``heading_rad``."""
    fx, fy, cx, cy = _intrinsics(o)
    return PinholeCamera(o.width_px, o.height_px, fx, fy, cx, cy, o.near_m,
                         camera_pose(o, x_m, y_m, heading_rad), heading_rad)


def view_matrix(camera: PinholeCamera) -> list[float]:
    """pybullet's (OpenGL, column-major) view matrix of a camera."""
    gl_from_cv = np.diag([1.0, -1.0, -1.0, 1.0])
    return (gl_from_cv @ camera.world_to_cam).T.ravel().tolist()


def projection_matrix(o: CameraOptions) -> list[float]:
    """pybullet's (OpenGL, column-major) projection for the options' intrinsics.

    TinyRenderer samples output pixel (u, v) at (u, v + 1) of the ideal image, so the image is
    shifted by half a pixel (x by −½, y by +½ in NDC terms) to sample at pixel centres,
    which makes the label geometry (principal point at the image centre) exact.
    """
    fx, fy, _, _ = _intrinsics(o)
    w, h, n, f = o.width_px, o.height_px, o.near_m, o.far_m
    p = np.array([
        [2 * fx / w, 0.0, 1.0 / w, 0.0],
        [0.0, 2 * fy / h, 1.0 / h, 0.0],
        [0.0, 0.0, -(f + n) / (f - n), -2 * f * n / (f - n)],
        [0.0, 0.0, -1.0, 0.0],
    ])
    return p.T.ravel().tolist()


def linear_depth(zbuffer: np.ndarray, near_m: float, far_m: float) -> np.ndarray:
    """Metric depth along the optical axis from an OpenGL z-buffer in [0, 1]:
    far·near / (far − (far − near)·z); ``inf`` where nothing was drawn (z = 1)."""
    z = np.asarray(zbuffer, dtype=np.float64)
    with np.errstate(divide="ignore"):
        depth = far_m * near_m / (far_m - (far_m - near_m) * z)
    return np.where(z >= 1.0, np.inf, depth)


class FlatGround:
    """The flat road seen by one camera rig, drawn without the rasteriser.

    The rig is fixed to the ego and the road is the plane z = 0, so for every pixel the point
    where its ray (through the pixel centre) meets the road is a fixed offset from the ego in
    the ego's heading frame, at a fixed depth: both are computed once. Per frame the offsets
    are rotated and moved to the ego and the surface there (lane, marking, verge…) is looked up
    (:meth:`RoadLook.surface_at`). Objects stand on the road and the camera is above it, so
    wherever the rasteriser drew an object that object is nearer than the road: compositing
    the road into the pixels it left empty gives the image a road mesh would.
    """

    def __init__(self, o: CameraOptions) -> None:
        fx, fy, cx, cy = _intrinsics(o)
        pose = camera_pose(o, 0.0, 0.0, 0.0)
        u = np.arange(o.width_px, dtype=np.float64) + 0.5
        v = np.arange(o.height_px, dtype=np.float64) + 0.5
        rays = np.empty((o.height_px, o.width_px, 3))
        rays[..., 0] = ((u - cx) / fx)[None, :]
        rays[..., 1] = ((v - cy) / fy)[:, None]
        rays[..., 2] = 1.0
        world = rays.reshape(-1, 3) @ pose[:3, :3].T
        origin = pose[:3, 3]
        with np.errstate(divide="ignore"):
            depth = np.where(world[:, 2] < 0, origin[2] / -world[:, 2], np.inf)
        hit = (depth >= o.near_m) & (depth <= o.far_m)
        self.shape = (o.height_px, o.width_px)
        self.index = np.flatnonzero(hit)
        self.depth_m = np.where(hit, depth, np.inf).astype(np.float32).reshape(self.shape)
        self.a_m = origin[0] + depth[hit] * world[hit, 0]
        self.b_m = origin[1] + depth[hit] * world[hit, 1]

    def draw(self, road: RoadLook, x_m: float, y_m: float, heading_rad: float,
             colours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The view of the bare road from the ego at (x_m, y_m, heading_rad): RGBA packed in
        uint32 (``colours`` per surface id, sky elsewhere) and the surface id (255 = sky)."""
        c, s = math.cos(heading_rad), math.sin(heading_rad)
        x = x_m + c * self.a_m - s * self.b_m
        y = y_m + s * self.a_m + c * self.b_m
        sky = len(colours)
        surface = np.full(self.shape[0] * self.shape[1], sky, dtype=np.uint8)
        surface[self.index] = road.surface_at(x, y)
        palette = _packed(np.vstack([colours, np.array(SKY_RGB, dtype=np.uint8)]))
        rgba = palette[surface].reshape(self.shape)
        surface[surface == sky] = NO_SURFACE
        return rgba, surface.reshape(self.shape)


def _packed(rgb: np.ndarray) -> np.ndarray:
    """Opaque RGB colours (k, 3) uint8 → RGBA packed in uint32 (native byte order)."""
    rgba = np.concatenate([np.asarray(rgb, dtype=np.uint8).reshape(-1, 3),
                           np.full((np.size(rgb) // 3, 1), 255, dtype=np.uint8)], axis=1)
    return np.ascontiguousarray(rgba).view(np.uint32).reshape(-1)


def _srgb_luminance_lut() -> np.ndarray:
    """(3, 256): each 8-bit sRGB channel value's share of relative luminance (linear light,
    IEC 61966-2-1 decoding, Rec. 709 weights)."""
    c = np.arange(256, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.array([0.2126, 0.7152, 0.0722])[:, None] * linear[None, :]


_LUMINANCE_LUT = _srgb_luminance_lut()


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """Relative luminance (linear light, 0..1) of 8-bit sRGB colours (…, 3)."""
    c = np.asarray(rgb, dtype=np.uint8)
    lut = _LUMINANCE_LUT
    return lut[0][c[..., 0]] + lut[1][c[..., 1]] + lut[2][c[..., 2]]


SKY_LUMINANCE = float(_luminance(np.array(SKY_RGB)))


# -- rendering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedFrame:
    """One rendered frame: images, its label row and its objects' label rows."""

    rgb: np.ndarray  # (h, w, 3) uint8, after weather
    depth_m: np.ndarray  # (h, w) float32 metres along the optical axis, inf: nothing hit
    semantic: np.ndarray  # (h, w) uint8
    instance: np.ndarray  # (h, w) uint16
    transmission: np.ndarray | None  # (h, w) float in [0, 1], None without extinction
    surface: np.ndarray  # (h, w) uint8 road surface id (scene.SURFACES), 255 elsewhere
    frame: dict[str, Any]
    objects: list[dict[str, Any]]


def _stem(run: int, frame: int) -> str:
    return f"r{run:07d}_f{frame:05d}"


def _categories() -> tuple[str, ...]:
    from simengine.renderers.formats import CATEGORIES

    return CATEGORIES


class CameraRenderer(Renderer):
    name = "camera"
    description = ("pybullet camera (TinyRenderer): RGB, depth, segmentation, occlusion-aware "
                   "COCO/YOLO/HF labels, weather from rendered depth.")
    options_model = CameraOptions

    def __init__(self, options: CameraOptions) -> None:
        super().__init__(options)
        self.client: int | None = None
        self.scene: SceneBuilder | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def setup(self) -> None:
        """Open this worker's pybullet DIRECT client and its scene."""
        import pybullet as p

        from simengine.weather.low_light import CameraModel

        if self.client is not None:
            return
        o: CameraOptions = self.options  # type: ignore[assignment]
        self.client = p.connect(p.DIRECT)
        ahead, behind, side = self._ground_extent(o)
        analytic = o.ground == "analytic"
        self.scene = SceneBuilder(self.client, ahead_m=ahead, behind_m=behind, side_m=side,
                                  draw_road=not analytic)
        self.flat = FlatGround(o) if analytic else None
        self._projection = projection_matrix(o)
        self._colours: dict[tuple[float, ...], np.ndarray] = {}
        self._weather_camera = CameraModel(focal_px=_intrinsics(o)[0], height_m=o.mount.height_m)

    def close(self) -> None:
        """Disconnect the pybullet client (``setup`` opens a fresh one)."""
        import pybullet as p

        if self.client is not None:
            p.disconnect(physicsClientId=self.client)
        self.client, self.scene = None, None

    @staticmethod
    def _ground_extent(o: CameraOptions) -> tuple[float, float, float]:
        """How far ahead, behind and to the side the ground must reach to fill the view."""
        half_v = math.radians(o.fov_deg) / 2
        half_h = math.atan(math.tan(half_v) * o.width_px / o.height_px)
        if o.mount.type == "bev":
            reach = min(o.far_m, o.mount.height_m) * math.tan(max(half_h, half_v)) * 1.5 + 10.0
            return reach, reach, reach
        return o.far_m, 10.0 + abs(o.mount.forward_m), o.far_m * math.tan(half_h) + 10.0

    # -- one frame ---------------------------------------------------------------------------
    def _rasterise(self, width: int, height: int, view: list[float],
                   projection: list[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """TinyRenderer with this renderer's fixed lighting: (rgba, z-buffer, segmentation)."""
        import pybullet as p

        _, _, rgba, zbuffer, seg = p.getCameraImage(
            width, height, view, projection, renderer=p.ER_TINY_RENDERER, shadow=0,
            lightDirection=list(LIGHT_DIRECTION), lightAmbientCoeff=0.55, lightDiffuseCoeff=0.5,
            lightSpecularCoeff=0.0, physicsClientId=self.client)
        return (np.reshape(rgba, (height, width, 4)), np.reshape(zbuffer, (height, width)),
                np.reshape(seg, (height, width)))

    def surface_colours(self, road: RoadLook) -> np.ndarray:
        """The colour (uint8 RGB) TinyRenderer gives each flat surface of ``road`` under this
        renderer's light, read from a tiny render of each colour once: the analytic road then
        matches the mesh road pixel for pixel."""
        import pybullet as p

        out = []
        for rgba in road.palette():
            colour = self._colours.get(rgba)
            if colour is None:
                z = -1000.0  # far below the scene, where nothing else can be seen
                quad = [[-1.0, -1.0, z], [1.0, -1.0, z], [1.0, 1.0, z], [-1.0, 1.0, z]]
                visual = p.createVisualShape(
                    p.GEOM_MESH, vertices=quad, indices=[0, 1, 2, 0, 2, 3],
                    normals=[[0.0, 0.0, 1.0]] * 4, rgbaColor=list(rgba),
                    physicsClientId=self.client)
                body = p.createMultiBody(baseMass=0, baseVisualShapeIndex=visual,
                                         physicsClientId=self.client)
                view = p.computeViewMatrix([0, 0, z + 1.0], [0, 0, z], [1, 0, 0])
                projection = p.computeProjectionMatrixFOV(30.0, 1.0, 0.1, 10.0)
                rgb, _, seg = self._rasterise(4, 4, view, projection)
                p.removeBody(body, physicsClientId=self.client)
                if not (seg == body).all():
                    raise RuntimeError("surface colour calibration did not see its quad")
                colour = rgb[2, 2, :3].copy()
                self._colours[rgba] = colour
            out.append(colour)
        return np.array(out, dtype=np.uint8)

    def _capture(self, camera: PinholeCamera, road: RoadLook, ego: tuple[float, float, float]
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(rgb uint8 (h, w, 3), metric depth float32 (inf = nothing), body-id segmentation
        (−1 = no body), road surface id (255 = none)) of the view from ``camera`` on the ego
        at ``ego`` = (x_m, y_m, heading_rad)."""
        import cv2

        o: CameraOptions = self.options  # type: ignore[assignment]
        assert self.scene is not None
        rgba, zbuffer, seg = self._rasterise(o.width_px, o.height_px, view_matrix(camera),
                                             self._projection)
        drawn = seg >= 0
        if self.flat is not None:
            background, surface = self.flat.draw(road, *ego, self.surface_colours(road))
            depth = self.flat.depth_m.copy()
            surface[drawn] = NO_SURFACE
        else:
            background = _packed(np.array(SKY_RGB))[0]
            depth = np.full(seg.shape, np.inf, dtype=np.float32)
            # one entry past the last road body, so that every object's id (clipped) maps to
            # no surface
            lut = np.full(max([*self.scene.road_surfaces, 0]) + 3, NO_SURFACE, dtype=np.uint8)
            for body, sid in self.scene.road_surfaces.items():
                lut[body + 1] = sid
            surface = lut[np.clip(seg, -1, lut.size - 2) + 1]
        depth[drawn] = linear_depth(zbuffer[drawn], o.near_m, o.far_m)
        # composite on whole RGBA pixels (uint32), then drop alpha: far cheaper than 3 channels
        packed = np.where(drawn, np.ascontiguousarray(rgba).view(np.uint32)[:, :, 0], background)
        rgb = cv2.cvtColor(packed.view(np.uint8).reshape(*seg.shape, 4), cv2.COLOR_RGBA2RGB)
        return rgb, depth, seg, surface

    def render_frame(self, objects: FrameObjects, row: Mapping[str, Any],
                     rng: np.random.Generator | None) -> RenderedFrame:
        """Render and label one frame; ``row`` holds the frame's per-frame and per-run columns
        (run, frame, t_s, road, weather, criticality). ``rng`` draws the weather effects."""
        if self.scene is None:
            raise RuntimeError("call setup() before rendering")
        o: CameraOptions = self.options  # type: ignore[assignment]
        egos = np.flatnonzero(objects.is_ego)
        if egos.size == 0:
            raise ValueError(f"run {row['run']} frame {row['frame']}: the scenes have no ego row")
        ego = int(egos[0])
        pose = (float(objects.x_m[ego]), float(objects.y_m[ego]),
                float(objects.heading_rad[ego]))
        camera = make_camera(o, *pose)
        bev = o.mount.type == "bev"
        road = RoadLook.from_row(row)
        body_objects = self.scene.show(objects, road, follow_x_m=pose[0],
                                       skip=None if bev else objects.is_ego)
        rgb, depth_m, seg, surface = self._capture(camera, road, pose)

        categories = _categories()
        lut_size = max([*body_objects, *self.scene.road_bodies.values(), 0]) + 2
        instance_of = np.zeros(lut_size, dtype=np.uint16)
        semantic_of = np.zeros(lut_size, dtype=np.uint8)
        for body, i in body_objects.items():
            instance_of[body + 1] = i + 1
            category = category_of(objects.classes[i], objects.groups[i])
            semantic_of[body + 1] = categories.index(category) + 1
        index = np.clip(seg, -1, lut_size - 2) + 1
        instance = instance_of[index]
        semantic = semantic_of[index]

        clean = rgb
        transmission = None
        visibility_m = math.inf
        if o.weather_effects:
            from simengine.weather.image_effects import apply_weather
            from simengine.weather.sensor_weather import SensorWeather

            weather = SensorWeather.from_scene(row)
            visibility_m = weather.effective_visibility_m
            result = apply_weather(clean, depth_m, weather, rng,
                                           road_mask=_road_mask(surface),
                                           camera=self._weather_camera)
            rgb = result.image
            if result.beta_per_m > 0:
                transmission = result.transmission

        labels = [self._object_row(objects, i, camera, instance, clean, visibility_m)
                  for i in body_objects.values()]
        frame_row = self._frame_row(row, camera, transmission is not None)
        return RenderedFrame(rgb, depth_m, semantic, instance, transmission, surface, frame_row,
                             [label for label in labels if label is not None])

    def _object_row(self, objects: FrameObjects, i: int, camera: PinholeCamera,
                    instance: np.ndarray, clean: np.ndarray,
                    visibility_m: float) -> dict[str, Any] | None:
        """One object's label row, or None when it is out of view.

        ``visible``: it has a modal box and its apparent contrast against the horizon sky,
        C0·exp(−β·d) with the weather drawn into the image (β = 0 without weather effects),
        is at least 5 %. C0 is the mean over its visible pixels of their Weber contrast in the
        clear image against the sky (the background of the meteorological optical range's
        reference object): a mean of contrasts, not the contrast of the mean, so an object with
        dark and bright parts does not average out to the sky's grey."""
        from simengine.renderers.formats import rle
        from simengine.weather.image_effects import (
            apparent_contrast,
            intrinsic_contrast,
            object_visible,
        )

        o: CameraOptions = self.options  # type: ignore[assignment]
        heading = float(objects.heading_rad[i])
        size = np.array([objects.length_m[i], objects.width_m[i], objects.height_m[i]])
        geometry = ObjectGeometry(
            centre_m=np.array([objects.x_m[i], objects.y_m[i], size[2] / 2]),
            size_m=size, yaw_rad=heading,
            parts_world=parts_corners(objects.parts(i), objects.x_m[i], objects.y_m[i], heading))
        mask = instance == i + 1
        label = label_object(mask, geometry, camera, min_visible_px=o.min_visible_px)
        if label is None:
            return None
        boxed = label.has_modal_box
        c0 = apparent = 0.0
        visible = False
        if label.visible_px:
            c0 = float(intrinsic_contrast(_luminance(clean[mask]), SKY_LUMINANCE).mean())
            apparent = float(apparent_contrast(c0, label.distance_m, visibility_m))
            visible = boxed and bool(object_visible(c0, label.distance_m, visibility_m))
        x, y, z, length, width, height, yaw = label.box3d_cam
        return {
            "track_id": objects.names[i],
            "instance_id": i + 1,
            "category": category_of(objects.classes[i], objects.groups[i]),
            "group": objects.groups[i],
            "bbox_x_px": label.bbox_px[0], "bbox_y_px": label.bbox_px[1],
            "bbox_w_px": label.bbox_px[2], "bbox_h_px": label.bbox_px[3],
            "amodal_x_px": label.amodal_px[0], "amodal_y_px": label.amodal_px[1],
            "amodal_w_px": label.amodal_px[2], "amodal_h_px": label.amodal_px[3],
            "visible_fraction": label.visible_fraction,
            "truncation": label.truncation,
            "visible": visible,
            "distance_m": label.distance_m,
            "box3d_x_m": x, "box3d_y_m": y, "box3d_z_m": z,
            "box3d_l_m": length, "box3d_w_m": width, "box3d_h_m": height,
            "box3d_yaw_rad": yaw,
            "area_px": label.visible_px if boxed else 0,
            "segmentation": rle.encode(mask) if boxed else "",
            "visible_px": label.visible_px,
            "intrinsic_contrast": c0,
            "apparent_contrast": apparent,
        }

    def _frame_row(self, row: Mapping[str, Any], camera: PinholeCamera,
                   fog: bool) -> dict[str, Any]:
        o: CameraOptions = self.options  # type: ignore[assignment]
        run, frame = int(row["run"]), int(row["frame"])
        stem = _stem(run, frame)
        out: dict[str, Any] = {
            "file": f"images/{stem}.png", "run": run, "frame": frame, "t_s": float(row["t_s"]),
            "width_px": o.width_px, "height_px": o.height_px,
            "fx_px": camera.fx_px, "fy_px": camera.fy_px,
            "cx_px": camera.cx_px, "cy_px": camera.cy_px,
            "cam_to_world": camera.cam_to_world.ravel().tolist(),
        }
        for name in ("visibility_m", "rain_mm_h", "snow_mm_h", "sun_elevation_deg",
                     "ego_ttc_s", "ego_gap_m"):
            out[name] = float(row[name])
        out["road_state"] = str(row["road_state"])
        for channel in ("depth", "semantic", "instance", "surface"):
            if channel in o.channels:
                out[f"{channel}_file"] = f"{channel}/{stem}.png"
        out["transmission_file"] = f"transmission/{stem}.png" if fog else ""
        return out

    # -- many frames ---------------------------------------------------------------------------
    def iter_frames(self, scenes: Mapping[str, np.ndarray],
                    keys: RunKeys) -> Iterator[RenderedFrame]:
        """Render the frames of ``scenes`` in order. Each frame's weather draws come from its
        own generator (``keys.frame_generator(run, frame)``, the rendering purpose), so a
        frame's bytes do not depend on which other runs or frames were selected with it."""
        if self.scene is None:
            self.setup()
        per_frame = ("run", "frame", "t_s", "visibility_m", "rain_mm_h", "snow_mm_h",
                     "sun_elevation_deg", "road_state", "ego_ttc_s", "ego_gap_m",
                     "temperature_c", "wind_mps", *road_columns(scenes))
        for rows in frame_slices(scenes):
            row = {k: scenes[k][rows.start] for k in per_frame if k in scenes}
            rng = keys.frame_generator(int(row["run"]), int(row["frame"]), Purpose.RENDERING)
            yield self.render_frame(FrameObjects.from_scenes(scenes, rows), row, rng)

    def render_frames(self, scenes: Mapping[str, np.ndarray],
                      keys: RunKeys) -> tuple[FrameBatch, dict[str, np.ndarray]]:
        """Frames in memory for a model under test: a :class:`FrameBatch` (weathered RGB, frame
        and object label columns with ``frame_row`` indexing the frames) and the other
        channels as stacks: ``depth_m`` (float32, inf = no return), ``semantic``, ``instance``,
        ``surface`` (road surface ids, 255 elsewhere) and ``transmission`` (NaN for frames
        without extinction)."""
        frames = list(self.iter_frames(scenes, keys))
        o: CameraOptions = self.options  # type: ignore[assignment]
        shape = (len(frames), o.height_px, o.width_px)
        images = np.stack([f.rgb for f in frames]) if frames else np.zeros((*shape, 3), np.uint8)
        extras = {
            "depth_m": np.stack([f.depth_m.astype(np.float32) for f in frames])
            if frames else np.zeros(shape, np.float32),
            "semantic": np.stack([f.semantic for f in frames]) if frames
            else np.zeros(shape, np.uint8),
            "instance": np.stack([f.instance for f in frames]) if frames
            else np.zeros(shape, np.uint16),
            "surface": np.stack([f.surface for f in frames]) if frames
            else np.zeros(shape, np.uint8),
            "transmission": np.stack([
                f.transmission.astype(np.float32) if f.transmission is not None
                else np.full(shape[1:], np.nan, np.float32) for f in frames])
            if frames else np.zeros(shape, np.float32),
        }
        frame_cols, object_cols = _columns([(f.frame, f.objects) for f in frames])
        return FrameBatch(images, frame_cols, object_cols), extras

    def render(self, scenes: Mapping[str, np.ndarray], keys: RunKeys) -> list[Artefact]:
        """PNG artefacts per frame and channel, plus the shard's label artefacts."""
        from simengine.renderers.formats import shard_label_artefacts

        o: CameraOptions = self.options  # type: ignore[assignment]
        out: list[Artefact] = []
        rows: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for f in self.iter_frames(scenes, keys):
            stem = _stem(f.frame["run"], f.frame["frame"])
            out.append(Artefact(f"images/{stem}.png", data=encode_png(_bgr(f.rgb))))
            if "depth" in o.channels:
                out.append(Artefact(f"depth/{stem}.png",
                                    data=encode_png(depth_png(f.depth_m, o.depth_unit_m))))
            if "semantic" in o.channels:
                out.append(Artefact(f"semantic/{stem}.png", data=encode_png(f.semantic)))
            if "instance" in o.channels:
                out.append(Artefact(f"instance/{stem}.png", data=encode_png(f.instance)))
            if "surface" in o.channels:
                out.append(Artefact(f"surface/{stem}.png", data=encode_png(f.surface)))
            if f.transmission is not None:
                t = np.clip(f.transmission, 0.0, 1.0).astype(np.float32) * np.float32(65535)
                t = (t + np.float32(0.5)).astype(np.uint16)  # rounded: t·65535
                out.append(Artefact(f"transmission/{stem}.png", data=encode_png(t)))
            rows.append((f.frame, f.objects))  # the label writers need only the rows
        if rows:
            frames, objects = _columns(rows)
            out.extend(shard_label_artefacts(frames, objects, formats=o.formats))
        return out

    def finalize(self, parts: Sequence[Sequence[Artefact]], *,
                 info: Mapping[str, str] | None = None) -> list[Artefact]:
        """Corpus-wide label files (COCO, YOLO data.yaml, HF metadata, Parquet index); ``info``
        (the corpus's metadata) goes into their headers with the camera's options."""
        from simengine.renderers.formats import finalize_label_artefacts

        o: CameraOptions = self.options  # type: ignore[assignment]
        header = {**(info or {}), "simengine.renderer": self.name,
                  "simengine.camera": o.model_dump_json()}
        return finalize_label_artefacts(parts, formats=o.formats, info=header)


def _columns(frames: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]]
             ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(frame row, object rows) pairs → the label writers' columns; ``frame_row`` in the
    objects indexes the frames."""
    frame_rows = [frame for frame, _ in frames]
    object_rows = [{"frame_row": k, **obj} for k, (_, objs) in enumerate(frames) for obj in objs]
    return _to_columns(frame_rows), _to_columns(object_rows)


def _to_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Rows (dicts with the same keys) → columns; strings and lists become object arrays."""
    if not rows:
        return {}
    columns: dict[str, np.ndarray] = {}
    for name in rows[0]:
        values = [r[name] for r in rows]
        if isinstance(values[0], str | list):
            column = np.empty(len(values), dtype=object)
            for k, value in enumerate(values):
                column[k] = value
            columns[name] = column
        else:
            columns[name] = np.asarray(values)
    return columns


def _road_mask(surface: np.ndarray) -> np.ndarray:
    """Pixels showing the road (shoulder, lanes, markings): ids 2..4 of the surface map."""
    lo, hi = min(ROAD_SURFACES), max(ROAD_SURFACES)
    return (surface >= lo) & (surface <= hi)


def _bgr(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def depth_png(depth_m: np.ndarray, unit_m: float) -> np.ndarray:
    """Depth in metres → uint16 in ``unit_m`` steps: 0 = no return, saturating at 65535."""
    finite = np.isfinite(depth_m)
    units = np.round(np.where(finite, depth_m, 0.0) / unit_m)
    return np.where(finite, np.clip(units, 1, 65535), 0).astype(np.uint16)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an 8- or 16-bit image (BGR order for colour) at a fixed compression."""
    import cv2

    params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
    if hasattr(cv2, "IMWRITE_PNG_FILTER"):  # no row filter: 2-3× faster, as small here
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]
    ok, buffer = cv2.imencode(".png", image, params)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buffer.tobytes()
