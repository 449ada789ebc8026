"""Models under test (DESIGN §7.7): what the stress harness calls, and how it finds them.

A model is named on the command line by a string entry point (``mypkg.aeb:Controller``) and is
either open loop — ``predict(batch) -> predictions`` over a :mod:`simengine.batches` batch, one
prediction row per unit — or closed loop — ``act(observation) -> actions`` for a domain with the
batched step API (:class:`simengine.domains.base.SteppableDomain`). ``--failure`` is an
expression over the joined table of labels and ``pred_*`` columns at the batch's unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from simengine.errors import UserError
from simengine.registry import load_entry_point

__all__ = ["ClosedLoopModel", "FailureUnit", "OpenLoopModel", "load_model"]

FailureUnit = Literal["run", "frame", "object", "window", "transaction", "campaign"]


@runtime_checkable
class OpenLoopModel(Protocol):
    """Predicts on a batch; returns columns named ``pred_*``, one row per unit of the batch."""

    def predict(self, batch: Any) -> Mapping[str, np.ndarray]: ...


@runtime_checkable
class ClosedLoopModel(Protocol):
    """Acts in the loop: one action row per run (driving: ``accel_mps2`` and ``lane_change``)."""

    def act(self, observation: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]: ...


def load_model(entry_point: str) -> OpenLoopModel | ClosedLoopModel:
    """Import ``package.module:Name`` and instantiate it (a class) or use it (an instance)."""
    if ":" not in entry_point:
        raise UserError(f"expected a model as package.module:Name; found {entry_point!r}",
                        field="--model")
    try:
        obj = load_entry_point(entry_point)
    except (ImportError, AttributeError) as exc:
        raise UserError(f"cannot load model {entry_point!r}: {exc}", field="--model") from None
    model = obj() if isinstance(obj, type) else obj
    if not isinstance(model, OpenLoopModel | ClosedLoopModel):
        raise UserError(f"model {entry_point!r} has neither predict(batch) nor act(observation)",
                        field="--model")
    return model
