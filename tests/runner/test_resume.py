"""Interrupting and resuming (DESIGN §4, §6): a killed or Ctrl-C'd run loses at most the shards
in flight, and ``--resume`` finishes it to exactly the corpus of an uninterrupted run; a larger
``--runs`` extends; checksums decide which shards are kept; the CLI refuses to mix corpora."""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import pytest

from simengine import api
from tests.conftest import APPROACH
from tests.runner.helpers import (
    assert_same_files,
    cli_inprocess,
    group_gone,
    group_members,
    kill_group,
    manifest,
    read_table,
    snapshot,
    start_cli,
    wait_for_partial,
)

RUNS = 160
SHARD = 10
SEED = 11
SLOW = "step_hz=50"  # five times the steps: ~50 ms per shard, so a kill lands part-way
BOOT_RUNS = 40  # Ctrl-C while workers boot: nothing is written yet, keep the resume short


def _args(out: Path, *extra: str, runs: int = RUNS) -> list[str]:
    return ["run", str(APPROACH), "--set", SLOW, "--runs", str(runs), "--shard-size", str(SHARD),
            "--seed", str(SEED), "--out", str(out), "-q", *extra]


def _tmp_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".tmp-" in p.name)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The uninterrupted corpus every resumed one must equal, byte for byte."""
    out = tmp_path_factory.mktemp("resume") / "reference"
    scn = api.load_scenario(APPROACH, overrides=[SLOW])
    api.run(scn, out=out, runs=RUNS, seed=SEED, shard_size=SHARD, workers=1)
    files = snapshot(out)
    assert len(json.loads(files["manifest.json"])["shards"]) == RUNS // SHARD
    return files


def _check_episodes(out: Path, runs: int = RUNS) -> None:
    runs_col = read_table(out, "episodes")["run"].to_pylist()
    assert runs_col == list(range(runs)), "duplicate or missing runs"


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(reference, tmp_path: Path, capsys) -> None:
    out = tmp_path / "killed"
    proc = start_cli(*_args(out, "--workers", "1"))
    partial = wait_for_partial(proc, out)
    kill_group(proc, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert group_gone(proc.pid)
    assert 1 <= len(partial["shards"]) < RUNS // SHARD
    state = manifest(out)
    assert not state["complete"]
    # a stray temporary of a write that never finished, as a kill can leave behind
    (out / "episodes" / "part-00019.parquet.tmp-0123abcd").write_bytes(b"torn")

    code, stdout, err = cli_inprocess(capsys, *_args(out, "--resume", "--workers", "1"))
    assert code == 0, err
    assert "kept" in stdout
    assert _tmp_files(out) == []
    _check_episodes(out)
    assert_same_files(reference, snapshot(out), what="SIGKILL + --resume")


def _start_and_interrupt(out: Path, *, when: str, runs: int):
    proc = start_cli(*_args(out, "--workers", "2", runs=runs))
    if when == "running":
        wait_for_partial(proc, out)
    else:  # the corpus is prepared, the workers are still starting: no shard is done yet
        deadline = time.monotonic() + 60
        while not ((out / "manifest.json").exists()
                   and any("multiprocessing" in c for c in group_members(proc.pid))):
            assert proc.poll() is None and time.monotonic() < deadline, "no worker started"
            time.sleep(0.01)
    kill_group(proc, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    return proc, stdout, stderr


@pytest.mark.slow
@pytest.mark.parametrize("when", ["running", "booting"])
def test_ctrl_c_exits_130_and_resume_finishes(reference, tmp_path: Path, capsys, when) -> None:
    out = tmp_path / f"ctrl-c-{when}"
    runs = RUNS if when == "running" else BOOT_RUNS
    proc, _, stderr = _start_and_interrupt(out, when=when, runs=runs)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert "--resume" in stderr
    assert "interrupted" in stderr
    assert group_gone(proc.pid), "worker processes outlived the interrupted run"
    state = manifest(out)
    assert not state["complete"]
    assert len(state["shards"]) < runs // SHARD
    if when == "running":
        assert len(state["shards"]) >= 1

    code, _, err = cli_inprocess(capsys, *_args(out, "--resume", "--workers", "1", runs=runs))
    assert code == 0, err
    assert _tmp_files(out) == []
    _check_episodes(out, runs)
    files = snapshot(out)
    if runs == RUNS:
        assert_same_files(reference, files, what=f"Ctrl-C ({when}) + --resume")
    else:  # shards are functions of their run range: the first ones equal the reference's
        assert manifest(out)["complete"]
        shard_files = {f for s in manifest(out)["shards"] for f in s["files"]}
        assert shard_files and all(f in reference for f in shard_files)
        assert_same_files({f: reference[f] for f in shard_files},
                          {f: files[f] for f in shard_files}, what="Ctrl-C while booting")


def test_larger_runs_extends_to_the_single_run(reference, tmp_path: Path, capsys) -> None:
    out = tmp_path / "extend"
    # 125 runs: the last shard (120..125) is short and must be redone as 120..130
    code, _, err = cli_inprocess(capsys, *_args(out, "--workers", "1", runs=125))
    assert code == 0, err
    assert manifest(out)["complete"] and manifest(out)["n_runs"] == 125
    code, stdout, err = cli_inprocess(capsys, *_args(out, "--resume", "--workers", "1"))
    assert code == 0, err
    assert "kept 12 verified shards" in stdout
    _check_episodes(out)
    assert_same_files(reference, snapshot(out), what="--runs 125, then --resume --runs 200")


def test_resume_of_a_complete_corpus_changes_nothing(reference, tmp_path: Path, capsys) -> None:
    out = tmp_path / "done"
    _restore(reference, out)
    code, stdout, err = cli_inprocess(capsys, *_args(out, "--resume", "--workers", "1"))
    assert code == 0, err
    assert "wrote 0 runs" in stdout
    assert_same_files(reference, snapshot(out), what="no-op resume")


def _restore(files: dict[str, bytes], out: Path) -> None:
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupted_or_missing_shard_files_are_rerun(reference, tmp_path: Path, capsys) -> None:
    out = tmp_path / "damaged"
    _restore(reference, out)
    files = manifest(out)["shards"]
    by_shard = {s["index"]: list(s["files"]) for s in files}
    _flip(out / "episodes" / "part-00004.parquet", 100)
    image = next(f for f in by_shard[9] if f.startswith("thumbs/images/"))
    _flip(out / image, 20)
    traj = next(f for f in by_shard[15] if f.startswith("trajectories/"))
    (out / traj).unlink()
    _flip(out / "thumbs" / "index.json", 5)  # corpus-wide: rebuilt by finalize anyway
    assert snapshot(out) != reference

    code, stdout, err = cli_inprocess(capsys, *_args(out, "--resume", "--workers", "1"))
    assert code == 0, err
    assert f"wrote {3 * SHARD} runs in 3 shards" in stdout
    assert f"kept {RUNS // SHARD - 3} verified shards" in stdout
    _check_episodes(out)
    assert_same_files(reference, snapshot(out), what="corrupted shards + --resume")


# -- refusals ----------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path, capsys) -> Path:
    """A small finished corpus (3 shards) to refuse things against."""
    out = tmp_path / "small"
    code, _, err = cli_inprocess(capsys, *_small(out))
    assert code == 0, err
    return out


def _small(out: Path, *extra: str, runs: int = 30, seed: int = SEED) -> list[str]:
    return ["run", str(APPROACH), "--runs", str(runs), "--shard-size", str(SHARD), "--seed",
            str(seed), "--out", str(out), "-q", "--workers", "1", *extra]


def _refused(capsys, args: list[str], *phrases: str) -> str:
    code, stdout, stderr = cli_inprocess(capsys, *args)
    assert code == 2, (stdout, stderr)
    assert "Traceback" not in stderr
    for phrase in phrases:
        assert phrase in stderr, stderr
    return stderr


def test_refuses_a_different_seed_unless_forced(small: Path, capsys, tmp_path: Path) -> None:
    before = snapshot(small)
    _refused(capsys, _small(small, seed=12), "different seed", "--force")
    _refused(capsys, _small(small, "--resume", seed=12), "different seed", "--force")
    assert snapshot(small) == before
    # what a killed run leaves of a shard it never recorded must not survive --force either
    (small / "thumbs" / "images" / "r0000999_t0001000.pgm").write_bytes(b"stale")
    (small / "trajectories" / "part-00007.parquet").write_bytes(b"stale")
    code, _, err = cli_inprocess(capsys, *_small(small, "--force", seed=12))
    assert code == 0, err
    fresh = tmp_path / "fresh"
    assert cli_inprocess(capsys, *_small(fresh, seed=12))[0] == 0
    assert_same_files(snapshot(fresh), snapshot(small), what="--force")


def test_refuses_a_different_scenario(small: Path, capsys) -> None:
    before = snapshot(small)
    _refused(capsys, _small(small, "--set", "duration_s=7"), "different resolved scenario",
             "--force")
    _refused(capsys, _small(small, "--resume", "--output", "trajectories", "--set",
                            "outputs=[events]"), "different resolved scenario")
    assert snapshot(small) == before


def test_refuses_a_plain_rerun_with_a_hint(small: Path, capsys) -> None:
    before = snapshot(small)
    _refused(capsys, _small(small), "already holds this corpus", "--resume", "--force")
    assert snapshot(small) == before


def test_refuses_to_shrink_or_reshard(small: Path, capsys) -> None:
    before = snapshot(small)
    _refused(capsys, _small(small, "--resume", runs=20), "smaller", "--runs 20")
    _refused(capsys, _small(small, "--resume", "--shard-size", "7"), "--shard-size")
    assert snapshot(small) == before


def test_refuses_foreign_or_empty_folders(tmp_path: Path, capsys) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    _refused(capsys, _small(foreign), "not empty", "--force")
    _refused(capsys, _small(tmp_path / "nothing", "--resume"), "nothing to resume")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "manifest.json").write_text("{not json")
    _refused(capsys, _small(damaged, "--resume"), "manifest", "--force")
    assert (foreign / "notes.txt").read_text() == "mine"
    # ... and --force does what these messages promise
    assert cli_inprocess(capsys, *_small(damaged, "--force"))[0] == 0
    assert manifest(damaged)["complete"]
    assert cli_inprocess(capsys, *_small(foreign, "--force"))[0] == 0
    assert manifest(foreign)["complete"]


def test_resume_after_moving_the_corpus(small: Path, capsys, tmp_path: Path) -> None:
    # nothing in the corpus depends on where it lives
    moved = tmp_path / "moved"
    shutil.copytree(small, moved)
    before = snapshot(moved)
    code, _, err = cli_inprocess(capsys, *_small(moved, "--resume"))
    assert code == 0, err
    assert snapshot(moved) == before


def test_refuses_to_resume_in_another_environment(small: Path, capsys) -> None:
    """Bytes are only reproducible with the same package versions: a resume elsewhere would mix
    files from two environments."""
    path = small / "manifest.json"
    m = json.loads(path.read_text())
    m["packages"]["numpy"] = "0.0.1"
    path.write_text(json.dumps(m, indent=1) + "\n")
    before = snapshot(small)
    _refused(capsys, _small(small, "--resume", runs=40), "another environment",
             "numpy 0.0.1 →", "--force")
    assert snapshot(small) == before
