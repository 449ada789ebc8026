"""The scene builder: object shapes, the road layout, and a pybullet world reused across frames."""

from __future__ import annotations

import itertools

import numpy as np
import pybullet as p
import pytest

from simengine.renderers.scene import (
    DASH_M,
    MARKING_WIDTH_M,
    SHOULDER_M,
    SURFACES,
    VERGE_M,
    FrameObjects,
    RoadLook,
    SceneBuilder,
    category_of,
    frame_slices,
    object_parts,
    parts_corners,
)
from tests.renderers.camera_scenes import scene_table

SHAPES = [("car", ""), ("truck", ""), ("motorcycle", ""), ("cyclist", ""),
          ("pedestrian", "adult"), ("pedestrian", "child"), ("pedestrian", "elderly"),
          ("pedestrian", "wheelchair"), ("static", "parked_vehicle"), ("static", "barrier"),
          ("static", "building")]


@pytest.mark.parametrize(("cls", "group"), SHAPES)
def test_parts_fill_their_box_to_every_face(cls: str, group: str) -> None:
    """Every part lies inside the object's box and the parts reach all six faces, so the 2-D
    extent of the drawing is the projected box (the geometry acceptance relies on it)."""
    length, width, height = 2.3, 0.9, 1.7
    parts = object_parts(cls, group, length, width, height)
    lo = np.min([np.subtract(q.centre_m, q.half_m) for q in parts], axis=0)
    hi = np.max([np.add(q.centre_m, q.half_m) for q in parts], axis=0)
    np.testing.assert_allclose(lo, [-length / 2, -width / 2, 0.0], atol=1e-12)
    np.testing.assert_allclose(hi, [length / 2, width / 2, height], atol=1e-12)


def test_vehicles_and_statics_are_exactly_their_box() -> None:
    for cls, group in [("car", ""), ("truck", ""), ("static", "parked_vehicle"),
                       ("static", "barrier"), ("static", "building")]:
        parts = object_parts(cls, group, 4.0, 2.0, 1.5)
        volume = sum(8 * np.prod(q.half_m) for q in parts)
        assert volume == pytest.approx(4.0 * 2.0 * 1.5), cls


def test_classes_have_distinct_colours() -> None:
    main = {cls + group: object_parts(cls, group, 4, 2, 1.5)[0 if cls != "pedestrian" else 2]
            .rgba for cls, group in SHAPES if cls not in ("motorcycle", "cyclist")}
    main["motorcycle"] = object_parts("motorcycle", "", 2, 0.8, 1.5)[0].rgba
    main["cyclist"] = object_parts("cyclist", "", 2, 0.6, 1.7)[0].rgba
    assert len(set(main.values())) == len(main)


def test_categories_are_classes_for_actors_and_groups_for_statics() -> None:
    assert category_of("pedestrian", "child") == "pedestrian"
    assert category_of("static", "parked_vehicle") == "parked_vehicle"
    assert category_of("car", "") == "car"


def test_parts_corners_rotate_with_the_heading() -> None:
    parts = object_parts("static", "barrier", 4.0, 2.0, 1.0)
    corners = parts_corners(parts, 10.0, 5.0, np.pi / 2)[0]
    # heading +90°: the 4 m length now runs along y
    assert np.ptp(corners[:, 0]) == pytest.approx(2.0) and np.ptp(corners[:, 1]) == (
        pytest.approx(4.0))
    assert corners[:, 2].min() == 0.0 and corners[:, 2].max() == 1.0


def test_frame_slices_group_rows_by_run_and_frame() -> None:
    scenes = {"run": np.array([0, 0, 0, 0, 3, 3]), "frame": np.array([0, 0, 1, 1, 1, 1])}
    assert frame_slices(scenes) == [slice(0, 2), slice(2, 4), slice(4, 6)]
    assert frame_slices({"run": np.array([], int), "frame": np.array([], int)}) == []


def test_road_surfaces_across_and_along_the_road() -> None:
    road = RoadLook("highway", 3, 3.6)
    ids = {name: i for i, name in enumerate(SURFACES)}
    y = np.array([1.8, 5.4, -1.0, -SHOULDER_M - 1.0, -SHOULDER_M - VERGE_M - 1.0, 12.0, 20.0,
                  0.0, 10.8, 3.6, 3.6])
    x = np.array([0.0] * 9 + [1.0, DASH_M + 1.0])
    surface = road.surface_at(x, y)
    expected = ["asphalt", "asphalt", "shoulder", "verge", "ground", "verge", "ground",
                "marking", "marking", "marking", "asphalt"]  # dashes: 3 m on, 9 m off
    assert [SURFACES[s] for s in surface] == expected
    # painted lines are MARKING_WIDTH_M wide
    across = road.surface_at(np.zeros(2), np.array([MARKING_WIDTH_M / 2 - 1e-6,
                                                    MARKING_WIDTH_M / 2 + 1e-6]))
    assert list(across) == [ids["marking"], ids["asphalt"]]
    # a dash repeats every dash period
    x = np.array([0.5, 12.5, 24.5, 6.0])
    assert list(road.surface_at(x, np.full(4, 3.6))) == [4, 4, 4, 3]


