"""The plan: runs ``0 .. n-1`` cut into shards of a fixed size.

A shard is a function of (run range) only — never of the worker count — so the same command
always produces the same files, and a larger ``--runs`` keeps every full shard it already has.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Shard", "plan_shards"]


@dataclass(frozen=True, order=True)
class Shard:
    """Runs ``start .. stop-1``, written as ``part-{index:05d}`` files."""

    index: int
    start: int
    stop: int

    @property
    def runs(self) -> int:
        return self.stop - self.start

    @property
    def part(self) -> str:
        return f"part-{self.index:05d}"


def plan_shards(n_runs: int, shard_size: int) -> list[Shard]:
    """Shards of exactly ``shard_size`` runs (the last one may be shorter)."""
    if n_runs < 0 or shard_size <= 0:
        raise ValueError("n_runs must be >= 0 and shard_size > 0")
    return [
        Shard(i, start, min(start + shard_size, n_runs))
        for i, start in enumerate(range(0, n_runs, shard_size))
    ]
