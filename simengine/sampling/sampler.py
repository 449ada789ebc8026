"""Samplers: how a batch of runs gets its parameter rows.

The nominal sampler draws from the scenario's own distributions (``log_weight = 0``). Rare-event
estimators plug in proposals through the same :class:`Sampler` protocol: they draw ``z`` from a
tilted law and return ``log_weight = log f(x) - log q(x)``, so a corpus drawn under a proposal
always ships the weights that undo it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from simengine.sampling.keys import Purpose, RunKeys
from simengine.sampling.space import ParamSpace

__all__ = ["NominalSampler", "Sampler", "assign_split"]


class Sampler(Protocol):
    """Draws the parameter rows of a batch of runs."""

    def sample(self, space: ParamSpace, keys: RunKeys) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Parameter columns and the ``log_weight`` of each run."""
        ...


class NominalSampler:
    """The scenario's own distributions; every run has weight 1."""

    def sample(self, space: ParamSpace, keys: RunKeys) -> tuple[dict[str, np.ndarray], np.ndarray]:
        params = space.from_normal(space.nominal_normals(keys))
        return params, np.zeros(len(keys))


def assign_split(fractions: Mapping[str, float], keys: RunKeys) -> np.ndarray:
    """Each run's split name, from its own split key (so it never depends on the batch)."""
    names = list(fractions)
    p = np.array([fractions[k] for k in names], dtype=np.float64)
    edges = np.cumsum(p)
    # The fractions sum to 1 only up to rounding (0.7 + 0.2 + 0.1 < 1): the last split with a
    # positive fraction takes the remainder, so a split of fraction 0 never gets a run.
    edges[int(np.flatnonzero(p > 0)[-1]):] = np.inf
    u = keys.uniforms(Purpose.SPLIT, 1)[:, 0]
    index = np.searchsorted(edges, u, side="right")
    out = np.empty(len(keys), dtype=object)
    out[:] = [names[i] for i in index]
    return out
