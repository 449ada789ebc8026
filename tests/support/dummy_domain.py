"""A test-only domain: a car closing on a stopped obstacle, braking when TTC drops low.

Small enough to read in a minute, yet it uses every part of the domain interface: run-scope
values (declared, hoisted, weather), an entity-scope value drawn per step from the simulation key,
bool and ordered labels with margins, a light default stream, an optional stream, scenes for
rendering, and the batched step API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
from pydantic import Field

from simengine.domains.base import OUTCOMES, SCENES, Chunk, Columns, Domain, StreamSpec
from simengine.sampling.keys import Purpose, RunKeys
from simengine.scenario.expressions import ColumnInfo
from simengine.scenario.models import StrictModel
from simengine.scenario.values import EntityValue, RunValue, value_field

LEVELS = ("none", "potential", "serious", "critical")


class DummyWorld(StrictModel):
    """The approach: initial gap, closing speed, braking."""

    gap_m: value_field(gt=0) = Field(default=40.0, description="Initial gap (m).")  # type: ignore[valid-type]
    speed_mps: RunValue = Field(default=10.0, description="Initial closing speed (m/s).")
    brake_mps2: RunValue = Field(default=4.0, description="Braking deceleration (m/s²).")
    brake_ttc_s: RunValue = Field(default=2.0, description="Brake when TTC falls below (s).")
    jitter_mps: EntityValue = Field(
        default={"normal": {"mean": 0.0, "std": 0.05}},
        description="Speed noise per step, drawn from the simulation key.",
    )


class DummyLabels(StrictModel):
    """Near-miss thresholds on minimum TTC."""

    critical_ttc_s: float = Field(default=1.0, description="critical at or below (s)")
    serious_ttc_s: float = Field(default=1.5, description="serious at or below (s)")
    potential_ttc_s: float = Field(default=3.0, description="potential at or below (s)")


class DummyDomain(Domain):
    name = "dummy"
    description = "Test-only: a car closing on a stopped obstacle."
    world_model = DummyWorld
    labels_model = DummyLabels
    streams = {
        "trajectories": StreamSpec("trajectories", "gap and speed per step"),
        "events": StreamSpec("events", "one row per collision", default=True),
    }
    shard_size = 50

    def outcome_columns(self, scenario) -> Mapping[str, ColumnInfo]:
        margins = {lvl: f"near_miss_margin_{lvl}" for lvl in LEVELS[1:]}
        return {
            "collision": ColumnInfo("bool", margin="penetration_m"),
            "near_miss": ColumnInfo("ordered", levels=LEVELS, level_margins=margins),
            "min_ttc_s": ColumnInfo("number"),
            "min_gap_m": ColumnInfo("number"),
            "penetration_m": ColumnInfo("number"),
            **{m: ColumnInfo("number") for m in margins.values()},
        }

    def frame_columns(self, scenario) -> tuple[str, ...]:
        return ("t_s", "gap_m", "ttc_s")

    def simulate(
        self, scenario, params: Columns, keys: RunKeys, record: frozenset[str]
    ) -> Iterator[Chunk]:
        spec, world, labels = scenario.spec, scenario.spec.world, scenario.spec.labels
        n = len(keys)
        dt = 1.0 / (spec.step_hz or 10.0)
        steps = int(round(spec.duration_s / dt))
        gap = scenario.value(params, "world.gap_m", world.gap_m).astype(float).copy()
        v = scenario.value(params, "world.speed_mps", world.speed_mps).astype(float).copy()
        brake = scenario.value(params, "world.brake_mps2", world.brake_mps2).astype(float)
        trigger = scenario.value(params, "world.brake_ttc_s", world.brake_ttc_s).astype(float)
        jitter = world.jitter_mps.build()
        noise = (
            np.stack(
                [jitter.sample(keys.generator(r, Purpose.SIMULATION), steps) for r in keys.runs]
            )
            if n
            else np.zeros((0, steps))
        )
        min_gap = gap.copy()
        min_ttc = np.full(n, spec.duration_s)
        braking = np.zeros(n, dtype=bool)
        traj, scenes = [], []
        for k in range(steps):
            ttc = np.where(v > 0, gap / np.maximum(v, 1e-12), np.inf)
            min_ttc = np.minimum(min_ttc, np.where(gap > 0, ttc, 0.0))
            braking |= ttc < trigger
            v = np.maximum(0.0, v - braking * brake * dt + noise[:, k] * (v > 0))
            gap = gap - v * dt
            min_gap = np.minimum(min_gap, gap)
            t = np.full(n, (k + 1) * dt)
            if "trajectories" in record:
                traj.append(
                    {"run": keys.runs, "t_s": t, "gap_m": gap.copy(), "speed_mps": v.copy()}
                )
            if SCENES in record:
                scenes.append(
                    {"run": keys.runs, "t_s": t, "gap_m": gap.copy(), "ttc_s": np.minimum(ttc, 1e9)}
                )
        collision = min_gap <= 0
        level = np.zeros(n, dtype=np.int64)
        for i, thr in enumerate(
            (labels.potential_ttc_s, labels.serious_ttc_s, labels.critical_ttc_s)
        ):
            level = np.where(min_ttc <= thr, i + 1, level)
        near = np.asarray(LEVELS, dtype=object)[level]
        yield Chunk(
            OUTCOMES,
            {
                "run": keys.runs,
                "collision": collision,
                "near_miss": near,
                "min_ttc_s": min_ttc,
                "min_gap_m": min_gap,
                "penetration_m": -min_gap,
                "near_miss_margin_potential": labels.potential_ttc_s - min_ttc,
                "near_miss_margin_serious": labels.serious_ttc_s - min_ttc,
                "near_miss_margin_critical": labels.critical_ttc_s - min_ttc,
            },
        )
        if "events" in record and collision.any():
            yield Chunk("events", {"run": keys.runs[collision], "min_gap_m": min_gap[collision]})
        for name, rows in (("trajectories", traj), (SCENES, scenes)):
            if rows:
                order = {c: np.stack([r[c] for r in rows], axis=1).ravel() for c in rows[0]}
                yield Chunk(name, order)

    # -- batched step API -------------------------------------------------------------------
    def reset(self, scenario, params: Columns, keys: RunKeys) -> Columns:
        world = scenario.spec.world
        self._dt = 1.0 / (scenario.spec.step_hz or 10.0)
        self._gap = scenario.value(params, "world.gap_m", world.gap_m).astype(float).copy()
        self._v = scenario.value(params, "world.speed_mps", world.speed_mps).astype(float).copy()
        return {"gap_m": self._gap.copy(), "speed_mps": self._v.copy()}

    def step(self, actions: Columns) -> tuple[Columns, np.ndarray]:
        self._v = np.maximum(0.0, self._v + np.asarray(actions["accel_mps2"]) * self._dt)
        self._gap = self._gap - self._v * self._dt
        done = (self._gap <= 0) | (self._v == 0)
        return {"gap_m": self._gap.copy(), "speed_mps": self._v.copy()}, done
