"""The batched step API: a controller drives the ego of many runs at once (DESIGN §7.2).

``reset(params, keys)`` returns the first observation; ``step(actions)`` applies one action
per run for one step and returns the next observation and a per-run ``done`` flag (collision
or end of the horizon). Actions: ``accel_mps2`` (NaN: the ego's own driver decides) and,
optionally, ``lane_change`` (+1: start a change to the next lane on the left, −1: on the right,
0 or NaN: none; ignored while a change is under way, off the road's edge, or once stopped) — the
steering of DESIGN §7.2 as lane changes on the kernel's cosine profile over the ego's
``mobil.change_duration_s`` (3 s without MOBIL). An observation has one row per run: the ego's
state (``ego_x_m``, ``ego_y_m``, ``ego_speed_mps``, ``ego_accel_mps2``, ``ego_lane`` with 1 the
rightmost) and, for its ``K`` nearest road users by distance, ``near<k>_dx_m``,
``near<k>_dy_m``, ``near<k>_speed_mps``, ``near<k>_heading_rad`` (NaN where there are fewer).

Each step resumes the kernel where the previous one stopped (the runs' state is carried between
calls, :class:`~simengine.domains.driving.simulate.KernelState`), so a step costs one step of
simulation, and a closed-loop run is bit for bit the batch simulation with those ego
accelerations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from simengine.domains.driving.compile import compile_batch
from simengine.domains.driving.episode import ACTOR_FIELDS
from simengine.domains.driving.simulate import KernelResult, KernelState, run_kernel
from simengine.sampling.keys import RunKeys

__all__ = ["NEAREST", "ClosedLoop"]

NEAREST = 4


class ClosedLoop:
    """State of one closed-loop batch."""

    def __init__(self, scenario, params: Mapping[str, np.ndarray], keys: RunKeys) -> None:
        self.scenario = scenario
        self.params = params
        self.keys = keys
        spec = scenario.spec
        self.dt = 1.0 / (spec.step_hz or 20.0)
        self.horizon = int(round(spec.duration_s / self.dt))
        self.batch = compile_batch(scenario, params, len(keys), keys)
        self.actions = np.full((len(keys), self.horizon), np.nan)
        self.steps = 0
        self.state = KernelState()
        self.result: KernelResult | None = None

    def _advance(self, steps: int) -> None:
        self.result = run_kernel(self.scenario, self.params, len(self.keys), record=False,
                                 keys=self.keys, ego_accel=self.actions, steps=steps,
                                 state=self.state, batch=self.batch)
        self.steps = steps

    def observe(self) -> dict[str, np.ndarray]:
        if self.result is None:  # the initial state: run no step, keep the state
            self._advance(0)
        actor = self.state.actor
        x, y, h, v, a = (actor[:, :, f] for f in range(5))
        obs = {"ego_x_m": x[:, 0], "ego_y_m": y[:, 0], "ego_speed_mps": v[:, 0],
               "ego_accel_mps2": a[:, 0], "ego_lane": self._lane(y[:, 0]) + 1}
        dist = np.hypot(x[:, 1:] - x[:, :1], y[:, 1:] - y[:, :1])
        order = np.argsort(dist, axis=1, kind="stable")
        rows = np.arange(x.shape[0])[:, None]
        for slot in range(NEAREST):
            have = slot < order.shape[1]
            j = order[:, slot] + 1 if have else None
            for name, values in (("dx_m", x - x[:, :1]), ("dy_m", y - y[:, :1]),
                                 ("speed_mps", v), ("heading_rad", h)):
                col = values[rows[:, 0], j] if have else np.full(x.shape[0], np.nan)
                obs[f"near{slot}_{name}"] = col
        return obs

    def _lane(self, y_m: np.ndarray) -> np.ndarray:
        """0-based lane of lateral positions (clipped to the road's lanes)."""
        b = self.batch
        return np.clip(np.floor(y_m / b.lane_width), 0, b.lanes - 1).astype(np.int64)

    def _start_lane_changes(self, change: np.ndarray) -> None:
        """Start the ego's lane changes asked for (see the module docstring) by setting its
        lane-change state, which the kernel then follows."""
        if change.shape != (len(self.keys),):
            raise ValueError(f"one lane_change per run: expected {len(self.keys)}, "
                             f"found {change.size}")
        col = {name: ACTOR_FIELDS.index(name) for name in
               ("y", "lc_on", "lc_y0", "lc_y1", "lc_t0", "lc_dur", "stopped", "own_path")}
        ego = self.state.actor[:, 0]
        step = np.nan_to_num(np.sign(change)).astype(np.int64)
        target = self._lane(ego[:, col["y"]]) + step
        ok = ((step != 0) & (target >= 0) & (target < self.batch.lanes)
              & (ego[:, col["lc_on"]] == 0.0) & (ego[:, col["stopped"]] == 0.0)
              & (ego[:, col["own_path"]] == 0.0))
        duration_s = self.batch.mobil[0, 4] if self.batch.mobil[0, 4] > 0 else 3.0
        ego[ok, col["lc_on"]] = 1.0
        ego[ok, col["lc_y0"]] = ego[ok, col["y"]]
        ego[ok, col["lc_y1"]] = (target[ok] + 0.5) * self.batch.lane_width
        ego[ok, col["lc_t0"]] = 0.0
        ego[ok, col["lc_dur"]] = duration_s

    def step(self, actions: Mapping[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        accel = np.asarray(actions["accel_mps2"], dtype=np.float64).reshape(-1)
        if accel.shape[0] != len(self.keys):
            raise ValueError(f"one action per run: expected {len(self.keys)}, "
                             f"found {accel.shape[0]}")
        if self.steps >= self.horizon:
            raise ValueError(f"the runs are over: all {self.horizon} steps were taken")
        if self.result is None:
            self._advance(0)
        if "lane_change" in actions:
            self._start_lane_changes(np.asarray(actions["lane_change"], dtype=np.float64))
        self.actions[:, self.steps] = accel
        self._advance(self.steps + 1)
        obs = self.observe()
        assert self.result is not None
        done = (self.result.outcomes["collision"] > 0) | (self.steps >= self.horizon)
        return obs, done
