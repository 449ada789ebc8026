"""``simengine render``: chosen runs of an existing corpus rendered again into their own folder,
byte-identical to what the original run rendered, leaving every other file untouched."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simengine import api
from simengine.errors import UserError
from simengine.runner.rerender import parse_runs
from tests.conftest import APPROACH
from tests.runner.helpers import PRESET, cli_inprocess, manifest, snapshot

RUNS = 120
SEED = 3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rerender") / "corpus"
    api.run(APPROACH, out=out, runs=RUNS, seed=SEED, workers=1)
    return out


def _collision_runs(corpus: Path) -> list[int]:
    episodes = api.load_corpus(corpus).episodes()
    runs = episodes.column("run").to_numpy()
    return [int(r) for r in runs[episodes.column("collision").to_numpy()]]


def test_rerender_matches_the_original_frames_and_touches_nothing_else(
        corpus: Path, tmp_path: Path) -> None:
    import shutil

    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    before = snapshot(work)
    chosen = _collision_runs(work)[:3] + [0]
    summary = api.render(work, chosen, str(PRESET), name="again")
    after = snapshot(work)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == {"manifest.json"}
    new = {k for k in after if k not in before}
    assert new and all(k.startswith("again/") for k in new)
    # every frame the original run rendered for those runs (every_s 1 of collision runs) is
    # among the re-rendered ones, byte for byte
    originals = {k.removeprefix("thumbs/"): v for k, v in before.items()
                 if k.startswith("thumbs/images/")
                 and int(k.split("/r")[1][:7]) in chosen}
    assert originals
    for rel, data in originals.items():
        assert after[f"again/{rel}"] == data, rel
    # all frames of the chosen runs, and only those (60 steps each)
    images = [k for k in new if k.startswith("again/images/")]
    assert sorted({int(k.split("/r")[1][:7]) for k in images}) == sorted(chosen)
    assert len(images) == 60 * len(chosen) == summary.frames
    index = json.loads(after["again/index.json"])
    assert index["count"] == len(images)
    entry = manifest(work)["renders"][-1]
    assert entry["name"] == "again" and entry["runs"] == sorted(chosen)
    assert set(entry["files"]) == new
    # the corpus still verifies and resumes as before
    assert api.check_expectations(work)


def test_rerender_refuses_what_would_overwrite(corpus: Path, tmp_path: Path) -> None:
    import shutil

    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    with pytest.raises(UserError, match="already belongs to this corpus"):
        api.render(work, [1], str(PRESET), name="thumbs")
    with pytest.raises(UserError, match="runs 0–119; found 120"):
        api.render(work, [120], str(PRESET), name="x")
    with pytest.raises(UserError, match="is a stream"):
        api.render(work, [1], "events", name="x")
    api.render(work, [1], str(PRESET), name="x")
    with pytest.raises(UserError, match="pass --force"):
        api.render(work, [2], str(PRESET), name="x")
    api.render(work, [2], str(PRESET), name="x", force=True)
    files = {p.name for p in (work / "x" / "images").iterdir()}
    assert files and all(f.startswith("r0000002_") for f in files)


def test_cli_render(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import shutil

    work = tmp_path / "corpus"
    shutil.copytree(corpus, work)
    code, out, err = cli_inprocess(capsys, "render", str(work), "--runs", "4-6,9",
                                   "--output", str(PRESET), "--name", "few", "-q")
    assert code == 0, err
    assert "rendered 240 frames of 4 runs" in out
    code, out, err = cli_inprocess(capsys, "render", str(work), "--runs", "4,x",
                                   "--output", str(PRESET))
    assert code == 2 and "--runs: expected run numbers like 17,423 or 0-9; found 'x'" in err
    assert "Traceback" not in err


def test_parse_runs() -> None:
    assert parse_runs("17,423") == [17, 423]
    assert parse_runs("3-5, 1,4") == [1, 3, 4, 5]
    with pytest.raises(UserError):
        parse_runs("5-3")
    with pytest.raises(UserError):
        parse_runs(",")
    assert np.array_equal(parse_runs("0-2"), [0, 1, 2])
