"""The command line as a user runs it: a subprocess, real files, exit codes and output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from simengine import __version__
from tests.conftest import APPROACH, ROOT, cli_command, cli_env

EXAMPLE_PLUGIN = ROOT / "examples" / "braking_domain.py"
EXAMPLE = ROOT / "examples" / "scenarios" / "braking.yaml"


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        cli_command(*args), capture_output=True, text=True, env=cli_env(), cwd=cwd, timeout=300
    )


def test_version() -> None:
    out = _cli("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"simengine {__version__}"


def test_list_shows_domains_renderers_streams() -> None:
    out = _cli("list")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for section in ("domains:", "renderers:", "streams:", "scenarios:", "presets:"):
        assert section in text
    assert "dummy" in text and "Test-only: a car closing" in text
    assert "dummy/trajectories" in text and "dummy-image" in text


def test_schema_is_json_schema_with_domain_world() -> None:
    out = _cli("schema", "--domain", "dummy")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    props = schema["properties"]
    assert {"schema_version", "params", "weather", "world", "outputs", "expect"} <= set(props)
    assert "gap_m" in props["world"]["properties"]
    assert props["world"]["properties"]["gap_m"]["description"] == "Initial gap (m)."


def test_run_prints_summary_and_writes_corpus(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    res = _cli(
        "run",
        str(APPROACH),
        "--runs",
        "120",
        "--seed",
        "3",
        "--out",
        str(out),
        "--workers",
        "1",
        "--set",
        "world.gap_m=25",
    )
    assert res.returncode == 0, res.stderr
    assert "wrote 120 runs in 3 shards" in res.stdout
    assert "collision:" in res.stdout and "near_miss:" in res.stdout
    table = pq.read_table(out / "episodes" / "part-00002.parquet")
    assert table.column("run").to_pylist() == list(range(100, 120))
    assert "world.gap_m" not in table.column_names  # a constant is no column
    assert "\n  gap_m: 25\n" in (out / "scenario.yaml").read_text()


def test_set_override_changes_values(tmp_path: Path) -> None:
    res = _cli(
        "run",
        str(APPROACH),
        "--runs",
        "50",
        "--out",
        str(tmp_path / "c"),
        "--workers",
        "1",
        "--set",
        "params.closing_speed_mps={uniform: [30, 31]}",
    )
    assert res.returncode == 0, res.stderr
    speeds = pq.read_table(tmp_path / "c" / "episodes" / "part-00000.parquet")
    values = speeds.column("closing_speed_mps").to_pylist()
    assert min(values) >= 30 and max(values) <= 31


def test_dry_run_estimates_without_writing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    res = _cli("run", str(APPROACH), "--runs", "100000", "--out", str(out), "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "100,000 runs" in res.stdout
    assert "episodes" in res.stdout and "100,000 rows" in res.stdout
    assert "size" in res.stdout and "time" in res.stdout and "free disk" in res.stdout
    assert not out.exists()


def test_output_flag_adds_a_stream(tmp_path: Path) -> None:
    res = _cli(
        "run",
        str(APPROACH),
        "--runs",
        "60",
        "--out",
        str(tmp_path / "c"),
        "--workers",
        "1",
        "--output",
        "trajectories",
        "--set",
        "outputs=[]",
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "c" / "trajectories" / "part-00001.parquet").is_file()
    assert not (tmp_path / "c" / "events").exists()


def test_unknown_output_flag_is_located() -> None:
    res = _cli("run", str(APPROACH), "--runs", "10", "--output", "trajectoris", "--dry-run")
    assert res.returncode == 2
    assert res.stderr.startswith("--output trajectoris: outputs.3: unknown")
    assert "did you mean 'trajectories'" in res.stderr
    assert "Traceback" not in res.stderr


def test_plugin_file_registers_a_domain(tmp_path: Path) -> None:
    out = tmp_path / "b"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "simengine",
            "--plugin",
            str(EXAMPLE_PLUGIN),
            "run",
            str(EXAMPLE),
            "--runs",
            "300",
            "--out",
            str(out),
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "wrote 300 runs" in res.stdout
    assert (out / "manifest.json").is_file()


def test_missing_plugin_is_a_user_error(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "simengine", "--plugin", "nowhere/p.py", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.returncode == 2
    assert "plugin file not found: nowhere/p.py" in res.stderr
