"""Inline maintenance scenarios and a collector of stream chunks, for the domain's tests."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from simengine.runner.shard import simulate_episodes
from simengine.sampling.keys import RunKeys
from simengine.scenario.scenario import Scenario, load_scenario_text


class Collect:
    """A stream sink that keeps every chunk."""

    def __init__(self) -> None:
        self.chunks: list[Mapping[str, np.ndarray]] = []

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        self.chunks.append(columns)

    def table(self) -> dict[str, np.ndarray]:
        if not self.chunks:
            return {}
        return {k: np.concatenate([np.asarray(c[k]) for c in self.chunks])
                for k in self.chunks[0]}


def scenario(world: str, *, duration_h: float, extra: str = "") -> Scenario:
    """A maintenance scenario from a ``world:`` block (indented by two spaces)."""
    text = (f"schema_version: 1\nname: probe\ndomain: maintenance\n"
            f"duration_s: {duration_h * 3600}\n{extra}world:\n{world}")
    return load_scenario_text(text, file="probe.yaml")


def simulate(scn: Scenario, runs: int = 1, *, seed: int = 7, streams: tuple[str, ...] = ()
             ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    sinks = {s: Collect() for s in streams}
    episodes, _ = simulate_episodes(scn, RunKeys.range(seed, 0, runs), frozenset(streams), sinks)
    return episodes, {s: sink.table() for s, sink in sinks.items()}


def first_failures(events: Mapping[str, np.ndarray]) -> np.ndarray:
    """Time of each machine's first failure (machines that never failed are left out)."""
    fail = np.asarray(events["kind"]) == "failure"
    keys = [f"{r}/{m}" for r, m in zip(events["run"][fail], events["machine"][fail], strict=True)]
    t = np.asarray(events["t_h"])[fail]
    first: dict[str, float] = {}
    for k, v in zip(keys, t, strict=True):
        first.setdefault(k, float(v))
    return np.array(list(first.values()))
