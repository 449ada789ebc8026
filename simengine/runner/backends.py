"""Where shards run: in this process, or in a local pool of worker processes.

A backend only decides *where* a shard runs; what a shard writes is a function of the shard
alone, so every backend produces the same files. A Dask backend implements the same two methods.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["Backend", "InlineBackend", "ProcessBackend", "default_workers", "start_fork_server"]

PRELOAD = ("simengine.runner.preload",)
"""Modules the fork server imports before it forks workers (:mod:`simengine.runner.preload`)."""


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
def _sigint_blocked(*, ignore: bool = False) -> Iterator[None]:
    """Keep Ctrl-C away from worker processes while they are being started.

    SIGINT is blocked in this thread: a spawned worker inherits the blocked mask, so a Ctrl-C
    that reaches it while it is still importing (before its initializer can ignore SIGINT)
    stays pending instead of killing it with a KeyboardInterrupt traceback on the user's
    terminal. The parent gets its own KeyboardInterrupt as soon as the mask is restored (the
    same trick as multiprocessing.resource_tracker). With ``ignore`` (while the fork server is
    started: it execs a fresh interpreter, which does not inherit the mask) SIGINT is also set
    to be ignored in the main thread; Python keeps an inherited ignore, and the workers the
    server forks inherit it in turn. Linux keeps blocked signals pending even when ignored, so
    nothing is lost.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    ignore = ignore and threading.current_thread() is threading.main_thread()
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignore else None
    try:
        yield
    finally:
        if ignore:
            signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _context() -> Any:
    """Workers are forked from a fork server that preloaded the runner where the platform has
    one (Linux, macOS), else spawned. Never a plain fork of the parent: it may hold threads
    (the sink's encoder, pyarrow's pools) that a fork would copy in an unknown state."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(PRELOAD))
        return ctx
    return multiprocessing.get_context("spawn")


def start_fork_server() -> None:
    """Start the fork server now, so it loads the runner while this process is still busy
    (validating the scenario); a no-op where workers are spawned or it already runs."""
    ctx = _context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with _sigint_blocked(ignore=True):  # the server and the workers it forks ignore SIGINT
        forkserver.ensure_running()


def _ready() -> None:
    """What the probe process runs: nothing."""


def _wait_for_fork_server(ctx: Any) -> None:
    """Wait, interruptibly, until the fork server has loaded and forks processes.

    Starting a pool worker blocks until then too, but a Ctrl-C during that wait would leave
    a worker the pool does not know about, which later fails loudly on the pool's vanished
    semaphores. A probe process carries no such state: interrupted, it just runs and ends."""
    probe = ctx.Process(target=_ready, name="simengine-probe")
    probe.start()
    probe.join()


class ProcessBackend:
    """A pool of ``workers`` worker processes, at most ``2 * workers`` shards in flight."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        ctx = _context()
        if ctx.get_start_method() == "forkserver":
            start_fork_server()
            _wait_for_fork_server(ctx)
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_ignore_sigint,
        )

    def map(self, fn: Callable[[Any, Any], Any], job: Any, shards: Sequence[Any]) -> Iterator[Any]:
        pending: set[Future] = set()
        queue = list(shards)
        queue.reverse()
        while queue or pending:
            with _sigint_blocked():  # submit() starts the workers on first use
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
