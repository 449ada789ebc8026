"""The common scenario model: the top-level keys every domain shares.

Everything domain-specific lives under ``world:`` (and ``labels:``) and is validated by the
domain's own models, looked up through the registry. All models are frozen, refuse unknown keys
and describe every field, so the JSON Schema doubles as the reference documentation.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from simengine.errors import ExpressionError, describe_value
from simengine.scenario.expressions import Expression, parse_expression
from simengine.scenario.values import RunValue, value_field

__all__ = [
    "ROAD_STATES",
    "CorrelatedGroup",
    "Expr",
    "OutputSpec",
    "RareEvent",
    "ScenarioSpec",
    "StrictModel",
    "Weather",
    "WeatherEvent",
]

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
PARAM_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
ROAD_STATES = ("dry", "wet", "snow", "ice")


class StrictModel(BaseModel):
    """Frozen, unknown keys refused: the base of every scenario model."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


def _parse_expr(raw: Any) -> Expression:
    if isinstance(raw, Expression):
        return raw
    if not isinstance(raw, str):
        raise PydanticCustomError(
            "simengine_expr",
            "{message}",
            {"message": f"expected an expression string; found {describe_value(raw)}"},
        )
    try:
        return parse_expression(raw)
    except ExpressionError as exc:
        raise PydanticCustomError("simengine_expr", "{message}", {"message": exc.first.message})


Expr = Annotated[
    Expression,
    PlainValidator(_parse_expr),
    PlainSerializer(lambda e: e.source, return_type=str),
    WithJsonSchema({"type": "string", "description": "an expression in the safe language"}),
]
"""A field holding an expression in the safe language (see :mod:`expressions`)."""


class WeatherEvent(StrictModel):
    """A timed or located weather event (fog bank, heat wave, storm)."""

    kind: Literal["fog_bank", "heat_wave", "storm", "rain_burst", "snow_burst"] = Field(
        description="What happens."
    )
    start_s: RunValue = Field(default=0.0, description="When it starts, seconds into the run.")
    duration_s: RunValue | None = Field(default=None, description="How long it lasts (s).")
    from_m: RunValue | None = Field(default=None, description="Where it starts along the road.")
    to_m: RunValue | None = Field(default=None, description="Where it ends along the road.")
    visibility_m: value_field(gt=0) | None = Field(  # type: ignore[valid-type]
        default=None, description="Meteorological optical range inside the event (m)."
    )
    rain_mm_h: value_field(ge=0) | None = Field(  # type: ignore[valid-type]
        default=None, description="Rain rate inside the event (mm/h)."
    )
    snow_mm_h: value_field(ge=0) | None = Field(  # type: ignore[valid-type]
        default=None, description="Snowfall rate, water equivalent (mm/h)."
    )
    temperature_c: RunValue | None = Field(
        default=None, description="Air temperature at the event's peak (°C)."
    )


class Weather(StrictModel):
    """One physical weather state shared by every domain; each uses what it understands."""

    road: value_field(kind="category", choices=ROAD_STATES) | None = Field(  # type: ignore[valid-type]
        default=None, description="Road surface: dry, wet, snow or ice."
    )
    visibility_m: value_field(gt=0) | None = Field(  # type: ignore[valid-type]
        default=None, description="Meteorological optical range (m); .inf for clear air."
    )
    rain_mm_h: value_field(ge=0) | None = Field(  # type: ignore[valid-type]
        default=None, description="Rain rate (mm/h)."
    )
    snow_mm_h: value_field(ge=0) | None = Field(  # type: ignore[valid-type]
        default=None, description="Snowfall rate, water equivalent (mm/h)."
    )
    temperature_c: RunValue | None = Field(default=None, description="Air temperature (°C).")
    humidity_pct: value_field(ge=0, le=100) | None = Field(  # type: ignore[valid-type]
        default=None, description="Relative humidity (%)."
    )
    sun_elevation_deg: value_field(ge=-90, le=90) | None = Field(  # type: ignore[valid-type]
        default=None, description="Sun elevation (degrees); below -6 is night."
    )
    wind_mps: value_field(ge=0) | None = Field(  # type: ignore[valid-type]
        default=None, description="Wind speed (m/s)."
    )
    events: tuple[WeatherEvent, ...] = Field(
        default=(), description="Timed or located weather events."
    )


class CorrelatedGroup(StrictModel):
    """Declared parameters drawn jointly through a Gaussian copula."""

    params: tuple[str, ...] = Field(min_length=2, description="Names of declared params.")
    correlation: tuple[tuple[float, ...], ...] = Field(
        description="Correlation matrix (symmetric, unit diagonal, positive definite)."
    )

    @model_validator(mode="after")
    def _check_matrix(self) -> CorrelatedGroup:
        import numpy as np

        n = len(self.params)
        m = np.asarray(self.correlation, dtype=float)
        if m.shape != (n, n):
            raise ValueError(f"correlation must be {n}x{n} for {n} params; found shape {m.shape}")
        if not np.allclose(m, m.T) or not np.allclose(np.diag(m), 1.0):
            raise ValueError("correlation must be symmetric with 1 on the diagonal")
        if np.any(np.abs(m) > 1) or np.linalg.eigvalsh(m).min() <= 1e-10:
            raise ValueError("correlation matrix must be positive definite")
        if len(set(self.params)) != n:
            raise ValueError("a param appears twice in the group")
        return self


