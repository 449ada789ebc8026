"""Cold-cache detection for Numba kernels."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, cache_dir: Path, *, cwd: Path = ROOT) -> str:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir),
               PYTHONPATH=os.pathsep.join([str(ROOT), str(cwd)]))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_cache_is_cold_until_compiled_then_warm_in_a_new_process(tmp_path: Path) -> None:
    (tmp_path / "toy_kernel.py").write_text(
        "import numba\n\n@numba.njit(cache=True)\ndef twice(x):\n    return 2 * x\n")
    code = """
        from simengine.jit import cache_is_cold
        from toy_kernel import twice
        before = cache_is_cold(twice)
        twice(3.0)
        print(before, cache_is_cold(twice))
    """
    assert _python(code, tmp_path / "cache", cwd=tmp_path) == "True False"
    code = """
        from simengine.jit import cache_is_cold
        from toy_kernel import twice
        print(cache_is_cold(twice))
    """
    assert _python(code, tmp_path / "cache", cwd=tmp_path) == "False"
