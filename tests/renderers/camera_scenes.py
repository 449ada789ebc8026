"""Hand-made driving ``scenes`` tables for camera tests, and a few helpers around them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from simengine.sampling.keys import RunKeys

EGO = {"object": "ego", "is_ego": True, "class": "car", "group": "", "x_m": 0.0, "y_m": 1.8,
       "heading_rad": 0.0, "length_m": 4.5, "width_m": 1.8, "height_m": 1.5}
"""The ego of every hand-made frame: lane 1 of a highway, looking along +x."""

ROAD = {"road_type": "highway", "lanes": 3, "lane_width_m": 3.6}
CLEAR = {"visibility_m": 1e9, "road_state": "dry", "rain_mm_h": 0.0, "snow_mm_h": 0.0,
         "sun_elevation_deg": 45.0}


def scene_table(frames: Sequence[Sequence[Mapping[str, Any]]], *, run: int = 0,
                weather: Mapping[str, Any] | None = None,
                road: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """A scenes table with one frame per item of ``frames`` (each a list of objects besides
    the ego, given by the keys of :data:`EGO`; omitted keys take the ego's values)."""
    rows: list[dict[str, Any]] = []
    for k, objects in enumerate(frames):
        for obj in [EGO, *objects]:
            row = {**EGO, "is_ego": False, **obj} if obj is not EGO else dict(EGO)
            rows.append({"run": run, "frame": k, "t_s": 0.05 * (k + 1), "speed_mps": 0.0,
                         "ego_ttc_s": 1e9, "ego_gap_m": 1e9, **(road or ROAD),
                         **CLEAR, **(weather or {}), **row})
    columns: dict[str, np.ndarray] = {}
    for name in rows[0]:
        values = [r[name] for r in rows]
        columns[name] = (np.array(values, dtype=object) if isinstance(values[0], str)
                         else np.array(values))
    return columns


def keys_for(scenes: Mapping[str, np.ndarray], *, seed: int = 0) -> RunKeys:
    runs = np.unique(np.asarray(scenes["run"]))
    return RunKeys.range(seed, int(runs.min()), int(runs.max()) + 1)


def objects_of(batch_objects: Mapping[str, np.ndarray], frame_row: int) -> dict[str, dict]:
    """The label rows of one frame, by track id."""
    rows = np.flatnonzero(np.asarray(batch_objects["frame_row"]) == frame_row)
    return {str(batch_objects["track_id"][i]): {k: v[i] for k, v in batch_objects.items()}
            for i in rows}


def projected_box(frame: Mapping[str, Any], centre_m: Sequence[float],
                  size_m: Sequence[float], yaw_rad: float) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of the 8 corners of a road-frame box projected with a frame's own
    intrinsics and cam_to_world (OpenCV axes), written independently of the renderer."""
    length, width, height = size_m
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    corners = []
    for dx in (-length / 2, length / 2):
        for dy in (-width / 2, width / 2):
            for dz in (-height / 2, height / 2):
                corners.append([centre_m[0] + c * dx - s * dy, centre_m[1] + s * dx + c * dy,
                                centre_m[2] + dz, 1.0])
    cam_to_world = np.asarray(frame["cam_to_world"], dtype=float).reshape(4, 4)
    cam = (np.linalg.inv(cam_to_world) @ np.array(corners).T)[:3]
    u = frame["cx_px"] + frame["fx_px"] * cam[0] / cam[2]
    v = frame["cy_px"] + frame["fy_px"] * cam[1] / cam[2]
    return float(u.min()), float(v.min()), float(u.max()), float(v.max())


def simulated_scenes(scenario: str, runs: range, *, seed: int = 0,
                     overrides: Sequence[str] = ()) -> tuple[dict[str, np.ndarray], RunKeys]:
    """The scenes of ``runs`` of a built-in scenario, as the runner would record them."""
    from simengine import api
    from simengine.domains.base import SCENES
    from simengine.sampling.sampler import NominalSampler

    scn = api.load_scenario(scenario, overrides=overrides)
    keys = RunKeys.range(seed, runs.start, runs.stop)
    params, _ = NominalSampler().sample(scn.space, keys)
    chunks = [chunk.columns for chunk in scn.domain.simulate(scn, params, keys,
                                                             frozenset({SCENES}))
              if chunk.stream == SCENES]
    scenes = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    return scenes, keys


def take(scenes: Mapping[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[mask] for k, v in scenes.items()}
