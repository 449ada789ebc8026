"""Turning validation failures into located problems (``PATH:LINE:COL: field.path: message``).

Pydantic reports errors by location tuples; the YAML loader knows the line and column of every
node. This module joins the two, rewrites pydantic's wording into "expected X; found Y", adds
the closest valid key for a typo, and keeps one problem per mistake (a union's alternatives, a
misspelt required key reported both as unknown and as missing, are folded into one message).

It also holds the *strict type audit*: pydantic's lax mode would read ``duration_s: "6"`` or
``step_hz: true`` as numbers; a scenario file that says that has a wrong type, and is told so.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from simengine.errors import Problem, closest, describe_value
from simengine.scenario.models import NAME_PATTERN
from simengine.scenario.yaml_loader import LocatedDocument

__all__ = ["Locator", "problems_from_validation", "strict_type_problems"]

Path = tuple[str | int, ...]

_IGNORED = ("none_required", "is_instance_of")
_KEY_KINDS = ("extra_forbidden",)


class Locator:
    """Maps document paths to file positions; paths set by ``--set``/``--output`` point at the
    option that set them (``overrides`` maps a path to the label, e.g. ``--set world.gap_m=3``).
    """

    def __init__(self, doc: LocatedDocument, overrides: Mapping[Path, str] | None = None) -> None:
        self.doc = doc
        self.overrides = dict(overrides or {})

    def _override(self, path: Path) -> str | None:
        # The most specific override that set this path, or one below it (the error is about a
        # field the override changed, e.g. split fractions after --set split.train=0.5).
        # Also: a path inside a mapping the override created (`--set rare_event.method=ce` in a
        # file without rare_event: the missing rare_event.event is the override's problem).
        best: tuple[int, str] | None = None
        for opath, label in self.overrides.items():
            common = 0
            while common < min(len(path), len(opath)) and path[common] == opath[common]:
                common += 1
            related = path[: len(opath)] == opath or (path and opath[: len(path)] == path)
            created = common > 0 and not self._exists(path[:common])
            if (related or created) and (best is None or common > best[0]):
                best = (common, label)
        return None if best is None else best[1]

    def problem(self, path: Sequence[str | int], message: str, *, key: bool = False,
                sub: Sequence[str | int] = ()) -> Problem:
        """A problem at ``path`` (``key``: point at the mapping key rather than its value;
        ``sub``: a position inside the value to point at, when the file has it)."""
        path = tuple(path)
        field = ".".join(str(p) for p in path) or None
        label = self._override(path)
        if label is not None:
            return Problem(message, file=label, field=field)
        inside = path + tuple(sub)
        target = inside if sub and self._exists(inside) else path
        mark = self.doc.key_location(target) if key else self.doc.location(target)
        if mark is None:
            return Problem(message, file=self.doc.file, field=field)
        return Problem(message, file=self.doc.file, line=mark.line, col=mark.col, field=field)

    def _exists(self, path: Path) -> bool:
        node: Any = self.doc.data
        for part in path:
            has = (part in node) if isinstance(node, Mapping) else (
                isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
            if not has:
                return False
            node = node[part]
        return True


# -- annotations ---------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete types inside Optional/Union/Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out.extend(_unwrap(arg))
        return out
    return [annotation]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _model_at(root: type[BaseModel], loc: Sequence[str | int],
              data: Any = None) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``loc`` (for listing its valid keys); with
    ``data``, a union's member is the one whose literal fields match the mapping there (the
    discriminator of a tagged union, such as a campaign's ``typology``)."""
    current: Any = root
    for part in loc:
        candidates = _unwrap(current)
        nxt = None
        for cand in candidates:
            if _is_model(cand):
                if isinstance(part, str) and part in cand.model_fields:
                    nxt = cand.model_fields[part].annotation
                    break
            else:
                origin = typing.get_origin(cand)
                args = typing.get_args(cand)
                if origin in (dict, Mapping) and len(args) == 2:
                    nxt = args[1]
                    break
                if origin in (list, tuple, Sequence) and args:
                    nxt = args[0]
                    break
        if nxt is None:
            return None
        current = nxt
        data = _child(data, part)
    models = [c for c in _unwrap(current) if _is_model(c)]
    if len(models) > 1 and isinstance(data, Mapping):
        for cand in models:
            if _matches_literals(cand, data):
                return cand
    return models[0] if models else None


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, Mapping) and part in node:
        return node[part]
    if isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _matches_literals(model: type[BaseModel], data: Mapping) -> bool:
    """Whether every ``Literal`` field of ``model`` given in ``data`` has one of its values."""
    found = False
    for name, f in model.model_fields.items():
        if typing.get_origin(f.annotation) is typing.Literal and name in data:
            if data[name] not in typing.get_args(f.annotation):
                return False
            found = True
    return found


