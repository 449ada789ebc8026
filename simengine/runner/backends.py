"""Where shards run: in this process, or in a local pool of worker processes.

A backend only decides *where* a shard runs; what a shard writes is a function of the shard
alone, so every backend produces the same files. A Dask backend implements the same two methods.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["Backend", "InlineBackend", "ProcessBackend", "default_workers"]


def default_workers() -> int:
    """The CPU count available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Backend(Protocol):
    """Runs ``fn(job, shard)`` for every shard and yields the results as they complete."""

    def map(self, fn: Callable[[Any, Any], Any], job: Any, shards: Sequence[Any]) -> Iterator[Any]:
        ...

    def close(self, *, cancel: bool = False) -> None: ...


class InlineBackend:
    """Runs shards one after another in this process (``--workers 1``)."""

    def map(self, fn: Callable[[Any, Any], Any], job: Any, shards: Sequence[Any]) -> Iterator[Any]:
        for shard in shards:
            yield fn(job, shard)

    def close(self, *, cancel: bool = False) -> None:
        return None


def _ignore_sigint() -> None:
    # Ctrl-C goes to the whole process group; only the parent reacts (it stops the pool).
    # Workers start with SIGINT blocked (see _sigint_blocked): ignoring it discards one that
    # arrived while the worker was booting, then it is safe to unblock.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while worker processes may be spawned.

    A spawned worker inherits the signal mask, so a Ctrl-C that reaches it while it is still
    importing (before its initializer can ignore SIGINT) stays pending instead of killing it
    with a KeyboardInterrupt traceback on the user's terminal. The parent gets its own
    KeyboardInterrupt as soon as the mask is restored (the same trick as
    multiprocessing.resource_tracker).
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class ProcessBackend:
    """A pool of ``workers`` spawned processes, at most ``2 * workers`` shards in flight."""

    def __init__(self, workers: int) -> None:
        import multiprocessing

        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_sigint,
        )

    def map(self, fn: Callable[[Any, Any], Any], job: Any, shards: Sequence[Any]) -> Iterator[Any]:
        pending: set[Future] = set()
        queue = list(shards)
        queue.reverse()
        while queue or pending:
            with _sigint_blocked():  # submit() spawns the workers on first use
                while queue and len(pending) < 2 * self.workers:
                    pending.add(self._pool.submit(fn, job, queue.pop()))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            for proc in list(getattr(self._pool, "_processes", {}).values()):
                proc.terminate()
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
