"""Lidar renderer throughput: labeled points/s and sweeps/s on ``highway-cut-in`` frames.

Baseline, in the same process and pybullet world: one bare ``rayTestBatch`` sweep of every
ray (no labels, no pruning, no weather, no Parquet). The renderer casts only the rays whose
azimuth falls on an object and computes ground hits exactly, so the ratio can exceed 1.

    python benchmarks/bench_lidar.py [--frames 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _frames(n: int):
    from simengine import api
    from simengine.domains.base import SCENES
    from simengine.renderers.scene import frame_slices
    from simengine.sampling.keys import RunKeys

    scn = api.load_scenario("highway-cut-in")
    keys = RunKeys.range(0, 0, 2)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    scenes = next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset({SCENES}))
                  if c.stream == SCENES)
    slices = frame_slices(scenes)[:: max(1, len(frame_slices(scenes)) // n)][:n]
    return scenes, slices, keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    import pybullet as p

    from simengine.renderers.lidar import LidarOptions, LidarRenderer
    from simengine.renderers.scene import FrameObjects, RoadLook

    scenes, slices, keys = _frames(args.frames)
    for beams, fov in ((16, (-15.0, 15.0)), (32, (-30.67, 10.67))):
        r = LidarRenderer(LidarOptions(beams=beams, vertical_fov_deg=fov))
        r.setup()
        sub = {k: np.concatenate([v[s] for s in slices]) for k, v in scenes.items()}
        r.render(sub, keys)  # warm
        t = time.perf_counter()
        arts = r.render(sub, keys)
        ours = time.perf_counter() - t
        points = sum(len(a.table["range_m"]) for a in arts if a.path.startswith("points/"))
        # baseline: the bare full sweep of the same frames
        t = time.perf_counter()
        for s in slices:
            objs = FrameObjects.from_scenes(scenes, s)
            first = s.start
            road = RoadLook(str(scenes["road_type"][first]), int(scenes["lanes"][first]),
                            float(scenes["lane_width_m"][first]))
            ego = int(np.flatnonzero(objs.is_ego)[0])
            r.builder.show(objs, road, follow_x_m=float(objs.x_m[ego]), skip=objs.is_ego)
            origin = np.array([objs.x_m[ego], objs.y_m[ego], r.options.height_m])
            for lo in range(0, len(r.dirs), 8192):
                d = r.dirs[lo:lo + 8192]
                p.rayTestBatch((origin + d * 0.5).tolist(), (origin + d * 100).tolist(),
                               numThreads=1, physicsClientId=r.client)
        bare = time.perf_counter() - t
        n = len(slices)
        print(f"lidar-{beams}: {len(r.dirs):,} rays/sweep; ours {n / ours:6.1f} sweeps/s, "
              f"{points / ours / 1e6:5.2f} M labeled points/s; bare full rayTestBatch "
              f"{n / bare:6.1f} sweeps/s; ratio {bare / ours:4.2f}")


if __name__ == "__main__":
    main()
