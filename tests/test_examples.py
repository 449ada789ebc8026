"""Every example runs as a user would run it, and its scenario meets its expect: ranges."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_run_braking_example(tmp_path: Path) -> None:
    out = tmp_path / "braking"
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run_braking.py"), "--runs", "6000",
         "--out", str(out), "--workers", "1"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "wrote 6,000 runs" in res.stdout
    assert res.stdout.count(" ok") == 2 and "FAILED" not in res.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["n_runs"] == 6000
    assert any(f.startswith("trajectories/") for s in manifest["shards"] for f in s["files"])


def test_braking_physics_matches_closed_form(tmp_path: Path) -> None:
    """Stopping distance is v·t_r + v²/(2μg) with the friction of the drawn road state."""
    import numpy as np

    from simengine import api

    api.load_plugin(ROOT / "examples" / "braking_domain.py")
    from braking_domain import FRICTION, G_MPS2  # the plugin's folder is on sys.path now

    api.run(ROOT / "examples" / "scenarios" / "braking.yaml", out=tmp_path / "c", runs=2000,
            workers=1)
    ep = api.load_corpus(tmp_path / "c").episodes().to_pydict()
    v, t_r = np.array(ep["speed_mps"]), np.array(ep["reaction_s"])
    mu = np.array([FRICTION[r] for r in ep["weather.road"]])
    expected = v * t_r + v**2 / (2 * mu * G_MPS2)
    np.testing.assert_allclose(ep["stop_distance_m"], expected, rtol=1e-12)
    collided = np.array(ep["collision"])
    np.testing.assert_array_equal(collided, expected > np.array(ep["world.obstacle_m"]))
    icy = np.array(ep["weather.road"]) == "ice"
    assert collided[icy].mean() > collided[~icy].mean()


def test_maintenance_windows_example(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "maintenance_windows.py"), "--runs", "4",
         "--out", str(tmp_path / "turbofan")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "windows: (6000, 30, 3)" in res.stdout
    for split in ("train", "val", "test"):
        assert f"  {split}: " in res.stdout
