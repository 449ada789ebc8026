"""Weather-effect benchmarks: camera frames and lidar sweeps, each beside a baseline measured in
the same process.

    python benchmarks/bench_weather_effects.py            # see benchmarks/README.md
    python benchmarks/bench_weather_effects.py --repeat 20

* camera — ms per 640×480 frame of :func:`simengine.weather.image_effects.apply_weather` on a
  synthetic road scene (sky at depth inf, a flat road from a 1.4 m camera, boxes at 10–150 m,
  road mask), for fog only (MOR 150 m), rain only (20 mm/h, wet road), fog + rain, snow
  (1 mm/h, snowy road), dusk (sun −3°: gain and noise) and night (sun −20°: headlights,
  noise); against pybullet (``ER_TINY_RENDERER``, DIRECT) rendering a bare 640×480 frame of a
  plane and a few boxes, so fog + rain can be read as a share of frame time (the issue's
  budget: ≤ 20 %);
* lidar — points/s of :func:`simengine.weather.range_effects.apply_lidar_weather` on a 32 ×
  1800 sweep (fog, rain, snow), against pybullet ``rayTestBatch`` casting the same 57,600 rays.

Warm (one call first, which compiles the Numba kernels or loads them from the cache), single
threaded; the figure is the best of ``--repeat`` calls, the median beside it.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simengine.weather.image_effects import apply_weather  # noqa: E402
from simengine.weather.range_effects import apply_lidar_weather  # noqa: E402
from simengine.weather.sensor_weather import SensorWeather  # noqa: E402

WIDTH, HEIGHT = 640, 480
FOCAL_PX = WIDTH / (2 * math.tan(math.radians(30.0)))
CAMERA_HEIGHT_M = 1.4
LIDAR_BEAMS = 32 * 1800
LIDAR_MAX_RANGE_M = 120.0


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(best, median) seconds of ``repeat`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def road_scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image, depth and road mask of a synthetic 640×480 road scene."""
    rng = np.random.default_rng(0)
    yy = np.mgrid[0:HEIGHT, 0:WIDTH][0].astype(np.float64)
    image = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    image[:] = (150, 180, 220)
    depth = np.full((HEIGHT, WIDTH), np.inf)
    ground = yy >= HEIGHT // 2
    depth[ground] = CAMERA_HEIGHT_M * FOCAL_PX / (yy[ground] - HEIGHT / 2 + 0.5)
    noise = rng.integers(-10, 11, size=(HEIGHT, WIDTH, 1))
    image[ground] = np.clip(90 + noise[ground], 0, 255).astype(np.uint8)
    road = ground.copy()
    for d, x0, colour in ((10.0, 100, (40, 40, 160)), (30.0, 400, (160, 30, 30)),
                          (80.0, 300, (30, 30, 30)), (150.0, 340, (200, 200, 200))):
        h_px, w_px = int(1.5 * FOCAL_PX / d), int(1.8 * FOCAL_PX / d)
        bottom = int(HEIGHT / 2 + CAMERA_HEIGHT_M * FOCAL_PX / d)
        sl = (slice(bottom - h_px, bottom), slice(x0, x0 + w_px))
        image[sl] = colour
        depth[sl] = d
        road[sl] = False
    return image, depth.astype(np.float32), road


def pybullet_world() -> tuple[Any, int] | None:
    """(the pybullet module, a DIRECT client with a plane and five boxes), or None."""
    try:
        import pybullet as p
        import pybullet_data
    except ImportError:
        return None
    cid = p.connect(p.DIRECT)
    p.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=cid)
    p.loadURDF("plane.urdf", physicsClientId=cid)
    for i, (x, y) in enumerate(((10, -2), (30, 3), (80, 0), (150, 1), (20, -5))):
        shape = p.createCollisionShape(p.GEOM_BOX, halfExtents=[2.2, 0.9, 0.75],
                                       physicsClientId=cid)
        visual = p.createVisualShape(p.GEOM_BOX, halfExtents=[2.2, 0.9, 0.75],
                                     rgbaColor=[0.2 * i, 0.3, 0.6, 1], physicsClientId=cid)
        p.createMultiBody(0, shape, visual, [x, y, 0.75], physicsClientId=cid)
    return p, cid


def bench_pybullet_frame(world: tuple[Any, int], repeat: int) -> tuple[float, float]:
    p, cid = world
    view = p.computeViewMatrix([0, 0, CAMERA_HEIGHT_M], [1, 0, CAMERA_HEIGHT_M], [0, 0, 1])
    proj = p.computeProjectionMatrixFOV(45.0, WIDTH / HEIGHT, 0.1, 300.0)
    return timed(lambda: p.getCameraImage(WIDTH, HEIGHT, view, proj,
                                          renderer=p.ER_TINY_RENDERER, physicsClientId=cid),
                 repeat)


