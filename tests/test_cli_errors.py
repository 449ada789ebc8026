"""`simengine validate` (and `run`) on broken input, through the real command in a subprocess.

Each broken file gives one located line ``PATH:LINE:COL: field: message`` on stderr, exit status
2, no traceback, and nothing in the file is executed. Timing is checked in-process through the
API (a one-second safety bound per file), not on the subprocess, whose start-up dominates.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from simengine import api
from tests.conftest import APPROACH, ROOT, SUPPORT, cli_command, cli_env

BASE = APPROACH.read_text(encoding="utf-8")


def _bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    return "\n".join(lines) + "\n"


# name -> (old, new) edit of approach.yaml, or the whole text; then the expected line start
# (the marker placeholder is filled with a path that must never be created)
CASES = {
    "syntax": (("  gap_m: {uniform: [15, 45]}", "  gap_m: {uniform: [15, 45]"),
               "invalid YAML: did not find expected ',' or '}'"),
    "typo": (("  speed_mps: $closing_speed_mps", "  sped_mps: $closing_speed_mps"),
             "world.sped_mps: unknown key 'sped_mps' (did you mean 'speed_mps'?)"),
    "unsafe": (('event: "collision or min_ttc_s < 0.5"',
                "event: \"__import__('os').system('touch {marker}')\""),
               "rare_event.event: calls are limited to abs, min, max"),
    "python_tag": (("name: approach", "name: !!python/object/apply:os.system ['touch {marker}']"),
                   "tag '!!python/object/apply:os.system' is not allowed"),
    "bomb": (_bomb(), "aliases expand to more than"),
    "unknown_preset": (("  - events\n", "  - dashcm-640\n"),
                       "outputs.0: unknown output 'dashcm-640'"),
    "negative_std": (("{normal: {mean: 5, std: 1.5}", "{normal: {mean: 5, std: -1}"),
                     "params.brake_base_mps2: normal: std must be > 0, found -1"),
    "empty": ("", "a scenario file must be a mapping of keys"),
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Each broken case as a file next to a copy of the presets approach.yaml refers to."""
    shutil.copytree(SUPPORT / "presets", tmp_path / "presets")
    folder = tmp_path / "scenarios"
    folder.mkdir()
    marker = tmp_path / "PWNED"
    out = {}
    for name, (change, _) in CASES.items():
        if isinstance(change, tuple):
            old, new = change
            assert BASE.count(old) == 1
            text = BASE.replace(old, new.replace("{marker}", str(marker)))
        else:
            text = change
        path = folder / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        out[name] = path
    good = folder / "good.yaml"
    good.write_text(BASE, encoding="utf-8")
    out["good"] = good
    return out


def simengine(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_command(*args), env=cli_env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("case", list(CASES))
def test_validate_reports_one_located_problem(files: dict[str, Path], case: str) -> None:
    path = files[case]
    result = simengine("validate", str(path))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"{path}:"), line
    where, _, rest = line[len(str(path)) + 1:].partition(": ")
    row, col = where.split(":")
    assert row.isdigit() and col.isdigit(), line
    assert CASES[case][1] in rest, line
    assert result.stdout == ""
    assert not (path.parent.parent / "PWNED").exists()


def test_validate_a_good_file_prints_ok(files: dict[str, Path]) -> None:
    result = simengine("validate", str(files["good"]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{files['good']}: ok"
    assert result.stderr == ""


def test_validate_several_files_reports_each(files: dict[str, Path]) -> None:
    result = simengine("validate", str(files["good"]), str(files["typo"]), str(files["syntax"]))
    assert result.returncode == 2
    assert f"{files['good']}: ok" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == [str(files["typo"]), str(files["syntax"])]
    assert "Traceback" not in result.stderr


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = simengine("validate", str(missing))
    assert result.returncode == 2
    assert result.stderr.startswith(f"{missing}: scenario file not found")
    assert "Traceback" not in result.stderr


def test_run_with_a_bad_override_names_the_override(tmp_path: Path) -> None:
    result = simengine("run", str(APPROACH), "--set", "world.gap_m=-3", "--runs", "5",
                       "--out", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "--set world.gap_m=-3: world.gap_m: must be > 0; found -3"
    assert not (tmp_path / "out").exists()


def test_run_refuses_a_broken_file_before_writing_anything(files: dict[str, Path],
                                                           tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = simengine("run", str(files["unsafe"]), "--runs", "5", "--out", str(out), "--quiet")
    assert result.returncode == 2
    assert result.stderr.startswith(f"{files['unsafe']}:")
    assert not out.exists()
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("case", list(CASES))
def test_each_broken_file_is_refused_without_doing_its_work(files: dict[str, Path],
                                                            case: str) -> None:
    """One problem each, found before any expansion or simulation (alone on this machine a
    file takes well under a second; the bound only catches work the file should never cause,
    such as expanding the alias bomb, not the machine's load)."""
    started = time.perf_counter()
    report = api.validate([files[case]])
    elapsed = time.perf_counter() - started
    assert len(report[str(files[case])]) == 1
    assert elapsed < 10.0, f"{case}: {elapsed:.2f}s"
