"""What a maintenance scenario's ``world:`` and ``labels:`` may say.

Time inside the domain is in hours (``*_h``); the run lasts the scenario's ``duration_s``. A run
is one plant: machine types with a count each, components on them that wear out, operating
regimes, a maintenance organisation (policy, crews, spares, imperfect repair) and sensors.

Degradation happens in *effective* hours: a machine ages at rate ``regime.accel × Arrhenius ×
humidity × cascade load`` per hour of running, and not at all while it is down. Every number of a
wear model, repair time or lead time is an entity value, drawn inside the simulation per
component life or per action (a ``$param`` binds it to a run parameter).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simengine.scenario.models import OneOf, StrictModel
from simengine.scenario.values import value_field

__all__ = [
    "BearingSpec",
    "ComponentSpec",
    "MachineSpec",
    "MaintenanceLabels",
    "MaintenanceSpec",
    "MaintenanceWorld",
    "WearSpec",
]

EPositive = value_field(scope="entity", gt=0)
ENonNegative = value_field(scope="entity", ge=0)


class WeibullWear(StrictModel):
    """Hazard h(τ) = (β/η)(τ/η)^(β−1) in effective age τ; failure when the cumulative hazard
    since the last renewal reaches an Exp(1) draw (so T = η(−ln U)^(1/β) for a new part)."""

    shape: EPositive = Field(description="β, the Weibull shape.")  # type: ignore[valid-type]
    scale_h: EPositive = Field(description="η, the scale (effective hours).")  # type: ignore[valid-type]


class GammaWear(StrictModel):
    """Monotone wear X: increments over Δτ ~ Gamma(shape_per_h·Δτ, scale), with mean
    ``mean_rate_per_h``·Δτ; failure when X ≥ ``threshold``."""

    mean_rate_per_h: EPositive = Field(description="Mean wear per effective hour.")  # type: ignore[valid-type]
    shape_per_h: EPositive = Field(description="Gamma shape per effective hour.")  # type: ignore[valid-type]
    threshold: float = Field(default=1.0, gt=0, description="Failure level of X.")


class WienerWear(StrictModel):
    """X(τ) = μτ + σB(τ); failure at the first passage of ``threshold`` (inverse Gaussian with
    mean D/μ and shape D²/σ² from a new part)."""

    drift_per_h: EPositive = Field(description="μ, drift per effective hour.")  # type: ignore[valid-type]
    sigma_per_sqrt_h: EPositive = Field(description="σ, diffusion per √hour.")  # type: ignore[valid-type]
    threshold: float = Field(default=1.0, gt=0, description="D, failure level of X.")


class ParisWear(StrictModel):
    """Fatigue crack: da/dN = C·(ΔK)^m, ΔK = Y·Δσ·√(πa) (MPa√m); failure at the critical
    crack length. ``cycles_per_h`` load cycles per effective hour."""

    c: EPositive = Field(description="C, in m/cycle/(MPa√m)^m.")  # type: ignore[valid-type]
    m: float = Field(default=3.0, gt=0, description="Paris exponent m.")
    geometry_factor: float = Field(default=1.12, gt=0, description="Y (edge crack: 1.12).")
    stress_range_mpa: EPositive = Field(description="Δσ, stress range (MPa).")  # type: ignore[valid-type]
    initial_crack_m: EPositive = Field(description="a0, initial crack length (m).")  # type: ignore[valid-type]
    critical_crack_m: float = Field(gt=0, description="a_c, critical crack length (m).")
    cycles_per_h: float = Field(default=3600.0, gt=0, description="Load cycles per hour.")


class ExponentialHealth(StrictModel):
    """C-MAPSS-style health e(τ) = 1 − d − (exp(a·τ^b) − 1): initial wear d, then an
    exponential decline; failure at e ≤ 0. (The −1 makes e(0) = 1 − d.)"""

    initial_wear: ENonNegative = Field(default=0.0, description="d, wear at installation.")  # type: ignore[valid-type]
    a: EPositive = Field(description="a, the rate coefficient.")  # type: ignore[valid-type]
    b: EPositive = Field(description="b, the exponent on effective hours.")  # type: ignore[valid-type]


class WearSpec(OneOf):
    """Exactly one degradation model."""

    choice = "wear:"

    weibull: WeibullWear | None = None
    gamma_process: GammaWear | None = None
    wiener: WienerWear | None = None
    paris: ParisWear | None = None
    exponential_health: ExponentialHealth | None = None

    @property
    def kind(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)

    @property
    def body(self) -> StrictModel:
        return getattr(self, self.kind)


class BearingSpec(StrictModel):
    """Rolling-element bearing geometry; defaults: SKF 6205 (CWRU drive end)."""

    balls: int = Field(default=9, ge=3, description="n, number of rolling elements.")
    ball_diameter_mm: float = Field(default=7.94, gt=0, description="d (mm).")
    pitch_diameter_mm: float = Field(default=39.04, gt=0, description="D (mm).")
    contact_angle_deg: float = Field(default=0.0, ge=0, lt=90, description="α (degrees).")


class ComponentSpec(StrictModel):
    """A wearing part on every machine of one type."""

    on: str = Field(description="Machine type it sits on.")
    wear: WearSpec = Field(description="Degradation model.")
    fault: str = Field(description="Fault-mode label when it degrades or fails "
                       "(bearings: outer_race, inner_race, ball, cage).")
    bearing: BearingSpec | None = Field(default=None, description="Geometry (bearing faults).")
    spare: str | None = Field(default=None, description="Spare pool consumed by a repair.")
    onset_health: float = Field(default=0.7, gt=0, lt=1,
                                description="Health below which the fault is present (label).")
    repair_h: EPositive | None = Field(default=None, description="Repair time; default: "  # type: ignore[valid-type]
                                       "maintenance.repair_h.")


class SensorSpec(StrictModel):
    """A channel (its name carries the unit: ``temperature_c``, ``current_a``): value = base +
    per_load·load + per_ambient·(ambient − 15 °C) + Σ per_damage[c]·(1 − health_c) + regime
    offset + noise. A stopped machine reads base + ambient term + noise."""

    base: float = Field(default=0.0, description="Value at no load, new parts, 15 °C.")
    per_load: float = Field(default=0.0, description="Added at full load (load = 1).")
    per_ambient: float = Field(default=0.0, description="Per °C of ambient above 15 °C.")
    per_damage: dict[str, float] = Field(default_factory=dict,
                                         description="Component → added at failure.")
    per_regime: dict[str, float] = Field(default_factory=dict,
                                         description="Regime name → offset.")
    noise_std: float = Field(default=0.0, ge=0, description="Gaussian noise std.")


class SensorFaultSpec(StrictModel):
    """Faults of the sensors themselves, injected into recorded channels and labeled."""

    per_year: float = Field(gt=0, description="Faults per machine-year (Poisson).")
    kinds: dict[Literal["drift", "stuck", "dropout", "spike"], float] = Field(
        default_factory=lambda: {"drift": 0.25, "stuck": 0.25, "dropout": 0.25, "spike": 0.25},
        description="Kind → weight.")
    duration_h: EPositive = Field(default=48.0, description="How long one fault lasts.")  # type: ignore[valid-type]
    drift_per_h: float = Field(default=0.05, description="Drift: added per hour, × channel std.")
    spike_size: float = Field(default=8.0, gt=0, description="Spike: size in channel stds.")


class RegimeSpec(StrictModel):
    """An operating condition."""

    name: str = Field(description="Regime name (label).")
    accel: float = Field(default=1.0, gt=0, description="Ageing rate factor.")
    load: float = Field(default=1.0, ge=0, description="Load, fraction of rated.")
    share: float = Field(default=1.0, ge=0, description="Weight when switching at random.")
    settings: dict[str, float] = Field(default_factory=dict,
                                       description="Operating settings recorded as columns.")


class ProfileStep(StrictModel):
    regime: str = Field(description="Regime name.")
    hours: float | None = Field(default=None, gt=0, description="Duration; none: to the end.")


class OperationSpec(StrictModel):
    """Regimes and how they switch: at random every ``switch_every_h`` (by share), or by a fixed
    calendar ``profile``."""

    regimes: tuple[RegimeSpec, ...] = Field(min_length=1, description="Operating regimes.")
    switch_every_h: float | None = Field(default=None, gt=0, description="Random switching.")
    profile: tuple[ProfileStep, ...] = Field(default=(), description="Fixed schedule.")

    @model_validator(mode="after")
    def _check(self) -> OperationSpec:
        names = [r.name for r in self.regimes]
        for step in self.profile:
            if step.regime not in names:
                raise ValueError(f"profile: unknown regime {step.regime!r}; regimes: "
                                 f"{', '.join(names)}")
        if self.switch_every_h is not None and self.profile:
            raise ValueError("give switch_every_h or profile, not both")
        return self


class ThermalSpec(StrictModel):
    """Temperature and humidity acceleration (Arrhenius, Peck) and overheating."""

    activation_energy_ev: float = Field(default=0.0, ge=0, description="Ea (eV); 0: none.")
    reference_c: float = Field(default=40.0, description="Operating temperature with factor 1.")
    self_heating_c: float = Field(default=25.0, description="Rise above ambient at full load.")
    humidity_exponent: float = Field(default=0.0, ge=0, description="Peck n; 0: none.")
    reference_humidity_pct: float = Field(default=60.0, gt=0, le=100)
    max_temperature_c: float = Field(default=90.0, description="Above this: overheating hours.")


class VibrationSpec(StrictModel):
    """Raw accelerometer windows (stream ``vibration``)."""

    rate_hz: float = Field(default=12000.0, gt=0, description="Sampling rate.")
    window_s: float = Field(default=0.5, gt=0, description="Window length.")
    every_h: float = Field(default=24.0, gt=0, description="One window per this many hours.")
    resonance_hz: float = Field(default=3000.0, gt=0, description="Structural resonance.")
    damping: float = Field(default=0.05, gt=0, lt=1, description="Damping ratio ζ.")
    impulse_g: float = Field(default=2.0, gt=0, description="Impulse size at failure (g).")
    slip: float = Field(default=0.015, ge=0, lt=0.1, description="Random slip (fraction).")
    noise_g: float = Field(default=0.05, ge=0, description="Background noise std (g).")


class CascadeSpec(StrictModel):
    """When a machine is down its partner carries its load and ages faster."""

    partner: Literal["next", "all"] = Field(default="next",
                                            description="Next machine (ring), or all others.")
    load_factor: float = Field(default=1.5, gt=0, description="Ageing factor on partners.")


class MachineSpec(StrictModel):
    """A machine type and how many of it the plant has."""

    count: int = Field(ge=1, le=5000, description="Number of machines.")
    sample_every_s: float = Field(default=3600.0, gt=0, description="Sensor sampling period.")
    sensors: dict[str, SensorSpec] = Field(default_factory=dict, description="Channels.")
    operation: OperationSpec | None = Field(default=None, description="Regimes.")
    thermal: ThermalSpec | None = Field(default=None, description="Thermal acceleration.")
    production_per_h: float = Field(default=1.0, ge=0, description="Output units per hour up.")
    shaft_speed_rpm: float = Field(default=1797.0, gt=0, description="Shaft speed.")
    vibration: VibrationSpec | None = Field(default=None, description="kHz vibration windows.")
    sensor_faults: SensorFaultSpec | None = Field(default=None, description="Sensor faults.")
    cascade: CascadeSpec | None = Field(default=None, description="Load sharing on failure.")


class AlarmSpec(StrictModel):
    """An alarm limit on a measured channel: the recorded value — noise and sensor faults
    included, as the plant's monitoring sees it — beyond the limit raises an alarm."""

    channel: str = Field(description="A channel declared under the machine's sensors:.")
    above: float | None = Field(default=None, description="Alarm when the value exceeds this.")
    below: float | None = Field(default=None, description="Alarm when the value falls below.")

    @model_validator(mode="after")
    def _one_limit(self) -> AlarmSpec:
        if (self.above is None) == (self.below is None):
            raise ValueError(f"alarm on {self.channel!r} needs exactly one of above, below")
        return self


