"""The ``lidar`` renderer: a spinning multi-beam lidar cast with pybullet's ``rayTestBatch``.

Each selected frame poses the same pybullet world the camera sees (:mod:`.scene`), then casts
one ray per beam and azimuth step from the sensor on the ego's roof. A return keeps its
position in the sensor frame, range, azimuth, ring (beam index), an intensity (Lambertian:
the surface class's reflectivity × cos of the incidence angle), and its labels: the object it
hit (track id, instance id, category) or the ground, and for ground returns the road
``surface`` there (``scene.SURFACES``: asphalt, marking, …, from the same layout the camera
draws, junction and crosswalks included). Weather acts on the returns in physical
units (:mod:`simengine.weather.range_effects`): two-way extinction drops weak returns, and fog,
rain and snow add spurious near returns, flagged as such.

The sweep is treated as instantaneous (no motion distortion within one revolution: at 10 Hz
and 30 m/s the ego moves 3 m in a sweep — documented, not modelled). Outputs, per output
folder: ``points/r<run>.parquet`` (every selected frame of a run), ``calibration.json``
(lidar-to-ego and lidar-to-camera transforms for the dashcam mount), and a corpus-wide
``frames.parquet`` index built by :meth:`LidarRenderer.finalize`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import Field

from simengine.renderers.base import Artefact, Renderer
from simengine.sampling.keys import RunKeys
from simengine.scenario.models import StrictModel

__all__ = ["LidarOptions", "LidarRenderer", "beam_directions", "pose_matrix"]

REFLECTIVITY: dict[str, float] = {
    "car": 0.45, "truck": 0.45, "motorcycle": 0.40, "cyclist": 0.35, "pedestrian": 0.30,
    "parked_vehicle": 0.45, "barrier": 0.60, "building": 0.35, "ground": 0.12, "marking": 0.55,
}
"""Diffuse reflectivity at 905 nm by surface class (project choice, typical of painted metal,
clothing, concrete and asphalt; lidar datasets report asphalt ≈ 0.1, car paint 0.3–0.6). Road
paint (lane and stop lines, zebra stripes) carries retroreflective glass beads and returns far
more than asphalt (``marking``); every other ground surface returns as ``ground``."""

MAX_BATCH = 8192
"""Rays per ``rayTestBatch`` call (pybullet returns at most 16,383 hits per call)."""


class LidarOptions(StrictModel):
    """A spinning lidar: beams spread over a vertical field of view, swept in azimuth."""

    beams: int = Field(default=16, ge=1, le=128, description="Number of beams (rings).")
    vertical_fov_deg: tuple[float, float] = Field(
        default=(-15.0, 15.0), description="Lowest and highest beam elevation (deg).")
    horizontal_fov_deg: float = Field(default=360.0, gt=0, le=360,
                                      description="Swept azimuth, centred on the ego's heading.")
    horizontal_resolution_deg: float = Field(default=0.2, gt=0, le=10,
                                             description="Azimuth step (deg).")
    range_m: float = Field(default=100.0, gt=1, le=500, description="Maximum range (m).")
    min_range_m: float = Field(default=0.5, ge=0, description="Returns nearer are discarded.")
    rate_hz: float = Field(default=10.0, gt=0, description="Revolutions per second (recorded).")
    forward_m: float = Field(default=0.0, description="Mount ahead of the ego's centre (m).")
    left_m: float = Field(default=0.0, description="Mount left of the ego's centre (m).")
    height_m: float = Field(default=1.9, gt=0, description="Mount height above the road (m).")
    range_noise_m: float = Field(default=0.02, ge=0, description="1σ range noise (m).")
    weather_effects: bool = Field(default=True, description="Extinction, dropout, near returns.")
    camera_forward_m: float = Field(default=1.5, description="Camera mount, for lidar→camera.")
    camera_left_m: float = Field(default=0.0, description="Camera mount, for lidar→camera.")
    camera_height_m: float = Field(default=1.4, description="Camera mount, for lidar→camera.")
    camera_pitch_deg: float = Field(default=0.0, description="Camera pitch (down positive).")


def beam_directions(o: LidarOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit ray directions in the sensor frame (x forward, y left, z up), shape (beams·steps, 3),
    with each ray's ring and azimuth (deg), ring-major."""
    lo, hi = o.vertical_fov_deg
    elevation = np.radians(np.linspace(lo, hi, o.beams) if o.beams > 1 else np.array([lo]))
    steps = max(1, int(round(o.horizontal_fov_deg / o.horizontal_resolution_deg)))
    half = o.horizontal_fov_deg / 2
    azimuth_deg = -half + (np.arange(steps) + 0.5) * (o.horizontal_fov_deg / steps)
    az = np.radians(azimuth_deg)
    e, a = np.meshgrid(elevation, az, indexing="ij")
    dirs = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1)
    ring = np.repeat(np.arange(o.beams), steps)
    return dirs.reshape(-1, 3), ring, np.tile(azimuth_deg, o.beams)


