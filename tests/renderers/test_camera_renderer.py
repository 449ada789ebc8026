"""The camera renderer end to end: options and presets, files and their contents, weather
labels, occlusion in a real scenario, reproducibility, and a run through the CLI."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from simengine import api
from simengine.errors import ScenarioError
from simengine.renderers.camera import CameraOptions, CameraRenderer
from simengine.renderers.formats import CATEGORIES
from simengine.scenario.scenario import load_scenario_text
from tests.conftest import ROOT
from tests.renderers.camera_scenes import (
    keys_for,
    objects_of,
    scene_table,
    simulated_scenes,
    take,
)

CAR = {"class": "car", "group": "", "length_m": 4.5, "width_m": 1.8, "height_m": 1.5}


def _png(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


# -- options and presets ----------------------------------------------------------------------


def _with_output(entry: str) -> str:
    text = (ROOT / "scenarios" / "driving" / "highway-cut-in.yaml").read_text()
    return text.split("outputs:")[0] + f"outputs:\n  - {entry}\n"


@pytest.mark.parametrize(("entry", "message"), [
    ("{preset: dashcam-640, channels: [depth]}", "channels must include rgb"),
    ("{preset: dashcam-640, near_m: 300}", "near_m (300.0) must be less than far_m (200.0)"),
    ("{preset: dashcam-640, formats: [coco, voc]}", "formats"),
    ("{preset: dashcam-640, mount: {type: ego, hieght_m: 2}}", "hieght_m"),
    ("{preset: dashcam-640, fov_deg: 0}", "fov_deg"),
    ("{preset: bev-512, mount: {type: bev, height_m: 40, pitch_deg: 5}}",
     "pitch_deg apply to a dashcam (type: ego) only"),
    ("{preset: dashcam-640, mount: {type: bev}}", "a bev mount needs its height_m"),
])
def test_bad_options_are_located_errors(entry: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(_with_output(entry))
    assert message in str(err.value)


@pytest.mark.parametrize(("preset", "size", "mount"), [
    ("dashcam-640", (640, 480), "ego"), ("dashcam-1280", (1280, 720), "ego"),
    ("bev-512", (512, 512), "bev")])
def test_presets_resolve_to_camera_options(preset: str, size: tuple, mount: str) -> None:
    scn = api.load_scenario("highway-cut-in", outputs=[preset])
    plan = next(o for o in scn.outputs if o.name == preset)
    assert plan.renderer == "camera" and isinstance(plan.options, CameraOptions)
    assert (plan.options.width_px, plan.options.height_px) == size
    assert plan.options.mount.type == mount
    assert set(plan.options.formats) == {"coco", "yolo", "hf"}


def test_bev_preset_shows_a_40_m_square() -> None:
    o = api.load_scenario("highway-cut-in", outputs=["bev-512"]).outputs[-1].options
    half_span = o.mount.height_m * math.tan(math.radians(o.fov_deg) / 2)
    assert 2 * half_span == pytest.approx(40.0, abs=0.01)


# -- files ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def foggy() -> tuple[dict, list, tuple]:
    """A car 10 m and a truck 150 m ahead in fog of 50 m visibility: artefacts and arrays."""
    objects = [{**CAR, "object": "near", "x_m": 10.5 + 2.25, "y_m": 1.8},
               {"object": "far", "class": "truck", "group": "", "x_m": 150.5 + 6.0,
                "y_m": 1.8, "length_m": 12.0, "width_m": 2.5, "height_m": 3.5}]
    scenes = scene_table([objects], weather={"visibility_m": 50.0})
    renderer = CameraRenderer(CameraOptions())
    renderer.setup()
    artefacts = {a.path: a for a in renderer.render(scenes, keys_for(scenes))}
    batch = renderer.render_frames(scenes, keys_for(scenes))
    renderer.close()
    return artefacts, objects, batch


def test_fog_labels_near_objects_visible_and_far_ones_not(foggy) -> None:
    _, _, (batch, _) = foggy
    labels = objects_of(batch.objects, 0)
    assert labels["near"]["visible"] and labels["near"]["distance_m"] == pytest.approx(
        math.hypot(12.75 - 0.5, 1.4 - 0.75), abs=1e-9)
    # the truck is drawn (it has pixels and a box) but its contrast is lost in the fog
    assert labels["far"]["area_px"] > 0 and not labels["far"]["visible"]
    assert labels["far"]["apparent_contrast"] < 0.05 <= labels["near"]["apparent_contrast"]
    beta = -math.log(0.05) / 50.0  # Koschmieder: 5 % contrast left at the visibility
    assert labels["near"]["apparent_contrast"] == pytest.approx(
        labels["near"]["intrinsic_contrast"] * math.exp(-beta * labels["near"]["distance_m"]))
    assert batch.frames["visibility_m"][0] == 50.0


def test_transmission_png_is_koschmieder_of_the_depth(foggy) -> None:
    artefacts, _, (batch, extras) = foggy
    t = _png(artefacts["transmission/r0000000_f00000.png"].data) / 65535.0
    depth = extras["depth_m"][0].astype(np.float64)
    expected = np.exp(-(-math.log(0.05) / 50.0) * depth)  # exp(-inf) = 0 for the sky
    assert np.abs(t - expected).max() < 1e-3
    assert batch.frames["transmission_file"][0] == "transmission/r0000000_f00000.png"


def test_png_channels_hold_depth_classes_and_instances(foggy) -> None:
    artefacts, _, (batch, extras) = foggy
    stem = "r0000000_f00000.png"
    rgb = _png(artefacts[f"images/{stem}"].data)[:, :, ::-1]
    assert np.array_equal(rgb, batch.images[0])
    depth_mm = _png(artefacts[f"depth/{stem}"].data)
    assert depth_mm.dtype == np.uint16
    depth = extras["depth_m"][0]
    near = np.isfinite(depth) & (depth < 60)
    assert np.abs(depth_mm[near] / 1000.0 - depth[near]).max() <= 0.0005 + 1e-6
    assert (depth_mm[np.isinf(depth)] == 0).all()
    assert (depth_mm[np.isfinite(depth) & (depth > 65.6)] == 65535).all()
    semantic = _png(artefacts[f"semantic/{stem}"].data)
    instance = _png(artefacts[f"instance/{stem}"].data)
    assert instance.dtype == np.uint16 and semantic.dtype == np.uint8
    labels = objects_of(batch.objects, 0)
    for name, category in (("near", "car"), ("far", "truck")):
        mask = instance == labels[name]["instance_id"]
        assert mask.sum() == labels[name]["area_px"] > 0
        assert (semantic[mask] == CATEGORIES.index(category) + 1).all()
    assert set(np.unique(semantic)) == {0, 1, 2}
    assert {a.split("/")[0] for a in artefacts} >= {"images", "depth", "semantic", "instance",
                                                    "transmission", "labels"}


def test_render_frames_batch(foggy) -> None:
    _, _, (batch, extras) = foggy
    assert batch.images.shape == (1, 480, 640, 3) and batch.images.dtype == np.uint8
    assert list(batch.objects["frame_row"]) == [0, 0]
    cam_to_world = np.array(batch.frames["cam_to_world"][0]).reshape(4, 4)
    np.testing.assert_allclose(cam_to_world[:3, 3], [0.5, 1.8, 1.4])
    np.testing.assert_allclose(cam_to_world[:3, 2], [1.0, 0.0, 0.0], atol=1e-12)  # forward
    assert batch.frames["fx_px"][0] == pytest.approx(240 / math.tan(math.radians(30)))
    assert extras["depth_m"].shape == (1, 480, 640)


# -- occlusion in a real scenario ---------------------------------------------------------------


def test_child_behind_the_van_is_hidden_then_steps_out() -> None:
    """pedestrian-occluded-crossing: fully behind the parked van the child has visible
    fraction 0 and no box; as it steps out the fraction rises to 1."""
    scenes, keys = simulated_scenes("pedestrian-occluded-crossing", range(0, 1))
    child = scenes["object"] == "child"
    y = scenes["y_m"][child]
    start = int(scenes["frame"][child][np.argmax(y > y[0] + 1e-6)])  # it starts to cross
    frames = scenes["frame"]
    chosen = (frames == 0) | ((frames >= start) & (frames <= start + 24))
    renderer = CameraRenderer(CameraOptions(weather_effects=False))
    batch, _ = renderer.render_frames(take(scenes, chosen), keys)
    renderer.close()
    fractions = []
    for k in range(len(batch.images)):
        labels = objects_of(batch.objects, k)
        kid = labels["child"]
        fractions.append(kid["visible_fraction"])
        assert labels["static.0"]["visible_fraction"] > 0.99
        if kid["visible_fraction"] == 0:
            assert math.isnan(kid["bbox_x_px"]) and kid["area_px"] == 0
            assert kid["segmentation"] == "" and not kid["visible"]
            assert kid["amodal_w_px"] > 0 and kid["truncation"] == 0  # in view, just hidden
    fractions = np.array(fractions)
    assert fractions[0] == 0 and fractions[1] == 0  # before and as it starts to cross
    assert np.all(np.diff(fractions) >= -0.02)  # it only comes out
    assert ((fractions > 0.05) & (fractions < 0.95)).any()  # partly hidden for a while
    assert fractions[-1] > 0.95
    assert kid["visible"] and kid["area_px"] > 50  # out in the open in clear weather


# -- reproducibility --------------------------------------------------------------------------

_RENDER_IN_A_FRESH_PROCESS = """
import hashlib, json, sys
import numpy as np
from simengine.renderers.camera import CameraOptions, CameraRenderer
from simengine.sampling.keys import RunKeys
data = np.load(sys.argv[1], allow_pickle=True)
scenes = {k: data[k] for k in data.files}
renderer = CameraRenderer(CameraOptions())
renderer.setup()
arts = renderer.render(scenes, RunKeys.range(0, 1, 2))
print(json.dumps({a.path: hashlib.sha256(a.data).hexdigest() for a in arts
                  if a.path.endswith(".png")}))