@pytest.fixture
def client():
    cid = p.connect(p.DIRECT)
    yield cid
    p.disconnect(physicsClientId=cid)


def _frames() -> dict[str, np.ndarray]:
    van = {"object": "van", "class": "static", "group": "parked_vehicle", "x_m": 30.0,
           "y_m": -1.2, "length_m": 6.0, "width_m": 2.2, "height_m": 2.0}
    kid = {"object": "kid", "class": "pedestrian", "group": "child", "length_m": 0.25,
           "width_m": 0.32, "height_m": 1.2, "y_m": -1.2}
    return scene_table([[van, {**kid, "x_m": 33.5}], [van, {**kid, "x_m": 33.5, "y_m": 0.4}],
                        [van]])


def test_bodies_are_created_once_and_moved(client) -> None:
    scenes = _frames()
    builder = SceneBuilder(client, ahead_m=100, behind_m=10, side_m=50)
    slices = frame_slices(scenes)
    road = RoadLook("urban", 1, 3.5)
    first = builder.show(FrameObjects.from_scenes(scenes, slices[0]), road, follow_x_m=0.0)
    assert sorted(first.values()) == [0, 1, 2]
    road_bodies = dict(builder.road_bodies)
    assert set(road_bodies) >= {"ground", "markings"}
    second = builder.show(FrameObjects.from_scenes(scenes, slices[1]), road, follow_x_m=1.0)
    assert second == first and builder.road_bodies == road_bodies  # moved, not rebuilt
    kid = next(b for b, i in second.items() if i == 2)
    position, _ = p.getBasePositionAndOrientation(kid, physicsClientId=client)
    assert position == pytest.approx((33.5, 0.4, 0.0))
    # the kid leaves: the set changes and the world is rebuilt without it, exactly as a new
    # builder on a new client builds it
    third = builder.show(FrameObjects.from_scenes(scenes, slices[2]), road, follow_x_m=2.0)
    assert sorted(third.values()) == [0, 1]
    assert p.getNumBodies(physicsClientId=client) == len(third) + len(builder.road_bodies)
    other = p.connect(p.DIRECT)
    try:
        fresh = SceneBuilder(other, ahead_m=100, behind_m=10, side_m=50)
        assert fresh.show(FrameObjects.from_scenes(scenes, slices[2]), road,
                          follow_x_m=2.0) == third
        assert fresh.road_bodies == builder.road_bodies
    finally:
        p.disconnect(physicsClientId=other)


def test_skipped_objects_have_no_body_and_rays_hit_the_world(client) -> None:
    scenes = _frames()
    builder = SceneBuilder(client, ahead_m=100, behind_m=10, side_m=50)
    objects = FrameObjects.from_scenes(scenes, frame_slices(scenes)[0])
    bodies = builder.show(objects, RoadLook("urban", 1, 3.5), follow_x_m=0.0,
                          skip=objects.is_ego)
    assert 0 not in bodies.values()
    # a ray straight down hits the ground; one along the shoulder hits the van
    down = p.rayTest([5.0, 1.8, 5.0], [5.0, 1.8, -5.0], physicsClientId=client)[0]
    assert down[0] == builder.road_bodies["ground"]
    along = p.rayTest([0.0, -1.2, 1.0], [60.0, -1.2, 1.0], physicsClientId=client)[0]
    van = next(b for b, i in bodies.items() if objects.names[i] == "van")
    assert along[0] == van and along[3][0] == pytest.approx(27.0)


def test_without_the_road_only_objects_are_bodies(client) -> None:
    scenes = _frames()
    builder = SceneBuilder(client, ahead_m=100, behind_m=10, side_m=50, draw_road=False)
    objects = FrameObjects.from_scenes(scenes, frame_slices(scenes)[0])
    bodies = builder.show(objects, RoadLook("urban", 1, 3.5), follow_x_m=0.0)
    assert builder.road_bodies == {} and p.getNumBodies(physicsClientId=client) == len(bodies)
    assert list(itertools.islice(bodies.values(), 3)) == [0, 1, 2]
