"""The one field type for every numeric (or categorical) quantity in a scenario.

A value is written as a constant (``25``, ``wet``), a reference to a declared parameter
(``$ego_speed_mps``) or a distribution (``{uniform: [22, 33]}``, whose arguments may themselves
be references). Each field declares its *scope*:

* ``run`` — drawn once per run by the sampler. An inline distribution is hoisted into the
  parameter table under its dotted path and becomes an episode column, so importance sampling
  can tilt it and calibration can fit it.
* ``entity`` — drawn inside the simulation from the run's simulation key, as often as the
  simulation needs (a repair time per repair). Its distribution is kept as a spec for the domain.

Domain models use :func:`value_field` (or the ready-made :data:`RunValue`, :data:`EntityValue`)
for every such field; the loader and sampler find them by walking the validated model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from simengine.errors import describe_value
from simengine.scenario.distributions import DISTRIBUTIONS, Distribution, parse_distribution

__all__ = [
    "Const",
    "Dist",
    "EntityValue",
    "Ref",
    "RunValue",
    "Scope",
    "ValueKind",
    "ValueSpec",
    "parse_value",
    "value_field",
]

Scope = Literal["run", "entity"]
ValueKind = Literal["number", "integer", "category"]
_REF = re.compile(r"^\$([A-Za-z][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class ValueSpec:
    """Base of the three value forms. ``scope`` and ``kind`` come from the owning field."""

    scope: Scope
    kind: ValueKind

    @property
    def refs(self) -> frozenset[str]:
        """Names of the parameters this value refers to."""
        return frozenset()

    @property
    def is_random(self) -> bool:
        return False

    def to_raw(self) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Const(ValueSpec):
    """A fixed number or category."""

    value: float | int | str

    def to_raw(self) -> Any:
        return self.value


@dataclass(frozen=True)
class Ref(ValueSpec):
    """``$name``: the value of a declared parameter."""

    name: str

    @property
    def refs(self) -> frozenset[str]:
        return frozenset({self.name})

    def to_raw(self) -> Any:
        return f"${self.name}"


@dataclass(frozen=True)
class Dist(ValueSpec):
    """A distribution, possibly with ``$name`` references among its arguments."""

    raw: Mapping[str, Any]
    name: str
    params: Mapping[str, Any]
    truncate: tuple[Any, Any] | None

    def __hash__(self) -> int:  # raw mappings are not hashable; identity of the text suffices
        return hash((self.scope, self.name, repr(self.raw)))

    @property
    def refs(self) -> frozenset[str]:
        found: set[str] = set()
        _collect_refs(self.params, found)
        _collect_refs(self.truncate, found)
        return frozenset(found)

    @property
    def is_random(self) -> bool:
        return self.name != "const"

    def to_raw(self) -> Any:
        return _plain(self.raw)

    def build(self, resolve: Callable[[str], Any] | None = None) -> Distribution:
        """Construct the distribution, substituting each ``$name`` by ``resolve(name)`` (an array
        with one value per run, or a number). Raises ValueError for invalid numbers."""
        params = _substitute(self.params, resolve)
        truncate = _substitute(self.truncate, resolve)
        return DISTRIBUTIONS[self.name](truncate=truncate, **params)


def _collect_refs(obj: Any, found: set[str]) -> None:
    if isinstance(obj, str):
        m = _REF.match(obj)
        if m:
            found.add(m.group(1))
    elif isinstance(obj, Mapping):
        for v in obj.values():
            _collect_refs(v, found)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _collect_refs(v, found)


def _substitute(obj: Any, resolve: Callable[[str], Any] | None) -> Any:
    if isinstance(obj, str):
        m = _REF.match(obj)
        if m:
            if resolve is None:
                raise ValueError(f"reference ${m.group(1)} needs a value")
            return resolve(m.group(1))
        return obj
    if isinstance(obj, Mapping):
        return {k: _substitute(v, resolve) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute(v, resolve) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_substitute(v, resolve) for v in obj)
    return obj


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _fail(message: str, sub: tuple[str | int, ...] = (), *, key: bool = False
          ) -> PydanticCustomError:
    """A validation error with our wording; ``sub`` is where inside the value the problem sits
    (the located message points there when the file has it), ``key`` points at a mapping key."""
    return PydanticCustomError("simengine_value", "{message}",
                               {"message": message, "sub": sub, "key": key})


_DIST_MESSAGE = re.compile(r"^([a-z_]+): ([a-z_]+)\b")


def _dist_fail(message: str, raw: Mapping[str, Any]) -> PydanticCustomError:
    """A distribution error located at the argument it names (``normal: std must be > 0``
    points at ``std``) when it names one."""
    keys = [k for k in raw if k != "truncate"]
    if message.startswith("unknown distribution") and keys:
        return _fail(message, (keys[0],), key=True)
    m = _DIST_MESSAGE.match(message)
    if m is None or m.group(1) not in raw:
        return _fail(message)
    name, arg = m.groups()
    if arg == "truncate" and "truncate" in raw:
        return _fail(message, ("truncate",))
    args = raw[name]
    if isinstance(args, Mapping) and arg in args:
        return _fail(message, (name, arg))
    form = getattr(DISTRIBUTIONS.get(name), "_list_form", None) or ()
    if isinstance(args, list) and arg in form and form.index(arg) < len(args):
        return _fail(message, (name, form.index(arg)))
    if arg in ("unexpected", "truncate"):
        bad = next((k for k in raw if k not in (name, "truncate")), None)
        return _fail(message, (bad,), key=True) if bad is not None else _fail(message)
    return _fail(message, (name,))


@dataclass(frozen=True)
class _Constraint:
    scope: Scope
    kind: ValueKind
    choices: tuple[str, ...] | None
    gt: float | None
    ge: float | None
    le: float | None

    def expected(self) -> str:
        if self.kind == "category":
            opts = ", ".join(self.choices or ())
            return f"one of [{opts}], a {{choice: ...}} distribution or a $reference"
        what = "an integer" if self.kind == "integer" else "a number"
        return f"{what}, a distribution such as {{uniform: [low, high]}}, or a $reference"

    def check_support(self, dist: Distribution, name: str) -> None:
        """A distribution (without references) must only draw values the field accepts:
        its support after truncation lies within the field's bounds."""
        bounds = getattr(dist, "bounds", None)
        if bounds is None or self.kind == "category":
            return
        lo, hi = (float(np.min(b)) for b in bounds)
        discrete = getattr(dist, "kind", "") == "integer"
        low_bad = (self.gt is not None and (lo < self.gt or (discrete and lo == self.gt)),
                   self.ge is not None and lo < self.ge)
        if any(low_bad):
            op, limit = (">", self.gt) if low_bad[0] else (">=", self.ge)
            fix = (f"truncate it so it stays {op} {_show(limit)}" if discrete
                   else f"add truncate: [{_show(limit)}, null]")
            raise _fail(
                f"must be {op} {_show(limit)}; found a {name} distribution that can draw values "
                f"down to {_show(lo)} ({fix} or change its arguments)")
        if self.le is not None and hi > self.le:
            raise _fail(
                f"must be <= {_show(self.le)}; found a {name} distribution that can draw values "
                f"up to {_show(hi)} (add truncate: [null, {_show(self.le)}] or change its "
                "arguments)")

    def check_constant(self, value: Any) -> None:
        if self.kind == "category":
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise _fail(f"expected {self.expected()}; found {describe_value(value)}")
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(f"expected {self.expected()}; found {describe_value(value)}")
        if self.kind == "integer" and not (isinstance(value, int) or float(value).is_integer()):
            raise _fail(f"expected an integer; found {describe_value(value)}")
        if math.isnan(value):
            raise _fail("expected a number; found .nan")
        if self.gt is not None and not value > self.gt:
            raise _fail(f"must be > {_show(self.gt)}; found {_show(value)}")
        if self.ge is not None and not value >= self.ge:
            raise _fail(f"must be >= {_show(self.ge)}; found {_show(value)}")
        if self.le is not None and not value <= self.le:
            raise _fail(f"must be <= {_show(self.le)}; found {_show(value)}")


