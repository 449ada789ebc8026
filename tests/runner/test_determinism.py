"""Determinism (DESIGN §1, §4, §7.1): a corpus is a function of (resolved scenario, seed, runs).

* 1 worker and 2 workers (a spawned process pool) write byte-identical corpora, manifest
  included;
* adding an output never changes a file the corpus already had;
* the shard size changes how runs are grouped into files, never a run's values;
* another seed gives other values;
* the split column follows the fractions and is a function of the run alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simengine import api
from simengine.sampling.keys import RunKeys
from simengine.sampling.sampler import assign_split
from tests.conftest import APPROACH
from tests.runner.helpers import (
    PRESET,
    approach_text,
    assert_same_files,
    read_table,
    snapshot,
    write_variant,
)

RUNS = 150  # three shards of the dummy domain's 50
SEED = 7
TABLES = {"episodes": ("run",), "events": ("run",), "trajectories": ("run", "t_s")}
CORPUS_WIDE = {"manifest.json", "scenario.yaml"}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


def _corpus(corpora: dict[str, Path], tmp_path_factory, name: str, scenario, **kw) -> Path:
    """Build each corpus once per module (several tests compare against the same ones)."""
    if name not in corpora:
        out = tmp_path_factory.mktemp("det") / name
        api.run(scenario, out=out, runs=kw.pop("runs", RUNS), seed=kw.pop("seed", SEED), **kw)
        corpora[name] = out
    return corpora[name]


@pytest.fixture(scope="module")
def one_worker(corpora, tmp_path_factory) -> Path:
    return _corpus(corpora, tmp_path_factory, "w1", APPROACH, workers=1)


@pytest.fixture(scope="module")
def one_worker_files(one_worker: Path) -> dict[str, bytes]:
    return snapshot(one_worker)


def test_corpus_has_every_kind_of_file(one_worker: Path, one_worker_files) -> None:
    m = json.loads(one_worker_files["manifest.json"])
    assert len(m["shards"]) == 3 and m["complete"]
    folders = {rel.split("/")[0] for rel in one_worker_files}
    assert {"episodes", "events", "trajectories", "thumbs"} <= folders
    assert "thumbs/index.json" in one_worker_files
    assert any(rel.startswith("thumbs/images/") for rel in one_worker_files)


@pytest.mark.slow
def test_two_workers_write_identical_bytes(one_worker_files, corpora, tmp_path_factory) -> None:
    two = _corpus(corpora, tmp_path_factory, "w2", APPROACH, workers=2)
    assert_same_files(one_worker_files, snapshot(two), what="--workers 1 vs --workers 2")


def test_same_command_twice_is_identical(one_worker_files, tmp_path: Path) -> None:
    api.run(APPROACH, out=tmp_path / "again", runs=RUNS, seed=SEED, workers=1)
    assert_same_files(one_worker_files, snapshot(tmp_path / "again"), what="rerun")


def test_adding_an_output_changes_no_existing_file(one_worker, one_worker_files,
                                                   tmp_path: Path) -> None:
    # trajectories of every run recorded during the main simulation, next to the only_if ones
    variant = write_variant(tmp_path / "more.yaml", approach_text(
        extra_outputs=["{stream: trajectories, name: all_trajectories}"]))
    out = tmp_path / "more"
    api.run(variant, out=out, runs=RUNS, seed=SEED, workers=1)
    files = snapshot(out)
    old = {k: v for k, v in one_worker_files.items() if k not in CORPUS_WIDE}
    assert_same_files(old, {k: files[k] for k in old if k in files}, what="added output")
    assert any(k.startswith("all_trajectories/") for k in files)
    assert json.loads(files["manifest.json"])["scenario_sha256"] != json.loads(
        one_worker_files["manifest.json"])["scenario_sha256"]
    # the re-simulated trajectories of selected runs equal those recorded in the main pass
    episodes = read_table(one_worker, "episodes")
    serious = {r for r, lvl in zip(episodes["run"].to_pylist(), episodes["near_miss"].to_pylist(),
                                   strict=True) if lvl in ("serious", "critical")}
    everything = read_table(out, "all_trajectories", ("run", "t_s"))
    assert set(everything["run"].to_pylist()) == set(range(RUNS))
    mask = np.isin(everything["run"].to_numpy(), sorted(serious))
    assert everything.filter(mask).equals(read_table(one_worker, "trajectories", ("run", "t_s")))


def test_adding_outputs_through_the_api(tmp_path: Path) -> None:
    base = write_variant(tmp_path / "base.yaml", approach_text(outputs=["events"]))
    # every frame of every run is rendered here (60 per run): keep it to 3 shards of 10 runs
    api.run(base, out=tmp_path / "a", runs=30, seed=SEED, workers=1, shard_size=10)
    extended = api.load_scenario(base, outputs=["trajectories", str(PRESET)])
    assert {p.name for p in extended.outputs} == {"events", "trajectories", "dummy-thumbs"}
    api.run(extended, out=tmp_path / "b", runs=30, seed=SEED, workers=1, shard_size=10)
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    old = {k: v for k, v in a.items() if k not in CORPUS_WIDE}
    assert_same_files(old, {k: b[k] for k in old if k in b}, what="--output")
    assert any(k.startswith("dummy-thumbs/images/") for k in b)
    assert any(k.startswith("trajectories/") for k in b)


def test_shard_size_changes_grouping_not_values(one_worker, one_worker_files, corpora,
                                                tmp_path_factory) -> None:
    other = _corpus(corpora, tmp_path_factory, "s40", APPROACH, workers=1, shard_size=40)
    assert len(json.loads((other / "manifest.json").read_text())["shards"]) == 4
    assert len(list((other / "episodes").glob("*.parquet"))) == 4
    for folder, keys in TABLES.items():
        a, b = read_table(one_worker, folder, keys), read_table(other, folder, keys)
        assert a.num_rows > 0
        assert a.equals(b), folder
    assert read_table(other, "episodes")["run"].to_pylist() == list(range(RUNS))
    # rendered files do not depend on the grouping either (one per run and frame)
    other_files = snapshot(other)
    rendered = {k: v for k, v in one_worker_files.items()
                if k.startswith("thumbs/") and "/_parts/" not in k}
    assert_same_files(rendered, {k: v for k, v in other_files.items()
                                 if k.startswith("thumbs/") and "/_parts/" not in k},
                      what="shard size")


def test_other_seed_other_values(one_worker, corpora, tmp_path_factory) -> None:
    other = _corpus(corpora, tmp_path_factory, "seed8", APPROACH, workers=1, seed=8)
    a, b = read_table(one_worker, "episodes"), read_table(other, "episodes")
    assert a["run"].equals(b["run"])
    for column in ("world.gap_m", "closing_speed_mps", "reaction_ttc_s", "min_gap_m"):
        x, y = a[column].to_numpy(), b[column].to_numpy()
        assert np.mean(x != y) > 0.95, column
    assert not a["split"].equals(b["split"])
    assert not read_table(one_worker, "trajectories", ("run", "t_s")).equals(
        read_table(other, "trajectories", ("run", "t_s")))


def test_split_follows_fractions_and_the_run(one_worker) -> None:
    episodes = read_table(one_worker, "episodes")
    split = episodes["split"].to_numpy(zero_copy_only=False)
    expected = assign_split({"train": 0.8, "val": 0.1, "test": 0.1}, RunKeys.range(SEED, 0, RUNS))
    assert np.array_equal(split, expected)
    n = 40_000
    fractions = {"train": 0.6, "val": 0.25, "holdout": 0.0, "test": 0.15}
    keys = RunKeys.range(SEED, 0, n)
    got = assign_split(fractions, keys)
    for name, frac in fractions.items():
        assert np.mean(got == name) == pytest.approx(frac, abs=0.01), name
    assert "holdout" not in set(got)
    # a function of the run: any batch gives each run the same split
    assert np.array_equal(assign_split(fractions, RunKeys.range(SEED, 1000, 1100)),
                          got[1000:1100])
    pick = np.array([n - 1, 5, 17], dtype=np.int64)
    assert np.array_equal(assign_split(fractions, RunKeys(SEED, pick)), got[pick])


def test_split_from_the_scenario(tmp_path: Path) -> None:
    variant = write_variant(tmp_path / "split.yaml", approach_text(outputs=[]) +
                            "split: {train: 0.5, test: 0.5}\n")
    api.run(variant, out=tmp_path / "c", runs=400, seed=SEED, workers=1, shard_size=100)
    split = read_table(tmp_path / "c", "episodes")["split"].to_numpy(zero_copy_only=False)
    assert set(split) == {"train", "test"}
    assert np.mean(split == "train") == pytest.approx(0.5, abs=0.1)
    assert np.array_equal(split, assign_split({"train": 0.5, "test": 0.5},
                                              RunKeys.range(SEED, 0, 400)))


class _FixedKeys:
    """Stands in for RunKeys with chosen split uniforms (the extremes a key can produce)."""

    def __init__(self, u: list[float]) -> None:
        self.u = np.asarray(u, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.u)

    def uniforms(self, purpose, n, *, slot=0):
        return self.u[:, None]


def test_split_edges_never_pick_an_empty_split() -> None:
    lo, hi = 2.0**-53, 1.0 - 2.0**-53  # the smallest and largest uniforms
    # 0.7 + 0.2 + 0.1 sums to 0.9999999999999999 in floating point
    got = assign_split({"a": 0.7, "b": 0.2, "c": 0.1, "none": 0.0}, _FixedKeys([lo, 0.75, hi]))
    assert list(got) == ["a", "b", "c"]
    got = assign_split({"none": 0.0, "a": 0.5, "gap": 0.0, "b": 0.5, "end": 0.0},
                       _FixedKeys([lo, 0.5 - 1e-12, 0.5, hi]))
    assert list(got) == ["a", "a", "b", "b"]