class PolicySpec(StrictModel):
    """When maintenance happens besides repairing failures. ``time_based``: replace every part
    at a fixed operating (effective) age ``every_h``; ``condition_based``: act on ``alarms``
    (limits on measured channels, read at inspections or, ``online``, on every sample) or on
    ``health_below`` (the true part health: an oracle no real plant has);
    ``opportunistic_health_below``: while a machine is down anyway, also replace its parts
    whose health a technician finds below this level."""

    kind: Literal["run_to_failure", "time_based", "condition_based"] = Field(
        default="run_to_failure", description="Policy.")
    every_h: float | None = Field(default=None, gt=0, description="time_based: interval.")
    health_below: float | None = Field(default=None, gt=0, lt=1,
                                       description="condition_based on true health: level.")
    alarms: tuple[AlarmSpec, ...] = Field(default=(), description="condition_based on "
                                          "measured channels: alarm limits (any one fires).")
    inspect_every_h: float = Field(default=24.0, gt=0, description="Inspection period (a "
                                   "multiple of the sample period for alarms).")
    online: bool = Field(default=False, description="alarms: read every sample, not only at "
                         "inspections.")
    opportunistic_health_below: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _check(self) -> PolicySpec:
        if self.kind == "time_based" and self.every_h is None:
            raise ValueError("time_based needs every_h")
        if self.kind == "condition_based" and (self.health_below is None) == (not self.alarms):
            raise ValueError("condition_based needs exactly one of health_below (true health) "
                             "and alarms (measured channels)")
        if self.kind != "condition_based" and self.alarms:
            raise ValueError(f"alarms act only with kind: condition_based (found {self.kind})")
        return self


