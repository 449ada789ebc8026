"""Calling the kernel for a batch and turning its arrays into tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simengine.categorical import categorical
from simengine.domains.driving.compile import ACTOR_TYPES, Batch, compile_batch
from simengine.domains.driving.kernel import OUT_FIELDS, PAIR_FIELDS, TRAJ_FIELDS, run_batch
from simengine.domains.driving.metrics import CONFLICT_NAMES, conflict_type
from simengine.weather.state import WeatherState

CONFLICT_LABELS = ("none", *CONFLICT_NAMES)
"""Conflict-type column values: ``conflict_type`` code + 1 (no conflict: ``none``)."""

__all__ = ["KernelResult", "KernelState", "history_length", "run_kernel"]


@dataclass
class KernelResult:
    """Outcome arrays, and (when recorded) per-step arrays of the batch."""

    batch: Batch
    outcomes: dict[str, np.ndarray]
    dt: float
    traj: np.ndarray | None   # (n, steps, A, len(TRAJ_FIELDS))
    pairs: np.ndarray | None  # (n, steps, A, len(PAIR_FIELDS)); row 0 unused (the ego)
    weather: WeatherState | None = None
    road_type: str = "highway"

    def _grid(self, runs: np.ndarray, actors: int) -> tuple[np.ndarray, ...]:
        n, steps = self.traj.shape[:2]  # type: ignore[union-attr]
        run = np.repeat(runs, steps * actors)
        step = np.tile(np.repeat(np.arange(steps), actors), n)
        actor = np.tile(np.arange(actors), n * steps)
        return run, step, actor

    def trajectories(self, runs: np.ndarray) -> dict[str, np.ndarray]:
        assert self.traj is not None
        A = self.traj.shape[2]
        run, step, actor = self._grid(runs, A)
        flat = self.traj.reshape(-1, len(TRAJ_FIELDS))
        lane = np.floor(flat[:, 1] / self.batch.lane_width).astype(np.int64) + 1
        out = {"run": run, "t_s": (step + 1) * self.dt,
               "actor": categorical(actor, self.batch.names)}
        out.update({f: flat[:, k] for k, f in enumerate(TRAJ_FIELDS)})
        out["lane"] = lane
        return out

    def pair_table(self, runs: np.ndarray) -> dict[str, np.ndarray]:
        assert self.pairs is not None
        A = self.pairs.shape[2]
        run, step, actor = self._grid(runs, A)
        flat = self.pairs.reshape(-1, len(PAIR_FIELDS))
        keep = actor > 0
        out = {"run": run[keep], "t_s": (step[keep] + 1) * self.dt,
               "actor": categorical(actor[keep], self.batch.names)}
        out.update({f: flat[keep, k] for k, f in enumerate(PAIR_FIELDS)})
        return out

    def pair_summary(self, runs: np.ndarray, horizon_s: float, tau_s: float
                     ) -> dict[str, np.ndarray]:
        """One row per run and counterpart of the ego: the pair's extremes over the run."""
        assert self.pairs is not None and self.traj is not None
        n, _, A, _ = self.pairs.shape
        p = self.pairs[:, :, 1:]
        ttc = p[:, :, :, 2]
        worst = np.argmin(ttc, axis=1)  # step of the pair's minimum TTC
        rows, cols = np.meshgrid(np.arange(n), np.arange(A - 1), indexing="ij")
        h_ego = self.traj[rows, worst, 0, 2]
        h_other = self.traj[rows, worst, cols + 1, 2]
        # the SSAM class at the pair's worst moment, by the same rule as the episode label
        conflict = np.array([conflict_type(a, b) for a, b in zip(h_ego.ravel(), h_other.ravel(),
                                                                  strict=True)],
                            dtype=np.int64).reshape(h_ego.shape) + 1
        finite = np.isfinite(ttc.min(axis=1))
        exposed = (ttc > 0) & (ttc <= tau_s)
        return {
            "run": np.repeat(runs, A - 1),
            "actor": categorical(np.tile(np.arange(1, A), n), self.batch.names),
            "min_gap_m": np.minimum(p[:, :, :, 0].min(axis=1), 1e9).ravel(),
            "min_distance_m": p[:, :, :, 1].min(axis=1).ravel(),
            "min_ttc_s": np.minimum(ttc.min(axis=1), horizon_s).ravel(),
            "max_drac_mps2": p[:, :, :, 3].max(axis=1).ravel(),
            "tet_s": (exposed.sum(axis=1) * self.dt).ravel(),
            "conflict_type": categorical(np.where(finite, conflict, 0).ravel(), CONFLICT_LABELS),
        }

    def _ego_visibility_m(self) -> np.ndarray:
        """(n, steps) effective visibility where the ego is, fog banks included (what a sensor
        on the ego sees through)."""
        assert self.traj is not None
        b = self.batch
        n, steps = self.traj.shape[:2]
        if not b.fog[0].shape[1]:
            return np.repeat(b.visibility_m[:, None], steps, axis=1)
        from simengine.weather.events import local_visibility_rows_m

        out = np.empty((n, steps))
        for k in range(steps):
            out[:, k] = local_visibility_rows_m(
                np.ascontiguousarray(self.traj[:, k, 0, 0]), (k + 1) * self.dt,
                b.visibility_m, *b.fog)
        return out

    def scenes(self, runs: np.ndarray) -> dict[str, np.ndarray]:
        """One row per object per frame (actors, then static objects)."""
        assert self.traj is not None and self.pairs is not None
        b = self.batch
        n, steps, A, _ = self.traj.shape
        S = b.statics.shape[1]
        per = A + S
        run = np.repeat(runs, steps * per)
        frame = np.tile(np.repeat(np.arange(steps), per), n)
        obj = np.tile(np.arange(per), n * steps)
        ridx = np.repeat(np.arange(n), steps * per)
        is_actor = obj < A
        ai = np.where(is_actor, obj, 0)
        si = np.where(is_actor, 0, obj - A)
        tr = self.traj[ridx, frame, ai]
        st = b.statics[ridx, si] if S else np.zeros((len(ridx), 4))
        classes = np.asarray([*ACTOR_TYPES, "static"], dtype=object)
        names = np.asarray([*b.names, *(f"static.{s}" for s in range(S))], dtype=object)
        groups = np.asarray([*b.groups, *b.static_types], dtype=object)
        w = self.weather
        ego_ttc = np.min(np.where(np.arange(A) > 0, self.pairs[:, :, :, 2], np.inf), axis=2)
        ego_gap = np.min(np.where(np.arange(A) > 0, self.pairs[:, :, :, 0], np.inf), axis=2)
        return {
            "run": run,
            "frame": frame,
            "t_s": (frame + 1) * self.dt,
            "object": names[obj],
            "class": np.where(is_actor, classes[b.kind[ridx, ai]], "static").astype(object),
            "x_m": np.where(is_actor, tr[:, 0], st[:, 0]),
            "y_m": np.where(is_actor, tr[:, 1], st[:, 1]),
            "heading_rad": np.where(is_actor, tr[:, 2], 0.0),
            "speed_mps": np.where(is_actor, tr[:, 3], 0.0),
            "length_m": np.where(is_actor, b.length[ridx, ai], st[:, 2]),
            "width_m": np.where(is_actor, b.width[ridx, ai], st[:, 3]),
            "height_m": np.where(is_actor, b.height[ridx, ai], 1.5),
            "ego_ttc_s": np.minimum(ego_ttc[ridx, frame], 1e9),
            "ego_gap_m": np.minimum(ego_gap[ridx, frame], 1e9),
            "visibility_m": np.minimum(self._ego_visibility_m()[ridx, frame], 1e9),
            "group": groups[obj],
            "is_ego": obj == 0,
            "road_type": np.full(len(ridx), self.road_type, dtype=object),
            "lanes": np.full(len(ridx), b.lanes, dtype=np.int64),
            "lane_width_m": np.full(len(ridx), b.lane_width),
            **{name: np.full(len(ridx), value, dtype=np.int64 if isinstance(value, int)
                             else np.float64)
               for name, value in b.road.scene_values().items()},
            "road_state": (w.road_names[ridx] if w is not None
                           else np.full(len(ridx), "dry", dtype=object)),
            "rain_mm_h": w.rain_mm_h[ridx] if w is not None else np.zeros(len(ridx)),
            "snow_mm_h": w.snow_mm_h[ridx] if w is not None else np.zeros(len(ridx)),
            "sun_elevation_deg": (w.sun_elevation_deg[ridx] if w is not None
                                  else np.full(len(ridx), 45.0)),
            "temperature_c": (w.temperature_c[ridx] if w is not None
                              else np.full(len(ridx), 15.0)),
            "wind_mps": w.wind_mps[ridx] if w is not None else np.zeros(len(ridx)),
        }


