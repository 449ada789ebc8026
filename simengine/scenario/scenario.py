"""Loading a scenario: file → located YAML → validated models → a compiled :class:`Scenario`.

Compilation resolves everything a run needs and checks it all before the first run: the domain,
its ``world:`` and ``labels:`` models, the parameter table (declared params, hoisted inline
distributions and weather values, in dependency order), the outputs (streams and presets), and
every expression against the columns it will see. All problems are collected and raised together
as one :class:`ScenarioError`, each located in the file.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from simengine.domains import DOMAINS
from simengine.domains.base import Domain
from simengine.errors import ExpressionError, Problem, ScenarioError, closest, describe_value
from simengine.renderers import RENDERERS
from simengine.resources import builtin_presets, resolve_preset_path
from simengine.sampling.space import ParamEntry, ParamSpace
from simengine.scenario.expressions import ColumnInfo, Expression, compile_margin
from simengine.scenario.locate import Locator, problems_from_validation, strict_type_problems
from simengine.scenario.models import (
    NAME_PATTERN,
    OutputSpec,
    ScenarioSpec,
    SchemaVersion,
    StrictModel,
)
from simengine.scenario.values import Const, Dist, Ref, ValueSpec
from simengine.scenario.yaml_loader import LocatedDocument, dump_yaml, load_yaml, load_yaml_file

__all__ = ["OutputPlan", "Scenario", "load_scenario", "load_scenario_text"]

EPISODES = "episodes"
BASE_COLUMNS = ("run", "split")


@dataclass(frozen=True)
class OutputPlan:
    """A resolved output: a domain stream or a renderer with validated options."""

    name: str
    kind: str  # "stream" | "render"
    stream: str | None = None
    preset: str | None = None
    renderer: str | None = None
    options: BaseModel | None = None
    only_if: Expression | None = None
    every_s: float | None = None
    frames_if: Expression | None = None


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated, compiled scenario: everything the runner and the domain need."""

    spec: ScenarioSpec
    domain: Domain
    space: ParamSpace
    outputs: tuple[OutputPlan, ...]
    columns: Mapping[str, ColumnInfo]
    raw: Mapping[str, Any]
    source: str
    text: str = field(repr=False)
    sha256: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def outcome_columns(self) -> Mapping[str, ColumnInfo]:
        return self.domain.outcome_columns(self)

    def value(self, params: Mapping[str, np.ndarray], path: str, spec: ValueSpec, *,
              n: int | None = None) -> np.ndarray:
        """Per-run values of a run-scope field (``path`` is its dotted path in the file).

        ``n`` is the number of runs; it defaults to the length of the parameter columns, which
        a scenario without random parameters does not have."""
        if n is None:
            n = len(next(iter(params.values()))) if params else 0
        if isinstance(spec, Ref):
            return params[spec.name]
        if isinstance(spec, Dist) and spec.is_random:
            return params[path]
        value = spec.value if isinstance(spec, Const) else spec.raw["const"]  # type: ignore[attr-defined]
        return np.full(n, value)


# -- overrides ----------------------------------------------------------------------------------


def _parse_override(text: str) -> tuple[tuple[str | int, ...], Any]:
    """``KEY=VALUE`` → (path, value); the value is read as YAML (``--set x={uniform: [1, 2]}``).

    Problems are reported as ``--set KEY=VALUE: key: message``."""
    label = f"--set {text}"
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(
            "expected KEY=VALUE with a dotted path as KEY, e.g. --set weather.road=wet",
            file=label,
        )
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in key.split(".")]
    if any(p == "" for p in parts):
        raise ScenarioError("expected a dotted path such as world.gap_m; found an empty part",
                            file=label, field=key)
    try:
        return tuple(parts), load_yaml(value, file=label).data
    except ScenarioError as exc:
        first = exc.first
        message = first.message
        if first.line is not None and "\n" not in value:
            message += f" (at character {first.col} of the value)"
        raise ScenarioError(f"cannot read the value {value!r}: {message}", file=label,
                            field=key) from None


