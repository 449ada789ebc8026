"""``KERNELS`` and ``KERNEL_HELPERS`` are exactly what a run compiles, so a cold cache's
compile (kernel here, helpers in a child) does nothing a run does not use and leaves a run
nothing to compile again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from simengine.domains.driving.specialisations import _TYPES, KERNEL_HELPERS, KERNELS

ROOT = Path(__file__).resolve().parents[3]

RECORD = """
    import json
    from numba.core import event, types

    from simengine.api import load_scenario
    from simengine.runner.shard import simulate_episodes
    from simengine.sampling.keys import RunKeys

    done = []

    class Listener(event.Listener):
        def on_start(self, ev):
            pass

        def on_end(self, ev):
            f = ev.data["dispatcher"].py_func
            if f.__module__.startswith("simengine"):
                done.append([f.__module__, f.__name__, [str(t) for t in ev.data["args"]]])

    event.register("numba:compile", Listener())
    simulate_episodes(load_scenario("highway-cut-in"), RunKeys.range(0, 0, 1))
    print(json.dumps(done))
"""


def _shorthand(args: list[str]) -> str:
    """The ``_spec`` shorthand of a list of Numba type names (for the failure message)."""
    from numba.core.sigutils import normalize_signature

    letters = {str(normalize_signature(f"({name},)")[0][0]): code for code, name in _TYPES.items()}
    out: list[str] = []
    for code in (letters[a] for a in args):
        if out and out[-1][0] == code:
            out[-1] = f"{code}{int(out[-1][1:] or 1) + 1}"
        else:
            out.append(code)
    return " ".join(out)


def _declared(specs) -> list[tuple[str, str, tuple[str, ...]]]:
    from numba.core.sigutils import normalize_signature

    return [(s.module, s.function, tuple(str(t) for t in normalize_signature(s.args)[0]))
            for s in specs]


@pytest.mark.slow
def test_kernels_and_helpers_are_exactly_what_a_run_compiles(tmp_path: Path) -> None:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(RECORD)], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    compiled = [(m, f, tuple(a)) for m, f, a in json.loads(out.stdout.strip().splitlines()[-1])]
    kernels = [c for c in compiled if c[1] == "run_batch"]
    helpers = [c for c in compiled if c[1] != "run_batch"]
    assert _declared(KERNELS) == kernels, (
        f'KERNELS should be: _spec(_KERNEL, "run_batch", "{_shorthand(list(kernels[0][2]))}")')
    regenerated = "\n".join(f'    _spec("{m}", "{f}", "{_shorthand(list(a))}"),'
                            for m, f, a in helpers)
    assert _declared(KERNEL_HELPERS) == helpers, f"KERNEL_HELPERS should be:\n{regenerated}"
