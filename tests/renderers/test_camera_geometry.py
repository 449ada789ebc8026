"""Label geometry: polygon helpers against closed forms, and rendered masks against projections
of the 3-D boxes (real pybullet DIRECT sessions)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simengine.renderers.camera import CameraOptions, CameraRenderer
from simengine.renderers.object_labels import (
    ObjectGeometry,
    PinholeCamera,
    box_corners,
    clip_polygon_to_rect,
    convex_hull,
    label_object,
    polygon_area,
    projected_hull,
    rasterize_convex,
)
from tests.renderers.camera_scenes import keys_for, objects_of, projected_box, scene_table

# -- pure geometry ------------------------------------------------------------------------------


def _camera(*, width: int = 200, height: int = 100, near: float = 0.5) -> PinholeCamera:
    """A camera at the origin looking along +x (OpenCV axes: x right = −y, y down = −z)."""
    pose = np.eye(4)
    pose[:3, :3] = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    return PinholeCamera(width, height, 100.0, 100.0, width / 2, height / 2, near, pose)


def test_convex_hull_and_area_of_a_known_polygon() -> None:
    square = np.array([[0, 0], [4, 0], [4, 3], [0, 3], [2, 1], [1, 2], [4, 0]], dtype=float)
    hull = convex_hull(square)
    assert len(hull) == 4 and polygon_area(hull) == pytest.approx(12.0)
    assert {tuple(p) for p in hull} == {(0, 0), (4, 0), (4, 3), (0, 3)}


def test_clip_polygon_to_rect_cuts_a_triangle_at_the_border() -> None:
    triangle = np.array([[-10.0, 0.0], [10.0, 0.0], [0.0, 10.0]])  # area 100
    inside = clip_polygon_to_rect(triangle, 100, 100)
    assert polygon_area(inside) == pytest.approx(50.0)  # the half with x >= 0
    assert inside[:, 0].min() == pytest.approx(0.0)


def test_rasterize_convex_uses_pixel_centres() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        poly = convex_hull(rng.uniform(-5, 45, size=(6, 2)))
        mask = rasterize_convex(poly, range(0, 40), range(0, 40))
        v, u = np.mgrid[0:40, 0:40] + 0.5
        # brute force: a centre is inside when it is left of (or on) every ccw edge
        inside = np.ones((40, 40), dtype=bool)
        for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True):
            cross = (b[0] - a[0]) * (v - a[1]) - (b[1] - a[1]) * (u - a[0])
            inside &= cross >= -1e-9
        assert np.array_equal(mask, inside)


def test_projection_of_a_box_in_front_of_the_camera() -> None:
    cam = _camera()
    corners = box_corners(np.array([10.0, 0.0, 0.0]), np.array([2.0, 4.0, 2.0]), 0.0)
    hull = projected_hull(corners, cam)
    # the near face (x = 9) spans ±2 m and ±1 m: 100·2/9 px and 100·1/9 px about the centre
    assert hull[:, 0].min() == pytest.approx(100 - 200 / 9)
    assert hull[:, 0].max() == pytest.approx(100 + 200 / 9)
    assert hull[:, 1].min() == pytest.approx(50 - 100 / 9)
    assert polygon_area(hull) == pytest.approx((400 / 9) * (200 / 9))


def test_a_box_through_the_near_plane_projects_only_its_front_part() -> None:
    cam = _camera(near=1.0)
    # from x = -2 (behind the camera) to x = 6: only x in [1, 6] can be seen
    corners = box_corners(np.array([2.0, 0.0, 0.0]), np.array([8.0, 1.0, 1.0]), 0.0)
    hull = projected_hull(corners, cam)
    assert np.isfinite(hull).all()
    # the widest part is the cut at the near plane: ±0.5 m at 1 m → ±50 px
    assert hull[:, 0].min() == pytest.approx(50.0) and hull[:, 0].max() == pytest.approx(150.0)
    behind = box_corners(np.array([-5.0, 0.0, 0.0]), np.array([2.0, 1.0, 1.0]), 0.0)
    assert len(projected_hull(behind, cam)) == 0


def test_labels_of_a_box_cut_by_the_image_border() -> None:
    """A thin 2 m × 2 m panel 10 m ahead, centred where the left image border is: half of its
    projection lies outside (truncation 0.5), none of it is hidden (visible fraction 1)."""
    cam = _camera(width=200, height=100)
    centre = np.array([10.0, 10.0, 0.0])  # u = 100 − 100·10/10 = 0
    size = np.array([1e-4, 2.0, 2.0])
    geometry = ObjectGeometry(centre_m=centre, size_m=size, yaw_rad=0.0,
                              parts_world=box_corners(centre, size, 0.0)[None])
    mask = np.zeros((100, 200), dtype=bool)
    mask[40:60, 0:10] = True  # what the renderer draws: u in [0, 10), v in [40, 60)
    label = label_object(mask, geometry, cam, min_visible_px=5)
    assert label is not None
    assert label.truncation == pytest.approx(0.5, abs=1e-3)
    assert label.amodal_px == pytest.approx((0.0, 40.0, 10.0, 20.0), abs=1e-3)
    assert label.bbox_px == (0.0, 40.0, 10.0, 20.0)
    assert label.silhouette_px == 200 and label.visible_fraction == pytest.approx(1.0)
    assert label.box3d_cam[:3] == pytest.approx((-10.0, 0.0, 10.0))
    assert label.distance_m == pytest.approx(math.hypot(10.0, 10.0))
    half_hidden = mask & (np.arange(100)[:, None] < 50)
    assert label_object(half_hidden, geometry, cam, min_visible_px=5).visible_fraction == 0.5
    too_few = label_object(mask & (np.arange(200) < 1), geometry, cam, min_visible_px=50)
    assert too_few is not None and not too_few.has_modal_box
    assert math.isnan(too_few.bbox_px[0]) and too_few.visible_px == 20


# -- rendered geometry ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dashcam() -> CameraRenderer:
    renderer = CameraRenderer(CameraOptions(weather_effects=False))
    renderer.setup()
    yield renderer
    renderer.close()


CAR = {"class": "car", "group": "", "length_m": 4.5, "width_m": 1.8, "height_m": 1.5}


def test_modal_box_of_unoccluded_objects_is_the_projected_3d_box(dashcam) -> None:
    """For unoccluded objects, the box of the rendered pixels equals the projection of the
    3-D box within 2 px (cars at several distances, offsets and headings; a pedestrian)."""
    placements = [(8.0, 1.8, 0.0), (15.0, -1.8, 0.0), (30.0, 5.4, 0.0), (12.0, 1.8, 0.3),
                  (20.0, -2.0, -0.5), (60.0, 1.8, 0.0)]
    frames = [[{**CAR, "object": "car", "x_m": x, "y_m": y, "heading_rad": yaw}]
              for x, y, yaw in placements]
    walker = {"object": "walker", "class": "pedestrian", "group": "adult", "x_m": 10.0,
              "y_m": -0.5, "heading_rad": math.pi / 2, "length_m": 0.3, "width_m": 0.5,
              "height_m": 1.75}
    frames.append([walker])
    scenes = scene_table(frames)
    batch, extras = dashcam.render_frames(scenes, keys_for(scenes))
    for k, objects in enumerate(frames):
        obj = objects[0]
        label = objects_of(batch.objects, k)[obj["object"]]
        frame = {name: col[k] for name, col in batch.frames.items()}
        x0, y0, x1, y1 = projected_box(frame, (obj["x_m"], obj["y_m"], obj["height_m"] / 2),
                                       (obj["length_m"], obj["width_m"], obj["height_m"]),
                                       obj["heading_rad"])
        box = (label["bbox_x_px"], label["bbox_y_px"],
               label["bbox_x_px"] + label["bbox_w_px"], label["bbox_y_px"] + label["bbox_h_px"])
        assert box == pytest.approx((x0, y0, x1, y1), abs=2.0), (k, obj["object"])
        amodal = (label["amodal_x_px"], label["amodal_y_px"],
                  label["amodal_x_px"] + label["amodal_w_px"],
                  label["amodal_y_px"] + label["amodal_h_px"])
        assert amodal == pytest.approx((x0, y0, x1, y1), abs=1e-6)
        assert label["visible_fraction"] > 0.97 and label["truncation"] == 0.0
        # the instance mask is where the label says: its pixels are the object's area
        assert (extras["instance"][k] == label["instance_id"]).sum() == label["area_px"]


def test_metric_depth_of_a_face_at_a_known_distance(dashcam) -> None:
    """A box face 19.5 m ahead of the camera reads 19.5 m (depth is along the optical axis)."""
    wall = {"object": "wall", "class": "static", "group": "building", "x_m": 21.0, "y_m": 1.8,
            "length_m": 2.0, "width_m": 6.0, "height_m": 3.0}
    scenes = scene_table([[wall]])
    _, extras = dashcam.render_frames(scenes, keys_for(scenes))
    depth = extras["depth_m"][0][extras["instance"][0] == 2]
    assert depth.size > 1000
    np.testing.assert_allclose(depth, 21.0 - 1.0 - 0.5, atol=2e-3)
    sky = extras["depth_m"][0][:5]
    assert np.isinf(sky).all() and (extras["semantic"][0][:5] == 0).all()


@pytest.mark.parametrize("near_width_m", [0.6, 1.0, 1.4])
def test_visible_fraction_matches_a_known_overlap(dashcam, near_width_m: float) -> None:
    """A 4 m wide wall 12 m ahead; a narrower wall 6 m ahead hides the middle of it. Both are
    centred on the optical axis and the near one is tall enough to cover the far one's
    height, so the hidden share is (w_near/2/6) / (2/12) = w_near / 2."""
    camera_x, camera_y = 0.5, 1.8
    far = {"object": "far", "class": "static", "group": "barrier", "x_m": camera_x + 12.5,
           "y_m": camera_y, "length_m": 1.0, "width_m": 4.0, "height_m": 3.0}
    near = {"object": "near", "class": "static", "group": "barrier", "x_m": camera_x + 6.5,
            "y_m": camera_y, "length_m": 1.0, "width_m": near_width_m, "height_m": 2.5}
    scenes = scene_table([[far, near], [far]])
    batch, _ = dashcam.render_frames(scenes, keys_for(scenes))
    hidden = objects_of(batch.objects, 0)
    assert hidden["far"]["visible_fraction"] == pytest.approx(1 - near_width_m / 2, abs=0.02)
    assert hidden["near"]["visible_fraction"] == pytest.approx(1.0, abs=0.01)
    alone = objects_of(batch.objects, 1)["far"]
    assert alone["visible_fraction"] == pytest.approx(1.0, abs=0.01)
    assert hidden["far"]["visible_px"] == pytest.approx(
        (1 - near_width_m / 2) * alone["visible_px"], rel=0.02)
    # the modal box of the partly hidden wall is still its whole extent: both ends show
    assert hidden["far"]["bbox_w_px"] == alone["bbox_w_px"]


def test_analytic_road_matches_the_mesh_road() -> None:
    """The default analytic ground gives the picture pybullet's road meshes give: the same
    masks, the same colour on all but boundary pixels, depth within the meshes' 1 cm drop."""
    rows = [[{**CAR, "object": "lead", "x_m": 25.0, "y_m": 1.8},
             {**CAR, "object": "side", "x_m": 14.0, "y_m": 5.4, "heading_rad": 0.1}],
            [{"object": "kid", "class": "pedestrian", "group": "child", "x_m": 9.0,
              "y_m": -1.0, "length_m": 0.25, "width_m": 0.32, "height_m": 1.2}]]
    for mount in ({"type": "ego"}, {"type": "bev", "height_m": 30.0}):
        images = []
        for ground in ("analytic", "mesh"):
            renderer = CameraRenderer(CameraOptions(weather_effects=False, ground=ground,
                                                    mount=mount, width_px=320, height_px=240))
            renderer.setup()
            scenes = scene_table(rows, road={"road_type": "urban", "lanes": 2,
                                             "lane_width_m": 3.5})
            images.append(renderer.render_frames(scenes, keys_for(scenes)))
            renderer.close()
        (a, ea), (m, em) = images
        assert np.array_equal(ea["instance"], em["instance"])
        differ = np.any(a.images != m.images, axis=-1).mean()
        assert differ < 0.005, (mount, differ)
        finite = np.isfinite(em["depth_m"])
        assert np.array_equal(finite, np.isfinite(ea["depth_m"]))
        np.testing.assert_allclose(ea["depth_m"][finite], em["depth_m"][finite], rtol=0.01)
