"""YOLO: one label file per image whose lines decode back to the modal boxes; data.yaml."""

from __future__ import annotations

import yaml

from simengine.renderers.formats import CATEGORIES
from simengine.renderers.formats.yolo import label_path
from tests.renderers.formats.conftest import Output
from tests.renderers.formats.synthetic import HEIGHT_PX, WIDTH_PX, paint, tight_box


def _read(output: Output, stem: str) -> list[list[float]]:
    text = (output.root / "labels" / f"{stem}.txt").read_text()
    assert text == "" or text.endswith("\n")
    return [[float(v) for v in line.split()] for line in text.splitlines()]


def test_every_image_has_a_label_file(output: Output) -> None:
    images = sorted(p.stem for p in (output.root / "images").glob("*.png"))
    labels = sorted(p.stem for p in (output.root / "labels").glob("*.txt"))
    assert images == labels == sorted(f.stem for f in output.frames)


def test_lines_decode_to_modal_boxes(output: Output) -> None:
    checked = 0
    for frame in output.frames:
        _, visible = paint(frame)
        expected = sorted(
            (CATEGORIES.index(s.category), *tight_box(visible[s.track_id]))
            for s in frame.shapes if visible[s.track_id].any() and s.visible)
        decoded = []
        for cls, cx, cy, w, h in _read(output, frame.stem):
            assert cls == int(cls)
            decoded.append((int(cls), cx, cy, w, h))
        assert len(decoded) == len(expected), frame.stem
        for (cls, cx, cy, w, h), (e_cls, x, y, e_w, e_h) in zip(sorted(decoded), expected,
                                                                strict=True):
            assert cls == e_cls
            assert abs(cx - (x + e_w / 2) / WIDTH_PX) <= 1e-6
            assert abs(cy - (y + e_h / 2) / HEIGHT_PX) <= 1e-6
            assert abs(w - e_w / WIDTH_PX) <= 1e-6
            assert abs(h - e_h / HEIGHT_PX) <= 1e-6
            checked += 1
    assert checked == 16  # 19 visible objects minus the 3 fogged-out buildings


def test_hidden_and_fogged_objects_are_left_out(output: Output) -> None:
    lines = _read(output, "r0000003_f00000")
    classes = sorted(int(line[0]) for line in lines)
    # car, pedestrian (partly hidden), parked van, barrier; not the hidden child (pedestrian),
    # not the building behind the fog
    assert classes == sorted(CATEGORIES.index(c) for c in
                             ("car", "pedestrian", "parked_vehicle", "barrier"))
    assert lines[0][1:] == [0.78125, 0.5625, 0.3125, 0.375]  # the van: x 40..60, y 18..36


def test_image_without_objects_gets_an_empty_file(output: Output) -> None:
    assert (output.root / "labels" / "r0000008_f00000.txt").read_bytes() == b""


def test_data_yaml(output: Output) -> None:
    data = yaml.safe_load((output.root / "data.yaml").read_text())
    assert data == {"path": ".", "train": "images", "val": "images", "nc": 8,
                    "names": dict(enumerate(CATEGORIES))}


def test_label_path_mirrors_images_folder() -> None:
    assert label_path({"file": "images/r0000017_f00050.png"}) == "labels/r0000017_f00050.txt"
    assert label_path({"file": "images/cam1/a.b.jpg"}) == "labels/cam1/a.b.txt"
