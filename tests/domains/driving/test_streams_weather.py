"""Driving streams as written to a corpus, and weather that changes what drivers can do."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simengine import api
from simengine.domains.base import SCENES
from simengine.sampling.keys import RunKeys
from tests.domains.driving.test_domain import _rate


def test_streams_in_a_corpus(tmp_path: Path) -> None:
    out = tmp_path / "c"
    api.run(api.load_scenario("highway-cut-in", outputs=["pair_metrics"]), out=out, runs=400,
            workers=1)
    corpus = api.load_corpus(out)
    ep = corpus.episodes().to_pydict()
    selected = {r for r, c, n in zip(ep["run"], ep["collision"], ep["near_miss"], strict=True)
                if c or n in ("serious", "critical")}
    traj = corpus.table("trajectories").to_pydict()
    assert set(traj["run"]) == selected  # only_if honoured
    assert {"run", "t_s", "actor", "x_m", "y_m", "heading_rad", "speed_mps", "accel_mps2",
            "lane"} <= set(traj)
    assert set(traj["actor"]) == {"ego", "lead", "cutter"}
    pairs = corpus.table("pair_metrics").to_pydict()
    assert set(pairs["run"]) == set(ep["run"])  # no only_if: every run
    assert set(pairs["actor"]) == {"lead", "cutter"}
    # the episode's min TTC is the minimum of the per-step TTCs (capped at the horizon)
    run0 = np.asarray(pairs["run"]) == ep["run"][0]
    ttc0 = np.asarray(pairs["ttc_s"])[run0]
    if not ep["collision"][0]:
        assert ep["min_ttc_s"][0] == min(float(ttc0.min()), 12.0)


def test_scenes_schema_for_renderers() -> None:
    scn = api.load_scenario("pedestrian-occluded-crossing")
    keys = RunKeys.range(0, 0, 3)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    chunks = {c.stream: c.columns for c in scn.domain.simulate(scn, params, keys,
                                                               frozenset({SCENES}))}
    scenes = chunks[SCENES]
    documented = {"run", "frame", "t_s", "object", "class", "x_m", "y_m", "heading_rad",
                  "speed_mps", "length_m", "width_m", "height_m", "ego_ttc_s", "ego_gap_m",
                  "visibility_m", "group", "is_ego", "road_type", "lanes", "lane_width_m",
                  "road_state", "rain_mm_h", "snow_mm_h", "sun_elevation_deg",
                  "temperature_c", "wind_mps"}
    assert documented <= set(scenes)
    assert {len(v) for v in scenes.values()} == {len(scenes["run"])}
    per_frame = 3  # ego, child, the parked van
    assert len(scenes["run"]) == 3 * 160 * per_frame
    assert set(scenes["object"]) == {"ego", "child", "static.0"}
    assert set(scenes["class"]) == {"car", "pedestrian", "static"}
    child = scenes["object"] == "child"
    assert scenes["height_m"][child][0] == 1.2 and scenes["width_m"][child][0] == 0.32
    assert set(scenes["group"][child]) == {"child"}
    assert set(scenes["group"][scenes["object"] == "static.0"]) == {"parked_vehicle"}
    assert set(scenes["object"][scenes["is_ego"]]) == {"ego"}
    assert set(scenes["road_type"]) == {"urban"} and set(scenes["lanes"]) == {1}
    assert set(scenes["road_state"]) <= {"dry", "wet"}


def test_denser_fog_means_more_collisions() -> None:
    thick = _rate("fog-bank-highway", "params.fog_visibility_m=30",
                  "world.actors.ego.aeb=null")
    thin = _rate("fog-bank-highway", "params.fog_visibility_m=300",
                 "world.actors.ego.aeb=null")
    assert thick > thin


def test_night_lengthens_reaction_and_limits_sight() -> None:
    night = _rate("black-ice-night", "weather.road=wet", "weather.temperature_c=5")
    day = _rate("black-ice-night", "weather.road=wet", "weather.temperature_c=5",
                "weather.sun_elevation_deg=40")
    assert night > day


def test_pair_summary_is_the_per_run_extreme_of_pair_metrics(tmp_path: Path) -> None:
    out = tmp_path / "s"
    api.run(api.load_scenario("highway-cut-in", outputs=["pair_metrics", "pair_summary"]),
            out=out, runs=60, workers=1)
    corpus = api.load_corpus(out)
    per_step = corpus.table("pair_metrics").to_pydict()
    summary = corpus.table("pair_summary").to_pydict()
    assert len(summary["run"]) == 60 * 2  # two counterparts of the ego per run
    run, actor = np.asarray(per_step["run"]), np.asarray(per_step["actor"])
    for r, a, ttc, dist in zip(summary["run"], summary["actor"], summary["min_ttc_s"],
                               summary["min_distance_m"], strict=True):
        rows = (run == r) & (actor == a)
        assert ttc == min(float(np.min(np.asarray(per_step["ttc_s"])[rows])), 12.0)
        assert dist == float(np.min(np.asarray(per_step["distance_m"])[rows]))
    ep = corpus.episodes().to_pydict()
    by_run = {}
    for r, ttc in zip(summary["run"], summary["min_ttc_s"], strict=True):
        by_run[r] = min(by_run.get(r, np.inf), ttc)
    for r, coll, ttc in zip(ep["run"], ep["collision"], ep["min_ttc_s"], strict=True):
        if not coll:
            assert ttc == by_run[r]
    assert set(summary["conflict_type"]) <= {"rear_end", "crossing", "lane_change", "none"}
    # the pair that sets a run's minimum TTC carries the run's conflict type (one SSAM rule)
    worst = {}
    for r, ttc, kind in zip(summary["run"], summary["min_ttc_s"], summary["conflict_type"],
                            strict=True):
        if ttc < worst.get(r, (np.inf, ""))[0]:
            worst[r] = (ttc, kind)
    checked = 0
    for r, coll, ttc, kind in zip(ep["run"], ep["collision"], ep["min_ttc_s"],
                                  ep["conflict_type"], strict=True):
        if not coll and ttc < 12.0:
            assert worst[r][1] == kind, r
            checked += 1
    assert checked >= 10


def test_scenes_visibility_is_local_to_the_ego() -> None:
    """In fog-bank-highway the sensors on the ego see through the bank only while it is in it."""
    scn = api.load_scenario("fog-bank-highway")
    keys = RunKeys.range(0, 0, 4)
    params = scn.space.from_normal(scn.space.nominal_normals(keys))
    scenes = next(c.columns for c in scn.domain.simulate(scn, params, keys, frozenset({SCENES}))
                  if c.stream == SCENES)
    ego = np.asarray(scenes["is_ego"])
    vis = np.asarray(scenes["visibility_m"])[ego]
    assert vis.min() < 500 and vis.max() >= 1e9 - 1  # inside the bank and in clear air
    per_frame = {}
    for run, t, v in zip(scenes["run"], scenes["t_s"], scenes["visibility_m"], strict=True):
        per_frame.setdefault((run, t), set()).add(v)
    assert all(len(v) == 1 for v in per_frame.values())  # one value per frame
