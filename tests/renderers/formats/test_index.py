"""The Parquet frame index, and byte-identical corpus-wide files whatever the sharding."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simengine.renderers.formats import finalize_label_artefacts, shard_label_artefacts
from simengine.renderers.formats.schema import (
    FRAME_COLUMNS,
    OBJECT_COLUMNS,
    OPTIONAL_FRAME_COLUMNS,
)
from tests.renderers.formats.conftest import INFO, SHARDS, Output, build_output
from tests.renderers.formats.synthetic import paint, render, scene, snapshot


def test_frames_table(output: Output) -> None:
    table = pq.read_table(output.root / "frames.parquet")
    assert table.num_rows == len(output.frames)
    assert set(table.column_names) == {"image_id", *FRAME_COLUMNS, *OPTIONAL_FRAME_COLUMNS}
    assert table.schema.field("cam_to_world").type == pa.list_(pa.float64())
    assert table.schema.field("run").type == pa.int64()
    assert table.schema.field("road_state").type == pa.string()
    rows = table.to_pylist()
    assert [(r["run"], r["frame"]) for r in rows] == sorted((f.run, f.frame)
                                                             for f in output.frames)
    assert [r["image_id"] for r in rows] == list(range(1, len(rows) + 1))
    first = rows[0]
    matrix = np.array(first["cam_to_world"]).reshape(4, 4)
    np.testing.assert_array_equal(matrix[:3, 3], [30.0, 1.5, 0.0])
    assert first["file"] == "images/r0000003_f00000.png"
    assert first["depth_file"] == "depth/r0000003_f00000.png"
    run5 = next(r for r in rows if r["run"] == 5)
    assert run5["ego_ttc_s"] == math.inf  # the index keeps the value as is
    meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    assert {k: meta[k] for k in INFO} == INFO


def test_objects_table_keeps_hidden_objects(output: Output) -> None:
    table = pq.read_table(output.root / "objects.parquet")
    n_objects = sum(len(f.shapes) for f in output.frames)
    assert table.num_rows == n_objects == 22
    assert set(OBJECT_COLUMNS) | {"run", "frame", "image_id", "annotation_id"} \
        == set(table.column_names)
    rows = table.to_pylist()
    hidden = [r for r in rows if r["track_id"] == "traffic.2" and r["run"] == 3]
    assert len(hidden) == 3
    for r in hidden:
        assert r["visible_fraction"] == 0.0 and r["area_px"] == 0
        assert r["annotation_id"] is None and r["segmentation"] == ""
        assert math.isnan(r["bbox_x_px"]) and not math.isnan(r["amodal_x_px"])
    annotated = [r["annotation_id"] for r in rows if r["annotation_id"] is not None]
    assert annotated == list(range(1, 20))


def test_objects_join_frames_and_episodes(output: Output) -> None:
    frames = pq.read_table(output.root / "frames.parquet").to_pylist()
    objects = pq.read_table(output.root / "objects.parquet").to_pylist()
    for obj in objects:
        frame = frames[obj["frame_row"]]
        assert (frame["run"], frame["frame"], frame["image_id"]) == \
            (obj["run"], obj["frame"], obj["image_id"])
    by_key = {(f.run, f.frame): f for f in output.frames}
    for obj in objects:
        _, visible = paint(by_key[(obj["run"], obj["frame"])])
        assert obj["area_px"] == int(visible[obj["track_id"]].sum())
    episodes = pa.table({"run": [3, 5, 8, 9], "collision": [True, False, False, True]})
    joined = pq.read_table(output.root / "frames.parquet").to_pandas().merge(
        episodes.to_pandas(), on="run")
    assert len(joined) == len(frames)
    assert sorted(zip(joined["run"], joined["collision"], strict=True)) == sorted(
        (f["run"], f["run"] == 3) for f in frames)


def test_same_bytes_however_sharded_and_after_refinalize(
        output: Output, tmp_path_factory: pytest.TempPathFactory) -> None:
    """One shard, two shards, the other shard order, and re-finalizing: identical files."""
    one = build_output(tmp_path_factory.mktemp("one") / "out", ((3, 5, 8),))
    other = build_output(tmp_path_factory.mktemp("other") / "out", ((8,), (5,), (3,)))
    reference = snapshot(output.root)
    assert {"coco.json", "data.yaml", "images/metadata.jsonl", "frames.parquet",
            "objects.parquet", "labels/r0000008_f00000.txt"} <= set(reference)
    assert snapshot(one.root) == reference
    assert snapshot(other.root) == reference
    again = finalize_label_artefacts(output.parts, formats=("coco", "yolo", "hf"), info=INFO)
    assert {a.path: a.data for a in again} == {
        a.path: reference[a.path] for a in again}
    shuffled = [output.parts[1], output.parts[0]]
    assert finalize_label_artefacts(shuffled, formats=("hf", "coco", "yolo"), info=INFO) == again
    assert SHARDS == ((3, 5), (8,))


def test_index_alone_when_no_format_is_asked(tmp_path) -> None:
    out = build_output(tmp_path / "out", SHARDS, formats=())
    written = set(snapshot(out.root))
    assert {"frames.parquet", "objects.parquet"} <= written
    assert not written & {"coco.json", "data.yaml", "images/metadata.jsonl"}
    assert not any(p.startswith("labels/") for p in written)


def test_empty_output_still_finalizes() -> None:
    arts = {a.path: a.data for a in finalize_label_artefacts([[], []], formats=("coco", "hf"),
                                                              info={})}
    assert arts["images/metadata.jsonl"] == b""
    assert json.loads(arts["coco.json"])["images"] == []
    assert pq.read_table(io.BytesIO(arts["frames.parquet"])).num_rows == 0


def test_extra_columns_reach_the_index() -> None:
    f_cols, o_cols, _ = render(scene()[3:4])  # run 5: three objects
    f_cols["split"] = np.array(["val"], dtype=object)
    o_cols["speed_mps"] = np.array([12.5, 4.0, 20.25])
    parts = [[a for a in shard_label_artefacts(f_cols, o_cols, formats=()) if a.partial]]
    arts = {a.path: a.data for a in finalize_label_artefacts(parts, formats=(), info={})}
    frames = pq.read_table(io.BytesIO(arts["frames.parquet"]))
    objects = pq.read_table(io.BytesIO(arts["objects.parquet"]))
    assert frames.column_names[-1] == "split" and frames["split"].to_pylist() == ["val"]
    by_track = dict(zip(objects["track_id"].to_pylist(), objects["speed_mps"].to_pylist(),
                        strict=True))
    assert by_track == {"traffic.0": 12.5, "traffic.1": 4.0, "traffic.2": 20.25}
    assert "depth_file" in frames.column_names


def test_a_frame_in_two_shards_is_refused() -> None:
    f_cols, o_cols, _ = render(scene()[:1])
    part = [a for a in shard_label_artefacts(f_cols, o_cols, formats=()) if a.partial]
    with pytest.raises(ValueError, match=r"frame \(run 3, step 0\) appears twice"):
        finalize_label_artefacts([part, part], formats=(), info={})
