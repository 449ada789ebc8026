"""Numba's on-disk cache, made stale by an edit anywhere in the package's source.

Numba stamps each cached function with its own source file only. A kernel compiled from
``kernel.py`` carries the machine code of the helpers it calls from ``geometry.py`` or
``metrics.py`` inlined into it, so after an edit of ``geometry.py`` alone (a ``git pull`` into
an editable install, a fix in a helper) Numba keeps loading the old ``run_batch``: silently
wrong results until ``kernel.py`` itself changes.

Importing this module puts three cache locators first in Numba's list. For functions defined in
this package they behave as Numba's own (same cache folders: ``NUMBA_CACHE_DIR``, the
package's ``__pycache__``, or the user-wide cache), but their stamp adds a digest of every
``.py`` file of the package, so any edit recompiles every kernel once. Functions defined
elsewhere keep Numba's locators. Every module of the package that defines ``cache=True``
functions imports this module before its decorators run (a test checks it). An explicit
``NUMBA_CACHE_LOCATOR_CLASSES`` setting still takes precedence, as Numba documents.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from numba.core import caching

__all__ = ["PACKAGE_ROOT", "install", "source_digest", "tree_locators"]

PACKAGE_ROOT = Path(__file__).resolve().parent


@functools.cache
def source_digest(root: str) -> str:
    """sha256 over the relative path and the bytes of every ``.py`` file below ``root``, in
    sorted order; once per process (about 1.2 MB read for this package, ~50 ms)."""
    base = Path(root)
    digest = hashlib.sha256()
    for path in sorted(base.rglob("*.py")):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _inside(py_file: str, root: str) -> bool:
    try:
        Path(py_file).resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


class _TreeStamped:
    """Mixin for a Numba locator: claims only functions below ``root``, and stamps them with
    their own file's stamp and the digest of every source file below ``root``."""

    root: str = ""

    def get_source_stamp(self) -> Any:
        return (super().get_source_stamp(), source_digest(self.root))  # type: ignore[misc]

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if not _inside(py_file, cls.root):
            return None
        return super().from_function(py_func, py_file)  # type: ignore[misc]


@functools.cache
def tree_locators(root: str) -> tuple[type, ...]:
    """Numba's three file-backed locators (user-provided folder, in-tree ``__pycache__``,
    user-wide), stamped with the sources below ``root``, in Numba's order."""
    bases = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator,
             caching.UserWideCacheLocator)
    return tuple(type(f"TreeStamped{base.__name__}", (_TreeStamped, base), {"root": root})
                 for base in bases)


def install(root: Path | str = PACKAGE_ROOT) -> None:
    """Put the locators of :func:`tree_locators` first in Numba's list (once per root)."""
    ours = tree_locators(str(Path(root).resolve()))
    classes = caching.CacheImpl._locator_classes
    if ours[0] not in classes:
        classes[:0] = ours


install()
