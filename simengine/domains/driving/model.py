"""What a driving scenario's ``world:`` and ``labels:`` may say.

Coordinates: the road runs along +x; lanes are numbered 1..N from the right, lane k's centre at
``y = (k - 0.5) * lane_width_m``; the right shoulder is at negative y, the far side beyond the
last lane. Headings are radians, 0 along +x, counter-clockwise. Every number is a value (a
constant, a distribution or a ``$param``), drawn once per run.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from simengine.scenario.models import Expr, OneOf, StrictModel
from simengine.scenario.values import EntityValue, RunValue, value_field

__all__ = [
    "ActionSpec",
    "ActorSpec",
    "AebSpec",
    "CrosswalkSpec",
    "DriverSpec",
    "DrivingLabels",
    "DrivingWorld",
    "IdmSpec",
    "JunctionSpec",
    "RoadSpec",
    "StaticSpec",
]

Positive = value_field(gt=0)
NonNegative = value_field(ge=0)
ActorType = Literal["car", "truck", "motorcycle", "cyclist", "pedestrian"]
Group = Literal["adult", "child", "elderly", "wheelchair"]


class JunctionSpec(StrictModel):
    """A four-way intersection: a straight road crossing this one at right angles, centred at
    ``x_m``. It is road geometry (drawn by the sensors, carried in the scenes); vehicles use it
    by being placed on the cross road with a ``heading_deg`` or by a ``turn`` action."""

    x_m: float = Field(description="Centre line of the cross road, along this road (m).")
    cross_lanes: int = Field(default=2, ge=1, le=8, description="Lanes of the cross road.")
    cross_lane_width_m: float = Field(default=3.5, gt=2, le=6,
                                      description="Lane width of the cross road (m).")

    @property
    def width_m(self) -> float:
        """Width of the cross road, i.e. the junction's extent along this road (m)."""
        return self.cross_lanes * self.cross_lane_width_m

    @property
    def span_m(self) -> tuple[float, float]:
        return self.x_m - self.width_m / 2, self.x_m + self.width_m / 2


class CrosswalkSpec(StrictModel):
    """A zebra crossing across the road's lanes, centred at ``x_m``, ``width_m`` long along the
    road (the stripes run along the road, 0.5 m painted and 0.5 m apart)."""

    x_m: float = Field(description="Centre of the crossing along the road (m).")
    width_m: float = Field(default=4.0, ge=2, le=10,
                           description="Extent along the road (m); 2.5-4 m is typical.")

    @property
    def span_m(self) -> tuple[float, float]:
        return self.x_m - self.width_m / 2, self.x_m + self.width_m / 2