class SpareSpec(StrictModel):
    """A spare-part pool: one-for-one replenishment after a lead time."""

    stock: int = Field(ge=0, description="Parts on the shelf at the start.")
    lead_time_h: EPositive = Field(description="Delivery time of a reorder.")  # type: ignore[valid-type]


class RepairSpec(StrictModel):
    """Imperfect corrective repair (Kijima), for every degradation model: age models (Weibull,
    exponential health) get a virtual age, type I v = v_prev + q·x (x: age gained since the
    last repair), type II v = q·(v_prev + x); wear models (Gamma, Wiener, Paris) keep a damage
    D = 1 − health, type I D = D_prev + q·(D_fail − D_prev), type II D = q·D_fail. q = 0
    installs a new part; q > 0 repairs the same part (same model parameters)."""

    kijima: Literal[1, 2] = Field(default=1, description="Type I or II.")
    q: float = Field(default=0.0, ge=0, le=1, description="0: as good as new; 1: as bad as old "
                     "(Weibull only: other models would restart at their failure level).")


class MaintenanceSpec(StrictModel):
    """The maintenance organisation."""

    policy: PolicySpec = Field(default_factory=PolicySpec, description="Maintenance policy.")
    crews: int | None = Field(default=None, ge=1, description="Repair crews; none: unlimited.")
    spares: dict[str, SpareSpec] = Field(default_factory=dict, description="Spare pools.")
    repair: RepairSpec = Field(default_factory=RepairSpec, description="Corrective repair.")
    repair_h: EPositive = Field(default=8.0, description="Corrective repair time.")  # type: ignore[valid-type]
    preventive_h: EPositive = Field(default=4.0, description="Preventive action time.")  # type: ignore[valid-type]


