"""What a driving scenario's ``world:`` and ``labels:`` may say.

Coordinates: the road runs along +x; lanes are numbered 1..N from the right, lane k's centre at
``y = (k - 0.5) * lane_width_m``; the right shoulder is at negative y, the far side beyond the
last lane. Headings are radians, 0 along +x, counter-clockwise. Every number is a value (a
constant, a distribution or a ``$param``), drawn once per run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simengine.scenario.models import Expr, OneOf, StrictModel
from simengine.scenario.values import EntityValue, RunValue, value_field

__all__ = [
    "ActionSpec",
    "ActorSpec",
    "AebSpec",
    "DriverSpec",
    "DrivingLabels",
    "DrivingWorld",
    "IdmSpec",
    "RoadSpec",
    "StaticSpec",
]

Positive = value_field(gt=0)
NonNegative = value_field(ge=0)
ActorType = Literal["car", "truck", "motorcycle", "cyclist", "pedestrian"]
Group = Literal["adult", "child", "elderly", "wheelchair"]


class RoadSpec(StrictModel):
    """A straight multi-lane road."""

    type: Literal["highway", "urban"] = Field(default="highway", description="Road kind.")
    lanes: int = Field(default=3, ge=1, le=8, description="Number of lanes (1 = rightmost).")
    lane_width_m: float = Field(default=3.6, gt=2, le=6, description="Lane width (m).")
    length_m: float = Field(default=2000.0, gt=0, description="Road length (m).")
    speed_limit_mps: float = Field(default=33.3, gt=0, description="Speed limit (m/s).")
    shoulder_m: float = Field(default=2.5, ge=0, description="Right shoulder width (m).")


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
    actor: str = Field(description="Pedestrian or cyclist who starts crossing the road.")
    speed_mps: Positive | None = Field(default=None, description="Default: walk_speed_mps.")  # type: ignore[valid-type]


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
        return self

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