def _show(value: float) -> str:
    """A number as a user would write it in YAML (``-5``, ``0.25``, ``.inf``)."""
    value = float(value)
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if math.isnan(value):
        return ".nan"
    return f"{value:g}" if abs(value) < 1e15 else repr(value)


def parse_value(raw: Any, constraint: _Constraint) -> ValueSpec:
    """Turn what the file says into a :class:`ValueSpec`, or raise a pydantic error with the
    expected and found forms."""
    if isinstance(raw, ValueSpec):
        return raw
    scope, kind = constraint.scope, constraint.kind
    if isinstance(raw, str):
        m = _REF.match(raw)
        if m:
            return Ref(scope, kind, m.group(1))
        if raw.startswith("$"):
            raise _fail(f"invalid reference {raw!r}: write $name with letters, digits and _")
        constraint.check_constant(raw)
        return Const(scope, kind, raw)
    if isinstance(raw, bool | int | float):
        constraint.check_constant(raw)
        return Const(scope, kind, int(raw) if kind == "integer" else raw)
    if isinstance(raw, Mapping):
        try:
            cls, params, truncate = parse_distribution(raw)
        except ValueError as exc:
            raise _dist_fail(str(exc), raw) from None
        spec = Dist(scope, kind, _plain(raw), cls.name, params, truncate)
        if cls.kind == "categorical" or cls.name == "const":
            _check_choice_values(spec, constraint, raw)
        elif kind == "category":
            raise _fail(f"expected {constraint.expected()}; found a {cls.name} distribution")
        if not spec.refs:
            try:
                dist = spec.build()
            except ValueError as exc:
                raise _dist_fail(str(exc), raw) from None
            if cls.kind != "categorical" and cls.name != "const":
                constraint.check_support(dist, cls.name)
        return spec
    raise _fail(f"expected {constraint.expected()}; found {describe_value(raw)}")