@dataclass
class KernelState:
    """What a resumable batch carries from one kernel call to the next (float64 arrays, one
    row per run): each actor's state (:data:`episode.ACTOR_STATE` values), the drivers'
    perception history, each action's fired flag and due time, the running labels. A plain
    call passes none (the kernel is then compiled without the carrying, which keeps the first
    run after an install short); a resumable batch is compiled apart on first use."""

    actor: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))   # (n, A, S)
    history: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0, 0)))  # (n, A, H, 4)
    actions: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))  # (n, K, 2)
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n, RUN_STATE)
    step: int = 0  # the next step to simulate
    started: bool = False  # the arrays hold a run's state (a later call resumes from them)

    def size(self, n: int, actors: int, history: int, actions: int) -> None:
        """Allocate the arrays for a batch (the first call does it)."""
        from simengine.domains.driving.episode import ACTOR_STATE, RUN_STATE

        self.actor = np.zeros((n, actors, ACTOR_STATE))
        self.history = np.zeros((n, actors, history, 4))
        self.actions = np.zeros((n, actions, 2))
        self.labels = np.zeros((n, RUN_STATE))


def history_length(reaction_s: np.ndarray, dt: float) -> int:
    """Slots of the drivers' perception history: the longest reaction in steps, plus one."""
    return int(np.max(np.round(reaction_s / dt), initial=0.0)) + 1


