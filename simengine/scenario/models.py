"""The common scenario model: the top-level keys every domain shares.

Everything domain-specific lives under ``world:`` (and ``labels:``) and is validated by the
domain's own models, looked up through the registry. All models are frozen, refuse unknown keys
and describe every field, so the JSON Schema doubles as the reference documentation.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from simengine.errors import ExpressionError, closest, describe_value
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
SCHEMA_VERSION = 1


def _error(message: str, *, sub: tuple = (), key: bool = False) -> PydanticCustomError:
    """A validation error with our own wording; ``sub`` points inside the value, ``key`` at the
    key of the mapping entry (see :mod:`simengine.scenario.locate`)."""
    return PydanticCustomError("simengine_model", "{message}",
                               {"message": message, "sub": sub, "key": key})


class StrictModel(BaseModel):
    """Frozen, unknown keys refused: the base of every scenario model."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class OneOf(StrictModel):
    """A choice written as a mapping with exactly one key (``do: {brake: {...}}``,
    ``wear: {weibull: {...}}``); the fields are the alternatives, ``choice`` names it in the
    error. A field set to ``False`` counts as not given."""

    choice: ClassVar[str] = "this"

    @model_validator(mode="after")
    def _exactly_one(self) -> OneOf:
        given = self._given()
        if len(given) != 1:
            raise ValueError(f"{self.choice} needs exactly one of "
                             f"{', '.join(type(self).model_fields)}; "
                             f"found {', '.join(given) or 'none'}")
        return self

    def _given(self) -> list[str]:
        return [k for k in type(self).model_fields if getattr(self, k) not in (None, False)]

    @property
    def kind(self) -> str:
        """The name of the alternative given."""
        return self._given()[0]

    @property
    def body(self) -> Any:
        """The alternative's value."""
        return getattr(self, self.kind)


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
        raise PydanticCustomError(
            "simengine_expr", "{message}", {"message": exc.first.message}
        ) from None


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

    @field_validator("params")
    @classmethod
    def _distinct(cls, params: tuple[str, ...]) -> tuple[str, ...]:
        for i, name in enumerate(params):
            if name in params[:i]:
                raise _error(f"param {name!r} appears twice in the group", sub=(i,))
        return params

    @field_validator("correlation")
    @classmethod
    def _check_matrix(
        cls, rows: tuple[tuple[float, ...], ...], info: ValidationInfo
    ) -> tuple[tuple[float, ...], ...]:
        import numpy as np

        params = info.data.get("params")
        n = len(params) if params is not None else len(rows)
        shape = f"{len(rows)} rows of {', '.join(sorted({str(len(r)) for r in rows})) or 0}"
        if len(rows) != n or any(len(r) != n for r in rows):
            raise _error(f"expected a {n}x{n} matrix (one row and column per param); "
                         f"found {shape}")
        m = np.asarray(rows, dtype=float)
        if not np.all(np.isfinite(m)):
            raise _error("expected finite numbers; found .inf or .nan")
        for i in range(n):
            if m[i, i] != 1.0:
                raise _error(f"expected 1 on the diagonal; found {m[i, i]:g} at row {i + 1}",
                             sub=(i, i))
            for j in range(i + 1, n):
                if not np.isclose(m[i, j], m[j, i]):
                    raise _error(f"expected a symmetric matrix; found {m[i, j]:g} at row "
                                 f"{i + 1}, column {j + 1} but {m[j, i]:g} at row {j + 1}, "
                                 f"column {i + 1}", sub=(j, i))
                if abs(m[i, j]) > 1:
                    raise _error(f"correlations must lie in [-1, 1]; found {m[i, j]:g} at row "
                                 f"{i + 1}, column {j + 1}", sub=(i, j))
        smallest = float(np.linalg.eigvalsh(m).min())
        if smallest <= 1e-10:
            raise _error(f"expected a positive definite matrix; found smallest eigenvalue "
                         f"{smallest:.3g} (these correlations contradict each other)")
        return rows


