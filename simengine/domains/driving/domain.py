"""The driving domain: declarative near-miss scenarios on the batched Numba traffic kernel.

Outcomes (one row per run) are the labels safety engineers use — ``collision`` (with whom, impact
Δv, signed ``penetration_m``), the ``near_miss`` tier and the finite margins rare-event methods
climb (``min_ttc_s`` capped at the horizon, ``min_pet_s``, ``min_distance_m``, ``max_drac_mps2``,
and per near-miss level the margin to its thresholds).

Streams: ``trajectories`` (run, t_s, actor, x_m, y_m, heading_rad, speed_mps, accel_mps2, lane)
and ``pair_metrics`` (run, t_s, actor — the ego's counterpart —, gap_m, distance_m, ttc_s,
drac_mps2) and ``pair_summary`` (run, actor, min_gap_m, min_distance_m, min_ttc_s,
max_drac_mps2, tet_s, conflict_type), written only when requested.

``scenes`` for rendering, one row per object per frame (actors first, the ego first of them, then
static objects), in (run, frame) order:

- ``run``, ``frame`` (step index), ``t_s``;
- ``object`` (actor name, ``traffic.<i>`` or ``static.<i>``), ``is_ego``, ``class`` (car, truck,
  motorcycle, cyclist, pedestrian, static), ``group`` (pedestrian: adult, child, elderly,
  wheelchair; static: parked_vehicle, barrier, building; else empty);
- pose and box in the road frame (x along the road, y to the left, z up; y = 0 is the right
  edge of lane 1, lanes are ``lane_width_m`` wide): ``x_m``, ``y_m`` (box centre),
  ``heading_rad`` (0 along +x, counter-clockwise), ``speed_mps``, ``length_m``, ``width_m``,
  ``height_m``;
- per frame, usable in ``frames_if``: ``ego_ttc_s``, ``ego_gap_m`` (1e9 when none), and
  ``visibility_m``: the effective visibility where the ego is (fog, rain, snow and fog banks;
  1e9 for clear air);
- per run, the road: ``road_type``, ``lanes``, ``lane_width_m``, ``shoulder_m`` (right
  shoulder); the junction: ``junction_x_m`` (centre line of the cross road, NaN without a
  junction), ``junction_width_m`` (its width along the road, 0 without one) and
  ``junction_lanes`` (its lanes, 0 without one); the crosswalks: ``crosswalk_x_m`` and
  ``crosswalk_width_m`` for the first (NaN and 0 without one) and, for a k-th one (k ≥ 2),
  ``crosswalk_<k>_x_m`` and ``crosswalk_<k>_width_m`` (present only when the road has it);
- per run, the weather: ``road_state`` (dry, wet, snow, ice), ``rain_mm_h``, ``snow_mm_h``,
  ``sun_elevation_deg``, ``temperature_c``, ``wind_mps``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from simengine.categorical import categorical
from simengine.domains.base import OUTCOMES, SCENES, Chunk, Columns, Domain, StreamSpec
from simengine.domains.driving.model import DrivingLabels, DrivingWorld
from simengine.jit import Specialisation
from simengine.sampling.keys import RunKeys
from simengine.scenario.expressions import ColumnInfo

__all__ = ["DrivingDomain"]

LEVELS = ("none", "potential", "serious", "critical")
PAIR_STREAMS = frozenset({"pair_metrics", "pair_summary", SCENES})
"""What needs the ego's pair metrics per step (scenes carry the ego's TTC and gap per frame)."""


class DrivingDomain(Domain):
    name = "driving"
    description = "Traffic near-misses on a batched Numba kernel: IDM, triggered actions, AEB."
    world_model = DrivingWorld
    labels_model = DrivingLabels
    streams = {
        "trajectories": StreamSpec("trajectories", "every actor's pose and speed per step"),
        "pair_metrics": StreamSpec("pair_metrics", "the ego's gap, distance, TTC, DRAC per step"),
        "pair_summary": StreamSpec("pair_summary",
                                   "per run and ego counterpart: min gap, distance, TTC, max "
                                   "DRAC, TET, conflict type"),
    }
    shard_size = 2000

    def outcome_columns(self, scenario) -> Mapping[str, ColumnInfo]:
        margins = {lvl: f"near_miss_margin_{lvl}" for lvl in LEVELS[1:]}
        number = ColumnInfo("number")
        return {
            "collision": ColumnInfo("bool", margin="penetration_m"),
            "collision_with": ColumnInfo("category"),
            "impact_dv_mps": number,
            "penetration_m": number,
            "min_distance_m": number,
            "min_ttc_s": number,
            "min_mttc_s": number,
            "min_thw_s": number,
            "max_drac_mps2": number,
            "max_btn": number,
            "min_pet_s": number,
            "tet_s": number,
            "conflict_type": ColumnInfo("category"),
            "aeb_triggered": ColumnInfo("bool"),
            "collision_time_s": number,
            "near_miss": ColumnInfo("ordered", levels=LEVELS, level_margins=margins),
            **{m: number for m in margins.values()},
        }

    def frame_columns(self, scenario) -> tuple[str, ...]:
        return ("t_s", "frame", "ego_ttc_s", "ego_gap_m", "visibility_m")

    def ignored_weather(self) -> tuple[str, ...]:
        return ("humidity_pct", "wind_mps")

    def simulate(self, scenario, params: Columns, keys: RunKeys,
                 record: frozenset[str]) -> Iterator[Chunk]:
        from simengine.domains.driving.simulate import run_kernel

        n = len(keys)
        result = run_kernel(scenario, params, n, record=bool(record), keys=keys,
                            record_pairs=bool(record & PAIR_STREAMS))
        yield Chunk(OUTCOMES, {"run": keys.runs, **self._outcomes(scenario, result)})
        if "trajectories" in record:
            yield Chunk("trajectories", result.trajectories(keys.runs))
        if "pair_metrics" in record:
            yield Chunk("pair_metrics", result.pair_table(keys.runs))
        if "pair_summary" in record:
            yield Chunk("pair_summary", result.pair_summary(
                keys.runs, scenario.spec.duration_s, scenario.spec.labels.tet_tau_s))
        if SCENES in record:
            yield Chunk(SCENES, result.scenes(keys.runs))

    # -- batched step API (a controller in the loop drives the ego) ----------------------------
    def kernels_cold(self) -> bool:
        from simengine.domains.driving.kernel import run_batch
        from simengine.jit import cache_is_cold

        return cache_is_cold(run_batch)

    def kernels(self) -> tuple[Specialisation, ...]:
        from simengine.domains.driving.specialisations import KERNELS

        return KERNELS

    def kernel_helpers(self) -> tuple[Specialisation, ...]:
        from simengine.domains.driving.specialisations import KERNEL_HELPERS

        return KERNEL_HELPERS

    def reset(self, scenario, params: Columns, keys: RunKeys) -> Columns:
        from simengine.domains.driving.closed_loop import ClosedLoop

        self._loop = ClosedLoop(scenario, params, keys)
        return self._loop.observe()

    def step(self, actions: Columns) -> tuple[Columns, np.ndarray]:
        if getattr(self, "_loop", None) is None:
            raise RuntimeError("call reset() before step()")
        return self._loop.step(actions)

    def _outcomes(self, scenario, result) -> dict[str, np.ndarray]:
        from simengine.domains.driving.simulate import CONFLICT_LABELS

        o = result.outcomes
        labels: DrivingLabels = scenario.spec.labels
        statics = result.batch.statics.shape[1]
        names = [*result.batch.names, *(f"static.{s}" for s in range(statics))]
        partner = o["collision_with"].astype(np.int64)
        # categorical columns: codes into fixed names ("none" first), nothing per row in Python
        with_name = categorical(partner + 1, ("none", *names))
        conflict = categorical(o["conflict"].astype(np.int64) + 1, CONFLICT_LABELS)
        margins = {}
        reached_above = np.full(len(partner), -np.inf)
        for level in ("critical", "serious", "potential"):
            spec = labels.near_miss.get(level) or DrivingLabels().near_miss[level]
            m = np.full(len(partner), -np.inf)
            if spec.ttc_s is not None:
                m = np.maximum(m, spec.ttc_s - o["min_ttc_s"])
            if spec.pet_s is not None:
                m = np.maximum(m, spec.pet_s - o["min_pet_s"])
            if spec.drac_mps2 is not None:
                m = np.maximum(m, o["max_drac_mps2"] - spec.drac_mps2)
            reached_above = np.maximum(reached_above, m)  # ">= level" holds if any higher holds
            margins[level] = reached_above.copy()
        tier = np.zeros(len(partner), dtype=np.int64)
        for i, level in enumerate(LEVELS[1:], start=1):
            tier = np.where(margins[level] >= 0, i, tier)
        return {
            "collision": o["collision"] > 0,
            "collision_with": with_name,
            "impact_dv_mps": o["impact_dv_mps"],
            "penetration_m": o["penetration_m"],
            "min_distance_m": o["min_distance_m"],
            "min_ttc_s": o["min_ttc_s"],
            "min_mttc_s": o["min_mttc_s"],
            "min_thw_s": o["min_thw_s"],
            "max_drac_mps2": o["max_drac_mps2"],
            "max_btn": o["max_btn"],
            "min_pet_s": o["min_pet_s"],
            "tet_s": o["tet_s"],
            "conflict_type": conflict,
            "aeb_triggered": o["aeb_triggered"] > 0,
            "collision_time_s": o["collision_time_s"],
            "near_miss": categorical(tier, LEVELS),
            **{f"near_miss_margin_{lvl}": margins[lvl] for lvl in ("potential", "serious",
                                                                   "critical")},
        }
