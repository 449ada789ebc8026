"""The lidar renderer on a real pybullet DIRECT session: ranges against geometry, per-point
labels, the ray pruning against a full sweep, determinism and the corpus files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from simengine import api
from simengine.renderers.lidar import LidarOptions, LidarRenderer, beam_directions
from simengine.sampling.keys import RunKeys


def _scenes(*objects: tuple[str, str, float, float, float, float, float]) -> dict:
    """One frame: the ego at the origin, then (name, class, x, y, length, width, height)."""
    rows = [("ego", "car", 0.0, 1.8, 4.5, 1.8, 1.5), *objects]
    n = len(rows)
    col = lambda k: np.asarray([r[k] for r in rows])  # noqa: E731
    return {
        "run": np.zeros(n, dtype=np.int64), "frame": np.zeros(n, dtype=np.int64),
        "t_s": np.full(n, 0.05), "object": col(0).astype(object),
        "is_ego": np.arange(n) == 0, "class": col(1).astype(object),
        "group": np.full(n, "", dtype=object), "x_m": col(2).astype(float),
        "y_m": col(3).astype(float), "heading_rad": np.zeros(n), "speed_mps": np.zeros(n),
        "length_m": col(4).astype(float), "width_m": col(5).astype(float),
        "height_m": col(6).astype(float), "ego_ttc_s": np.full(n, 1e9),
        "ego_gap_m": np.full(n, 1e9), "road_type": np.full(n, "highway", dtype=object),
        "lanes": np.full(n, 3), "lane_width_m": np.full(n, 3.6), "visibility_m": np.full(n, 1e9),
        "road_state": np.full(n, "dry", dtype=object), "rain_mm_h": np.zeros(n),
        "snow_mm_h": np.zeros(n), "sun_elevation_deg": np.full(n, 45.0),
    }


@pytest.fixture(scope="module")
def lidar() -> LidarRenderer:
    r = LidarRenderer(LidarOptions(beams=16, horizontal_resolution_deg=0.4, range_noise_m=0.0,
                                   weather_effects=False))
    r.setup()
    return r


def _points(art_list) -> dict:
    art = next(a for a in art_list if a.path.startswith("points/"))
    return {k: np.asarray(v).tolist() for k, v in art.table.items()}


def test_ranges_match_the_geometry(lidar: LidarRenderer) -> None:
    # a car 20 m ahead (its rear face at 20 - 2.25 m from the ego's centre) in the same lane
    scenes = _scenes(("lead", "car", 20.0, 1.8, 4.5, 1.8, 1.5))
    pts = _points(lidar.render(scenes, RunKeys.range(0, 0, 1)))
    ring, az = np.asarray(pts["ring"]), np.asarray(pts["azimuth_deg"])
    track = np.asarray(pts["track_id"])
    rng = np.asarray(pts["range_m"])
    # the beam at -5°, straight ahead, meets the rear face (mount at x = 0, 1.9 m high) at
    # 0.35 m above the road
    level = 5
    ahead = (ring == level) & (np.abs(az) < 0.3)
    assert ahead.any() and set(track[ahead]) == {"lead"}
    elev = math.radians(np.linspace(-15, 15, 16)[level])
    expected = (20.0 - 2.25) / (math.cos(elev) * math.cos(math.radians(float(az[ahead][0]))))
    assert rng[ahead][0] == pytest.approx(expected, abs=0.01)
    assert set(np.asarray(pts["category"])[track == "lead"]) == {"car"}
    # the lowest beam straight behind meets the ground at h / sin(-elevation)
    back = (ring == 0) & (np.abs(np.abs(az) - 180) < 0.3)
    assert set(np.asarray(pts["category"])[back]) == {"ground"}
    ground_z = lidar._ground_z_m(np.array([0.0, 1.8, 1.9]))
    assert -0.05 < ground_z < 0
    assert rng[back][0] == pytest.approx((1.9 - ground_z) / math.sin(math.radians(15)),
                                         rel=1e-6)
    # instance ids: 0 for the ground, the object's row (+1) otherwise
    assert set(np.asarray(pts["instance_id"])[track == "lead"]) == {2}


def test_pruned_sweep_equals_a_full_sweep(lidar: LidarRenderer) -> None:
    scenes = _scenes(("lead", "car", 20.0, 1.8, 4.5, 1.8, 1.5),
                     ("truck", "truck", -15.0, 5.4, 12.0, 2.5, 3.8),
                     ("walker", "pedestrian", 8.0, -1.0, 0.5, 0.5, 1.75))
    pruned = _points(lidar.render(scenes, RunKeys.range(0, 0, 1)))
    everything = lidar._candidates
    try:
        lidar._candidates = lambda objects, drawn, sensor: np.ones(  # type: ignore[method-assign]
            len(lidar.dirs), dtype=bool)
        full = _points(lidar.render(scenes, RunKeys.range(0, 0, 1)))
    finally:
        lidar._candidates = everything  # type: ignore[method-assign]
    assert pruned["ring"] == full["ring"] and pruned["track_id"] == full["track_id"]
    np.testing.assert_allclose(pruned["range_m"], full["range_m"], atol=1e-4)
    assert {"lead", "truck", "walker"} <= set(full["track_id"])


def test_same_frame_same_bytes(lidar: LidarRenderer) -> None:
    scenes = _scenes(("lead", "car", 20.0, 1.8, 4.5, 1.8, 1.5))
    other = LidarRenderer(LidarOptions(beams=16, horizontal_resolution_deg=0.4))
    other.setup()
    a = other.render(scenes, RunKeys.range(7, 0, 1))
    lidar.render(_scenes(("x", "truck", 30.0, 5.4, 12.0, 2.5, 3.8)), RunKeys.range(7, 0, 1))
    b = LidarRenderer(LidarOptions(beams=16, horizontal_resolution_deg=0.4))
    b.setup()
    b.render(_scenes(("x", "truck", 30.0, 5.4, 12.0, 2.5, 3.8)), RunKeys.range(7, 0, 1))
    again = b.render(scenes, RunKeys.range(7, 0, 1))
    assert [x.data for x in a] == [x.data for x in again]


def test_beam_pattern() -> None:
    dirs, ring, az = beam_directions(LidarOptions(beams=32, vertical_fov_deg=(-30.67, 10.67)))
    assert dirs.shape == (32 * 1800, 3) and np.allclose(np.linalg.norm(dirs, axis=1), 1)
    assert ring.max() == 31 and az.min() > -180 and az.max() < 180
    assert math.degrees(math.asin(dirs[:, 2].min())) == pytest.approx(-30.67)


@pytest.mark.parametrize("preset", ["lidar-16", "lidar-32"])
def test_preset_writes_a_corpus(preset: str, tmp_path: Path) -> None:
    scn = api.load_scenario("highway-cut-in", overrides=["duration_s=1"], outputs=[preset])
    api.run(scn, out=tmp_path / "c", runs=2, seed=1, workers=1)
    folder = tmp_path / "c" / preset
    cal = json.loads((folder / "calibration.json").read_text())
    assert np.asarray(cal["lidar_to_camera"]).shape == (4, 4)
    frames = pq.read_table(folder / "frames.parquet").to_pydict()
    # the preset's every_s 0.1 over 1 s: t = 0.05, 0.1, ..., 1.0 → 11 sweeps a run
    assert sorted(set(frames["run"])) == [0, 1] and len(frames["run"]) == 2 * 11
    pts = pq.read_table(folder / "points" / "r0000001.parquet").to_pydict()
    assert len(pts["range_m"]) == sum(p for r, p in zip(frames["run"], frames["points"],
                                                        strict=True) if r == 1)
    seen = set(pts["track_id"]) - {""}
    assert seen and seen <= {"lead", "cutter"}  # never the ego itself
    assert set(pts["category"]) <= {"ground", "car", "spurious"}