class RoadSpec(StrictModel):
    """A straight multi-lane road, from x = 0 to ``length_m``, optionally with a four-way
    junction and zebra crossings."""

    type: Literal["highway", "urban"] = Field(default="highway", description="Road kind.")
    lanes: int = Field(default=3, ge=1, le=8, description="Number of lanes (1 = rightmost).")
    lane_width_m: float = Field(default=3.6, gt=2, le=6, description="Lane width (m).")
    length_m: float = Field(default=2000.0, gt=0, description="Road length (m).")
    speed_limit_mps: float = Field(default=33.3, gt=0, description="Speed limit (m/s).")
    shoulder_m: float = Field(default=2.5, ge=0, description="Right shoulder width (m).")
    junction: JunctionSpec | None = Field(
        default=None, description="A perpendicular road crossing at x_m: {x_m, cross_lanes: 2, "
        "cross_lane_width_m: 3.5}.")
    crosswalks: tuple[CrosswalkSpec, ...] = Field(
        default=(), max_length=8, description="Zebra crossings: [{x_m, width_m: 4.0}, ...].")

    @property
    def width_m(self) -> float:
        return self.lanes * self.lane_width_m

    def scene_values(self) -> dict[str, float | int]:
        """The road geometry the scenes carry on every row (see the scenes schema): shoulder,
        junction (``junction_x_m`` NaN and width 0 without one) and crosswalks (the first as
        ``crosswalk_x_m``/``crosswalk_width_m``, NaN and 0 without one; the k-th, k ≥ 2, as
        ``crosswalk_<k>_x_m``/``crosswalk_<k>_width_m``, present only when the road has it)."""
        j = self.junction
        out = {
            "shoulder_m": self.shoulder_m,
            "junction_x_m": j.x_m if j is not None else math.nan,
            "junction_width_m": j.width_m if j is not None else 0.0,
            "junction_lanes": j.cross_lanes if j is not None else 0,
        }
        first = self.crosswalks[0] if self.crosswalks else None
        out["crosswalk_x_m"] = first.x_m if first is not None else math.nan
        out["crosswalk_width_m"] = first.width_m if first is not None else 0.0
        for k, crossing in enumerate(self.crosswalks[1:], start=2):
            out[f"crosswalk_{k}_x_m"] = crossing.x_m
            out[f"crosswalk_{k}_width_m"] = crossing.width_m
        return out

    @model_validator(mode="after")
    def _layout(self) -> RoadSpec:
        def inside(where: str, span: tuple[float, float]) -> None:
            if span[0] < 0 or span[1] > self.length_m:
                raise ValueError(
                    f"{where}: spans x {span[0]:g}..{span[1]:g} m, outside the road "
                    f"(x 0..{self.length_m:g} m, length_m)")

        if self.junction is not None:
            inside("junction.x_m", self.junction.span_m)
        spans = []
        for k, crossing in enumerate(self.crosswalks):
            lo, hi = crossing.span_m
            inside(f"crosswalks.{k}.x_m", (lo, hi))
            if self.junction is not None:
                j_lo, j_hi = self.junction.span_m
                if lo < j_hi and hi > j_lo:
                    raise ValueError(
                        f"crosswalks.{k}: x {lo:g}..{hi:g} m lies inside the junction "
                        f"(x {j_lo:g}..{j_hi:g} m); put it before or after the cross road")
            for j, (o_lo, o_hi) in spans:
                if lo < o_hi and hi > o_lo:
                    raise ValueError(f"crosswalks.{k}: x {lo:g}..{hi:g} m overlaps "
                                     f"crosswalks.{j} (x {o_lo:g}..{o_hi:g} m)")
            spans.append((k, (lo, hi)))
        return self


class IdmSpec(StrictModel):
    """Intelligent Driver Model parameters (Treiber, Hennecke & Helbing 2000)."""

    desired_speed_mps: Positive | None = Field(  # type: ignore[valid-type]
        default=None, description="v0; default: the actor's initial speed."
    )
    time_headway_s: Positive = Field(default=1.5, description="T, desired time gap (s).")  # type: ignore[valid-type]
    min_gap_m: NonNegative = Field(default=2.0, description="s0, jam distance (m).")  # type: ignore[valid-type]
    max_accel_mps2: Positive = Field(default=1.5, description="a, maximum acceleration.")  # type: ignore[valid-type]
    comfort_decel_mps2: Positive = Field(default=2.0, description="b, comfortable braking.")  # type: ignore[valid-type]
    delta: float = Field(default=4.0, gt=0, description="Acceleration exponent.")


class MobilSpec(StrictModel):
    """MOBIL lane changes (Kesting, Treiber & Helbing 2007, TRR 1999)."""

    politeness: float = Field(default=0.3, ge=0, le=1, description="p, weight of others' gain.")
    threshold_mps2: float = Field(default=0.2, ge=0, description="Δa_th, minimum total gain.")
    safe_decel_mps2: float = Field(default=4.0, gt=0, description="b_safe for the new follower.")
    change_duration_s: float = Field(default=3.0, gt=0, description="Lateral move duration (s).")
    every_s: float = Field(default=1.0, gt=0, description="How often the driver considers it.")