def run_kernel(scenario, params: Mapping[str, np.ndarray], n: int, *,
               record: bool, keys=None, ego_accel: np.ndarray | None = None,
               steps: int | None = None, state: KernelState | None = None,
               batch: Batch | None = None, record_pairs: bool = True) -> KernelResult:
    """Compile the batch and run the kernel (recording per-step arrays if asked; the ego's
    pair metrics per step only with ``record_pairs`` too: they cost an oriented-box distance
    per pair and step, which trajectories alone do not need).

    ``ego_accel`` (n, k): the ego's acceleration for the first k steps, set by a controller in
    the loop (NaN: its own driver decides); ``steps`` stops the run early. With a ``state``
    (from :meth:`KernelState.for_batch`), the kernel carries on from ``state.step`` up to
    ``steps`` and leaves the runs' state there for the next call (a fresh ``KernelState()`` is
    sized by the first call); the outcomes are the labels so far. Stepping a batch this way is
    bit for bit the same as one call. ``batch``: the compiled batch, if already at hand."""
    from simengine.weather import weather_state
    from simengine.weather.visibility import headlight_range_m, night_reaction_factor

    spec = scenario.spec
    batch = batch if batch is not None else compile_batch(scenario, params, n, keys)
    dt = 1.0 / (spec.step_hz or 20.0)
    full_steps = int(round(spec.duration_s / dt))
    steps = full_steps if steps is None else steps
    A = len(batch.names)
    weather = weather_state(params, n, spec.weather)
    reaction = batch.reaction_s * np.asarray(
        night_reaction_factor(weather.sun_elevation_deg), dtype=np.float64)[:, None]
    night_cap = np.asarray(headlight_range_m(weather.sun_elevation_deg), dtype=np.float64)
    traj = np.zeros((n if record else 0, steps, A, len(TRAJ_FIELDS)))
    keep_pairs = record and record_pairs
    pairs = np.full((n if keep_pairs else 0, steps, A, len(PAIR_FIELDS)), np.inf)
    c = batch.conditions
    var_kind = np.asarray([v.kind for v in c.variables], dtype=np.int64)
    var_a = np.asarray([v.a for v in c.variables], dtype=np.int64)
    var_b = np.asarray([v.b for v in c.variables], dtype=np.int64)
    tau = float(spec.labels.tet_tau_s)
    fog = batch.fog
    hist = history_length(reaction, dt)
    if state is None:  # a plain call: from the start, nothing carried or kept
        carried = (0, False, None, None, None, None)
    else:
        if not state.started:
            state.size(n, A, hist, batch.act_kind.shape[0])
        carried = (state.step, state.started, state.actor, state.history, state.actions,
                   state.labels)
    out = run_batch(
        batch.kind, batch.x, batch.y, batch.heading, batch.v, batch.length, batch.width,
        batch.desired_v, batch.headway, batch.min_gap, batch.max_accel, batch.comfort_decel,
        batch.delta,
        reaction, batch.max_decel, batch.aeb, batch.aeb_ttc, batch.aeb_range, batch.aeb_decel,
        batch.statics, batch.act_kind, batch.act_actor, batch.act_time, batch.act_delay,
        batch.act_p1, batch.act_p2, c.code, c.consts, c.starts, var_kind, var_a, var_b,
        batch.cond_params, batch.mu, batch.visibility_m, night_cap, fog[0], fog[1], fog[2],
        fog[3], fog[4], dt, steps, tau, batch.lane_width, batch.lanes, batch.mobil,
        batch.mobil_every, record, traj, pairs,
        np.zeros((n, 0)) if ego_accel is None else np.asarray(ego_accel, dtype=np.float64),
        hist, *carried,
        full_steps * dt,  # the run's horizon (caps the margins), whatever this call's steps
    )
    if state is not None:
        state.step, state.started = steps, True
    outcomes = {f: out[:, k] for k, f in enumerate(OUT_FIELDS)}
    return KernelResult(batch, outcomes, dt, traj if record else None,
                        pairs if keep_pairs else None, weather, spec.world.road.type)