def pose_matrix(x_m: float, y_m: float, z_m: float, yaw_rad: float,
                pitch_rad: float = 0.0) -> np.ndarray:
    """4×4 transform of a frame at (x, y, z) turned by yaw about z, then pitched down."""
    cy, sy = math.cos(yaw_rad), math.sin(yaw_rad)
    cp, sp = math.cos(pitch_rad), math.sin(pitch_rad)
    yaw = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    pitch = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])  # nose down for positive pitch
    m = np.eye(4)
    m[:3, :3] = yaw @ pitch
    m[:3, 3] = (x_m, y_m, z_m)
    return m


class LidarRenderer(Renderer):
    name = "lidar"
    description = "Spinning lidar by ray casting (pybullet): labeled points, weather dropout."
    options_model = LidarOptions

    def setup(self) -> None:
        import pybullet as p

        from simengine.renderers.scene import SceneBuilder

        self.client = p.connect(p.DIRECT)
        reach = float(self.options.range_m)
        self.builder = SceneBuilder(self.client, ahead_m=reach, behind_m=reach, side_m=reach)
        self.dirs, self.ring, self.azimuth_deg = beam_directions(self.options)

    # -- one frame ------------------------------------------------------------------------
    def _cast(self, origin: np.ndarray, dirs_world: np.ndarray,
              candidates: np.ndarray) -> tuple[np.ndarray, ...]:
        """Body id (−1: none), range and surface normal of each ray. Only ``candidates`` (rays
        whose azimuth falls on an object) are cast; the rest can only meet the flat ground,
        whose hit is computed exactly, which makes a sweep several times cheaper."""
        import pybullet as p

        o = self.options
        n = len(dirs_world)
        body = np.full(n, -1, dtype=np.int64)
        range_m = np.full(n, np.inf)
        normal = np.zeros((n, 3))
        normal[:, 2] = 1.0
        down = dirs_world[:, 2] < 0
        drop = np.where(down, dirs_world[:, 2], -1.0)
        ground_range = np.where(down, (self._ground_z_m(origin) - origin[2]) / drop, np.inf)
        on_ground = (ground_range >= o.min_range_m) & (ground_range <= o.range_m)
        range_m[on_ground] = ground_range[on_ground]
        body[on_ground] = self.builder.road_bodies.get("ground", -1)
        cast = np.flatnonzero(candidates)
        span = o.range_m - o.min_range_m
        for lo in range(0, cast.size, MAX_BATCH):
            idx = cast[lo:lo + MAX_BATCH]
            start = origin + dirs_world[idx] * o.min_range_m
            end = origin + dirs_world[idx] * o.range_m
            hits = p.rayTestBatch(start.tolist(), end.tolist(), numThreads=1,
                                  physicsClientId=self.client)
            hit_body = np.fromiter((h[0] for h in hits), dtype=np.int64, count=idx.size)
            fraction = np.fromiter((h[2] for h in hits), dtype=np.float64, count=idx.size)
            got = hit_body >= 0
            body[idx] = hit_body
            range_m[idx] = np.where(got, o.min_range_m + fraction * span, np.inf)
            for k in np.flatnonzero(got):
                normal[idx[k]] = hits[k][4]
        return body, range_m, normal

    def _ground_z_m(self, origin: np.ndarray) -> float:
        """Height of the ground the rays meet: one ray straight down, whenever the road was
        rebuilt (the scene decides where its surfaces lie; this stays exact if that changes)."""
        import pybullet as p

        ground = self.builder.road_bodies.get("ground", -1)
        if getattr(self, "_ground", (None, 0.0))[0] != ground:
            hit = p.rayTest(origin.tolist(), [origin[0], origin[1], origin[2] - 100.0],
                            physicsClientId=self.client)[0]
            self._ground = (ground, float(hit[3][2]) if hit[0] == ground else 0.0)
        return self._ground[1]

    @staticmethod
    def _surfaces(road, origin: np.ndarray, dirs_world: np.ndarray, range_m: np.ndarray,
                  ground: np.ndarray) -> np.ndarray:
        """Name of the road surface (``scene.SURFACES``) each ``ground`` ray meets — the same
        analytic layout the camera draws — and "" for the other rays."""
        from simengine.renderers.scene import SURFACES

        out = np.full(len(range_m), "", dtype=object)
        idx = np.flatnonzero(ground)
        if idx.size:
            point = origin + dirs_world[idx] * range_m[idx, None]
            ids = road.surface_at(point[:, 0], point[:, 1])
            out[idx] = np.asarray(SURFACES, dtype=object)[ids]
        return out

    def _candidates(self, objects, drawn: np.ndarray, sensor: np.ndarray) -> np.ndarray:
        """Rays whose azimuth lies within some drawn object's angular extent (plus a margin)."""
        from simengine.renderers.scene import parts_corners

        world_to_sensor = np.linalg.inv(sensor)
        azimuth = np.radians(self.azimuth_deg)
        wanted = np.zeros(azimuth.size, dtype=bool)
        margin = np.radians(2 * self.options.horizontal_resolution_deg)
        for i in np.flatnonzero(drawn):
            corners = parts_corners(objects.parts(i), float(objects.x_m[i]),
                                    float(objects.y_m[i]), float(objects.heading_rad[i]))
            local = corners.reshape(-1, 3) @ world_to_sensor[:3, :3].T + world_to_sensor[:3, 3]
            if np.hypot(local[:, 0], local[:, 1]).min() > self.options.range_m:
                continue
            centre = math.atan2(local[:, 1].mean(), local[:, 0].mean())
            rel = np.angle(np.exp(1j * (np.arctan2(local[:, 1], local[:, 0]) - centre)))
            if np.ptp(rel) > math.pi or np.hypot(local[:, 0], local[:, 1]).min() < 1.0:
                return np.ones(azimuth.size, dtype=bool)  # around the sensor: cast everything
            lo, hi = rel.min() - margin, rel.max() + margin
            d = np.angle(np.exp(1j * (azimuth - centre)))
            wanted |= (d >= lo) & (d <= hi)
        return wanted

    def _frame(self, scenes: Mapping[str, np.ndarray], rows: slice,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
        from simengine.renderers.scene import FrameObjects, RoadLook, category_of

        o = self.options
        objects = FrameObjects.from_scenes(scenes, rows)
        first = rows.start
        road = RoadLook.from_scenes(scenes, first)
        ego = int(np.flatnonzero(objects.is_ego)[0])
        heading = float(objects.heading_rad[ego])
        sensor = pose_matrix(float(objects.x_m[ego]), float(objects.y_m[ego]), o.height_m,
                             heading) @ pose_matrix(o.forward_m, o.left_m, 0.0, 0.0)
        bodies = self.builder.show(objects, road, follow_x_m=float(objects.x_m[ego]),
                                   skip=objects.is_ego)
        rot = sensor[:3, :3]
        dirs_world = self.dirs @ rot.T
        drawn = ~np.asarray(objects.is_ego, dtype=bool)
        body, range_m, normal = self._cast(sensor[:3, 3], dirs_world,
                                           self._candidates(objects, drawn, sensor))
        hit = body >= 0
        lookup = np.full(max([*bodies, 0]) + 2, -1, dtype=np.int64)
        for b, k in bodies.items():
            lookup[b] = k
        obj = np.where(hit, lookup[np.clip(body, 0, lookup.size - 1)], -1)
        names = ["ground", *(category_of(c, g) for c, g in zip(objects.classes, objects.groups,
                                                               strict=True))]
        category = np.asarray(names, dtype=object)[obj + 1]
        reflect = np.asarray([REFLECTIVITY.get(c, 0.3) for c in names])[obj + 1]
        surface = self._surfaces(road, sensor[:3, 3], dirs_world, range_m, hit & (obj < 0))
        reflect = np.where(surface == "marking", REFLECTIVITY["marking"], reflect)
        cos_incidence = np.abs(np.einsum("ij,ij->i", normal, dirs_world))
        intensity = np.where(hit, reflect * cos_incidence, 0.0)
        dropped = np.zeros(hit.size, dtype=bool)
        spurious = np.zeros(hit.size, dtype=bool)
        if o.weather_effects:
            weather = _sensor_weather(scenes, first)
            if weather is not None:
                from simengine.weather.range_effects import apply_lidar_weather

                fx = apply_lidar_weather(range_m, hit, intensity, weather, rng,
                                         max_range_m=o.range_m, min_range_m=o.min_range_m)
                range_m, intensity, hit = fx.range_m, fx.intensity, fx.hit
                dropped, spurious = fx.dropped, fx.spurious
        if o.range_noise_m > 0:
            range_m = range_m + rng.normal(0.0, o.range_noise_m, range_m.size)
        keep = hit & (range_m >= o.min_range_m) & (range_m <= o.range_m)
        obj = np.where(spurious, -1, obj)
        local = self.dirs[keep] * range_m[keep, None]
        track = np.array(["" if k < 0 else objects.names[k] for k in obj[keep]], dtype=object)
        cat = np.where(spurious[keep], "spurious", category[keep]).astype(object)
        return {
            "x_m": local[:, 0], "y_m": local[:, 1], "z_m": local[:, 2],
            "range_m": range_m[keep], "intensity": intensity[keep],
            "ring": self.ring[keep].astype(np.int16), "azimuth_deg": self.azimuth_deg[keep],
            "track_id": track, "instance_id": np.where(obj[keep] >= 0, obj[keep] + 1, 0),
            "category": cat, "surface": np.where(spurious[keep], "", surface[keep]).astype(object),
            "spurious": spurious[keep],
            "_dropped": np.asarray([int(dropped.sum())]), "_pose": sensor.reshape(-1),
        }

    def render(self, scenes: Mapping[str, np.ndarray], keys: RunKeys) -> list[Artefact]:
        from simengine.renderers.scene import frame_slices

        out: list[Artefact] = []
        index: list[dict] = []
        by_run: dict[int, list[dict[str, np.ndarray]]] = {}
        for rows in frame_slices(scenes):
            run = int(scenes["run"][rows.start])
            frame = int(scenes["frame"][rows.start])
            pts = self._frame(scenes, rows, keys.frame_generator(run, frame))
            n = len(pts["range_m"])
            pose = pts.pop("_pose")
            dropped = int(pts.pop("_dropped")[0])
            pts = {"run": np.full(n, run, dtype=np.int64), "frame": np.full(n, frame),
                   "t_s": np.full(n, float(scenes["t_s"][rows.start])), **pts}
            by_run.setdefault(run, []).append(pts)
            index.append({"run": run, "frame": frame, "t_s": float(scenes["t_s"][rows.start]),
                          "points": n, "dropped": dropped,
                          "spurious": int(np.sum(pts["spurious"])),
                          "lidar_to_world": [round(float(v), 9) for v in pose],
                          "file": f"points/r{run:07d}.parquet"})
        for run, frames in by_run.items():
            table = {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}
            out.append(Artefact(f"points/r{run:07d}.parquet", table=table))
        out.append(Artefact("calibration.json", data=self._calibration()))
        body = "".join(json.dumps(r, sort_keys=True) + "\n" for r in index).encode()
        out.append(Artefact("frames.jsonl", data=body, partial=True))
        return out

    def _calibration(self) -> bytes:
        o = self.options
        lidar_to_ego = pose_matrix(o.forward_m, o.left_m, o.height_m, 0.0)
        # camera frame: x right, y down, z forward (OpenCV); ego frame: x forward, y left, z up
        cam_axes = np.array([[0, -1, 0, 0], [0, 0, -1, 0], [1, 0, 0, 0], [0, 0, 0, 1.0]])
        camera_to_ego = pose_matrix(o.camera_forward_m, o.camera_left_m, o.camera_height_m,
                                    0.0, math.radians(o.camera_pitch_deg)) @ np.linalg.inv(
                                        cam_axes)
        lidar_to_camera = np.linalg.inv(camera_to_ego) @ lidar_to_ego
        body = {
            "lidar_to_ego": np.round(lidar_to_ego, 9).tolist(),
            "camera_to_ego": np.round(camera_to_ego, 9).tolist(),
            "lidar_to_camera": np.round(lidar_to_camera, 9).tolist(),
            "frames": "ego: x forward, y left, z up; lidar: same axes at its mount; camera: "
                      "x right, y down, z forward",
            "beams": o.beams, "vertical_fov_deg": list(o.vertical_fov_deg),
            "horizontal_resolution_deg": o.horizontal_resolution_deg, "range_m": o.range_m,
            "rate_hz": o.rate_hz,
        }
        return (json.dumps(body, indent=1, sort_keys=True) + "\n").encode()

    def finalize(self, parts: Sequence[Sequence[Artefact]], *,
                 info: Mapping[str, str] | None = None) -> list[Artefact]:
        rows = [json.loads(line) for shard in parts for art in shard
                if art.path == "frames.jsonl" for line in (art.data or b"").splitlines()]
        rows.sort(key=lambda r: (r["run"], r["frame"]))
        if not rows:
            return []
        table = {k: np.asarray([r[k] for r in rows]) for k in rows[0] if k != "lidar_to_world"}
        table["lidar_to_world"] = np.asarray([r["lidar_to_world"] for r in rows], dtype=float)
        return [Artefact("frames.parquet", table=table)]


def _sensor_weather(scenes: Mapping[str, np.ndarray], row: int):
    """The frame's weather as the range-effects module takes it (the scenes' visibility is the
    effective one, rain and snow included); None in clear, dry air."""
    from simengine.weather.sensor_weather import SensorWeather

    keys = ("visibility_m", "rain_mm_h", "snow_mm_h", "sun_elevation_deg", "road_state",
            "temperature_c", "wind_mps")
    weather = SensorWeather.from_scene({k: scenes[k][row] for k in keys if k in scenes})
    if weather.beta_per_m == 0 and weather.precipitation_mm_h == 0:
        return None
    return weather
