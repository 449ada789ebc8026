"""A complete, small domain: a driver sees a stopped obstacle and brakes.

Copy this file to start your own domain. It shows the whole contract:

* ``world_model`` — a pydantic model of what the scenario's ``world:`` may say; every number is a
  :data:`RunValue` (a constant, a distribution or a ``$param``), so users can randomise anything;
* ``outcome_columns`` — the labels and continuous margins written per run (a boolean label names
  its margin, which rare-event estimators climb);
* ``simulate`` — vectorised over a batch of runs, randomness only from the run keys, streams only
  when asked for.

Physics: the car covers ``v·t_r`` during the reaction time, then brakes at ``μ·g`` with the
tyre–road friction μ of the road state, so its stopping distance is ``v·t_r + v²/(2μg)``
(friction values are typical textbook figures, for illustration only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
from pydantic import Field

from simengine.domains import DOMAINS
from simengine.domains.base import OUTCOMES, Chunk, Columns, Domain, StreamSpec
from simengine.sampling.keys import Purpose, RunKeys
from simengine.scenario.expressions import ColumnInfo
from simengine.scenario.models import StrictModel
from simengine.scenario.values import RunValue, value_field

G_MPS2 = 9.81
FRICTION = {"dry": 0.8, "wet": 0.5, "snow": 0.3, "ice": 0.1}


class BrakingWorld(StrictModel):
    """The approach to a stopped obstacle."""

    obstacle_m: value_field(gt=0) = Field(  # type: ignore[valid-type]
        default=60.0, description="Distance to the obstacle when it becomes visible (m)."
    )
    speed_mps: RunValue = Field(default=25.0, description="Initial speed (m/s).")
    reaction_s: RunValue = Field(default=1.0, description="Driver reaction time (s).")
    brake_noise: RunValue = Field(
        default=0.05, description="Std of the per-step relative deceleration noise."
    )


class BrakingDomain(Domain):
    name = "braking"
    description = "Example: a driver brakes for a stopped obstacle on dry, wet or icy road."
    world_model = BrakingWorld
    streams = {"trajectories": StreamSpec("trajectories", "position and speed per step")}
    shard_size = 5000

    def outcome_columns(self, scenario) -> Mapping[str, ColumnInfo]:
        return {
            "collision": ColumnInfo("bool", margin="overrun_m"),
            "overrun_m": ColumnInfo("number"),
            "impact_speed_mps": ColumnInfo("number"),
            "stop_distance_m": ColumnInfo("number"),
        }

    def simulate(self, scenario, params: Columns, keys: RunKeys,
                 record: frozenset[str]) -> Iterator[Chunk]:
        world = scenario.spec.world
        v0 = scenario.value(params, "world.speed_mps", world.speed_mps).astype(float)
        t_r = scenario.value(params, "world.reaction_s", world.reaction_s).astype(float)
        obstacle = scenario.value(params, "world.obstacle_m", world.obstacle_m).astype(float)
        road = params.get("weather.road")
        mu = np.array([FRICTION[r] for r in road]) if road is not None else np.full(len(keys), 0.8)
        decel = mu * G_MPS2
        stop = v0 * t_r + v0**2 / (2 * decel)
        braking_room = np.maximum(obstacle - v0 * t_r, 0.0)
        impact = np.sqrt(np.maximum(v0**2 - 2 * decel * braking_room, 0.0))
        yield Chunk(OUTCOMES, {
            "run": keys.runs,
            "collision": stop > obstacle,
            "overrun_m": stop - obstacle,
            "impact_speed_mps": np.where(stop > obstacle, impact, 0.0),
            "stop_distance_m": stop,
        })
        if "trajectories" in record:
            yield Chunk("trajectories", self._trajectories(scenario, params, keys, v0, t_r, decel))

    def _trajectories(self, scenario, params: Columns, keys: RunKeys, v0: np.ndarray,
                      t_r: np.ndarray, decel: np.ndarray) -> dict[str, np.ndarray]:
        """Step the braking with per-step deceleration noise drawn from each run's own key."""
        dt = 1.0 / (scenario.spec.step_hz or 10.0)
        steps = int(round(scenario.spec.duration_s / dt))
        noise_sd = scenario.value(params, "world.brake_noise", scenario.spec.world.brake_noise)
        rows: dict[str, list[np.ndarray]] = {"run": [], "t_s": [], "x_m": [], "speed_mps": []}
        for i, run in enumerate(keys.runs):
            rng = keys.generator(int(run), Purpose.SIMULATION)
            t = np.arange(1, steps + 1) * dt
            a = decel[i] * (1 + float(noise_sd[i]) * rng.standard_normal(steps)) * (t > t_r[i])
            v = np.maximum(v0[i] - np.cumsum(a * dt), 0.0)
            rows["run"].append(np.full(steps, run))
            rows["t_s"].append(t)
            rows["x_m"].append(np.cumsum(v * dt))
            rows["speed_mps"].append(v)
        return {k: np.concatenate(v) if v else np.zeros(0) for k, v in rows.items()}


# Importing this file makes ``domain: braking`` available (``simengine --plugin FILE``); an
# installed package would declare an entry point in the ``simengine.domains`` group instead.
DOMAINS.register("braking", f"{__name__}:BrakingDomain", description=BrakingDomain.description)
