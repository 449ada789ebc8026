"""The corpus on disk (DESIGN §4): manifest fields and checksums, table schemas, streams joined
by ``run``, the renderer's corpus-wide files, and ``only_if`` / ``every_s`` selection."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from simengine import __version__, api
from simengine.runner.shard import select_frames
from simengine.scenario.expressions import parse_expression
from simengine.scenario.scenario import OutputPlan, load_scenario, load_scenario_text
from tests.conftest import APPROACH
from tests.runner.helpers import (
    approach_text,
    assert_same_files,
    read_table,
    snapshot,
    write_variant,
)

RUNS = 150
SEED = 5
STEPS = 60  # duration_s 6 at step_hz 10
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layout") / "corpus"
    api.run(APPROACH, out=out, runs=RUNS, seed=SEED, workers=1)
    return out


@pytest.fixture(scope="module")
def files(corpus: Path) -> dict[str, bytes]:
    return snapshot(corpus)


@pytest.fixture(scope="module")
def manifest(files) -> dict:
    return json.loads(files["manifest.json"])


@pytest.fixture(scope="module")
def episodes(corpus: Path) -> pa.Table:
    return read_table(corpus, "episodes")


def test_manifest_fields(manifest, files) -> None:
    assert {"schema_version", "engine_version", "packages", "scenario", "scenario_sha256",
            "seed", "n_runs", "shard_size", "complete", "outputs", "shards"} <= set(manifest)
    assert manifest["schema_version"] == 1
    assert manifest["engine_version"] == __version__
    for name in ("python", "machine", "numpy", "scipy", "pyarrow", "numba"):
        assert manifest["packages"][name], name
    assert manifest["scenario"] == "approach"
    assert manifest["scenario_sha256"] == hashlib.sha256(files["scenario.yaml"]).hexdigest()
    assert manifest["seed"] == SEED and manifest["n_runs"] == RUNS
    assert manifest["shard_size"] == 50  # the dummy domain's constant
    assert manifest["complete"] is True
    assert [o["name"] for o in manifest["outputs"]] == ["events", "trajectories", "thumbs"]
    shards = manifest["shards"]
    assert [s["index"] for s in shards] == [0, 1, 2]
    assert [tuple(s["runs"]) for s in shards] == [(0, 50), (50, 100), (100, 150)]
    for s in shards:
        assert set(s) >= {"index", "runs", "rows", "files"}
        assert s["rows"] == 50
        assert f"episodes/part-{s['index']:05d}.parquet" in s["files"]
    # no timestamps, durations, hosts or worker counts: nothing that varies between identical
    # runs (the determinism tests compare whole manifests byte for byte)
    keys = set(manifest) | {k for s in shards for k in s} | set(manifest["packages"])
    for word in ("time", "date", "worker", "host", "pid", "elapsed", "wall"):
        assert not [k for k in keys if word in k.lower()], word


def test_every_file_is_listed_with_its_checksum(manifest, files) -> None:
    listed: dict[str, str] = {}
    for s in manifest["shards"]:
        listed.update(s["files"])
    for out in manifest.get("finalized", {}).values():
        listed.update(out)
    assert "thumbs/index.json" in listed
    for rel, sha in listed.items():
        assert rel in files, f"listed but missing: {rel}"
        assert hashlib.sha256(files[rel]).hexdigest() == sha, rel
    unlisted = set(files) - set(listed) - {"manifest.json", "scenario.yaml"}
    assert not unlisted, f"files the manifest does not know: {sorted(unlisted)[:5]}"
    assert not [f for f in files if ".tmp-" in f]


def test_resolved_scenario_reloads_to_the_same_checksum(corpus: Path, manifest) -> None:
    text = (corpus / "scenario.yaml").read_text()
    again = load_scenario_text(text, file=str(corpus / "scenario.yaml"))
    assert again.sha256 == manifest["scenario_sha256"]
    assert again.sha256 == load_scenario(APPROACH).sha256


def test_episodes_columns(corpus: Path, episodes: pa.Table) -> None:
    scn = load_scenario(APPROACH)
    outcome = list(scn.outcome_columns)
    assert episodes.column_names == ["run", "split", *scn.space.names, *outcome, "log_weight"]
    schema = episodes.schema
    assert schema.field("run").type == pa.int64()
    assert schema.field("split").type == pa.string()
    assert schema.field("log_weight").type == pa.float64()
    assert schema.field("collision").type == pa.bool_()
    assert schema.field("near_miss").type == pa.string()
    assert schema.field("weather.road").type == pa.string()
    for name in ("closing_speed_mps", "reaction_ttc_s", "brake_base_mps2", "world.gap_m",
                 "weather.visibility_m", "min_ttc_s", "penetration_m",
                 "near_miss_margin_serious"):
        assert schema.field(name).type == pa.float64(), name
    assert episodes["run"].to_pylist() == list(range(RUNS))
    assert set(episodes["split"].to_pylist()) <= {"train", "val", "test"}
    assert np.all(episodes["log_weight"].to_numpy() == 0.0)
    margins = ("min_ttc_s", "min_gap_m", "penetration_m", "near_miss_margin_potential",
               "near_miss_margin_serious", "near_miss_margin_critical")
    for name in margins:
        assert np.all(np.isfinite(episodes[name].to_numpy())), name
    # the bool label agrees with its margin (> 0 exactly when the event holds)
    assert np.array_equal(episodes["collision"].to_numpy(),
                          episodes["penetration_m"].to_numpy() >= 0)
    # Parquet: zstd, the run's provenance in the key-value metadata
    meta = pq.read_metadata(corpus / "episodes" / "part-00000.parquet")
    assert meta.row_group(0).column(0).compression == "ZSTD"
    kv = {k.decode(): v.decode() for k, v in meta.metadata.items()}
    assert kv["simengine.seed"] == str(SEED)
    assert kv["simengine.scenario"] == "approach"


def test_streams_carry_run(corpus: Path, episodes: pa.Table) -> None:
    for folder in ("events", "trajectories"):
        table = read_table(corpus, folder, ("run", "t_s"))
        assert table.schema.field("run").type == pa.int64(), folder
        assert set(table["run"].to_pylist()) <= set(range(RUNS))
    events = read_table(corpus, "events")
    collided = episodes.filter(episodes["collision"])["run"].to_pylist()
    assert events["run"].to_pylist() == collided
    # streams of a shard hold only that shard's runs
    for part in sorted((corpus / "trajectories").glob("*.parquet")):
        index = int(part.stem.split("-")[1])
        runs = pq.read_table(part)["run"].to_numpy()
        assert runs.min() >= 50 * index and runs.max() < 50 * (index + 1)


def test_only_if_selects_trajectories(corpus: Path, episodes: pa.Table) -> None:
    levels = episodes["near_miss"].to_pylist()
    chosen = [r for r, lvl in zip(episodes["run"].to_pylist(), levels, strict=True)
              if lvl in SERIOUS]
    assert 0 < len(chosen) < RUNS
    traj = read_table(corpus, "trajectories", ("run", "t_s"))
    assert sorted(set(traj["run"].to_pylist())) == chosen
    assert traj.num_rows == STEPS * len(chosen)
    t = traj["t_s"].to_numpy().reshape(len(chosen), STEPS)
    np.testing.assert_allclose(t, np.tile(np.arange(1, STEPS + 1) / 10, (len(chosen), 1)))


def test_only_if_and_every_s_select_thumbnails(corpus: Path, files, episodes: pa.Table) -> None:
    collided = set(episodes.filter(episodes["collision"])["run"].to_pylist())
    assert 0 < len(collided) < RUNS
    index = json.loads(files["thumbs/index.json"])
    frames = index["frames"]
    assert index["count"] == len(frames)
    images = sorted(f for f in files if f.startswith("thumbs/images/"))
    assert sorted("thumbs/" + f["file"] for f in frames) == images
    assert frames == sorted(frames, key=lambda f: (f["run"], f["t_s"]))
    by_run: dict[int, list[float]] = {}
    for f in frames:
        by_run.setdefault(f["run"], []).append(f["t_s"])
    assert set(by_run) == collided
    for run, times in by_run.items():
        # one frame per second of simulated time: the first step of each one-second bucket
        buckets = [math.floor(t + 1e-9) for t in times]
        assert buckets == list(range(7)), (run, times)
        assert times[0] == pytest.approx(0.1)
        assert times[1:] == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    header = files[images[0]].split(b"\n", 1)[0]
    assert header == b"P5 8 6 255"


def test_index_json_is_rebuilt_identically_on_resume(corpus: Path, files, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(corpus, copy)
    m = json.loads((copy / "manifest.json").read_text())
    # as if the run had been killed before its last shard and before finalize
    for rel in m["shards"][-1]["files"]:
        (copy / rel).unlink()
    m["shards"] = m["shards"][:-1]
    m["complete"] = False
    m["finalized"] = {}
    (copy / "manifest.json").write_text(json.dumps(m, indent=1) + "\n")
    (copy / "thumbs" / "index.json").unlink()
    summary = api.run(APPROACH, out=copy, runs=RUNS, seed=SEED, workers=1, resume=True)
    assert summary.shards_run == 1
    assert_same_files(files, snapshot(copy), what="resume rebuilds index.json")


def test_corpus_reader(corpus: Path, episodes: pa.Table) -> None:
    c = api.load_corpus(corpus)
    assert c.complete
    assert c.files("episodes") == [f"episodes/part-{i:05d}.parquet" for i in range(3)]
    assert c.episodes().replace_schema_metadata(None).equals(episodes)
    assert c.table("trajectories").num_rows == read_table(corpus, "trajectories").num_rows
    assert c.scenario_text == (corpus / "scenario.yaml").read_text()


def test_two_outputs_of_one_stream(tmp_path: Path) -> None:
    variant = write_variant(tmp_path / "twice.yaml", approach_text(outputs=[
        "trajectories", "{stream: trajectories, name: trajectories_copy}",
        "{stream: trajectories, name: serious_only, only_if: \"near_miss >= 'serious'\"}",
    ]))
    out = tmp_path / "twice"
    api.run(variant, out=out, runs=60, seed=SEED, workers=1)
    a = read_table(out, "trajectories", ("run", "t_s"))
    assert a.num_rows == 60 * STEPS
    assert a.equals(read_table(out, "trajectories_copy", ("run", "t_s")))
    serious = read_table(out, "serious_only", ("run", "t_s"))
    assert serious.equals(a.filter(np.isin(a["run"].to_numpy(),
                                           np.unique(serious["run"].to_numpy()))))


def _plan(**kw: object) -> OutputPlan:
    return OutputPlan(name="x", kind="render", **kw)  # type: ignore[arg-type]


def test_frame_selection_every_s_and_frames_if() -> None:
    scn = load_scenario(APPROACH)
    t = np.round(np.arange(1, 31) / 10, 10)  # 0.1 .. 3.0 s, two runs
    scenes = {"run": np.repeat([4, 9], 30), "t_s": np.tile(t, 2),
              "gap_m": np.tile(30 - t * 10, 2), "ttc_s": np.tile(3.0 - t, 2)}
    assert select_frames(_plan(), scenes, scn).all()
    every = select_frames(_plan(every_s=1.0), scenes, scn)
    assert list(scenes["t_s"][every]) == [0.1, 1.0, 2.0, 3.0] * 2
    half = select_frames(_plan(every_s=0.5), scenes, scn)
    assert list(scenes["t_s"][half][:4]) == [0.1, 0.5, 1.0, 1.5]
    close = select_frames(_plan(frames_if=parse_expression("ttc_s < 1.75")), scenes, scn)
    assert list(scenes["t_s"][close][:3]) == [1.3, 1.4, 1.5]
    # frames_if first, then one frame per second among the qualifying ones: the second that
    # starts before ttc drops below 1.75 s still gets a frame (1.3 s)
    both = select_frames(_plan(every_s=1.0, frames_if=parse_expression("ttc_s < 1.75")),
                         scenes, scn)
    assert list(scenes["t_s"][both]) == [1.3, 2.0, 3.0] * 2
    assert list(scenes["run"][both]) == [4, 4, 4, 9, 9, 9]


def test_corpus_reader_reads_only_the_shards_and_columns_asked_for(
    corpus: Path, episodes: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = api.load_corpus(corpus)
    shards = sorted(c.manifest.shards.values(), key=lambda r: r.index)
    inside = shards[1].runs[0] + 1  # a run of the second shard only
    opened: list[str] = []
    real_open = c.storage.fs.open
    monkeypatch.setattr(c.storage.fs, "open", lambda p, *a, **k: opened.append(p) or
                        real_open(p, *a, **k))
    t = c.table("episodes", columns=["run", "collision"], runs=[inside])
    assert t.column_names == ["run", "collision"]
    assert [p.rsplit("/", 2)[-1] for p in opened] == ["part-00001.parquet"]
    expected = episodes.filter(pc.is_in(episodes["run"], pa.array(list(range(*shards[1].runs)))))
    assert t.column("run").to_pylist() == expected.column("run").to_pylist()
    assert t.column("collision").to_pylist() == expected.column("collision").to_pylist()
    # no shard holds the run: an empty table with the same columns
    empty = c.table("episodes", columns=["run"], runs=[10**9])
    assert empty.num_rows == 0 and empty.column_names == ["run"]
