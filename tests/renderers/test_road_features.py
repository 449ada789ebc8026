"""Junctions and zebra crossings: the analytic road layout against hand-computed positions,
the meshes pybullet draws against that layout, and a simulated crossing seen by the camera and
the lidar."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pybullet as p
import pytest

from simengine.renderers.camera import CameraOptions, CameraRenderer
from simengine.renderers.lidar import REFLECTIVITY, LidarOptions, LidarRenderer
from simengine.renderers.scene import (
    MARKING_WIDTH_M,
    STOP_LINE_M,
    STOP_SETBACK_M,
    SURFACES,
    VERGE_M,
    Crosswalk,
    FrameObjects,
    Junction,
    RoadLook,
    SceneBuilder,
    frame_slices,
)
from tests.renderers.camera_scenes import keys_for, scene_table, simulated_scenes, take

SCENARIO = Path(__file__).parent / "scenarios" / "crosswalk-junction.yaml"
ID = {name: i for i, name in enumerate(SURFACES)}
# an urban road of two 3.5 m lanes (7 m), 2 m shoulder, a 2-lane cross road at x = 80 m
# (x 76.5..83.5) and zebra crossings at x = 30 m (4 m) and 70 m (3 m)
ROAD = RoadLook("urban", 2, 3.5, 2.0, Junction(80.0, 7.0, 2),
                (Crosswalk(30.0, 4.0), Crosswalk(70.0, 3.0)))


def _at(road: RoadLook, points: list[tuple[float, float]]) -> list[str]:
    xy = np.asarray(points, dtype=float)
    return [SURFACES[s] for s in road.surface_at(xy[:, 0], xy[:, 1])]


def test_zebra_stripes_are_centred_across_the_lanes() -> None:
    # 7 m of lanes hold 7 stripes 0.5 m wide every 1 m: painted 0.25..0.75, …, 6.25..6.75
    stripes = [(30.0, k + 0.5) for k in range(7)]
    gaps = [(30.0, k + 1.0) for k in range(6)]
    assert _at(ROAD, stripes) == ["marking"] * 7
    assert _at(ROAD, gaps) == ["asphalt"] * 6
    # the stripes span the crossing's 4 m along the road and end there
    assert _at(ROAD, [(28.01, 0.5), (31.99, 0.5), (27.99, 0.5), (32.01, 0.5)]) == [
        "marking", "marking", "asphalt", "asphalt"]
    # three lanes of 3.6 m (10.8 m): 10 stripes, the pattern centred (first at 0.65 m)
    wide = RoadLook("highway", 3, 3.6, crosswalks=(Crosswalk(50.0, 4.0),))
    y = np.arange(0.0, 10.8, 0.01)
    painted = wide.surface_at(np.full(y.size, 50.0), y) == ID["marking"]
    starts = y[1:][painted[1:] & ~painted[:-1]]
    inner = starts[(starts > 0.2) & (starts < 10.6)]  # leave out the edge lines
    np.testing.assert_allclose(inner, 0.65 + np.arange(10), atol=0.011)


def test_a_crosswalk_hides_the_lane_lines_but_keeps_the_edge_lines() -> None:
    # three 3.5 m lanes: stripes 0.5..1.0, 1.5..2.0, …; the lane line at y = 3.5 m (3.425..
    # 3.575) half lies in the gap 3.0..3.5, which x = 27 m would show as a dash (27 mod 9 = 0)
    bare = RoadLook("urban", 3, 3.5)
    crossing = RoadLook("urban", 3, 3.5, crosswalks=(Crosswalk(28.0, 4.0),))
    points = [(27.0, 3.45), (27.0, 7.05), (27.0, 3.75)]
    assert _at(bare, points) == ["marking", "marking", "asphalt"]
    assert _at(crossing, points) == ["asphalt", "asphalt", "marking"]
    # the solid edge lines run on through the crossing; the shoulder is no part of it
    assert _at(crossing, [(28.0, 0.0), (28.0, 10.5), (28.0, -0.5)]) == [
        "marking", "marking", "shoulder"]


def test_the_junction_is_asphalt_across_the_world_with_its_own_lines() -> None:
    half = MARKING_WIDTH_M / 2
    # the cross road replaces shoulder, verge and ground over x 76.5..83.5, without end
    across = [(78.0, -1.0), (78.0, -2.0 - VERGE_M / 2), (78.0, -40.0), (78.0, 7.0 + 2.0),
              (78.0, 300.0)]
    assert _at(ROAD, across) == ["asphalt"] * 5
    assert _at(ROAD, [(75.0, -40.0), (85.0, 300.0)]) == ["ground", "ground"]
    # the main road's edge lines and the dashed centre line stop at the junction (81 m is on
    # a dash: 81 mod 9 = 0) and go on after it
    assert _at(ROAD, [(79.0, 0.0), (79.0, 7.0), (81.0, 3.5)]) == ["asphalt"] * 3
    assert _at(ROAD, [(90.0, 0.0), (90.0, 7.0), (90.0, 3.5)]) == ["marking"] * 3
    # the cross road's edge lines at x = 76.5 and 83.5 run from the main road's shoulder and
    # far edge outwards; its centre line (x = 80) is dashed from there: 3 m on, 6 m off
    assert _at(ROAD, [(76.5, -10.0), (83.5 - half + 0.01, 30.0), (76.5, 3.0)]) == [
        "marking", "marking", "asphalt"]
    assert _at(ROAD, [(80.0, -2.0 - 0.5), (80.0, -2.0 - 4.0), (80.0, -2.0 - 10.0),
                      (80.0, 7.0 + 2.9), (80.0, 7.0 + 3.1)]) == [
        "marking", "asphalt", "marking", "marking", "asphalt"]


def test_stop_lines_before_the_junction_on_every_approach() -> None:
    back, width = STOP_SETBACK_M, STOP_LINE_M
    main = [(76.5 - back - width / 2, y) for y in (0.5, 3.0, 6.5)]
    main += [(83.5 + back + width / 2, y) for y in (0.5, 3.0, 6.5)]
    cross = [(x, -2.0 - back - width / 2) for x in (77.0, 79.0, 83.0)]
    cross += [(x, 7.0 + back + width / 2) for x in (77.0, 79.0, 83.0)]
    assert _at(ROAD, main + cross) == ["marking"] * 12
    # 0.3 m deep, no more
    assert _at(ROAD, [(76.5 - back + 0.02, 3.0), (76.5 - back - width - 0.02, 3.0)]) == [
        "asphalt", "asphalt"]


def test_road_from_scene_rows_and_defaults() -> None:
    row = {"road_type": "urban", "lanes": 2, "lane_width_m": 3.5, "shoulder_m": 2.0,
           "junction_x_m": 80.0, "junction_width_m": 7.0, "junction_lanes": 2,
           "crosswalk_x_m": 30.0, "crosswalk_width_m": 4.0, "crosswalk_2_x_m": 70.0,
           "crosswalk_2_width_m": 3.0}
    assert RoadLook.from_row(row) == ROAD
    plain = RoadLook.from_row({**row, "junction_x_m": math.nan, "junction_width_m": 0.0,
                               "crosswalk_x_m": math.nan, "crosswalk_width_m": 0.0,
                               "crosswalk_2_x_m": math.nan})
    assert plain == RoadLook("urban", 2, 3.5, 2.0)
    # a table from before the geometry columns: the straight road, default shoulder
    old = RoadLook.from_row({"road_type": "highway", "lanes": 3, "lane_width_m": 3.6})
    assert old == RoadLook("highway", 3, 3.6)
    assert old.strips()[1] == (-2.5, 0.0, ID["shoulder"])
    # a frozen, NaN-free value: equal rows give equal roads, so the world is not rebuilt
    assert hash(RoadLook.from_row(row)) == hash(ROAD)


# -- the meshes pybullet draws -------------------------------------------------------------


@pytest.fixture
def client():
    cid = p.connect(p.DIRECT)
    yield cid
    p.disconnect(physicsClientId=cid)


def test_junction_and_crosswalk_bodies_stay_put_while_the_road_follows(client) -> None:
    scenes = scene_table([[], []], road={"road_type": "urban", "lanes": 2,
                                         "lane_width_m": 3.5})
    builder = SceneBuilder(client, ahead_m=100, behind_m=10, side_m=50)
    slices = frame_slices(scenes)
    builder.show(FrameObjects.from_scenes(scenes, slices[0]), ROAD, follow_x_m=0.0)
    fixed = {name: builder.road_bodies[name] for name in ("patches", "paint")}
    builder.show(FrameObjects.from_scenes(scenes, slices[1]), ROAD, follow_x_m=31.0)
    for body in fixed.values():
        position, _ = p.getBasePositionAndOrientation(body, physicsClientId=client)
        assert position == (0.0, 0.0, 0.0)
    markings, _ = p.getBasePositionAndOrientation(builder.road_bodies["markings"],
                                                  physicsClientId=client)
    assert markings[0] == 27.0  # whole dash periods (9 m in town)
    assert builder.road_surfaces[fixed["patches"]] == ID["asphalt"]
    assert builder.road_surfaces[fixed["paint"]] == ID["marking"]
    # a ray straight down at a zebra stripe meets the ground (the paint has no collision
    # shape: range sensors see the flat ground and read its surface from the layout)
    down = p.rayTest([30.0, 0.5, 5.0], [30.0, 0.5, -5.0], physicsClientId=client)[0]
    assert down[0] == builder.road_bodies["ground"]


def _mesh_vs_analytic(mount: dict, road: dict, rows: list) -> tuple[float, np.ndarray]:
    """Render the same frames with the analytic ground and with the meshes; returns the
    fraction of pixels whose colour differs and the analytic surface maps."""
    surfaces = []
    for ground in ("analytic", "mesh"):
        renderer = CameraRenderer(CameraOptions(weather_effects=False, ground=ground,
                                                mount=mount, width_px=320, height_px=240))
        renderer.setup()
        scenes = scene_table(rows, road=road)
        batch, extras = renderer.render_frames(scenes, keys_for(scenes))
        renderer.close()
        surfaces.append((batch.images, extras))
    (a_img, a), (m_img, m) = surfaces
    assert np.array_equal(a["instance"], m["instance"])
    differ = float(np.any(a_img != m_img, axis=-1).mean())
    assert float((a["surface"] != m["surface"]).mean()) < 0.005
    finite = np.isfinite(m["depth_m"])
    assert np.array_equal(finite, np.isfinite(a["depth_m"]))
    np.testing.assert_allclose(a["depth_m"][finite], m["depth_m"][finite], rtol=0.01)
    return differ, a["surface"]


ROAD_COLUMNS = {"road_type": "urban", "lanes": 2, "lane_width_m": 3.5, "shoulder_m": 2.0,
                "junction_lanes": 2, "junction_width_m": 7.0}


@pytest.mark.parametrize(("mount", "road"), [
    ({"type": "ego"}, {**ROAD_COLUMNS, "junction_x_m": 40.0, "crosswalk_x_m": 15.0,
                       "crosswalk_width_m": 4.0}),
    ({"type": "bev", "height_m": 30.0}, {**ROAD_COLUMNS, "junction_x_m": 9.0,
                                         "crosswalk_x_m": -6.0, "crosswalk_width_m": 3.0}),
])
def test_analytic_junction_and_crosswalk_match_the_meshes(mount: dict, road: dict) -> None:
    """The analytic ground and pybullet's meshes agree on the new geometry too: surface ids,
    colours (all but boundary pixels), object masks and depth."""
    rows = [[{"object": "walker", "class": "pedestrian", "group": "adult", "x_m": 15.0,
              "y_m": 3.0, "length_m": 0.35, "width_m": 0.5, "height_m": 1.75,
              "heading_rad": math.pi / 2}]]
    differ, surface = _mesh_vs_analytic(mount, road, rows)
    assert differ < 0.005, (mount, differ)
    # the features are in view: they add paint and change a fair share of the road
    plain = _mesh_vs_analytic(mount, {k: v for k, v in road.items()
                                      if not k.startswith(("junction_x", "crosswalk"))},
                              rows)[1]
    gained = (surface == ID["marking"]).sum() - (plain == ID["marking"]).sum()
    changed = (surface != plain).mean()
    assert gained > 150 and changed > 0.005, (gained, changed)


# -- a simulated crossing, seen by the camera and the lidar ---------------------------------


def _pixel(frame: dict, point: tuple[float, float, float]) -> tuple[int, int]:
    """The pixel (row, column) a road-frame point projects into, from the frame's own
    intrinsics and cam_to_world."""
    cam_to_world = np.asarray(frame["cam_to_world"], dtype=float).reshape(4, 4)
    x, y, z = (np.linalg.inv(cam_to_world) @ np.array([*point, 1.0]))[:3]
    u = frame["cx_px"] + frame["fx_px"] * x / z
    v = frame["cy_px"] + frame["fy_px"] * y / z
    return int(math.floor(v)), int(math.floor(u))


def test_the_pedestrian_crosses_on_the_zebra_the_camera_draws() -> None:
    from simengine import api
    from simengine.renderers.formats import CATEGORIES

    scenes, keys = simulated_scenes(str(SCENARIO), range(0, 1))
    # the road's geometry rides on every row
    for name, value in {"shoulder_m": 2.0, "junction_x_m": 80.0, "junction_width_m": 7.0,
                        "junction_lanes": 2, "crosswalk_x_m": 30.0, "crosswalk_width_m": 4.0,
                        "crosswalk_2_x_m": 70.0, "crosswalk_2_width_m": 3.0}.items():
        assert set(np.asarray(scenes[name]).tolist()) == {value}, name
    # the walker waits on the shoulder (its middle, y = -1 m) at the first crossing and walks
    # straight across on it
    walker = scenes["object"] == "walker"
    assert set(scenes["x_m"][walker].tolist()) == {30.0}
    assert scenes["y_m"][walker][0] == pytest.approx(-1.0)
    assert scenes["y_m"][walker][-1] > 5.0
    # the dash camera of the scenario's output, at t = 2 s: the ego ~15 m before the crossing
    plan = next(q for q in api.load_scenario(SCENARIO).outputs if q.renderer == "camera")
    assert "surface" in plan.options.channels
    renderer = CameraRenderer(plan.options)
    renderer.setup()
    try:
        frame = take(scenes, np.isclose(scenes["t_s"], 2.0))
        batch, extras = renderer.render_frames(frame, keys)
        artefacts = renderer.render(frame, keys)
    finally:
        renderer.close()
    surface, instance = extras["surface"][0], extras["instance"][0]
    semantic = extras["semantic"][0]
    row = {k: v[0] for k, v in batch.frames.items()}
    seen = {"stripe": 0, "gap": 0}
    for k in range(7):  # 7 lanes-wide stripes: painted 0.25..0.75 m, …; gaps between
        for kind, y in (("stripe", k + 0.5), ("gap", k + 1.0)):
            if kind == "gap" and k == 6:
                continue
            v, u = _pixel(row, (30.0, y, 0.0))
            if instance[v, u]:  # the walker stands in front of it
                continue
            seen[kind] += 1
            assert SURFACES[surface[v, u]] == ("marking" if kind == "stripe" else "asphalt"), (
                kind, y)
            assert semantic[v, u] == 0  # the road is background to the object classes
    assert seen["stripe"] >= 5 and seen["gap"] >= 5, seen
    # just before and after the crossing the lane is plain asphalt
    for x in (26.5, 33.5):
        v, u = _pixel(row, (x, 0.5, 0.0))
        assert SURFACES[surface[v, u]] == "asphalt", x
    # the walker on the crossing is labeled a pedestrian
    labels = batch.objects
    assert "walker" in set(labels["track_id"])
    assert (semantic == CATEGORIES.index("pedestrian") + 1).sum() > 10
    # and the surface map is written as its own 8-bit PNG
    import cv2

    png = next(a for a in artefacts if a.path.startswith("surface/"))
    decoded = cv2.imdecode(np.frombuffer(png.data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(decoded, surface)


def test_lidar_ground_returns_carry_the_surface_drawn_there() -> None:
    road = {"road_type": "highway", "lanes": 3, "lane_width_m": 3.6, "shoulder_m": 2.5,
            "junction_x_m": math.nan, "junction_width_m": 0.0, "junction_lanes": 0,
            "crosswalk_x_m": 10.0, "crosswalk_width_m": 4.0}
    scenes = scene_table([[]], road=road)
    lidar = LidarRenderer(LidarOptions(beams=32, vertical_fov_deg=(-30.0, -5.0),
                                       horizontal_resolution_deg=0.5, range_noise_m=0.0,
                                       weather_effects=False))
    lidar.setup()
    try:
        art = next(a for a in lidar.render(scenes, keys_for(scenes))
                   if a.path.startswith("points/"))
    finally:
        p.disconnect(physicsClientId=lidar.client)
    pts = {k: np.asarray(v) for k, v in art.table.items()}
    ground = pts["category"] == "ground"
    assert ground.all()  # nothing but the road around
    # world position of each return: the sensor sits 1.9 m above the ego at (0, 1.8)
    x, y = pts["x_m"], pts["y_m"] + 1.8
    # independently: stripes of the 10.8 m crossing at 0.65 + k .. 1.15 + k, x 8..12
    inside = (np.abs(x - 10.0) < 2.0 - 0.02)
    offset = np.mod(y - 0.65, 1.0)
    stripe = inside & (y > 0.6) & (y < 10.2) & (offset > 0.02) & (offset < 0.48)
    gap = inside & (y > 0.6) & (y < 10.2) & (offset > 0.52) & (offset < 0.98)
    assert stripe.sum() > 30 and gap.sum() > 30
    assert set(pts["surface"][stripe]) == {"marking"}
    assert set(pts["surface"][gap]) == {"asphalt"}
    assert set(pts["surface"]) <= {"ground", "verge", "shoulder", "asphalt", "marking"}
    # Lambertian intensity with paint's reflectivity on the stripes, the ground's elsewhere
    cos_incidence = np.abs(pts["z_m"]) / pts["range_m"]
    np.testing.assert_allclose(pts["intensity"][stripe],
                               REFLECTIVITY["marking"] * cos_incidence[stripe], rtol=1e-6)
    np.testing.assert_allclose(pts["intensity"][gap],
                               REFLECTIVITY["ground"] * cos_incidence[gap], rtol=1e-6)
