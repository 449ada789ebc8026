"""coco.json: loads in pycocotools, evaluates perfectly against itself, labels match the pixels."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from pycocotools import mask as coco_mask
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from simengine.renderers.formats import (
    CATEGORIES,
    FORMATS,
    check_formats,
    finalize_label_artefacts,
    shard_label_artefacts,
)
from tests.renderers.formats.conftest import INFO, Output
from tests.renderers.formats.synthetic import paint, render, scene, tight_box

# pycocotools' decode predates numpy 2's copy keyword; the warning is theirs, not ours
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def _document(output: Output) -> dict:
    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads((output.root / "coco.json").read_text(), parse_constant=refuse)


def test_pycocotools_loads_and_self_evaluation_is_perfect(output: Output) -> None:
    gt = _quiet(COCO, str(output.root / "coco.json"))
    detections = [{**ann, "score": 1.0} for ann in gt.dataset["annotations"]]
    dt = _quiet(gt.loadRes, detections)
    for iou_type in ("bbox", "segm"):
        ev = COCOeval(gt, dt, iou_type)
        _quiet(ev.evaluate)
        _quiet(ev.accumulate)
        _quiet(ev.summarize)
        assert ev.stats[0] == pytest.approx(1.0), iou_type  # AP @ IoU .50:.95
        assert ev.stats[1] == pytest.approx(1.0), iou_type  # AP @ IoU .50


def test_header_and_categories(output: Output) -> None:
    doc = _document(output)
    assert doc["info"] == INFO
    assert doc["licenses"] == []
    assert [(c["id"], c["name"]) for c in doc["categories"]] == list(
        enumerate(CATEGORIES, start=1))
    supercategory = {c["name"]: c["supercategory"] for c in doc["categories"]}
    assert supercategory["pedestrian"] == supercategory["cyclist"] == "vulnerable_road_user"
    assert supercategory["truck"] == "vehicle"
    assert supercategory["building"] == "static"


def test_images_numbered_in_run_frame_order(output: Output) -> None:
    doc = _document(output)
    expected = sorted((f.run, f.frame) for f in output.frames)
    assert [im["id"] for im in doc["images"]] == list(range(1, len(expected) + 1))
    assert [(im["attributes"]["run"], im["attributes"]["frame"]) for im in doc["images"]] \
        == expected
    first = doc["images"][0]
    assert first["file_name"] == "images/r0000003_f00000.png"
    assert (first["width"], first["height"]) == (64, 48)
    attrs = first["attributes"]
    assert attrs["weather"] == {"visibility_m": 80.0, "road_state": "wet", "rain_mm_h": 2.5,
                                "snow_mm_h": 0.0, "sun_elevation_deg": 35.0}
    assert attrs["intrinsics"] == {"fx_px": 50.0, "fy_px": 50.0, "cx_px": 32.0, "cy_px": 24.0}
    assert attrs["extrinsics"]["cam_to_world"][3] == 30.0  # x translation of run 3's camera
    assert attrs["files"] == {"depth": "depth/r0000003_f00000.png",
                              "semantic": "semantic/r0000003_f00000.png",
                              "instance": "instance/r0000003_f00000.png",
                              "transmission": "transmission/r0000003_f00000.png"}
    run5 = next(im for im in doc["images"] if im["attributes"]["run"] == 5)
    assert run5["attributes"]["criticality"] == {"ego_ttc_s": None, "ego_gap_m": 30.0}
    assert "transmission" not in run5["attributes"]["files"]  # clear air: no fog map


def test_annotations_are_the_visible_masks(output: Output) -> None:
    doc = _document(output)
    images = {im["id"]: im["attributes"] for im in doc["images"]}
    by_key = {(images[a["image_id"]]["run"], images[a["image_id"]]["frame"],
               a["attributes"]["track_id"]): a for a in doc["annotations"]}
    assert [a["id"] for a in doc["annotations"]] == list(range(1, len(by_key) + 1))
    expected = 0
    for frame in output.frames:
        _, visible = paint(frame)
        for shape in frame.shapes:
            key = (frame.run, frame.frame, shape.track_id)
            mask = visible[shape.track_id]
            if not mask.any():
                assert key not in by_key, "an object without visible pixels is no annotation"
                continue
            expected += 1
            ann = by_key[key]
            assert ann["category_id"] == CATEGORIES.index(shape.category) + 1
            assert ann["iscrowd"] == 0
            assert ann["area"] == int(mask.sum())
            assert ann["bbox"] == list(tight_box(mask))
            assert ann["segmentation"]["size"] == [48, 64]
            decoded = coco_mask.decode({"size": [48, 64],
                                        "counts": ann["segmentation"]["counts"].encode()})
            np.testing.assert_array_equal(decoded.astype(bool), mask)
            assert ann["attributes"]["amodal_bbox"] == list(tight_box(shape.mask()))
            assert ann["attributes"]["visible"] == shape.visible
            assert ann["attributes"]["distance_m"] == shape.depth_m
            assert ann["attributes"]["box3d"]["z_m"] == shape.depth_m
    assert len(doc["annotations"]) == expected == 19


def test_occlusion_labels(output: Output) -> None:
    doc = _document(output)
    attrs = {(a["image_id"], a["attributes"]["track_id"]): a["attributes"]
             for a in doc["annotations"]}
    # run 3, frame 0: the pedestrian behind the car keeps 46 of its 81 disc pixels
    assert attrs[(1, "traffic.1")]["visible_fraction"] == pytest.approx(46 / 81)
    assert attrs[(1, "traffic.1")]["amodal_bbox"] == [25.0, 19.0, 11.0, 11.0]
    # the child fully behind the parked van is in no annotation of any frame
    assert not any(track == "traffic.2" for (image, track) in attrs if image <= 3)
    # the barrier in the corner is cut by the image border
    barrier = attrs[(1, "static.1")]
    assert 0.3 < barrier["truncation"] < 0.8
    assert barrier["visible_fraction"] == 1.0
    # fogged-out building: an annotation, flagged not visible
    assert attrs[(1, "static.2")]["visible"] is False


def test_unknown_format_lists_the_known_ones() -> None:
    f_cols, o_cols, _ = render(scene()[:1])
    message = r"unknown label format\(s\) 'kitti'; known: coco, yolo, hf"
    with pytest.raises(ValueError, match=message):
        shard_label_artefacts(f_cols, o_cols, formats=["coco", "kitti"])
    with pytest.raises(ValueError, match="known: coco, yolo, hf"):
        finalize_label_artefacts([], formats=["voc"], info={})
    assert FORMATS == ("coco", "yolo", "hf")
    assert check_formats(["yolo", "coco", "yolo"]) == ("yolo", "coco")
    with pytest.raises(ValueError, match="a list of names"):
        check_formats("coco")


def test_contract_errors_are_explained() -> None:
    f_cols, o_cols, _ = render(scene()[:1])
    with pytest.raises(ValueError, match="frames columns missing: cam_to_world"):
        shard_label_artefacts({k: v for k, v in f_cols.items() if k != "cam_to_world"}, o_cols,
                              formats=["coco"])
    bad = {**o_cols, "category": np.array(["car", "tram", *o_cols["category"][2:]], object)}
    with pytest.raises(ValueError, match="unknown category 'tram'; known: car, truck"):
        shard_label_artefacts(f_cols, bad, formats=["coco"])
    wrong_area = {**o_cols, "area_px": o_cols["area_px"] + 1}
    with pytest.raises(ValueError, match="but the segmentation has"):
        shard_label_artefacts(f_cols, wrong_area, formats=["coco"])
    short = {**o_cols, "frame_row": o_cols["frame_row"][:-1]}
    with pytest.raises(ValueError, match="unequal lengths"):
        shard_label_artefacts(f_cols, short, formats=["coco"])
    outside = {**f_cols, "file": np.array(["frame.png"], object)}
    with pytest.raises(ValueError, match="must be an image under images/"):
        shard_label_artefacts(outside, o_cols, formats=["coco"])


def test_frame_without_objects_is_an_image_without_annotations(output: Output) -> None:
    doc = _document(output)
    empty = next(im for im in doc["images"] if im["file_name"] == "images/r0000008_f00000.png")
    assert not [a for a in doc["annotations"] if a["image_id"] == empty["id"]]
    assert math.isclose(empty["attributes"]["t_s"], 0.0)
