"""Hugging Face imagefolder: ``load_dataset`` reads the RGB frames with their objects, offline."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.renderers.formats.conftest import Output
from tests.renderers.formats.synthetic import paint, tight_box


def _expected_objects(frame) -> dict[str, list]:
    _, visible = paint(frame)
    shown = sorted((s for s in frame.shapes if visible[s.track_id].any()),
                   key=lambda s: s.track_id)
    return {
        "bbox": [list(tight_box(visible[s.track_id])) for s in shown],
        "category": [s.category for s in shown],
        "track_id": [s.track_id for s in shown],
        "visible": [s.visible for s in shown],
    }


def test_metadata_lines(output: Output) -> None:
    lines = (output.root / "images" / "metadata.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["run"], r["frame"]) for r in rows] == sorted((f.run, f.frame)
                                                             for f in output.frames)
    first = rows[0]
    assert first["file_name"] == "r0000003_f00000.png"
    assert (first["visibility_m"], first["road_state"], first["rain_mm_h"]) == (80.0, "wet", 2.5)
    assert first["objects"]["visible_fraction"][first["objects"]["track_id"].index(
        "traffic.1")] == pytest.approx(46 / 81)
    run5 = next(r for r in rows if r["run"] == 5)
    assert run5["ego_ttc_s"] is None  # infinite TTC: JSON readers reject Infinity
    assert "NaN" not in "".join(lines) and "Infinity" not in "".join(lines)
    assert not list((output.root / "images").glob("*depth*"))  # RGB frames only


def test_load_dataset_offline(output: Output, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    # the variables are read when datasets is first imported; pin the parsed flag too
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    ds = datasets.load_dataset("imagefolder", data_dir=str(output.root / "images"),
                               split="train", cache_dir=str(tmp_path / "hf-cache"))
    assert ds.num_rows == len(output.frames)
    frames = {(f.run, f.frame): f for f in output.frames}
    for row in ds:
        frame = frames.pop((row["run"], row["frame"]))
        image = row["image"]
        assert image.size == (64, 48) and image.mode == "RGB"
        on_disk = np.asarray(Image.open(output.root / "images" / f"{frame.stem}.png"))
        np.testing.assert_array_equal(np.asarray(image), on_disk)
        objects = row["objects"]
        expected = _expected_objects(frame)
        assert {k: objects[k] for k in expected} == expected
        assert len(objects["visible_fraction"]) == len(expected["track_id"])
        assert row["visibility_m"] == frame.visibility_m
    assert not frames
