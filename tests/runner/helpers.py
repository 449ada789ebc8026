"""Helpers shared by the runner tests: corpus snapshots, sorted tables, the CLI in-process and
in a subprocess, and variants of the approach scenario."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import APPROACH, SUPPORT, cli_command, cli_env

PRESET = SUPPORT / "presets" / "dummy-thumbs.yaml"


def snapshot(root: str | Path) -> dict[str, bytes]:
    """Every file below ``root`` (relative path → bytes)."""
    root = Path(root)
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_same_files(a: dict[str, bytes], b: dict[str, bytes], *, what: str = "") -> None:
    """Same file names and byte-identical contents, with a readable failure."""
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    assert not only_a and not only_b, (
        f"{what}: files only in first {only_a[:5]}, only in second {only_b[:5]}"
    )
    differ = sorted(k for k in a if a[k] != b[k])
    assert not differ, f"{what}: {len(differ)} files differ, e.g. {differ[:5]}"


def read_table(root: str | Path, folder: str, sort: Sequence[str] = ("run",)) -> pa.Table:
    """All Parquet files of ``root/folder`` concatenated, sorted by ``sort`` (schema metadata
    dropped: it names the scenario, which is not what the values are compared on)."""
    files = sorted((Path(root) / folder).glob("*.parquet"))
    assert files, f"no Parquet files in {folder}"
    table = pa.concat_tables([pq.read_table(f) for f in files]).replace_schema_metadata(None)
    keys = [(c, "ascending") for c in sort if c in table.column_names]
    return table.sort_by(keys)


def manifest(root: str | Path) -> dict[str, Any]:
    return json.loads((Path(root) / "manifest.json").read_text())


def approach_text(
    *, extra_outputs: Sequence[str] = (), outputs: Sequence[str] | None = None
) -> str:
    """The approach scenario's text, self-contained (absolute preset path), optionally with
    other outputs (YAML flow entries)."""
    text = APPROACH.read_text().replace("../presets/dummy-thumbs.yaml", str(PRESET))
    if outputs is not None:
        text = text[: text.index("outputs:")] + "outputs:\n"
        text += "".join(f"  - {o}\n" for o in outputs) if outputs else "  []\n"
    for o in extra_outputs:
        text += f"  - {o}\n"
    return text


def write_variant(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def cli_inprocess(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run the real CLI's ``main`` in this process; returns (exit code, stdout, stderr)."""
    from simengine.cli import main

    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return (0 if code is None else int(code)), out, err


def cli_run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess (test plugins registered)."""
    return subprocess.run(cli_command(*args), env=cli_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def _interruptible() -> None:
    # A test runner started in the background by a non-interactive shell ignores SIGINT, and
    # children inherit that (Python then installs no KeyboardInterrupt handler): undo it, as a
    # user's terminal would have it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def start_cli(*args: str) -> subprocess.Popen:
    """Start the CLI in its own session (so its whole process group can be signalled), with
    SIGINT delivered as at a terminal."""
    return subprocess.Popen(cli_command(*args), env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_interruptible)


def wait_for_partial(proc: subprocess.Popen, out: Path, *, min_shards: int = 1,
                     timeout: float = 60.0) -> dict[str, Any]:
    """Poll ``out/manifest.json`` until it records ``min_shards`` finished shards and is not
    complete; returns that manifest. Fails if the process ends first."""
    deadline = time.monotonic() + timeout
    path = out / "manifest.json"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _, err = proc.communicate()
            pytest.fail(f"the run ended (exit {proc.returncode}) before it could be "
                        f"interrupted; make it slower. stderr:\n{err}")
        try:
            m = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            m = None
        if m is not None and not m["complete"]:
            # finished shards are in the manifest or, until its next rewrite, in _receipts/
            done = {s["index"] for s in m["shards"]}
            done |= {int(p.stem.split("-")[1]) for p in (out / "_receipts").glob("part-*.json")}
            if len(done) >= min_shards:
                return {**m, "shards": sorted(done)}
        time.sleep(0.005)
    kill_group(proc, signal.SIGKILL)
    pytest.fail("timed out waiting for a finished shard")


def kill_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def group_gone(pgid: int, timeout: float = 10.0) -> bool:
    """True once no process of the group ``pgid`` is left (workers included)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # pragma: no cover
            return False
        time.sleep(0.02)
    return False


def group_members(pgid: int) -> list[str]:
    """Command lines of the live processes of process group ``pgid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(cmdline)
    return found