def _check_choice_values(spec: Dist, constraint: _Constraint, raw: Mapping[str, Any]) -> None:
    if spec.refs:
        return
    try:
        dist = spec.build()
    except ValueError as exc:
        raise _dist_fail(str(exc), raw) from None
    is_const = spec.name == "const"
    values = [spec.params.get("value")] if is_const else getattr(dist, "values", None)
    if values is None:
        return
    for v in values:
        v = v.item() if isinstance(v, np.generic) else v
        try:
            constraint.check_constant(v)
        except PydanticCustomError as exc:
            if constraint.kind == "category":
                message = (f"expected values among [{', '.join(constraint.choices or ())}]; "
                           f"found {describe_value(v)}")
            else:
                message = str(exc.context["message"] if exc.context else exc)
            sub, key = _find_value(raw.get(spec.name), v)
            raise _fail(f"{spec.name}: {message}", (spec.name, *sub), key=key) from None


def _find_value(args: Any, value: Any) -> tuple[tuple[str | int, ...], bool]:
    """Where ``value`` is written inside a choice's (or const's) arguments, and whether it is
    written as a mapping key (``{choice: {dry: 0.7, slush: 0.3}}``)."""
    if isinstance(args, Mapping):
        if "values" in args and isinstance(args["values"], list):
            sub, key = _find_value(args["values"], value)
            return ("values", *sub), key
        for k in args:
            if k == value or (isinstance(value, float) and str(k) == f"{value:g}"):
                return (k,), True
        return (), False
    if isinstance(args, list):
        for i, item in enumerate(args):
            if item == value and type(item) is type(value):
                return (i,), False
        for i, item in enumerate(args):
            if item == value:
                return (i,), False
    return (), False


def _json_schema(constraint: _Constraint) -> dict[str, Any]:
    if constraint.kind == "category":
        const: dict[str, Any] = {"type": "string"}
        if constraint.choices:
            const["enum"] = list(constraint.choices)
    else:
        const = {"type": "integer" if constraint.kind == "integer" else "number"}
    return {
        "anyOf": [
            const,
            {"type": "string", "pattern": _REF.pattern, "description": "$name of a parameter"},
            {
                "type": "object",
                "description": "a distribution: " + ", ".join(sorted(DISTRIBUTIONS)),
                "minProperties": 1,
            },
        ]
    }


def value_field(
    *,
    scope: Scope = "run",
    kind: ValueKind = "number",
    choices: tuple[str, ...] | None = None,
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """An annotated type for a model field holding a value of the given scope and kind.

    ``choices`` restricts categories; ``gt``/``ge``/``le`` bound constants (distributions are
    checked when sampled, since their support may be declared by truncation).
    """
    constraint = _Constraint(scope, kind, choices, gt, ge, le)
    return Annotated[
        ValueSpec,
        PlainValidator(lambda raw: parse_value(raw, constraint)),
        PlainSerializer(lambda v: v.to_raw(), return_type=Any),
        WithJsonSchema(_json_schema(constraint)),
    ]


RunValue = value_field()
"""A number drawn once per run (hoisted when written as a distribution)."""

EntityValue = value_field(scope="entity")
"""A number drawn inside the simulation as often as it needs."""
