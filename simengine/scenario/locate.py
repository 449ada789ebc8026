"""Turning validation failures into located problems (``PATH:LINE:COL: field.path: message``).

Pydantic reports errors by location tuples; the YAML loader knows the line and column of every
node. This module joins the two, rewrites pydantic's wording into "expected X; found Y", and adds
the closest valid key for a typo.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from simengine.errors import Problem, closest, describe_value
from simengine.scenario.yaml_loader import LocatedDocument

__all__ = ["Locator", "problems_from_validation"]

Path = tuple[str | int, ...]


class Locator:
    """Maps document paths to file positions; paths set by ``--set`` point at the override."""

    def __init__(self, doc: LocatedDocument, overrides: Mapping[Path, str] | None = None) -> None:
        self.doc = doc
        self.overrides = dict(overrides or {})

    def problem(self, path: Sequence[str | int], message: str, *, key: bool = False) -> Problem:
        path = tuple(path)
        field = ".".join(str(p) for p in path) or None
        for opath, text in self.overrides.items():
            if path[: len(opath)] == opath:
                label = text if text.startswith("--") else f"--set {text}"
                return Problem(message, file=label, field=field)
        mark = self.doc.key_location(path) if key else self.doc.location(path)
        if mark is None:
            return Problem(message, file=self.doc.file, field=field)
        return Problem(message, file=self.doc.file, line=mark.line, col=mark.col, field=field)


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


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``loc`` (for listing its valid keys)."""
    current: Any = root
    for part in loc:
        candidates = _unwrap(current)
        nxt = None
        for cand in candidates:
            if isinstance(cand, type) and issubclass(cand, BaseModel):
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
    for cand in _unwrap(current):
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            return cand
    return None


def _clean_loc(loc: Sequence[Any], data: Any) -> Path:
    """Keep the part of a pydantic location that indexes into the data (drops union tags)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, Mapping) and isinstance(part, str) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(part, str) and isinstance(node, Mapping):
            out.append(part)  # a missing or extra key: keep it, it names the field
            break
        else:
            continue
    return tuple(out)


def _message(err: Mapping[str, Any], model: type[BaseModel], loc: Path) -> str:
    kind = err["type"]
    if kind.startswith("simengine_"):
        return str(err["ctx"]["message"])
    if kind == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        valid = sorted(owner.model_fields) if owner else []
        hint = closest(str(loc[-1]), valid) if valid else None
        did = f" (did you mean {hint!r}?)" if hint else ""
        listing = f"; expected one of: {', '.join(valid)}" if valid else ""
        return f"unknown key {loc[-1]!r}{did}{listing}"
    if kind == "missing":
        return f"missing required key {loc[-1]!r}"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    if msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be ") :]
    return f"{msg}; found {describe_value(err.get('input'))}"


def problems_from_validation(
    exc: ValidationError,
    model: type[BaseModel],
    data: Any,
    locator: Locator,
    *,
    prefix: Path = (),
) -> list[Problem]:
    """Located problems for a pydantic error, one per distinct path (union noise removed)."""
    by_path: dict[Path, list[tuple[str, str]]] = {}
    for err in exc.errors():
        loc = _clean_loc(err["loc"], data)
        by_path.setdefault(loc, []).append((err["type"], _message(err, model, loc)))
    problems = []
    for loc, errs in by_path.items():
        real = [e for e in errs if e[0] not in ("none_required", "is_instance_of")] or errs
        kind, message = real[0]
        problems.append(
            locator.problem(prefix + loc, message, key=kind in ("extra_forbidden",))
        )
    return problems