class DriverSpec(StrictModel):
    """How a vehicle is driven."""

    idm: IdmSpec | None = Field(default=None, description="Car-following; default IDM.")
    mobil: MobilSpec | None = Field(default=None, description="Discretionary lane changes.")
    reaction_s: NonNegative = Field(default=1.0, description="Perception-reaction time (s).")  # type: ignore[valid-type]
    max_decel_mps2: Positive = Field(  # type: ignore[valid-type]
        default=8.0, description="Hardest braking the driver applies (capped by μ·g)."
    )


class AebSpec(StrictModel):
    """Automatic emergency braking on this vehicle."""

    ttc_s: Positive = Field(default=1.2, description="Brake when TTC to the object ahead ≤ this.")  # type: ignore[valid-type]
    range_m: Positive = Field(default=80.0, description="Sensor range (m), also cut by fog.")  # type: ignore[valid-type]
    max_decel_mps2: Positive = Field(default=9.0, description="AEB braking (capped by μ·g).")  # type: ignore[valid-type]


class ActorSpec(StrictModel):
    """A road user. Position: ``lane`` (or ``y_m``) and ``x_m``, or ``ahead_of``/``behind`` another
    actor with a bumper-to-bumper ``gap_m``. Pedestrians and cyclists may stand ``on`` the
    shoulder or the far side and cross when an action says so."""

    type: ActorType = Field(description="car, truck, motorcycle, cyclist or pedestrian.")
    group: Group | None = Field(default=None, description="Pedestrian group.")
    lane: int | None = Field(default=None, ge=1, description="Lane (1 = rightmost).")
    on: Literal["shoulder", "far_side"] | None = Field(default=None, description="Off-lane spot.")
    y_m: RunValue | None = Field(default=None, description="Lateral position (m).")
    x_m: RunValue | None = Field(default=None, description="Longitudinal position (m).")
    ahead_of: str | None = Field(default=None, description="Placed ahead of this actor.")
    behind: str | None = Field(default=None, description="Placed behind this actor.")
    gap_m: NonNegative | None = Field(default=None, description="Bumper gap to it (m).")  # type: ignore[valid-type]
    gap_s: NonNegative | None = Field(  # type: ignore[valid-type]
        default=None, description="Or a time gap (s) at the speed of whichever car follows."
    )
    speed_mps: NonNegative | None = Field(default=None, description="Initial speed (m/s).")  # type: ignore[valid-type]
    heading_deg: float = Field(
        default=0.0, ge=-180, le=180,
        description="Initial heading (deg): 0 along the road (+x), 180 the opposite "
        "direction, 90 across it to the left. Vehicles off the road's axis keep their speed "
        "profile and do not follow a leader.")
    speed_relative_to: str | None = Field(default=None, description="speed = its speed + delta.")
    speed_delta_mps: RunValue | None = Field(default=None, description="Speed offset (m/s).")
    length_m: Positive | None = Field(default=None, description="Default by type/group.")  # type: ignore[valid-type]
    width_m: Positive | None = Field(default=None, description="Default by type/group.")  # type: ignore[valid-type]
    walk_speed_mps: Positive | None = Field(  # type: ignore[valid-type]
        default=None, description="Crossing speed; default by group (pedestrians, cyclists)."
    )
    driver: DriverSpec | None = Field(default=None, description="Vehicles: how it is driven.")
    aeb: AebSpec | None = Field(default=None, description="Automatic emergency braking.")

    @model_validator(mode="after")
    def _placement(self) -> ActorSpec:
        if self.ahead_of and self.behind:
            raise ValueError("an actor is placed either ahead_of or behind another, not both")
        if (self.ahead_of or self.behind) and self.x_m is not None:
            raise ValueError("give x_m or ahead_of/behind with gap_m, not both")
        if (self.ahead_of or self.behind) and (self.gap_m is None) == (self.gap_s is None):
            raise ValueError("ahead_of/behind needs one of gap_m or gap_s")
        if not (self.ahead_of or self.behind) and (self.gap_m or self.gap_s) is not None:
            raise ValueError("gap_m/gap_s place an actor ahead_of or behind another; give one")
        places = [k for k in ("lane", "on", "y_m") if getattr(self, k) is not None]
        if len(places) > 1:
            raise ValueError(f"give one of lane, on, y_m; found {', '.join(places)}")
        if self.speed_relative_to and self.speed_delta_mps is None:
            raise ValueError("speed_relative_to needs speed_delta_mps")
        return self