def _field_annotation(root: type[BaseModel], loc: Path) -> Any:
    owner = _model_at(root, loc[:-1]) if loc else None
    if owner is None or not isinstance(loc[-1], str) or loc[-1] not in owner.model_fields:
        return None
    return owner.model_fields[loc[-1]].annotation


def _user_keys(model: type[BaseModel]) -> list[str]:
    """Keys a user may write for ``model`` (internal fields such as a bare output name hidden)."""
    hidden = getattr(model, "__hidden_keys__", ())
    return sorted(k for k in model.model_fields if k not in hidden)


def _clean_loc(loc: Sequence[Any], data: Any) -> tuple[Path, bool]:
    """The part of a pydantic location that indexes into the data (drops union tags), and
    whether the error is about a mapping key (``[key]``) rather than a value."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if part == "[key]":
            return tuple(out), True
        indexes = (isinstance(node, Mapping) and isinstance(part, str) and part in node) or (
            isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node))
        if indexes:
            out.append(part)
            node = node[part]
        elif (isinstance(part, str) and isinstance(node, Mapping) and i + 1 < len(loc)
              and part in [v for v in node.values() if isinstance(v, str)]):
            continue  # a discriminated union's tag (the value of its discriminator key)
        elif isinstance(part, str) and isinstance(node, Mapping):
            out.append(part)  # a missing or extra key: keep it, it names the field
            break
        else:
            continue
    return tuple(out), False


# -- messages ------------------------------------------------------------------------------------


def _num(value: Any) -> str:
    if isinstance(value, float):
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        if math.isnan(value):
            return ".nan"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def _literal_choices(annotation: Any) -> list[Any]:
    out: list[Any] = []
    for tp in _unwrap(annotation):
        if typing.get_origin(tp) is typing.Literal:
            out.extend(typing.get_args(tp))
    return out


def _description(root: type[BaseModel], loc: Path) -> str:
    owner = _model_at(root, loc[:-1]) if loc else None
    if owner is None or loc[-1] not in owner.model_fields:
        return ""
    return (owner.model_fields[str(loc[-1])].description or "").strip()


def _mapping_expected(root: type[BaseModel], loc: Path) -> str:
    model = _model_at(root, loc)
    if model is None:
        return "a mapping"
    keys = _user_keys(model)
    return f"a mapping with keys such as {', '.join(keys)}" if keys else "a mapping"


def _message(err: Mapping[str, Any], model: type[BaseModel], loc: Path,
             data: Any = None) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = err.get("input")
    if kind.startswith("simengine_"):
        return str(ctx["message"])
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1], data)
        valid = _user_keys(owner) if owner else []
        hint = closest(str(loc[-1]), valid) if valid else None
        did = f" (did you mean {hint!r}?)" if hint else ""
        listing = f"; expected one of: {', '.join(valid)}" if valid else ""
        return f"unknown key {loc[-1]!r}{did}{listing}"
    if kind == "missing":
        desc = _description(model, loc)
        return f"missing required key {loc[-1]!r}" + (f": {desc}" if desc else "")
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
              "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        return f"must be {bounds[kind]} {_num(limit)}; found {_num(found)}"
    if kind in ("float_parsing", "float_type"):
        return f"expected a number; found {describe_value(found)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected an integer; found {describe_value(found)}"
    if kind == "finite_number":
        return f"expected a finite number; found {_num(found)}"
    if kind in ("string_type", "string_unicode"):
        return f"expected a string; found {describe_value(found)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false; found {describe_value(found)}"
    if kind in ("dict_type", "mapping_type", "model_type", "model_attributes_type",
                "dataclass_type"):
        return f"expected {_mapping_expected(model, loc)}; found {describe_value(found)}"
    if kind in ("list_type", "tuple_type", "iterable_type", "set_type", "frozen_set_type"):
        return f"expected a list; found {describe_value(found)}"
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        bound = "at least" if kind == "too_short" else "at most"
        items = "item" if n == 1 else "items"
        return f"expected {bound} {n} {items}; found {ctx.get('actual_length')}: {_num(found)}"
    if kind == "literal_error":
        choices = _literal_choices(_field_annotation(model, loc))
        expected = ", ".join(_num(c) for c in choices) if choices else ctx.get("expected", "?")
        hint = closest(found, [c for c in choices if isinstance(c, str)]) if isinstance(
            found, str) else None
        did = f" (did you mean {hint!r}?)" if hint else ""
        return f"expected one of {expected}; found {describe_value(found)}{did}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        if pattern == NAME_PATTERN:
            return ("expected lowercase letters, digits, '.', '_' or '-', starting with a letter "
                    f"or digit (e.g. 'highway-cut-in'); found {describe_value(found)}")
        return f"expected text matching {pattern}; found {describe_value(found)}"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    if msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    return f"{msg}; found {describe_value(found)}"


def problems_from_validation(
    exc: ValidationError,
    model: type[BaseModel],
    data: Any,
    locator: Locator,
    *,
    prefix: Path = (),
) -> list[Problem]:
    """Located problems for a pydantic error, one per mistake.

    Errors are grouped by path (a union's alternatives collapse into the most telling one), and a
    misspelt required key — pydantic reports it twice, as unknown and as missing — becomes one
    "unknown key (did you mean ...?)" problem.
    """
    by_path: dict[tuple[Path, bool], list[Mapping[str, Any]]] = {}
    for err in exc.errors():
        loc, on_key = _clean_loc(err["loc"], data)
        by_path.setdefault((loc, on_key), []).append(err)
    chosen: dict[tuple[Path, bool], Mapping[str, Any]] = {}
    for where, errs in by_path.items():
        real = [e for e in errs if e["type"] not in _IGNORED] or errs
        chosen[where] = real[0]
    # Fold 'missing X' into 'unknown key Y (did you mean X?)'.
    missing = {loc for (loc, _), e in chosen.items() if e["type"] == "missing"}
    folded: set[Path] = set()
    notes: dict[Path, str] = {}
    for (loc, _), err in chosen.items():
        if err["type"] != "extra_forbidden" or not loc:
            continue
        owner = _model_at(model, loc[:-1], data)
        valid = _user_keys(owner) if owner else []
        hint = closest(str(loc[-1]), valid)
        target = (*loc[:-1], hint) if hint else None
        if target in missing and target not in folded:
            folded.add(target)
            notes[loc] = f"; {hint!r} is required"
    problems = []
    for (loc, on_key), err in chosen.items():
        if err["type"] == "missing" and loc in folded:
            continue
        message = _message(err, model, loc, data)
        if loc in notes:
            message = message.split("; expected one of")[0] + notes[loc]
        ctx = err.get("ctx") or {}
        sub = tuple(ctx.get("sub") or ()) if err["type"].startswith("simengine_") else ()
        key = on_key or err["type"] in _KEY_KINDS or bool(ctx.get("key"))
        problems.append(locator.problem(prefix + loc, message, key=key, sub=sub))
    return problems


# -- strict type audit ---------------------------------------------------------------------------


def _has_own_validator(annotation: Any) -> bool:
    """Whether an Annotated type brings its own validator (values, expressions, ranges)."""
    if typing.get_origin(annotation) is not typing.Annotated:
        return False
    return any(type(m).__name__ in ("PlainValidator", "BeforeValidator", "WrapValidator")
               for m in typing.get_args(annotation)[1:])


def _audit(annotation: Any, value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if annotation is None or annotation is Any or _has_own_validator(annotation):
        return
    members: list[Any] = []
    stack = [annotation]
    while stack:  # flatten unions, keeping Annotated members whole (they may bring validators)
        tp = stack.pop()
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(tp))
        elif origin is typing.Annotated and not _has_own_validator(tp):
            stack.append(typing.get_args(tp)[0])
        else:
            members.append(tp)
    if any(m is Any or _has_own_validator(m) for m in members):
        return
    if value is None and type(None) in members:
        return
    members = [m for m in members if m is not type(None)]
    if not members:
        return
    numeric = [m for m in members if m in (int, float)]
    literals = [v for m in members if typing.get_origin(m) is typing.Literal
                for v in typing.get_args(m)]
    if numeric and len(numeric) == len(members):
        if isinstance(value, str | bool):
            what = "a number" if float in numeric else "an integer"
            yield path, f"expected {what}; found {describe_value(value)}"
        return
    if literals and len(literals) and all(typing.get_origin(m) is typing.Literal for m in members):
        if isinstance(value, bool) and not any(isinstance(v, bool) for v in literals):
            yield path, (f"expected one of {', '.join(_num(v) for v in literals)}; "
                         f"found {describe_value(value)}")
        return
    for member in members:
        if _is_model(member) and isinstance(value, Mapping):
            for name, info in member.model_fields.items():
                if name in value:
                    yield from _audit(info.annotation, value[name], (*path, name))
            return
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if origin in (dict, Mapping) and len(args) == 2 and isinstance(value, Mapping):
            for k, v in value.items():
                yield from _audit(args[1], v, (*path, k))
            return
        if origin in (list, tuple, Sequence) and args and isinstance(value, list | tuple):
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                pairs = zip(args, value, strict=False)
            else:
                pairs = ((args[0], v) for v in value)
            for i, (tp, v) in enumerate(pairs):
                yield from _audit(tp, v, (*path, i))
            return


def strict_type_problems(model: type[BaseModel], data: Any) -> list[tuple[Path, str]]:
    """(path, message) for every plain number field given a string or a boolean (which lax
    validation would silently convert), and every numeric literal given a boolean."""
    if not isinstance(data, Mapping):
        return []
    return list(_audit(model, data, ()))
