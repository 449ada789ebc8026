"""In-memory batch types shared by renderers, domains and the stress harness (DESIGN §7.5).

A model under test consumes one of these; its failure unit is the batch's unit (frame, window,
transaction). Every batch carries ``run`` so predictions join back to episodes and labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["FrameBatch", "TransactionBatch", "WindowBatch"]

Columns = Mapping[str, np.ndarray]


def _rows(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


@dataclass(frozen=True)
class FrameBatch:
    """Rendered frames: ``images`` (n, height, width, 3) uint8; ``frames`` one row per image
    (``run``, ``t_s``, weather and criticality labels at that time); ``objects`` one row per
    labeled object (``frame_row`` = row in ``frames``, class, track id, boxes, visibility)."""

    images: np.ndarray
    frames: Columns
    objects: Columns

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.shape[0] != _rows(self.frames):
            raise ValueError("images must be (n, height, width, channels) with one frame row each")


@dataclass(frozen=True)
class WindowBatch:
    """Fixed-length time-series windows: ``values`` (n, length, channels) float; ``channels``
    their names (with units); ``labels`` one row per window, taken at the window's end."""

    values: np.ndarray
    channels: tuple[str, ...]
    labels: Columns

    def __post_init__(self) -> None:
        if self.values.ndim != 3 or self.values.shape[2] != len(self.channels):
            raise ValueError("values must be (n, length, channels) matching the channel names")
        if self.values.shape[0] != _rows(self.labels):
            raise ValueError("one label row per window")


@dataclass(frozen=True)
class TransactionBatch:
    """Transactions, one row each (``run``, ids, amounts, timestamps, true and observed labels)."""

    table: Columns

    def __len__(self) -> int:
        return _rows(self.table)