def _apply_override(
    data: dict[str, Any], path: tuple[str | int, ...], value: Any, text: str
) -> None:
    """Set ``path`` to ``value`` in ``data``, creating mappings on the way; a path through a
    value that is not a mapping (or past the end of a list) is a located error."""
    label = f"--set {text}"
    field = ".".join(map(str, path))

    def refuse(reason: str) -> ScenarioError:
        return ScenarioError(f"cannot set this: {reason}", file=label, field=field)

    node: Any = data
    for i, part in enumerate(path):
        where = ".".join(map(str, path[:i])) or "the top level"
        last = i == len(path) - 1
        if isinstance(node, list):
            if not isinstance(part, int) or part >= len(node):
                raise refuse(f"{where} is a list of {len(node)} items (index from 0)")
            if last:
                node[part] = value
                return
            node = node[part]
        elif isinstance(node, dict):
            key = str(part)
            if isinstance(part, int) and key not in node:
                raise refuse(f"{where} has no item {part}")
            if last:
                node[key] = value
                return
            node = node.setdefault(key, {})
        else:
            raise refuse(f"{where} is {describe_value(node)}, not a mapping or list")


# -- walking values -----------------------------------------------------------------------------


def _walk(obj: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every ValueSpec and Expression in a validated model, with its path."""
    if isinstance(obj, ValueSpec | Expression):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), (*path, name))
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _walk(v, (*path, k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from _walk(v, (*path, i))


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


class _Compiler:
    """One compilation; accumulates problems instead of stopping at the first."""

    def __init__(self, doc: LocatedDocument, locator: Locator, base_dir: Path | None) -> None:
        self.doc = doc
        self.loc = locator
        self.base_dir = base_dir
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.resolved_outputs: dict[int, OutputPlan] = {}

    def fail(self, path: Sequence[str | int], message: str, *, key: bool = False) -> None:
        self.problems.append(self.loc.problem(path, message, key=key))

    def raise_if_failed(self) -> None:
        if self.problems:
            unique = list(dict.fromkeys(self.problems))
            main = self.doc.file
            ordered = sorted(unique, key=lambda p: (p.file != main, p.file or "",
                                                     p.line or 0, p.col or 0))
            raise ScenarioError(problems=ordered)

    # -- models ---------------------------------------------------------------------------
    def validate(self, model: type[BaseModel], data: Any, prefix: tuple = (),
                 locator: Locator | None = None) -> Any:
        """Validate ``data`` (found at ``prefix`` in the file) into ``model``; on failure record
        located problems and return None."""
        return validate_located(model, data, locator or self.loc, self.problems, prefix)

    # -- parameter table ------------------------------------------------------------------
    def params(self, spec: ScenarioSpec) -> ParamSpace | None:
        entries: list[ParamEntry] = []
        for name, value in spec.params.items():
            entries.append(ParamEntry(name, value, ("params", name), True))
        declared = set(spec.params)
        refs: list[tuple[tuple, ValueSpec]] = []
        for root in ("params", "weather", "world", "labels"):
            for path, obj in _walk(getattr(spec, root), (root,)):
                if not isinstance(obj, ValueSpec):
                    continue
                refs.append((path, obj))
                if root == "params" or obj.scope != "run":
                    continue
                hoist = (isinstance(obj, Dist) and obj.is_random) or (
                    root == "weather" and not isinstance(obj, Ref)
                )
                if hoist:
                    entries.append(ParamEntry(_dotted(path), obj, path, False))
        for path, obj in refs:
            for ref in sorted(obj.refs):
                if ref not in declared:
                    hint = closest(ref, declared)
                    did = f" (did you mean ${hint}?)" if hint else ""
                    self.fail(path, f"reference to undefined param ${ref}{did}")
        order = self._order(entries)
        groups = []
        by_name = {e.name: e for e in entries}
        for gi, group in enumerate(spec.correlated):
            for pi, name in enumerate(group.params):
                entry = by_name.get(name)
                where = ("correlated", gi, "params", pi)
                if entry is None or not entry.declared:
                    hint = closest(name, declared)
                    did = f" (did you mean {hint!r}?)" if hint else ""
                    self.fail(where, f"{name!r} is not a declared param{did}; expected one of: "
                              f"{', '.join(spec.params) or 'none declared under params:'}")
                elif not entry.is_random:
                    self.fail(where, f"param {name!r} is a constant; a correlated group draws "
                              "random params only")
            groups.append((group.params, np.asarray(group.correlation, dtype=float)))
        if order is None or self.problems:
            return None
        return ParamSpace(entries, order, groups)

    def _order(self, entries: list[ParamEntry]) -> list[int] | None:
        index = {e.name: i for i, e in enumerate(entries)}
        state = [0] * len(entries)  # 0 new, 1 visiting, 2 done
        order: list[int] = []

        def visit(i: int, chain: list[str]) -> bool:
            if state[i] == 2:
                return True
            if state[i] == 1:
                cycle = " -> ".join([*chain, entries[i].name])
                self.fail(entries[i].path, f"circular reference: {cycle}")
                return False
            state[i] = 1
            for ref in sorted(entries[i].spec.refs):
                if ref in index and not visit(index[ref], [*chain, entries[i].name]):
                    return False
            state[i] = 2
            order.append(i)
            return True

        for i in range(len(entries)):
            if not visit(i, []):
                return None
        return order

    # -- outputs --------------------------------------------------------------------------
    def outputs(self, spec: ScenarioSpec, domain: Domain) -> list[OutputPlan]:
        plans: list[OutputPlan] = []
        seen: set[str] = set()
        streams = domain.streams
        for i, out in enumerate(spec.outputs):
            path = ("outputs", i)
            plan = self._output(out, path, streams)
            if plan is None:
                continue
            self.resolved_outputs[i] = plan
            if plan.name in seen or plan.name == EPISODES:
                self.fail(path, f"output folder {plan.name!r} is used twice; give this one "
                          "another folder with name: ...")
                continue
            seen.add(plan.name)
            plans.append(plan)
        if not spec.outputs:
            plans = [
                OutputPlan(name=s.name, kind="stream", stream=s.name)
                for s in streams.values()
                if s.default
            ]
        return plans

    def _output(self, out: OutputSpec, path: tuple, streams: Mapping) -> OutputPlan | None:
        common = {"only_if": out.only_if, "every_s": out.every_s, "frames_if": out.frames_if}
        name = out.stream or out.output
        if out.stream is not None or (out.output is not None and out.output in streams):
            if name not in streams:
                hint = closest(name, streams)
                did = f" (did you mean {hint!r}?)" if hint else ""
                self.fail(path, f"unknown stream {name!r}{did}; streams: {', '.join(streams)}")
                return None
            if out.every_s is not None or out.frames_if is not None:
                self.fail(path, "every_s and frames_if apply to rendering outputs only")
                return None
            return OutputPlan(name=out.name or name, kind="stream", stream=name, **common)
        preset = out.preset or out.output or ""
        return self._preset(preset, out, path, streams, common)

    def _preset(
        self, preset: str, out: OutputSpec, path: tuple, streams: Mapping, common: dict
    ) -> OutputPlan | None:
        if "renderer" in out.options:  # an inline preset: {preset: NAME, renderer: R, ...}
            inline = {"schema_version": 1, "name": preset, **out.options}
            return self._preset_data(inline, Locator(self.doc), out, path, common, inline=True)
        file = resolve_preset_path(preset, relative_to=self.base_dir)
        if file is None:
            known = sorted(builtin_presets())
            hint = closest(preset, [*known, *streams])
            did = f" (did you mean {hint!r}?)" if hint else ""
            what = "preset file not found" if _looks_like_file(preset) else "unknown output"
            self.fail(
                path,
                f"{what} {preset!r}{did}; expected a stream of this domain "
                f"({', '.join(streams) or 'none'}), a built-in preset "
                f"({', '.join(known) or 'none installed'}) or a path to a preset file",
            )
            return None
        try:
            pdoc = load_yaml_file(file)
        except ScenarioError as exc:
            self.problems.extend(exc.problems)
            return None
        if not isinstance(pdoc.data, dict):
            found = "an empty file" if pdoc.data is None else describe_value(pdoc.data)
            self.problems.append(Problem(
                f"a preset file must be a mapping of keys (schema_version, name, renderer and "
                f"the renderer's options); found {found}", file=pdoc.file, line=1, col=1))
            return None
        return self._preset_data(pdoc.data, Locator(pdoc), out, path, common, inline=False)

    def _preset_data(self, data: dict, ploc: Locator, out: OutputSpec, path: tuple,
                     common: dict, *, inline: bool) -> OutputPlan | None:
        # Where each key came from: the preset file, or the output entry that overrides it.
        here = _SplitLocator(ploc, self.loc, path, set(out.options) if not inline else None)
        header = {k: data[k] for k in PresetHeader.model_fields if k in data}
        chosen = header.get("renderer")
        if isinstance(chosen, str) and chosen not in RENDERERS:
            hint = closest(chosen, RENDERERS.names())
            did = f" (did you mean {hint!r}?)" if hint else ""
            self.problems.append(here.problem(
                ("renderer",), f"unknown renderer {chosen!r}{did}; expected one "
                f"of: {', '.join(RENDERERS.names()) or 'none registered'}"))
            return None
        if inline:
            head = self.validate(PresetHeader, header, path)
        else:
            head = validate_located(PresetHeader, header, ploc, self.problems)
        if head is None:
            return None
        renderer = RENDERERS.get(head.renderer)
        model = renderer.options_model
        options = {k: v for k, v in data.items() if k not in header}
        if not inline:
            options.update(out.options)
        own = [k for k in OutputSpec.model_fields if k not in ("output", "preset")]
        bad = False
        for key in list(options):
            if key in model.model_fields or (not inline and key not in out.options):
                continue  # unknown keys of the preset file itself are reported by the model
            valid = sorted(model.model_fields)
            hint = closest(key, [*valid, *own])
            did = f" (did you mean {hint!r}?)" if hint else ""
            self.fail((*path, key), f"unknown key {key!r}{did}; expected an output key "
                      f"({', '.join(own)}) or an option of renderer {head.renderer!r} "
                      f"({', '.join(valid) or 'none'})", key=True)
            bad = True
        if bad:
            return None
        validated = validate_located(model, options, here, self.problems)
        if validated is None:
            return None
        if common["every_s"] is None and head.every_s is not None:
            common = {**common, "every_s": head.every_s}
        return OutputPlan(
            name=out.name or head.name,
            kind="render",
            preset=head.name,
            renderer=head.renderer,
            options=validated,
            **common,
        )

    # -- expressions ----------------------------------------------------------------------
    def check_expressions(self, spec: ScenarioSpec, columns: Mapping[str, ColumnInfo],
                          plans: Sequence[OutputPlan], frame_columns: Sequence[str]) -> None:
        known = list(columns)
        for i, out in enumerate(spec.outputs):
            if out.only_if is not None:
                self._names(out.only_if, known, ("outputs", i, "only_if"))
            if out.frames_if is not None:
                self._names(out.frames_if, [*frame_columns, *known], ("outputs", i, "frames_if"))
        for key in spec.expect:
            from simengine.scenario.expressions import parse_expression

            self._names(parse_expression(key), known, ("expect", key), key_loc=True)
        if spec.rare_event is not None:
            path = ("rare_event", "event")
            named = self._names(spec.rare_event.event, known, path)
            if named and spec.rare_event.method != "naive":
                try:
                    compile_margin(spec.rare_event.event, columns)
                except ExpressionError as exc:
                    method = {"subset": "subset simulation", "ce": "cross-entropy"}.get(
                        spec.rare_event.method, spec.rare_event.method)
                    message = exc.first.message
                    if "margin" not in message:
                        message += f"; {method} needs a continuous margin"
                    self.fail(path, f"{message} (or use method: naive)")

    def _names(self, expr: Expression, known: Sequence[str], path: tuple, *,
               key_loc: bool = False) -> bool:
        try:
            expr.check_names(known)
        except ExpressionError as exc:
            self.fail(path, exc.first.message, key=key_loc)
            return False
        return True


class PresetHeader(StrictModel):
    """The keys every preset file has; the rest are the renderer's options."""

    schema_version: SchemaVersion = Field(description="Version of the preset format.")
    name: str = Field(pattern=NAME_PATTERN, description="Preset name (the output folder).")
    description: str | None = Field(default=None, description="What the preset records.")
    renderer: str = Field(description="Registered renderer that records it (simengine list).")
    every_s: float | None = Field(
        default=None, gt=0, description="Default frame spacing (s) of outputs using this "
        "preset; an output's own every_s overrides it.")


class _SplitLocator(Locator):
    """Locates preset options: in the scenario's output entry when it overrides the key (or for
    an inline preset), else in the preset file."""

    def __init__(self, preset: Locator, scenario: Locator, path: tuple,
                 overridden: set[str] | None) -> None:
        super().__init__(preset.doc, preset.overrides)
        self.preset = preset
        self.scenario = scenario
        self.path = path
        self.overridden = overridden  # None: every key is written in the scenario

    def problem(self, path: Sequence[str | int], message: str, *, key: bool = False,
                sub: Sequence[str | int] = ()) -> Problem:
        path = tuple(path)
        if self.overridden is None or (path and path[0] in self.overridden):
            return self.scenario.problem((*self.path, *path), message, key=key, sub=sub)
        return self.preset.problem(path, message, key=key, sub=sub)


def _looks_like_file(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".yaml", ".yml"))


