"""Seeding keys: every consumer of randomness gets its own, derived from (seed, run, purpose).

Two equivalent ways to draw, both pure functions of ``(seed, stage, run, purpose)`` and never of
worker id, process, time or completion order:

* **Per-run generators** — ``SeedSequence(seed, spawn_key=(*stage, run, purpose))`` wrapped in a
  PCG64 :class:`numpy.random.Generator`. For simulations that draw run by run (simpy processes,
  sensor noise): :meth:`RunKeys.generator`.
* **Counter-based streams** — Philox4x32-10 keyed by ``SeedSequence(seed, spawn_key=(*stage,
  COUNTER_TAG, purpose))`` with counter ``(slot, block, run_lo, run_hi)``. One vectorised call
  draws a whole batch (building a SeedSequence per run costs ~25 µs, too slow for a million-run
  screen): :meth:`RunKeys.uniforms` and :meth:`RunKeys.normals`. ``slot`` separates independent
  streams of the same purpose — the sampler uses a hash of the parameter's name, so each
  parameter's draw depends only on (seed, run, name) and adding a parameter never changes the
  values of the others.

Purposes are documented integers (:class:`Purpose`); estimators prefix a stage
``(Stage.X, iteration)`` so their draws never reuse the nominal ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from simengine.sampling.philox import philox_uniforms

__all__ = ["COUNTER_TAG", "Purpose", "RunKeys", "Stage", "name_slot"]

COUNTER_TAG = 2**63 - 1
"""Spawn-key word that marks counter-based keys; no run index ever reaches it."""


class Purpose(IntEnum):
    """What a stream of random numbers is for. Values are part of the on-disk contract."""

    PARAMS = 0
    """Run-scope parameters (the sampler)."""
    SIMULATION = 1
    """Inner randomness of a simulation: arrivals, amounts, entity draws, sensor noise."""
    RENDERING = 2
    """Rendering effects: rain streaks, image noise, lidar dropout."""
    SPLIT = 3
    """The train/val/test assignment of a run."""


class Stage(IntEnum):
    """Prefix for estimator stages: ``spawn_key = (stage, iteration, run, purpose)``."""

    CROSS_ENTROPY = 1
    SUBSET_SIMULATION = 2
    STRESS = 3
    VALIDATION = 4


def name_slot(name: str) -> int:
    """A stable 32-bit slot for a named stream (independent of Python's hash randomisation)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


@dataclass(frozen=True)
class RunKeys:
    """The keys of a batch of runs: a seed, the run indices and an optional estimator stage."""

    seed: int
    runs: np.ndarray
    stage: tuple[int, ...] = ()
    _counter_keys: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        runs = np.ascontiguousarray(self.runs, dtype=np.int64)
        if runs.ndim != 1 or (runs.size and runs.min() < 0):
            raise ValueError("runs must be a 1-D array of non-negative run indices")
        object.__setattr__(self, "runs", runs)

    @classmethod
    def range(cls, seed: int, start: int, stop: int, *, stage: tuple[int, ...] = ()) -> RunKeys:
        """Keys of runs ``start .. stop-1``."""
        return cls(seed, np.arange(start, stop, dtype=np.int64), stage)

    def __len__(self) -> int:
        return int(self.runs.size)

    def subset(self, index: np.ndarray) -> RunKeys:
        """Keys of a selection of these runs (boolean mask or integer positions)."""
        return RunKeys(self.seed, self.runs[index], self.stage)

    # -- per-run generators ---------------------------------------------------------------
    def seed_sequence(self, run: int, purpose: Purpose) -> np.random.SeedSequence:
        """``SeedSequence(seed, spawn_key=(*stage, run, purpose))``."""
        return np.random.SeedSequence(self.seed, spawn_key=(*self.stage, int(run), int(purpose)))

    def generator(self, run: int, purpose: Purpose) -> np.random.Generator:
        """A fresh PCG64 generator for one run and purpose."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(run, purpose)))

    def frame_generator(self, run: int, frame: int,
                        purpose: Purpose = Purpose.RENDERING) -> np.random.Generator:
        """A generator for one frame (step index) of one run: what a renderer draws for a
        frame must not depend on which other frames of the run were selected, so that a
        re-render of a few frames gives the same bytes as the original."""
        seq = np.random.SeedSequence(
            self.seed, spawn_key=(*self.stage, int(run), int(purpose), int(frame))
        )
        return np.random.Generator(np.random.PCG64(seq))

    # -- counter-based streams ------------------------------------------------------------
    def _key(self, purpose: Purpose) -> tuple[int, int]:
        key = self._counter_keys.get(purpose)
        if key is None:
            seq = np.random.SeedSequence(
                self.seed, spawn_key=(*self.stage, COUNTER_TAG, int(purpose))
            )
            words = seq.generate_state(2, np.uint32)
            key = (int(words[0]), int(words[1]))
            self._counter_keys[purpose] = key
        return key

    def uniforms(self, purpose: Purpose, n: int, *, slot: int = 0) -> np.ndarray:
        """``(len(runs), n)`` float64 uniforms in (0, 1), a pure function of
        (seed, stage, purpose, slot, run, column)."""
        return philox_uniforms(self.runs, self._key(purpose), n, slot=slot)

    def normals(self, purpose: Purpose, n: int, *, slot: int = 0) -> np.ndarray:
        """``(len(runs), n)`` standard normals: the inverse normal CDF of :meth:`uniforms`."""
        from scipy.special import ndtri

        return ndtri(self.uniforms(purpose, n, slot=slot))
