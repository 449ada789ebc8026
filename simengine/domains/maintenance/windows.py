"""Fixed-length windows over the ``timeseries`` stream, for models and the stress harness.

A window holds ``length`` consecutive samples of one machine in one run (never across machines
or runs); its labels are the row at the window's end (``health``, ``fault_mode``, ``rul_h``,
``sensor_fault``, ``split``, …), so a model sees only the past of the moment it is scored on.
Splits are per machine, so windows of a machine all fall in the same split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from simengine.batches import WindowBatch

__all__ = ["DEFAULT_LABELS", "cut_windows"]

DEFAULT_LABELS = ("run", "machine", "split", "t_h", "running", "regime", "health", "fault_mode",
                  "fault_onset", "rul_h", "rul_censored", "rul_mean_h", "sensor_fault")


def cut_windows(timeseries: Mapping[str, np.ndarray], *, channels: Sequence[str], length: int,
                stride: int = 1, labels: Sequence[str] = DEFAULT_LABELS) -> WindowBatch:
    """Every window of ``length`` samples (every ``stride``-th end) of every machine.

    ``timeseries`` is the stream's columns (rows of a machine in time order, as written);
    ``channels`` the channel columns to stack (names carry units); ``labels`` the columns taken
    at each window's end (those missing from the table are skipped)."""
    if length < 1 or stride < 1:
        raise ValueError("length and stride must be >= 1")
    missing = [c for c in channels if c not in timeseries]
    if missing:
        raise ValueError(f"unknown channel(s) {', '.join(missing)}; the table has: "
                         f"{', '.join(timeseries)}")
    run = np.asarray(timeseries["run"])
    machine = np.asarray(timeseries["machine"])
    n = run.size
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (run[1:] != run[:-1]) | (machine[1:] != machine[:-1])
    starts = np.flatnonzero(new_group)
    stops = np.append(starts[1:], n)
    ends: list[np.ndarray] = []
    for a, b in zip(starts, stops, strict=True):
        if b - a >= length:
            ends.append(np.arange(a + length - 1, b, stride))
    end = np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)
    data = np.column_stack([np.asarray(timeseries[c], dtype=np.float32) for c in channels]
                           ) if channels else np.zeros((n, 0), np.float32)
    index = end[:, None] - np.arange(length - 1, -1, -1)[None, :]
    values = data[index] if end.size else np.zeros((0, length, len(channels)), np.float32)
    table = {k: np.asarray(timeseries[k])[end] for k in labels if k in timeseries}
    return WindowBatch(values=values, channels=tuple(channels), labels=table)