class BrakeAction(StrictModel):
    actor: str = Field(description="Who brakes.")
    decel_mps2: Positive = Field(description="Deceleration (capped by μ·g).")  # type: ignore[valid-type]
    to_speed_mps: NonNegative = Field(default=0.0, description="Stop braking at this speed.")  # type: ignore[valid-type]


class LaneChangeAction(StrictModel):
    actor: str = Field(description="Who changes lane.")
    to_lane: int = Field(ge=1, description="Target lane.")
    duration_s: Positive = Field(default=3.0, description="Lateral move duration (s).")  # type: ignore[valid-type]


class AccelerateAction(StrictModel):
    actor: str = Field(description="Who accelerates.")
    accel_mps2: Positive = Field(description="Acceleration (m/s²).")  # type: ignore[valid-type]
    to_speed_mps: Positive = Field(description="Until this speed (m/s).")  # type: ignore[valid-type]


class CrossAction(StrictModel):
    """Crossing the road at right angles from where the actor stands. ``at: crosswalk`` puts
    the actor at a zebra crossing of the road (its ``x_m`` is the crossing's centre; give no
    ``x_m`` of your own): the first one, or the one numbered ``crosswalk`` (1-based)."""

    actor: str = Field(description="Pedestrian or cyclist who starts crossing the road.")
    speed_mps: Positive | None = Field(default=None, description="Default: walk_speed_mps.")  # type: ignore[valid-type]
    at: Literal["crosswalk"] | None = Field(
        default=None, description="crosswalk: cross at one of the road's crosswalks.")
    crosswalk: int | None = Field(default=None, ge=1,
                                  description="Which crosswalk (1 = first listed); with at.")

    @model_validator(mode="after")
    def _which(self) -> CrossAction:
        if self.crosswalk is not None and self.at != "crosswalk":
            raise ValueError("crosswalk: picks a crossing for at: crosswalk; add at: crosswalk")
        return self


class TurnAction(StrictModel):
    """A 90° turn on a circular arc (kinematic path: heading rate v/R), then straight on."""

    actor: str = Field(description="The vehicle that turns.")
    direction: Literal["left", "right"] = Field(description="Turn to its left or right.")
    radius_m: Positive = Field(default=10.0, description="Arc radius (m).")  # type: ignore[valid-type]
    speed_mps: Positive = Field(  # type: ignore[valid-type]
        description="Speed it drives the turn at (m/s), capped so that v²/R stays within half "
        "the road's friction μ·g.")


class DoSpec(OneOf):
    """Exactly one action."""

    choice = "do:"

    brake: BrakeAction | None = None
    lane_change: LaneChangeAction | None = None
    accelerate: AccelerateAction | None = None
    stop: BrakeAction | None = None
    start_crossing: CrossAction | None = None
    turn: TurnAction | None = None


class WhenSpec(StrictModel):
    """When an action fires: at a time, and/or when a condition over per-step values holds.

    Condition names: ``t_s``, ``<actor>.speed_mps``, ``<actor>.x_m``, ``<actor>.accel_mps2``,
    ``gap.<a>.<b>`` (bumper gap of b ahead of a along a's heading), ``distance.<a>.<b>``
    (box distance), ``ttc.<a>.<b>``, and run parameters by name."""

    time_s: NonNegative | None = Field(default=None, description="Fire at or after this time.")  # type: ignore[valid-type]
    condition: Expr | None = Field(default=None, description="Fire when this holds.")
    delay_s: NonNegative = Field(default=0.0, description="Act this long after firing.")  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _some(self) -> WhenSpec:
        if self.time_s is None and self.condition is None:
            raise ValueError("when: needs time_s, condition, or both")
        return self


