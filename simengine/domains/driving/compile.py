"""From a validated driving scenario and a batch of parameter rows to the kernel's arrays.

Everything per run is resolved here, in NumPy, so the Numba kernel only sees flat arrays: actor
dimensions and initial states (placements relative to other actors resolved in dependency
order), driver and AEB parameters, static boxes, actions with their trigger bytecode, and the
weather's physical effects (friction, visibility, night).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simengine.domains.driving.model import ActorSpec, DrivingWorld, RoadSpec
from simengine.domains.driving.triggers import CompiledConditions, compile_conditions

__all__ = ["ACTOR_TYPES", "DIMENSIONS", "Batch", "compile_batch"]

ACTOR_TYPES = ("car", "truck", "motorcycle", "cyclist", "pedestrian")
VEHICLES = {"car", "truck", "motorcycle"}

# (length_m, width_m, height_m). Cars and trucks: typical European passenger car (~4.5 × 1.8 m)
# and rigid truck (~12 × 2.5 m, EU Directive 96/53/EC maximum width 2.55 m); motorcycle and
# bicycle: typical overall dimensions; pedestrians: body depth × shoulder breadth from adult and
# child anthropometry (e.g. NASA-STD-3000 / CDC growth tables: adult shoulder breadth ~0.45 m,
# stature ~1.75 m; a ~7-year-old ~0.3 m and ~1.2 m); wheelchair: ISO 7176-5 envelope ~1.2 × 0.7 m.
DIMENSIONS = {
    "car": (4.5, 1.8, 1.5),
    "truck": (12.0, 2.5, 3.5),
    "motorcycle": (2.2, 0.8, 1.4),
    "cyclist": (1.8, 0.6, 1.7),
    ("pedestrian", "adult"): (0.35, 0.5, 1.75),
    ("pedestrian", "elderly"): (0.35, 0.5, 1.65),
    ("pedestrian", "child"): (0.25, 0.32, 1.2),
    ("pedestrian", "wheelchair"): (1.2, 0.7, 1.3),
}
# Walking speeds (m/s): Knoblauch, Pietrucha & Nitzburg (1996), "Field studies of pedestrian
# walking speed and start-up time", TRR 1538: mean ~1.5 m/s younger, ~1.25 m/s older
# pedestrians; children ~1.3 m/s (project choice within published ranges); manual wheelchairs
# ~1.0 m/s; cyclists crossing ~4 m/s (project choice).
WALK_SPEED = {"adult": 1.4, "elderly": 1.2, "child": 1.3, "wheelchair": 1.0, "cyclist": 4.0}


@dataclass
class Batch:
    """Arrays for ``n`` runs and ``A`` actors (index 0 is the ego)."""

    names: tuple[str, ...]
    groups: tuple[str, ...]   # (A,) pedestrian group or "" (for the renderers)
    static_types: tuple[str, ...]  # (S,) parked_vehicle | barrier | building
    kind: np.ndarray          # (n, A) index into ACTOR_TYPES
    x: np.ndarray             # (n, A) initial state
    y: np.ndarray
    heading: np.ndarray       # (n, A) initial heading (rad)
    v: np.ndarray
    length: np.ndarray        # (n, A)
    width: np.ndarray
    height: np.ndarray
    desired_v: np.ndarray     # (n, A) IDM parameters (vehicles)
    headway: np.ndarray
    min_gap: np.ndarray
    max_accel: np.ndarray
    comfort_decel: np.ndarray
    delta: np.ndarray
    reaction_s: np.ndarray
    max_decel: np.ndarray
    walk_speed: np.ndarray
    aeb: np.ndarray           # (A,) bool
    aeb_ttc: np.ndarray       # (n, A)
    aeb_range: np.ndarray
    aeb_decel: np.ndarray
    statics: np.ndarray       # (n, S, 4): x, y, length, width
    act_kind: np.ndarray      # (K,) 0 brake, 1 lane change, 2 accelerate, 3 stop, 4 cross,
                              # 5 turn
    act_actor: np.ndarray     # (K,)
    act_time: np.ndarray      # (n, K) NaN: no time condition
    act_delay: np.ndarray     # (n, K)
    act_p1: np.ndarray        # (n, K) decel | target y | accel | crossing speed | ±radius
    act_p2: np.ndarray        # (n, K) to speed | duration | turn speed
    conditions: CompiledConditions
    cond_params: np.ndarray   # (n, n_vars)
    mu: np.ndarray            # (n,) tyre-road friction
    visibility_m: np.ndarray  # (n,) effective visibility (fog, rain, snow)
    night: np.ndarray         # (n,) bool
    fog: tuple[np.ndarray, ...]  # fog banks: (n, E) from, to, start, end, visibility
    lane_width: float
    lanes: int
    mobil: np.ndarray         # (A, 5): enabled, politeness, threshold, b_safe, duration
    mobil_every: np.ndarray   # (A,) steps between lane-change decisions
    road: RoadSpec            # the road's geometry (junction, crosswalks) for the scenes


ACTIONS = ("brake", "lane_change", "accelerate", "stop", "start_crossing", "turn")


def _group(world: DrivingWorld, name: str) -> str:
    actor = world.actors.get(name)
    if actor is None or actor.type != "pedestrian":
        return ""
    return actor.group or "adult"


def _lane_y(world: DrivingWorld, lane: int) -> float:
    return (lane - 0.5) * world.road.lane_width_m


def _side_y(world: DrivingWorld, side: str) -> float:
    road = world.road
    return -road.shoulder_m / 2 if side == "shoulder" else road.lanes * road.lane_width_m + 1.5


def _dims(actor: ActorSpec) -> tuple[float, float, float]:
    if actor.type == "pedestrian":
        return DIMENSIONS[("pedestrian", actor.group or "adult")]
    return DIMENSIONS[actor.type]


def _placement_order(world: DrivingWorld) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in chain:
            raise ValueError(f"circular placement: {' -> '.join((*chain, name))}")
        actor = world.actors[name]
        for ref in (actor.ahead_of, actor.behind, actor.speed_relative_to):
            if ref is not None:
                visit(ref, (*chain, name))
        seen.add(name)
        order.append(name)

    for name in world.actors:
        visit(name, ())
    return order


def compile_batch(scenario, params: Mapping[str, np.ndarray], n: int,
                  keys=None) -> Batch:
    """Resolve every per-run number of the world for ``n`` runs (``keys``: the runs' keys, for
    entity-scope draws such as each background vehicle's gap and speed)."""
    from simengine.weather import (
        fog_bank_arrays,
        friction,
        is_night,
        weather_state,
    )
    from simengine.weather.visibility import effective_visibility_m

    world: DrivingWorld = scenario.spec.world
    names = [world.ego_name, *[a for a in world.actors if a != world.ego_name],
             *world.traffic_names]
    index = {name: i for i, name in enumerate(names)}
    A = len(names)

    def val(path: str, spec, default: float) -> np.ndarray:
        if spec is None:
            return np.full(n, float(default))
        return np.asarray(scenario.value(params, path, spec, n=n), dtype=np.float64)

    z = lambda: np.zeros((n, A))  # noqa: E731
    x, y, v, length, width, height, heading = z(), z(), z(), z(), z(), z(), z()
    desired, headway, min_gap, max_accel, comfort, delta = z(), z(), z(), z(), z(), z()
    reaction, max_decel, walk = z(), z(), z()
    aeb = np.zeros(A, dtype=bool)
    aeb_ttc, aeb_range, aeb_decel = z(), z(), z()
    kind = np.zeros((n, A), dtype=np.int64)
    for name in _placement_order(world):
        i = index[name]
        a = world.actors[name]
        base = f"world.actors.{name}"
        kind[:, i] = ACTOR_TYPES.index(a.type)
        heading[:, i] = np.radians(a.heading_deg)
        dl, dw, dh = _dims(a)
        length[:, i] = val(f"{base}.length_m", a.length_m, dl)
        width[:, i] = val(f"{base}.width_m", a.width_m, dw)
        height[:, i] = dh
        if a.lane is not None:
            y[:, i] = _lane_y(world, a.lane)
        elif a.on is not None:
            y[:, i] = _side_y(world, a.on)
        else:
            y[:, i] = val(f"{base}.y_m", a.y_m, _lane_y(world, 1))
        is_vehicle = a.type in VEHICLES
        default_speed = world.road.speed_limit_mps if is_vehicle else 0.0
        if a.speed_relative_to is not None:
            j = index[a.speed_relative_to]
            v[:, i] = np.maximum(v[:, j] + val(f"{base}.speed_delta_mps", a.speed_delta_mps, 0), 0)
        else:
            v[:, i] = val(f"{base}.speed_mps", a.speed_mps, default_speed)
        if a.ahead_of or a.behind:
            j = index[a.ahead_of or a.behind]  # type: ignore[index]
            if a.gap_s is not None:  # a time gap at the speed of whichever car follows
                gap = val(f"{base}.gap_s", a.gap_s, 0.0) * (v[:, j] if a.ahead_of else v[:, i])
            else:
                gap = val(f"{base}.gap_m", a.gap_m, 0.0)
            half = (length[:, i] + length[:, j]) / 2
            sign = 1.0 if a.ahead_of else -1.0
            x[:, i] = x[:, j] + sign * (gap + half)
        elif (crosswalk := world.crosswalk_of(name)) is not None:  # waits at a crosswalk
            x[:, i] = world.road.crosswalks[crosswalk].x_m
        else:
            x[:, i] = val(f"{base}.x_m", a.x_m, 0.0)
        group = "cyclist" if a.type == "cyclist" else (a.group or "adult")
        walk[:, i] = val(f"{base}.walk_speed_mps", a.walk_speed_mps, WALK_SPEED.get(group, 1.4))
        drv = a.driver
        idm = drv.idm if drv is not None else None
        p = f"{base}.driver.idm"
        desired[:, i] = (val(f"{p}.desired_speed_mps", idm.desired_speed_mps, 0) if idm and
                         idm.desired_speed_mps is not None else v[:, i])
        headway[:, i] = val(f"{p}.time_headway_s", idm.time_headway_s if idm else None, 1.5)
        min_gap[:, i] = val(f"{p}.min_gap_m", idm.min_gap_m if idm else None, 2.0)
        max_accel[:, i] = val(f"{p}.max_accel_mps2", idm.max_accel_mps2 if idm else None, 1.5)
        comfort[:, i] = val(f"{p}.comfort_decel_mps2", idm.comfort_decel_mps2 if idm else None,
                            2.0)
        delta[:, i] = idm.delta if idm else 4.0
        reaction[:, i] = val(f"{base}.driver.reaction_s", drv.reaction_s if drv else None, 1.0)
        max_decel[:, i] = val(f"{base}.driver.max_decel_mps2", drv.max_decel_mps2 if drv else None,
                              8.0)
        if a.aeb is not None:
            aeb[i] = True
            aeb_ttc[:, i] = val(f"{base}.aeb.ttc_s", a.aeb.ttc_s, 1.2)
            aeb_range[:, i] = val(f"{base}.aeb.range_m", a.aeb.range_m, 80)
            aeb_decel[:, i] = val(f"{base}.aeb.max_decel_mps2", a.aeb.max_decel_mps2, 9)

    mobil = np.zeros((A, 5))  # enabled, politeness, threshold, b_safe, duration
    mobil_every = np.ones(A, dtype=np.int64)
    dt = 1.0 / (scenario.spec.step_hz or 20.0)

    def set_mobil(i: int, drv) -> None:
        if drv is not None and drv.mobil is not None:
            m = drv.mobil
            mobil[i] = (1.0, m.politeness, m.threshold_mps2, m.safe_decel_mps2,
                        m.change_duration_s)
            mobil_every[i] = max(1, int(round(m.every_s / dt)))

    for name, a in world.actors.items():
        set_mobil(index[name], a.driver)
    if world.traffic is not None:
        tr = world.traffic
        start_gap = val("world.traffic.start_gap_m", tr.start_gap_m, 10.0)
        _place_traffic(world, params, n, keys, index, start_gap, x, y, v, length, width,
                       height, kind)
        sl = slice(index[world.traffic_names[0]], A)
        drv = tr.driver
        idm = drv.idm if drv is not None else None
        p = "world.traffic.driver.idm"
        desired[:, sl] = (v[:, sl] if idm is None or idm.desired_speed_mps is None
                          else val(f"{p}.desired_speed_mps", idm.desired_speed_mps, 0)[:, None])
        headway[:, sl] = val(f"{p}.time_headway_s", idm.time_headway_s if idm else None,
                             1.5)[:, None]
        min_gap[:, sl] = val(f"{p}.min_gap_m", idm.min_gap_m if idm else None, 2.0)[:, None]
        max_accel[:, sl] = val(f"{p}.max_accel_mps2", idm.max_accel_mps2 if idm else None,
                               1.5)[:, None]
        comfort[:, sl] = val(f"{p}.comfort_decel_mps2", idm.comfort_decel_mps2 if idm else None,
                             2.0)[:, None]
        delta[:, sl] = idm.delta if idm else 4.0
        reaction[:, sl] = val("world.traffic.driver.reaction_s",
                              drv.reaction_s if drv else None, 1.0)[:, None]
        max_decel[:, sl] = val("world.traffic.driver.max_decel_mps2",
                               drv.max_decel_mps2 if drv else None, 8.0)[:, None]
        for name in world.traffic_names:
            set_mobil(index[name], drv)
    statics = np.zeros((n, len(world.statics), 4))
    for s, st in enumerate(world.statics):
        base = f"world.statics.{s}"
        statics[:, s, 0] = val(f"{base}.x_m", st.x_m, 0)
        if st.lane is not None:
            statics[:, s, 1] = _lane_y(world, st.lane)
        elif st.on is not None:
            statics[:, s, 1] = _side_y(world, st.on)
        else:
            statics[:, s, 1] = val(f"{base}.y_m", st.y_m, 0)
        statics[:, s, 2] = val(f"{base}.length_m", st.length_m, 5)
        statics[:, s, 3] = val(f"{base}.width_m", st.width_m, 2)

    K = len(world.actions)
    act_kind = np.zeros(K, dtype=np.int64)
    act_actor = np.zeros(K, dtype=np.int64)
    act_time, act_delay = np.full((n, K), np.nan), np.zeros((n, K))
    act_p1, act_p2 = np.zeros((n, K)), np.zeros((n, K))
    for k, action in enumerate(world.actions):
        base = f"world.actions.{k}"
        act_kind[k] = ACTIONS.index(action.do.kind)
        body = action.do.body
        act_actor[k] = index[body.actor]  # type: ignore[attr-defined]
        if action.when.time_s is not None:
            act_time[:, k] = val(f"{base}.when.time_s", action.when.time_s, 0)
        act_delay[:, k] = val(f"{base}.when.delay_s", action.when.delay_s, 0)
        b = f"{base}.do.{action.do.kind}"
        if action.do.kind in ("brake", "stop"):
            act_p1[:, k] = val(f"{b}.decel_mps2", body.decel_mps2, 6)  # type: ignore[attr-defined]
            act_p2[:, k] = val(f"{b}.to_speed_mps", body.to_speed_mps, 0)  # type: ignore[attr-defined]
        elif action.do.kind == "lane_change":
            act_p1[:, k] = _lane_y(world, body.to_lane)  # type: ignore[attr-defined]
            act_p2[:, k] = val(f"{b}.duration_s", body.duration_s, 3)  # type: ignore[attr-defined]
        elif action.do.kind == "accelerate":
            act_p1[:, k] = val(f"{b}.accel_mps2", body.accel_mps2, 1)  # type: ignore[attr-defined]
            act_p2[:, k] = val(f"{b}.to_speed_mps", body.to_speed_mps, 1)  # type: ignore[attr-defined]
        elif action.do.kind == "turn":
            sign = 1.0 if body.direction == "left" else -1.0  # type: ignore[attr-defined]
            act_p1[:, k] = sign * val(f"{b}.radius_m", body.radius_m, 10)  # type: ignore[attr-defined]
            act_p2[:, k] = val(f"{b}.speed_mps", body.speed_mps, 5)  # type: ignore[attr-defined]
        else:  # start_crossing
            cross = body.speed_mps  # type: ignore[attr-defined]
            act_p1[:, k] = (val(f"{b}.speed_mps", cross, 0) if cross is not None
                            else walk[:, act_actor[k]])
    conditions = compile_conditions([a.when.condition for a in world.actions], names,
                                    list(scenario.space.names))
    weather = weather_state(params, n, scenario.spec.weather)
    mu = friction(weather.road, weather.rain_mm_h, weather.temperature_c,
                  snow_mm_h=weather.snow_mm_h)
    visibility = effective_visibility_m(weather.visibility_m, weather.rain_mm_h,
                                        weather.snow_mm_h, temperature_c=weather.temperature_c)
    fog = fog_bank_arrays(params, scenario.spec.weather.events, n)
    return Batch(
        names=tuple(names), groups=tuple(_group(world, a) for a in names),
        static_types=tuple(st.type for st in world.statics), kind=kind, x=x, y=y, v=v,
        heading=heading,
        length=length, width=width, height=height,
        desired_v=desired, headway=headway, min_gap=min_gap, max_accel=max_accel,
        comfort_decel=comfort, delta=delta, reaction_s=reaction, max_decel=max_decel,
        walk_speed=walk, aeb=aeb, aeb_ttc=aeb_ttc, aeb_range=aeb_range, aeb_decel=aeb_decel,
        statics=statics, act_kind=act_kind, act_actor=act_actor, act_time=act_time,
        act_delay=act_delay, act_p1=act_p1, act_p2=act_p2, conditions=conditions,
        cond_params=conditions.param_values(params, n), mu=np.asarray(mu, dtype=np.float64),
        visibility_m=np.asarray(visibility, dtype=np.float64),
        night=np.asarray(is_night(weather.sun_elevation_deg), dtype=bool),
        fog=tuple(np.asarray(f, dtype=np.float64) for f in fog),
        lane_width=world.road.lane_width_m, lanes=world.road.lanes,
        mobil=mobil, mobil_every=mobil_every, road=world.road,
    )


def _place_traffic(world, params, n, keys, index, start_gap, x, y, v, length, width,
                   height, kind) -> None:
    """Background vehicles, lane by lane ahead of an anchor actor, with per-vehicle gap, speed
    and type drawn from each run's simulation key (entity scope)."""
    from simengine.sampling.keys import Purpose

    if keys is None:
        raise ValueError("traffic needs the runs' keys for its per-vehicle draws")
    spec = world.traffic
    lanes = list(spec.lanes or range(1, world.road.lanes + 1))
    count = spec.vehicles
    first = index[world.traffic_names[0]]
    anchor = index[spec.ahead_of or world.ego_name]

    def dist(value, r):
        if not value.refs:
            return value.build()
        return value.build(lambda name: float(params[name][r]))

    gap_static = None if spec.gap_m.refs else spec.gap_m.build()
    speed_static = None if spec.speed_mps.refs else spec.speed_mps.build()
    lane_of = [lanes[k % len(lanes)] for k in range(count)]
    for r in range(n):
        rng = keys.generator(int(keys.runs[r]), Purpose.SIMULATION)
        gaps = (gap_static or dist(spec.gap_m, r)).sample(rng, count)
        speeds = (speed_static or dist(spec.speed_mps, r)).sample(rng, count)
        trucks = rng.random(count) < spec.truck_share
        anchor_front = x[r, anchor] + 0.5 * length[r, anchor] + start_gap[r]
        front = {lane: anchor_front for lane in lanes}
        placed = {lane: 0 for lane in lanes}
        for k in range(count):
            i = first + k
            lane = lane_of[k]
            truck = bool(trucks[k])
            dl, dw, dh = DIMENSIONS["truck" if truck else "car"]
            kind[r, i] = ACTOR_TYPES.index("truck" if truck else "car")
            length[r, i], width[r, i], height[r, i] = dl, dw, dh
            gap = float(gaps[k]) if placed[lane] else 0.0
            x[r, i] = front[lane] + gap + 0.5 * dl
            front[lane] = x[r, i] + 0.5 * dl
            placed[lane] += 1
            y[r, i] = (lane - 0.5) * world.road.lane_width_m
            v[r, i] = max(float(speeds[k]), 0.0)