"""


def _digests(artefacts, run: int) -> dict[str, str]:
    return {a.path: hashlib.sha256(a.data).hexdigest() for a in artefacts
            if a.path.endswith(".png") and f"/r{run:07d}_" in a.path}


def test_the_same_run_renders_the_same_bytes(tmp_path: Path) -> None:
    """Run 1 of a rainy, foggy cut-in: the same PNG bytes from a second renderer, when
    rendered together with other runs, and in a fresh process."""
    scenes, _ = simulated_scenes("highway-cut-in", range(0, 3), overrides=[
        "weather.visibility_m=120", "weather.rain_mm_h=8", "duration_s=1.5"])
    scenes = take(scenes, scenes["frame"] % 10 == 0)
    run1 = take(scenes, scenes["run"] == 1)
    first = CameraRenderer(CameraOptions())
    alone = _digests(first.render(run1, keys_for(run1)), 1)
    together = _digests(first.render(scenes, keys_for(scenes)), 1)
    first.close()
    again = CameraRenderer(CameraOptions())
    second = _digests(again.render(run1, keys_for(run1)), 1)
    again.close()
    assert len(alone) == 3 * 5 and alone == together == second  # 3 frames, 5 channels
    np.savez(tmp_path / "scenes.npz", **run1)
    out = subprocess.run([sys.executable, "-c", _RENDER_IN_A_FRESH_PROCESS,
                          str(tmp_path / "scenes.npz")], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == alone


# -- through the CLI ----------------------------------------------------------------------------


def test_cli_run_with_dashcam_output_writes_a_coco_corpus(tmp_path: Path) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    out = tmp_path / "corpus"
    res = subprocess.run(
        [sys.executable, "-m", "simengine", "run", "highway-cut-in", "--runs", "2", "--out",
         str(out), "--output", "dashcam-640", "--set", "duration_s=1", "-j", "1", "-q"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    folder = out / "dashcam-640"
    coco = COCO(str(folder / "coco.json"))
    # the preset's default every_s 0.5 over 1 s at 20 Hz keeps t = 0.05, 0.5 and 1.0 s
    assert len(coco.getImgIds()) == 2 * 3
    for image in coco.loadImgs(coco.getImgIds()):
        assert (folder / image["file_name"]).is_file() or (
            folder / "images" / image["file_name"]).is_file()
        assert (image["width"], image["height"]) == (640, 480)
    annotations = coco.loadAnns(coco.getAnnIds())
    assert annotations and {coco.loadCats(a["category_id"])[0]["name"]
                            for a in annotations} <= {"car", "truck"}
    for kind in ("bbox", "segm"):
        results = [{**a, "score": 1.0} for a in annotations]
        evaluation = COCOeval(coco, coco.loadRes(results), kind)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
        assert evaluation.stats[0] == pytest.approx(1.0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True


def test_contact_sheet_example(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "contact_sheet.py"),
                          "--out", str(tmp_path / "sheet"), "--runs", "2"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    sheet = cv2.imread(str(tmp_path / "sheet" / "contact_sheet.png"))
    assert sheet.shape == (2 * 240, 9 * 320, 3)  # 2 runs × frames 1.5 s … 5.5 s every 0.5 s
    assert "contact_sheet.png" in res.stdout


def test_conformance_example_records_the_camera() -> None:
    """The test-only scenario for the renderer conformance tests: small frames of a rainy
    dusk, so that every frame draws random weather."""
    scn = api.load_scenario(Path(__file__).parent / "scenarios" / "camera-night-rain.yaml")
    plan = next(p for p in scn.outputs if p.renderer == "camera")
    assert plan.every_s == 1.0
    assert (plan.options.width_px, plan.options.height_px) == (320, 240)
    assert scn.spec.weather.rain_mm_h.value > 0