class OutputSpec(StrictModel):
    """One entry of ``outputs:``: a stream of the domain or a rendering preset.

    Written as a bare name (``trajectories``, ``dashcam-640``) or a mapping
    ``{stream: ...}`` / ``{preset: ..., <preset option overrides>}`` with selection keys.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    output: str | None = Field(
        default=None, description="A bare name: a stream if the domain has it, else a preset."
    )
    stream: str | None = Field(default=None, description="A stream declared by the domain.")
    preset: str | None = Field(
        default=None, description="A preset name (renderers/) or a path to a preset file."
    )
    name: str | None = Field(
        default=None, pattern=NAME_PATTERN, description="Folder name; defaults to the output's."
    )
    only_if: Expr | None = Field(
        default=None, description="Record only runs whose outcomes satisfy this expression."
    )
    every_s: float | None = Field(
        default=None, gt=0, description="Rendering: keep one frame every this many seconds."
    )
    frames_if: Expr | None = Field(
        default=None, description="Rendering: keep frames whose per-frame columns satisfy this."
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, raw: Any) -> Any:
        return {"output": raw} if isinstance(raw, str) else raw

    @model_validator(mode="after")
    def _one_kind(self) -> OutputSpec:
        given = [k for k in ("output", "stream", "preset") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "an output names exactly one of a stream or a preset "
                "(e.g. 'trajectories' or {preset: dashcam-640}); "
                f"found {', '.join(given) or 'neither'}"
            )
        if self.model_extra and self.preset is None:
            keys = ", ".join(sorted(self.model_extra))
            raise ValueError(f"unknown key(s) {keys}: option overrides need a preset")
        return self

    @property
    def options(self) -> dict[str, Any]:
        """Overrides of the preset's options."""
        return dict(self.model_extra or {})


class RareEvent(StrictModel):
    """The rare event whose probability ``simengine estimate`` targets."""

    event: Expr = Field(description="Expression over outcome columns that defines the event.")
    method: Literal["naive", "ce", "subset"] = Field(
        default="subset", description="naive Monte Carlo, cross-entropy IS, subset simulation."
    )
    budget: int = Field(default=20000, gt=0, description="Maximum number of simulated runs.")
    level_probability: float = Field(
        default=0.1, gt=0, lt=1, description="Subset simulation: p0, the fraction kept per level."
    )
    target_cov: float | None = Field(
        default=None, gt=0, description="Stop when the estimate's coefficient of variation ≤ this."
    )


def _expect_range(raw: Any) -> tuple[float, float]:
    ok = (
        isinstance(raw, list | tuple)
        and len(raw) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
    )
    if not ok:
        raise PydanticCustomError(
            "simengine_range",
            "{message}",
            {"message": f"expected [low, high]; found {describe_value(raw)}"},
        )
    lo, hi = float(raw[0]), float(raw[1])
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        raise PydanticCustomError(
            "simengine_range", "{message}", {"message": f"range [{lo}, {hi}] is reversed"}
        )
    return (lo, hi)


ExpectRange = Annotated[
    tuple[float, float],
    PlainValidator(_expect_range),
    WithJsonSchema({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}),
]


class ScenarioSpec(StrictModel):
    """A scenario file, as validated. ``world`` and ``labels`` hold the domain's own models."""

    schema_version: Literal[1] = Field(description="Version of the scenario format.")
    name: str = Field(pattern=NAME_PATTERN, description="Scenario name (lowercase, dashes).")
    description: str = Field(default="", description="What the scenario represents.")
    domain: str = Field(description="Registered domain that simulates it (simengine list).")
    duration_s: float = Field(gt=0, le=1e9, description="Simulated time per run (s).")
    step_hz: float | None = Field(
        default=None, gt=0, le=10000, description="Fixed step rate, for domains that step."
    )
    params: dict[str, RunValue] = Field(
        default_factory=dict, description="Declared run-scope parameters: name -> value."
    )
    correlated: tuple[CorrelatedGroup, ...] = Field(
        default=(), description="Groups of params drawn through a Gaussian copula."
    )
    weather: Weather = Field(default_factory=Weather, description="Physical weather state.")
    world: Any = Field(default=None, description="Domain-specific world (see the domain).")
    labels: Any = Field(default=None, description="Domain-specific label settings.")
    outputs: tuple[OutputSpec, ...] = Field(
        default=(), description="Streams and rendering presets to record besides episodes."
    )
    rare_event: RareEvent | None = Field(default=None, description="The rare event of interest.")
    expect: dict[str, ExpectRange] = Field(
        default_factory=dict,
        description="Ranges for the mean of outcome expressions; built-ins are tested on them.",
    )
    split: dict[str, float] = Field(
        default_factory=lambda: {"train": 0.8, "val": 0.1, "test": 0.1},
        description="Fractions of runs per split (assigned per run from its key).",
    )

    @field_validator("params")
    @classmethod
    def _param_names(cls, params: dict[str, Any]) -> dict[str, Any]:
        import re

        for name in params:
            if not re.match(PARAM_PATTERN, name):
                raise ValueError(
                    f"param name {name!r} must start with a letter and hold only letters, "
                    "digits and _ (it is used as $name and as a column name)"
                )
        return params

    @field_validator("split")
    @classmethod
    def _split_fractions(cls, split: dict[str, float]) -> dict[str, float]:
        if not split:
            raise ValueError("split needs at least one name, e.g. {train: 1.0}")
        if any(v < 0 for v in split.values()):
            raise ValueError("split fractions must be >= 0")
        total = sum(split.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"split fractions must sum to 1; found {total:g}")
        return split

    @field_validator("expect")
    @classmethod
    def _expect_keys(cls, expect: dict[str, Any]) -> dict[str, Any]:
        for key in expect:
            try:
                parse_expression(key)
            except ExpressionError as exc:
                raise ValueError(f"expect key {key!r}: {exc.first.message}") from None
        return expect