class ActionSpec(StrictModel):
    """A triggered action: ``{when: {...}, do: {...}}``; fires once."""

    when: WhenSpec = Field(description="Trigger.")
    do: DoSpec = Field(description="What happens.")


class StaticSpec(StrictModel):
    """A static object (parked vehicle, barrier) that blocks motion and line of sight."""

    type: Literal["parked_vehicle", "barrier", "building"] = Field(description="What it is.")
    x_m: RunValue = Field(description="Centre along the road (m).")
    lane: int | None = Field(default=None, ge=1, description="In this lane.")
    on: Literal["shoulder", "far_side"] | None = Field(default=None, description="Off-lane spot.")
    y_m: RunValue | None = Field(default=None, description="Lateral centre (m).")
    length_m: Positive = Field(default=5.0, description="Length (m).")  # type: ignore[valid-type]
    width_m: Positive = Field(default=2.0, description="Width (m).")  # type: ignore[valid-type]


class TrafficSpec(StrictModel):
    """Background vehicles named ``traffic.0`` … ``traffic.<n-1>``, placed ahead of an actor
    lane by lane (round robin over ``lanes``), each with its own gap and speed drawn inside the
    simulation (entity scope)."""

    vehicles: int = Field(ge=1, le=200, description="How many vehicles.")
    lanes: tuple[int, ...] | None = Field(default=None, description="Lanes used; default all.")
    ahead_of: str | None = Field(default=None, description="Start ahead of this actor (ego).")
    start_gap_m: NonNegative = Field(default=10.0, description="Gap to that actor (m).")  # type: ignore[valid-type]
    gap_m: EntityValue = Field(
        default={"uniform": [15, 40]}, description="Gap to the previous vehicle in its lane (m)."
    )
    speed_mps: EntityValue = Field(
        default={"uniform": [22, 28]}, description="Initial speed of each vehicle (m/s)."
    )
    truck_share: float = Field(default=0.1, ge=0, le=1, description="Fraction of trucks.")
    driver: DriverSpec | None = Field(default=None, description="How they drive.")


