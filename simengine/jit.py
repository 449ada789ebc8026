"""Numba's on-disk cache: is a kernel cold, and compile its helpers on the other core.

Numba compiles a kernel the first time it is called and caches the machine code on disk
(``cache=True``), so only the first run after an install (or after an edit of the package's
source: :mod:`simengine.jit_cache` stamps the cache with all of it) pays. A domain whose kernels
are cold says so (``Domain.kernels_cold``), and the runner then compiles them once in the parent
before it starts workers, instead of in every worker at once.

Compiling is single-threaded, and a big kernel spends a third of its compile time compiling the
small functions it calls, one after another, in the order it meets them. A domain can list
those callees with their argument types (:class:`Specialisation`); :class:`BackgroundCompile`
then compiles the list, last first, in a child process while the parent compiles the kernel
first to last. The child writes each callee to the on-disk cache, and when the parent meets a
callee the child has finished it loads it from there (Numba looks in the cache before it
compiles), so the two meet in the middle. The machine code is the same whoever compiles it.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["BackgroundCompile", "Specialisation", "cache_is_cold", "compile_specialisations"]


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


@dataclass(frozen=True)
class Specialisation:
    """One compiled version of a ``cache=True`` Numba function: its module, its name there and
    its argument types as a Numba signature string, e.g. ``"(float64, int64[::1])"``
    (``float64[:, ::1]`` is a C-contiguous 2-D array)."""

    module: str
    function: str
    args: str

    def compile(self) -> None:
        """Compile (or load from the cache) this version."""
        from numba.core.sigutils import normalize_signature

        dispatcher = getattr(importlib.import_module(self.module), self.function)
        args, _ = normalize_signature(self.args)
        # a tuple of types, as a caller's type inference asks for it: the cache is keyed by
        # what compile() is given, and the string would be a different key
        dispatcher.compile(tuple(args))


def compile_specialisations(specs: Iterable[Specialisation]) -> None:
    """Compile ``specs`` in order, in this process."""
    for spec in specs:
        spec.compile()


class BackgroundCompile:
    """Context manager: compile ``specs`` in a child process, in the order given, while the
    body runs; the child is stopped when the body ends (whatever it has not reached is then
    compiled where needed, as without it). A failed child changes nothing but the time.
    Numba writes cache files whole (write, then rename), so stopping the child mid-way
    leaves no partial entry. Inside another one (the command line starts one before the
    runner's), it starts no second child: two would compete for the same core."""

    _active = 0

    def __init__(self, specs: Iterable[Specialisation]) -> None:
        self.specs = [asdict(s) for s in specs]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> BackgroundCompile:
        BackgroundCompile._active += 1
        if self.specs and BackgroundCompile._active == 1:
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "simengine.jit"], stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps(self.specs).encode())
                self.process.stdin.close()
            except OSError:  # no child: the parent compiles everything itself
                self.process = None
        return self

    def wait(self, *, timeout_s: float | None = None) -> int | None:
        """Wait for the child to finish its list; its exit code (None without a child)."""
        if self.process is None:
            return None
        return self.process.wait(timeout=timeout_s)

    def __exit__(self, *exc: object) -> None:
        BackgroundCompile._active -= 1
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _main() -> None:
    """The child: compile the specialisations read from stdin (a JSON list) in order."""
    specs = [Specialisation(**s) for s in json.loads(sys.stdin.buffer.read() or b"[]")]
    compile_specialisations(specs)


if __name__ == "__main__":
    _main()