class OutputSpec(StrictModel):
    """One entry of ``outputs:``: a stream of the domain or a rendering preset.

    Written as a bare name (``trajectories``, ``dashcam-640``) or a mapping
    ``{stream: ...}`` / ``{preset: ..., <preset option overrides>}`` with selection keys.
    """

    model_config = ConfigDict(frozen=True, extra="allow")
    __hidden_keys__ = ("output",)  # set from a bare name, never written as a key

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

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> Any:
        data = {k: v for k, v in handler(self).items() if v is not None}
        return data["output"] if set(data) == {"output"} else data

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            return {"output": raw}
        if not isinstance(raw, dict):
            raise _error("expected a stream or preset name, or a mapping such as "
                         "{stream: NAME, only_if: ...} or {preset: NAME, ...}; "
                         f"found {describe_value(raw)}")
        if "output" in raw:
            raise _error("unknown key 'output': write {stream: NAME} or {preset: NAME}",
                         sub=("output",), key=True)
        return raw

    @model_validator(mode="after")
    def _one_kind(self) -> OutputSpec:
        keys = [k for k in type(self).model_fields if k != "output"]
        extra = list(self.model_extra or {})
        given = [k for k in ("output", "stream", "preset") if getattr(self, k) is not None]
        if not given:
            for key in extra:  # a misspelt 'stream' or 'preset' is the likely mistake
                hint = closest(key, ["stream", "preset"])
                if hint:
                    raise _error(f"unknown key {key!r} (did you mean {hint!r}?); an output "
                                 "needs 'stream' or 'preset'", sub=(key,), key=True)
            raise _error("an output needs 'stream' or 'preset' "
                         "(e.g. 'trajectories', {stream: trajectories} or {preset: dashcam-640})"
                         f"; found keys {', '.join(extra) or 'none'}")
        if len(given) != 1:
            raise _error("an output names exactly one of a stream or a preset; "
                         f"found both {' and '.join(given)}", sub=(given[-1],), key=True)
        if extra and self.preset is None:
            key = extra[0]
            hint = closest(key, keys)
            did = f" (did you mean {hint!r}?)" if hint else ""
            raise _error(f"unknown key {key!r}{did}; a stream output takes: "
                         f"{', '.join(k for k in keys if k != 'preset')} "
                         "(preset options need a preset)", sub=(key,), key=True)
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
            "simengine_range", "{message}",
            {"message": f"expected [low, high] with low <= high; found [{lo:g}, {hi:g}]"},
        )
    return (lo, hi)


def _expect_key(raw: Any) -> str:
    if not isinstance(raw, str):  # pragma: no cover - YAML keys are always text
        raise _error(f"expected an expression; found {describe_value(raw)}")
    try:
        parse_expression(raw)
    except ExpressionError as exc:
        raise _error(exc.first.message) from None
    return raw


ExpectKey = Annotated[str, PlainValidator(_expect_key),
                      WithJsonSchema({"type": "string", "description": "an expression"})]


def _param_name(raw: Any) -> str:
    import re

    if not isinstance(raw, str) or not re.match(PARAM_PATTERN, raw):
        raise _error(
            f"param name {raw!r} must start with a letter and hold only letters, digits and _ "
            "(it is used as $name and as a column name)"
        )
    return raw


ParamName = Annotated[str, PlainValidator(_param_name),
                      WithJsonSchema({"type": "string", "pattern": PARAM_PATTERN})]


def _schema_version(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw == SCHEMA_VERSION:
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        raise _error(f"unsupported schema_version {raw}: this simengine reads schema_version "
                     f"{SCHEMA_VERSION}")
    raise _error(f"expected {SCHEMA_VERSION}; found {describe_value(raw)}")


SchemaVersion = Annotated[Literal[1], PlainValidator(_schema_version),
                          WithJsonSchema({"const": SCHEMA_VERSION})]

Fraction = Annotated[float, Field(ge=0, le=1)]

ExpectRange = Annotated[
    tuple[float, float],
    PlainValidator(_expect_range),
    WithJsonSchema({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}),
]


class ScenarioSpec(StrictModel):
    """A scenario file, as validated. ``world`` and ``labels`` hold the domain's own models."""

    schema_version: SchemaVersion = Field(description="Version of the scenario format.")
    name: str = Field(pattern=NAME_PATTERN, description="Scenario name (lowercase, dashes).")
    description: str = Field(default="", description="What the scenario represents.")
    domain: str = Field(description="Registered domain that simulates it (simengine list).")
    duration_s: float = Field(gt=0, le=1e9, description="Simulated time per run (s).")
    step_hz: float | None = Field(
        default=None, gt=0, le=10000, description="Fixed step rate, for domains that step."
    )
    params: dict[ParamName, RunValue] = Field(
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
    expect: dict[ExpectKey, ExpectRange] = Field(
        default_factory=dict,
        description="Ranges for the mean of outcome expressions; built-ins are tested on them.",
    )
    split: dict[str, Fraction] = Field(
        default_factory=lambda: {"train": 0.8, "val": 0.1, "test": 0.1},
        description="Fractions of runs per split (assigned per run from its key).",
    )

    def to_data(self) -> dict[str, Any]:
        """The spec as plain YAML data (what :func:`dump_yaml` writes): loading it again gives
        an equal spec."""
        return self.model_dump(mode="python", exclude_none=True, warnings=False)

    @field_validator("split")
    @classmethod
    def _split_fractions(cls, split: dict[str, float]) -> dict[str, float]:
        if not split:
            raise ValueError("split needs at least one name, e.g. {train: 1.0}")
        total = sum(split.values())
        if not math.isfinite(total) or abs(total - 1.0) > 1e-6:
            shown = " + ".join(f"{v:g}" for v in split.values())
            if len(split) > 1:
                shown += f" = {total:g}"
            raise ValueError(f"fractions must sum to 1; found {shown}")
        return split
