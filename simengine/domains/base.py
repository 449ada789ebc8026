"""The domain interface: what a simulator must provide to plug into the engine.

A domain turns a batch of runs — their run-scope parameters and their keys — into outcomes (one
row per run: labels and finite margins) and the streams the outputs asked for, yielded in bounded
chunks. It never writes files and never draws randomness except from the run keys it is given
(:mod:`simengine.sampling.keys`), so re-simulating one run reproduces it exactly and adding an
output never changes what was simulated.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel

from simengine.scenario.expressions import ColumnInfo
from simengine.scenario.models import StrictModel

if TYPE_CHECKING:
    from simengine.jit import Specialisation
    from simengine.sampling.keys import RunKeys
    from simengine.scenario.scenario import Scenario

__all__ = [
    "OUTCOMES",
    "SCENES",
    "Chunk",
    "Columns",
    "Domain",
    "NoLabels",
    "SteppableDomain",
    "StreamSpec",
]

Columns = Mapping[str, np.ndarray]
"""A table as equal-length 1-D arrays by column name (column order is kept)."""

OUTCOMES = "outcomes"
"""Chunk name of the per-run outcome rows (written as the ``episodes`` table)."""
SCENES = "scenes"
"""Chunk name of per-frame scene geometry, recorded only for runs selected for rendering."""


@dataclass(frozen=True)
class Chunk:
    """A bounded piece of one table yielded by :meth:`Domain.simulate`."""

    stream: str
    columns: Columns

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


@dataclass(frozen=True)
class StreamSpec:
    """A table a domain can record, named in ``outputs:``."""

    name: str
    description: str
    default: bool = False
    """Light streams written even when the scenario has no ``outputs:``."""
    identifiers: tuple[str, ...] = ()
    """Columns of random identifiers (transaction, account, card ids): the sink writes them
    plain, without a dictionary (nearly every value is distinct) or min/max statistics (a range
    of random ids answers no query); both would cost encoding time for nothing."""
    keys: tuple[str, ...] = ()
    """Identifier columns whose every value is a distinct random id (a row's key, such as a
    transaction id): written like :attr:`identifiers` and uncompressed, since random bytes do
    not compress (zstd would spend time to save nothing)."""
    ordered: tuple[str, ...] = ()
    """Integer columns that rise through the table (timestamps): the sink writes them with
    Parquet's delta encoding (about a third of the size and of the time of a dictionary)."""


class NoLabels(StrictModel):
    """For domains without label settings."""


class Domain(ABC):
    """A simulator family (driving, maintenance, fraud). Subclass and register by name.

    Class attributes declare the domain; :meth:`simulate` does the work. Instances hold no
    per-run state, so one instance serves any number of batches.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    world_model: ClassVar[type[BaseModel]]
    labels_model: ClassVar[type[BaseModel]] = NoLabels
    streams: ClassVar[Mapping[str, StreamSpec]] = {}
    shard_size: ClassVar[int] = 1000
    """Runs per shard: a constant of the domain, never measured at run time."""

    @abstractmethod
    def outcome_columns(self, scenario: Scenario) -> Mapping[str, ColumnInfo]:
        """The outcome columns (labels, margins, scores) in the order they are written."""

    @abstractmethod
    def simulate(
        self,
        scenario: Scenario,
        params: Columns,
        keys: RunKeys,
        record: frozenset[str],
    ) -> Iterator[Chunk]:
        """Simulate ``len(keys)`` runs.

        ``params`` holds one array per run-scope parameter (row i belongs to ``keys.runs[i]``);
        ``record`` names the streams to yield (and :data:`SCENES` for rendering). Yield
        :data:`OUTCOMES` chunks covering every run exactly once, in run order, and chunks of the
        recorded streams, each with a ``run`` column.
        """

    def frame_columns(self, scenario: Scenario) -> tuple[str, ...]:
        """Per-frame columns of :data:`SCENES` that ``frames_if`` may use."""
        return ()

    def ignored_weather(self) -> tuple[str, ...]:
        """Weather fields this domain does not model (the loader warns when they are set)."""
        return ()

    def kernels_cold(self) -> bool:
        """True if this domain's compiled kernels are not in the on-disk cache yet. The runner
        then simulates one run in the parent before it starts workers, so the kernels are
        compiled once (and cached) instead of once per worker at the same time."""
        return False

    def kernels(self) -> tuple[Specialisation, ...]:
        """The compiled kernels a run calls, with their argument types. On a cold cache the
        runner compiles them first, in its own process (before the one-run warm-up that
        compiles anything else). Default: none."""
        return ()

    def kernel_helpers(self) -> tuple[Specialisation, ...]:
        """The compiled functions the kernels (and the sampler) call, with their argument
        types, in the order they are first called. On a cold cache a child process compiles
        them, last first, while the runner compiles :meth:`kernels`
        (:class:`simengine.jit.BackgroundCompile`), so the compile uses both cores. Default:
        none."""
        return ()


@runtime_checkable
class SteppableDomain(Protocol):
    """A domain that lets a controller drive the ego in the loop, for many runs at once.

    ``reset`` returns the first observation (a table: the ego's state and its K nearest actors,
    one row per run); ``step`` takes one action row per run (the ego's acceleration, and steering
    where supported — driving: lane changes) and returns the next observation and a per-run
    ``done`` flag.
    """

    def reset(self, scenario: Scenario, params: Columns, keys: RunKeys) -> Columns: ...

    def step(self, actions: Columns) -> tuple[Columns, np.ndarray]: ...

