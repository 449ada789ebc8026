"""Packaging: light start-up, and built-ins found from an installed wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pybullet", "cv2", "pyarrow", "dask", "numba", "scipy", "fsspec")

PROBE = """
import json, sys, time
t = time.perf_counter()
{body}
print(json.dumps({{"heavy": [m for m in {heavy!r} if m in sys.modules],
                   "seconds": time.perf_counter() - t}}))
"""


def _probe(body: str) -> dict:
    code = PROBE.format(body=body, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_simengine_is_light() -> None:
    result = _probe("import simengine, simengine.cli")
    assert result["heavy"] == []


def test_help_is_light() -> None:
    body = (
        "import contextlib, io\n"
        "from simengine.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0\n"
    )
    assert _probe(body)["heavy"] == []


def _names(folder: Path) -> set[str]:
    return {p.stem for p in folder.rglob("*.yaml")}


@pytest.mark.slow
def test_wheel_ships_builtins(tmp_path: Path) -> None:
    """Build the wheel, install it into a target folder, and list built-ins from there."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("simengine-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "simengine/_data/scenarios/README.md" in names
    assert "simengine/_data/renderers/README.md" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import simengine\n"
        "assert simengine.__file__.startswith(sys.argv[1]), simengine.__file__\n"
        "from simengine.cli import main\n"
        "main(['list'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                         text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    listed = out.stdout
    assert "scenarios:" in listed and "presets:" in listed
    for name in _names(ROOT / "scenarios") | _names(ROOT / "renderers"):
        assert name in listed
    data = target / "simengine" / "_data"
    assert _names(data / "scenarios") == _names(ROOT / "scenarios")
    assert _names(data / "renderers") == _names(ROOT / "renderers")