class MaintenanceWorld(StrictModel):
    """Machines, their components, and the maintenance organisation."""

    machines: dict[str, MachineSpec] = Field(min_length=1, description="Machine types.")
    components: dict[str, ComponentSpec] = Field(min_length=1, description="Wearing parts.")
    maintenance: MaintenanceSpec = Field(default_factory=MaintenanceSpec)
    ambient: dict[Literal["daily_amplitude_c", "seasonal_amplitude_c", "start_day"], float] = (
        Field(default_factory=dict, description="Ambient temperature cycle (see thermal)."))

    @model_validator(mode="after")
    def _references(self) -> MaintenanceWorld:
        self._check_alarms()
        if self.maintenance.repair.q >= 1.0:
            for name, comp in self.components.items():
                if comp.wear.kind != "weibull":
                    raise ValueError(
                        f"maintenance.repair.q: q = 1 (as bad as old) would restart component "
                        f"{name!r} ({comp.wear.kind}) at its failure level, so it would fail "
                        f"again at once; use q < 1 (only Weibull parts have a minimal repair)")
        for name, comp in self.components.items():
            if comp.on not in self.machines:
                raise ValueError(f"component {name!r}: unknown machine type {comp.on!r}; "
                                 f"machines: {', '.join(self.machines)}")
            if comp.spare is not None and comp.spare not in self.maintenance.spares:
                raise ValueError(f"component {name!r}: unknown spare pool {comp.spare!r}")
        for mname, m in self.machines.items():
            own = {c for c, s in self.components.items() if s.on == mname}
            if not own:
                raise ValueError(f"machine type {mname!r} has no component")
            regimes = {r.name for r in m.operation.regimes} if m.operation else set()
            for ch, s in m.sensors.items():
                for c in s.per_damage:
                    if c not in own:
                        raise ValueError(f"sensor {mname}.{ch}: {c!r} is not a component of "
                                         f"{mname!r}")
                for r in s.per_regime:
                    if r not in regimes:
                        raise ValueError(f"sensor {mname}.{ch}: unknown regime {r!r}")
        return self

    def _check_alarms(self) -> None:
        policy = self.maintenance.policy
        for a, alarm in enumerate(policy.alarms):
            for mname, m in self.machines.items():
                if alarm.channel not in m.sensors:
                    raise ValueError(
                        f"maintenance.policy.alarms.{a}.channel: unknown channel "
                        f"{alarm.channel!r} on machine type {mname!r}; its channels: "
                        f"{', '.join(m.sensors) or 'none'}")
                period_h = m.sample_every_s / 3600.0
                ratio = policy.inspect_every_h / period_h
                if not policy.online and abs(ratio - round(ratio)) > 1e-9 * max(ratio, 1.0):
                    raise ValueError(
                        f"maintenance.policy.inspect_every_h: {policy.inspect_every_h:g} h is "
                        f"not a multiple of the sample period of machine type {mname!r} "
                        f"({period_h:g} h); an inspection reads a recorded sample")

    def components_of(self, machine: str) -> list[str]:
        return [c for c, s in self.components.items() if s.on == machine]


class MaintenanceLabels(StrictModel):
    """Label settings."""

    rul_cap_h: float = Field(default=1e6, gt=0, description="Cap of rul_h (C-MAPSS uses 125).")
