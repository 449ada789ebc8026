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


TOY = """\
import numba


@numba.njit(cache=True)
def helper(x, xs):
    return x * xs[0]


@numba.njit(cache=True)
def caller(x, xs):
    return helper(x, xs) + 1.0
"""

LISTEN = """
        from numba.core import event

        compiled = []

        class Listener(event.Listener):
            def on_start(self, ev):
                compiled.append(ev.data["dispatcher"].py_func.__name__)

            def on_end(self, ev):
                pass

        event.register("numba:compile", Listener())
"""


def test_a_helper_compiled_in_the_background_is_loaded_not_compiled_by_its_caller(
        tmp_path: Path) -> None:
    """The child's cache entries must have the key the caller's type inference asks for."""
    (tmp_path / "toy_helpers.py").write_text(TOY)
    code = """
        from simengine.jit import BackgroundCompile, Specialisation
        spec = Specialisation("toy_helpers", "helper", "(float64, float64[::1])")
        with BackgroundCompile([spec]) as child:
            print(child.wait(timeout_s=120))
    """
    assert _python(code, tmp_path / "cache", cwd=tmp_path) == "0"
    code = LISTEN + """
        import numpy as np
        from toy_helpers import caller
        print(caller(2.0, np.array([3.0])), compiled)
    """
    assert _python(code, tmp_path / "cache", cwd=tmp_path) == "7.0 ['caller']"


def test_without_the_background_compile_the_caller_compiles_its_helper(tmp_path: Path) -> None:
    (tmp_path / "toy_helpers.py").write_text(TOY)
    code = LISTEN + """
        import numpy as np
        from toy_helpers import caller
        print(caller(2.0, np.array([3.0])), compiled)
    """
    assert _python(code, tmp_path / "cache", cwd=tmp_path) == "7.0 ['caller', 'helper']"


def test_a_background_compile_that_fails_changes_nothing_but_the_time(tmp_path: Path) -> None:
    from simengine.jit import BackgroundCompile, Specialisation

    with BackgroundCompile([Specialisation("no_such_module_here", "f", "(float64,)")]) as child:
        assert child.wait(timeout_s=120) != 0
    with BackgroundCompile([]) as nothing:
        assert nothing.wait() is None