def lidar_rays() -> tuple[np.ndarray, np.ndarray]:
    elev = np.radians(np.linspace(-15.0, 15.0, 32))[:, None]
    azim = np.radians(np.arange(1800) * 0.2)[None, :]
    dirs = np.stack([np.cos(elev) * np.cos(azim), np.cos(elev) * np.sin(azim),
                     np.sin(elev) * np.ones_like(azim)], axis=-1).reshape(-1, 3)
    origin = np.array([0.0, 0.0, 1.8])
    return np.broadcast_to(origin, dirs.shape), origin + dirs * LIDAR_MAX_RANGE_M


def bench_ray_batch(world: tuple[Any, int], repeat: int) -> tuple[float, float]:
    p, cid = world
    start, end = lidar_rays()
    batch = getattr(p, "MAX_RAY_INTERSECTION_BATCH_SIZE", 16384)

    def cast() -> None:
        for i in range(0, len(start), batch):
            p.rayTestBatch(start[i:i + batch].tolist(), end[i:i + batch].tolist(),
                           physicsClientId=cid)

    return timed(cast, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="timed calls per figure")
    args = parser.parse_args()
    one, five, _ = os.getloadavg()
    print(f"load avg {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs; "
          f"best of {args.repeat} (median)")

    image, depth, road = road_scene()
    cases = {
        "fog only (MOR 150 m)": SensorWeather(visibility_m=150.0),
        "rain only (20 mm/h, wet road)": SensorWeather(rain_mm_h=20.0, road_state="wet"),
        "fog + rain (150 m, 20 mm/h)": SensorWeather(visibility_m=150.0, rain_mm_h=20.0,
                                                     road_state="wet"),
        "snow (1 mm/h, snowy road)": SensorWeather(snow_mm_h=1.0, road_state="snow"),
        "dusk (sun -3 deg)": SensorWeather(sun_elevation_deg=-3.0),
        "night (sun -20 deg)": SensorWeather(sun_elevation_deg=-20.0),
    }
    world = pybullet_world()
    frame = bench_pybullet_frame(world, args.repeat) if world else None
    print(f"\ncamera, {WIDTH}x{HEIGHT}")
    if frame:
        print(f"  {'baseline: pybullet bare frame (TINY)':36s} {frame[0] * 1e3:7.2f} ms "
              f"({frame[1] * 1e3:.2f})")
    for name, weather in cases.items():
        best, median = timed(lambda w=weather: apply_weather(
            image, depth, w, np.random.default_rng(1), road_mask=road), args.repeat)
        share = f"  = {best / frame[0]:5.1%} of the bare frame" if frame else ""
        print(f"  {name:36s} {best * 1e3:7.2f} ms ({median * 1e3:.2f}){share}")

    rng = np.random.default_rng(2)
    r = rng.uniform(1.0, LIDAR_MAX_RANGE_M, LIDAR_BEAMS)
    hit = rng.random(LIDAR_BEAMS) < 0.7
    intensity = rng.random(LIDAR_BEAMS)
    rays = bench_ray_batch(world, args.repeat) if world else None
    print(f"\nlidar, {LIDAR_BEAMS:,} beams (32 x 1800)")
    if rays:
        print(f"  {'baseline: pybullet rayTestBatch':36s} {rays[0] * 1e3:7.2f} ms "
              f"= {LIDAR_BEAMS / rays[0] / 1e6:6.2f} M points/s")
    for name, weather in {"fog (MOR 150 m)": SensorWeather(visibility_m=150.0),
                          "rain (20 mm/h)": SensorWeather(rain_mm_h=20.0),
                          "snow (1 mm/h) + fog (300 m)": SensorWeather(snow_mm_h=1.0,
                                                                       visibility_m=300.0)
                          }.items():
        best, median = timed(lambda w=weather: apply_lidar_weather(
            r, hit, intensity, w, np.random.default_rng(3), max_range_m=LIDAR_MAX_RANGE_M),
            args.repeat)
        ratio = f"  = {best / rays[0]:5.1%} of the ray cast" if rays else ""
        print(f"  {name:36s} {best * 1e3:7.2f} ms = {LIDAR_BEAMS / best / 1e6:6.2f} M points/s"
              f"{ratio}")


if __name__ == "__main__":
    main()
