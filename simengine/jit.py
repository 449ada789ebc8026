"""Is a Numba kernel's on-disk cache cold?

Numba compiles a kernel the first time it is called and caches the machine code on disk
(``cache=True``), so only the first run after an install (or an edit of the kernel's source)
pays. A domain whose kernels are cold says so (``Domain.kernels_cold``), and the runner then
compiles them once in the parent before it starts workers, instead of in every worker at once.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cache_is_cold"]


def cache_is_cold(dispatcher: Any) -> bool:
    """True if the Numba ``dispatcher`` (a ``cache=True`` function) has nothing compiled in
    this process and no fresh entry in its on-disk cache (a missing index, or one written for
    another version of the source)."""
    if getattr(dispatcher, "overloads", None):
        return False
    cache = getattr(dispatcher, "_cache", None)
    try:
        return not cache._cache_file._load_index()  # type: ignore[union-attr]
    except Exception:  # no cache, or a Numba without this layout: assume it is warm
        return False
