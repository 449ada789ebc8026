"""The on-disk kernel cache goes stale with any edit of the package's source, not only of the
kernel's own file (Numba's own stamp covers the latter only, so an edit of a helper module left
kernels that inline it running the old code)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simengine.jit_cache import PACKAGE_ROOT, source_digest, tree_locators

HELPER = "import numba\n\n\n@numba.njit(cache=True)\ndef bump(x):\n    return x + {step}\n"
KERNEL = """{install}
import numba

from {package}.helper import bump


@numba.njit(cache=True)
def kernel(x):
    return bump(x) * 2
"""
INSTALL = ("from pathlib import Path\n\nfrom simengine.jit_cache import install\n\n"
           "install(Path(__file__).parent)\n")


def _cached_modules() -> list[str]:
    """The package's modules that define ``cache=True`` functions."""
    names = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        if "cache=True" in path.read_text(encoding="utf-8") and path.name != "jit.py":
            rel = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
            names.append(".".join(rel.parts))
    return names


def test_every_cached_kernel_of_the_package_is_stamped_with_its_sources() -> None:
    from numba.core.registry import CPUDispatcher

    ours = tree_locators(str(PACKAGE_ROOT))
    checked = 0
    for name in _cached_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if not isinstance(value, CPUDispatcher) or value.__module__ != name:
                continue
            if not hasattr(value._cache, "_impl"):
                continue  # cache=False (a NullCache): nothing on disk to go stale
            locator = value._cache._impl._locator
            assert isinstance(locator, ours), (
                f"{name}.{attr} is cached by {type(locator).__name__}: import simengine.jit_cache "
                "in that module before its decorators run")
            assert locator.get_source_stamp()[1] == source_digest(str(PACKAGE_ROOT))
            checked += 1
    assert checked >= 40  # the driving, fraud, maintenance, weather and sampling kernels


def _package(root: Path, name: str, *, stamped: bool) -> Path:
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text(HELPER.format(step=1))
    (pkg / "kernel.py").write_text(KERNEL.format(install=INSTALL if stamped else "",
                                                 package=name))
    return pkg


def _run(root: Path, name: str, cache: Path) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join([str(root), str(PACKAGE_ROOT.parent)])}
    env.pop("NUMBA_CACHE_LOCATOR_CLASSES", None)
    code = f"from {name}.kernel import kernel; print(kernel(1))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.strip()


@pytest.mark.parametrize(("stamped", "after_edit"), [
    (True, "6"),   # recompiled: (1 + 2) * 2
    (False, "4"),  # Numba's own stamp: the kernel still runs the old helper, (1 + 1) * 2
])
def test_an_edit_of_a_helper_module_recompiles_the_kernel_that_calls_it(
        tmp_path: Path, stamped: bool, after_edit: str) -> None:
    name = "stamped_pkg" if stamped else "plain_pkg"
    pkg = _package(tmp_path, name, stamped=stamped)
    cache = tmp_path / "cache"
    assert _run(tmp_path, name, cache) == "4"
    assert _run(tmp_path, name, cache) == "4"  # from the cache
    (pkg / "helper.py").write_text(HELPER.format(step=2))
    assert _run(tmp_path, name, cache) == after_edit, (
        "Numba's default cache stamp no longer misses edits of a callee's module: "
        "simengine.jit_cache may not be needed any more" if not stamped else
        "the package-wide stamp did not make the kernel recompile")