def _inline_presets(data: dict, spec: ScenarioSpec, plans: Mapping[int, OutputPlan]) -> None:
    """Rewrite rendering outputs as inline presets, so the resolved scenario is self-contained
    (and its checksum covers the preset options that actually ran)."""
    for i, plan in plans.items():
        if plan.kind != "render":
            continue
        assert plan.options is not None
        out = spec.outputs[i]
        entry: dict[str, Any] = {"preset": plan.preset, "name": plan.name,
                                 "renderer": plan.renderer}
        for key in ("only_if", "every_s", "frames_if"):
            value = getattr(plan if key == "every_s" else out, key)
            if value is not None:
                entry[key] = value.source if isinstance(value, Expression) else value
        entry.update(plan.options.model_dump(mode="json"))
        data["outputs"][i] = entry


def validate_located(model: type[BaseModel], data: Any, locator: Locator,
                     problems: list[Problem], prefix: tuple = ()) -> Any:
    """Validate ``data`` into ``model``; on failure append located problems and return None.

    Besides pydantic's checks, plain number fields refuse strings and booleans (lax validation
    would read ``duration_s: "6"`` or ``step_hz: true`` as numbers)."""
    found: list[Problem] = []
    result = None
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        found = problems_from_validation(exc, model, data, locator, prefix=prefix)
    reported = {p.field for p in found}
    for path, message in strict_type_problems(model, data):
        full = (*prefix, *path)
        dotted = [".".join(map(str, full[:i])) for i in range(1, len(full) + 1)]
        if not any(d in reported for d in dotted):
            found.append(locator.problem(full, message))
    if found:
        problems.extend(found)
        return None
    return result