class DrivingWorld(StrictModel):
    """Road, actors (the first is the ego unless ``ego:`` says otherwise), statics, actions."""

    road: RoadSpec = Field(default_factory=RoadSpec, description="The road.")
    ego: str | None = Field(default=None, description="Actor whose pairs are labeled.")
    actors: dict[str, ActorSpec] = Field(min_length=1, description="Road users by name.")
    statics: tuple[StaticSpec, ...] = Field(default=(), description="Static objects.")
    actions: tuple[ActionSpec, ...] = Field(default=(), description="Triggered actions.")
    traffic: TrafficSpec | None = Field(default=None, description="Background vehicles.")

    @property
    def traffic_names(self) -> list[str]:
        return [f"traffic.{i}" for i in range(self.traffic.vehicles)] if self.traffic else []

    @model_validator(mode="after")
    def _references(self) -> DrivingWorld:
        names = set(self.actors) | set(self.traffic_names)
        if self.traffic is not None:
            if self.traffic.ahead_of is not None and self.traffic.ahead_of not in self.actors:
                raise ValueError(f"traffic.ahead_of: unknown actor {self.traffic.ahead_of!r}")
            for lane in self.traffic.lanes or ():
                if lane > self.road.lanes:
                    raise ValueError(f"traffic.lanes: lane {lane} > lanes {self.road.lanes}")
        if self.ego is not None and self.ego not in names:
            raise ValueError(f"ego {self.ego!r} is not an actor; actors: {', '.join(names)}")
        for name, actor in self.actors.items():
            for ref in (actor.ahead_of, actor.behind, actor.speed_relative_to):
                if ref is not None and ref not in self.actors:
                    raise ValueError(f"actor {name!r} refers to unknown actor {ref!r}")
            if actor.lane is not None and actor.lane > self.road.lanes:
                raise ValueError(f"actor {name!r}: lane {actor.lane} > lanes {self.road.lanes}")
        for i, action in enumerate(self.actions):
            who = action.do.body.actor  # type: ignore[attr-defined]
            if who not in names:
                raise ValueError(f"actions.{i}: unknown actor {who!r}")
            lc = action.do.lane_change
            if lc is not None and lc.to_lane > self.road.lanes:
                raise ValueError(f"actions.{i}: to_lane {lc.to_lane} > lanes {self.road.lanes}")
        self._crossings_at_crosswalks()
        return self

    def _crossings_at_crosswalks(self) -> None:
        """``start_crossing: {at: crosswalk}``: the road has that crosswalk, and the crosser is
        a pedestrian or cyclist standing still with no position along the road of its own
        (the crosswalk gives it), crossing at one place only."""
        placed: dict[str, int] = {}
        for i, action in enumerate(self.actions):
            cross = action.do.start_crossing
            if cross is None or cross.at is None:
                continue
            where = f"actions.{i}.do.start_crossing"
            number = cross.crosswalk or 1
            if number > len(self.road.crosswalks):
                have = len(self.road.crosswalks)
                raise ValueError(f"{where}: at crosswalk {number}, but road.crosswalks lists "
                                 f"{have}" if have else
                                 f"{where}: at: crosswalk, but the road has no crosswalks; add "
                                 "road.crosswalks: [{x_m: ...}]")
            actor = self.actors.get(cross.actor)
            if actor is None or actor.type not in ("pedestrian", "cyclist"):
                raise ValueError(f"{where}: at: crosswalk is for a pedestrian or cyclist actor; "
                                 f"{cross.actor!r} is not one")
            if actor.x_m is not None or actor.ahead_of or actor.behind:
                raise ValueError(f"{where}: {cross.actor!r} stands at the crosswalk; remove "
                                 "its x_m/ahead_of/behind")
            if actor.speed_mps is not None and actor.speed_mps.to_raw() != 0:
                raise ValueError(f"{where}: {cross.actor!r} must wait at the crosswalk "
                                 "(no speed_mps) to cross there")
            if placed.setdefault(cross.actor, number) != number:
                raise ValueError(f"{where}: {cross.actor!r} already crosses at crosswalk "
                                 f"{placed[cross.actor]}")

    def crosswalk_of(self, actor: str) -> int | None:
        """Index into ``road.crosswalks`` where ``actor`` waits to cross, if an action says so."""
        for action in self.actions:
            cross = action.do.start_crossing
            if cross is not None and cross.at is not None and cross.actor == actor:
                return (cross.crosswalk or 1) - 1
        return None

    @property
    def ego_name(self) -> str:
        return self.ego or next(iter(self.actors))


class NearMissLevel(StrictModel):
    """Thresholds of one near-miss level; any one reached is enough."""

    ttc_s: float | None = Field(default=None, gt=0, description="min TTC at or below (s).")
    pet_s: float | None = Field(default=None, gt=0, description="min PET at or below (s).")
    drac_mps2: float | None = Field(default=None, gt=0, description="max DRAC at or above.")


def _default_levels() -> dict[str, NearMissLevel]:
    return {
        "critical": NearMissLevel(ttc_s=1.0, pet_s=0.5, drac_mps2=5.0),
        "serious": NearMissLevel(ttc_s=1.5, pet_s=1.0, drac_mps2=3.35),
        "potential": NearMissLevel(ttc_s=3.0, pet_s=2.0),
    }


class DrivingLabels(StrictModel):
    """Near-miss tiers (SSAM/SUMO-style defaults) and the TET threshold."""

    near_miss: dict[Literal["critical", "serious", "potential"], NearMissLevel] = Field(
        default_factory=_default_levels, description="Thresholds per level."
    )
    tet_tau_s: float = Field(default=2.0, gt=0, description="τ for time-exposed TTC (s).")
