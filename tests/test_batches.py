"""Batch types refuse inconsistent shapes (the stress harness relies on one row per unit)."""

from __future__ import annotations

import numpy as np
import pytest

from simengine.batches import FrameBatch, TransactionBatch, WindowBatch


def test_frame_batch_needs_one_frame_row_per_image() -> None:
    images = np.zeros((2, 4, 6, 3), dtype=np.uint8)
    FrameBatch(images, {"run": np.array([0, 1])}, {"frame": np.array([0])})
    with pytest.raises(ValueError, match="one frame row each"):
        FrameBatch(images, {"run": np.array([0])}, {})


def test_window_batch_shapes() -> None:
    values = np.zeros((3, 50, 2))
    WindowBatch(values, ("temperature_c", "current_a"), {"rul_h": np.ones(3)})
    with pytest.raises(ValueError, match="matching the channel names"):
        WindowBatch(values, ("temperature_c",), {"rul_h": np.ones(3)})
    with pytest.raises(ValueError, match="one label row per window"):
        WindowBatch(values, ("a", "b"), {"rul_h": np.ones(2)})


def test_transaction_batch_length() -> None:
    assert len(TransactionBatch({"run": np.arange(5), "amount": np.ones(5)})) == 5