def _param_info(entry: ParamEntry) -> ColumnInfo:
    spec = entry.spec
    if spec.kind == "category":
        return ColumnInfo("category")
    return ColumnInfo("number")


def _section(data: dict, key: str) -> Any:
    """A domain section (``world:``/``labels:``); absent or null means all defaults."""
    value = data.get(key)
    return {} if value is None else value


def compile_document(
    doc: LocatedDocument,
    *,
    overrides: Sequence[str] = (),
    outputs: Sequence[str] = (),
    base_dir: Path | None = None,
) -> Scenario:
    """Validate and compile a loaded document (with ``--set`` overrides and extra outputs)."""
    data = doc.data
    if not isinstance(data, dict):
        found = "an empty file" if data is None else describe_value(data)
        raise ScenarioError(
            "a scenario file must be a mapping of keys (schema_version, name, domain, "
            f"duration_s, ...); found {found}", file=doc.file, line=1, col=1)
    data = copy.deepcopy(data)
    applied: dict[tuple, str] = {}
    for text in overrides:
        path, value = _parse_override(text)
        _apply_override(data, path, value, text)
        applied[tuple(str(p) if not isinstance(p, int) else p for p in path)] = f"--set {text}"
    if outputs:
        existing = list(data.get("outputs") or [])
        data["outputs"] = existing + [o for o in outputs if o not in existing]
        for i in range(len(existing), len(data["outputs"])):
            applied[("outputs", i)] = f"--output {data['outputs'][i]}"
    locator = Locator(doc, applied)
    comp = _Compiler(doc, locator, base_dir)
    spec = comp.validate(ScenarioSpec, data)
    # The domain's world: and labels: are checked in the same pass, so one run of `validate`
    # shows every problem of the file.
    name = data.get("domain")
    known_domain = isinstance(name, str) and name in DOMAINS
    if spec is not None and not known_domain:
        try:
            DOMAINS.entry(spec.domain)
        except ScenarioError as exc:
            comp.fail(("domain",), exc.first.message)
    world = labels = None
    if known_domain:
        domain_cls = DOMAINS.get(name)
        world = comp.validate(domain_cls.world_model, _section(data, "world"), ("world",))
        labels = comp.validate(domain_cls.labels_model, _section(data, "labels"), ("labels",))
    comp.raise_if_failed()
    assert spec is not None
    domain: Domain = domain_cls()
    spec = spec.model_copy(update={"world": world, "labels": labels})
    space = comp.params(spec)
    plans = comp.outputs(spec, domain)
    comp.raise_if_failed()
    assert space is not None
    ignored = set(domain.ignored_weather())
    for name in type(spec.weather).model_fields:
        if name in ignored and getattr(spec.weather, name) not in (None, ()):
            comp.warnings.append(f"weather.{name} is set but the {spec.domain} domain ignores it")
    _inline_presets(data, spec, comp.resolved_outputs)
    text = dump_yaml(data)
    partial = Scenario(spec, domain, space, tuple(plans), {}, data, doc.file, text)
    columns: dict[str, ColumnInfo] = {
        "run": ColumnInfo("number"),
        "split": ColumnInfo("category"),
    }
    for entry in space.entries:
        columns[entry.name] = _param_info(entry)
    columns.update(domain.outcome_columns(partial))
    columns["log_weight"] = ColumnInfo("number")
    comp.check_expressions(spec, columns, plans, domain.frame_columns(partial))
    comp.raise_if_failed()
    sha = hashlib.sha256(text.encode()).hexdigest()
    return Scenario(spec, domain, space, tuple(plans), columns, data, doc.file, text, sha,
                    tuple(comp.warnings))


def load_scenario_text(
    text: str | bytes,
    *,
    file: str = "<string>",
    overrides: Sequence[str] = (),
    outputs: Sequence[str] = (),
    base_dir: Path | None = None,
) -> Scenario:
    """Compile a scenario from YAML text."""
    doc = load_yaml(text, file=file)
    return compile_document(doc, overrides=overrides, outputs=outputs, base_dir=base_dir)


def load_scenario(
    path: str | Path, *, overrides: Sequence[str] = (), outputs: Sequence[str] = ()
) -> Scenario:
    """Compile a scenario file."""
    doc = load_yaml_file(path)
    return compile_document(
        doc, overrides=overrides, outputs=outputs, base_dir=Path(path).resolve().parent
    )
