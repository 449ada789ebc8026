"""Fuzzing the scenario loader: a mutated scenario file loads or fails with a UserError, only.

Valid files (the dummy domain's ``approach.yaml`` and two small ones) are mutated two ways: as
text (delete, duplicate or swap lines, retype a value, insert random characters) and as data
(delete a key, retype a value, nest a value, rename a key, then write the YAML back). Whatever
comes out, loading must either succeed or raise :class:`simengine.errors.UserError` whose every
problem formats as a message — never another exception, never an internal-error message, never a
hang.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simengine.errors import UserError
from simengine.scenario.scenario import load_scenario_text
from simengine.scenario.yaml_loader import dump_yaml, load_yaml
from tests.conftest import APPROACH

BASE_DIR = APPROACH.parent

SMALL_CONSTANTS = """\
schema_version: 1
name: small-constants
domain: dummy
duration_s: 3
world:
  gap_m: 20
  speed_mps: 8
labels:
  critical_ttc_s: 0.8
split: {train: 0.5, val: 0.25, test: 0.25}
"""

SMALL_WEATHER = """\
schema_version: 1
name: small-weather
domain: dummy
duration_s: 4
step_hz: 20
params:
  v: {normal: {mean: 10, std: 2}, truncate: [2, null]}
  ttc: {gamma: {shape: 2, scale: 1}}
weather:
  road: wet
  rain_mm_h: {exponential: {mean: 4}}
  events:
    - {kind: fog_bank, start_s: 1, duration_s: 2, visibility_m: 60}
world:
  speed_mps: $v
  brake_ttc_s: $ttc
  jitter_mps: {uniform: [-0.1, 0.1]}
rare_event: {event: "min_gap_m < 1", method: ce, budget: 500}
expect:
  "collision": [0, 1]
outputs: [trajectories, {stream: events, name: crashes, only_if: "collision"}]
"""

SOURCES = [APPROACH.read_text(encoding="utf-8"), SMALL_CONSTANTS, SMALL_WEATHER]

REPLACEMENTS = [
    "abc", "'12'", "-1", "0", "1e400", ".nan", ".inf", "-.inf", "null", "true", "[]", "{}",
    "[1, 2]", "[2, 1]", "{a: 1}", "{uniform: [1]}", "{normal: {std: -1}}", "$nope", "$", "'$x'",
    "{choice: {}}", "[[1]]", "\"__import__('os')\"", "x.y", "!!str 5", "&a 1", "*a", "|\n  x",
]

# Characters that tend to break YAML in interesting ways, plus arbitrary text.
NASTY = st.sampled_from(
    list(":{}[],&*!|>'\"%@`#-?\t\n\r ") + ["\x00", "\x85", "\u2028", "\ufeff", "\ud800", "é", "€"]
)
INSERT_TEXT = st.one_of(
    st.text(NASTY, min_size=1, max_size=6),
    st.text(min_size=1, max_size=12),
    st.sampled_from(REPLACEMENTS),
)


def check(text: str | bytes) -> None:
    """Load ``text``: success or a UserError with well-formed problems, nothing else."""
    try:
        load_scenario_text(text, file="fuzz.yaml", base_dir=BASE_DIR)
    except UserError as exc:
        assert exc.problems
        for problem in exc.problems:
            line = problem.format()
            assert problem.message, line
            assert "bug in simengine" not in line, line
            assert "Traceback" not in line


# -- text mutations -----------------------------------------------------------------------------


@st.composite
def text_mutation(draw: st.DrawFn) -> str | bytes:
    text = draw(st.sampled_from(SOURCES))
    lines = text.splitlines(keepends=True)
    n = len(lines)
    kind = draw(st.sampled_from(["delete", "delete_block", "duplicate", "swap", "retype",
                                 "insert", "bytes", "indent"]))
    i = draw(st.integers(0, n - 1))
    if kind == "delete":
        del lines[i]
    elif kind == "delete_block":
        indent = len(lines[i]) - len(lines[i].lstrip(" "))
        j = i + 1
        while j < n and len(lines[j]) - len(lines[j].lstrip(" ")) > indent:
            j += 1
        del lines[i:j]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        j = draw(st.integers(0, n - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "retype":
        key, sep, _ = lines[i].partition(": ")
        new = draw(st.sampled_from(REPLACEMENTS))
        lines[i] = f"{key}{sep or ': '}{new}\n"
    elif kind == "indent":
        lines[i] = draw(st.sampled_from(["  ", " ", "\t", "- "])) + lines[i]
    elif kind == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(INSERT_TEXT) + text[at:]
    else:
        raw = text.encode("utf-8")
        at = draw(st.integers(0, len(raw)))
        return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return "".join(lines)


@settings(max_examples=250, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(text_mutation())
def test_text_mutations_fail_only_with_user_errors(text: str | bytes) -> None:
    check(text)


# -- data mutations -----------------------------------------------------------------------------

ODD_VALUES = st.one_of(
    st.sampled_from([None, True, "", "wet", "$v", "$nope", "x.y", -1, 0, 1e308, float("inf"),
                     float("nan"), [], {}, [1], [2, 1], [[1, 0], [0, 1]], {"a": 1},
                     {"uniform": [5, 1]}, {"normal": {"mean": 0, "std": 0}}, {"choice": {}},
                     {"truncate": [1, 2]}, "__import__('os')", "collision", "lambda: 1"]),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*path, i)))
    return out


def _parent(data: Any, path: tuple) -> Any:
    node = data
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def data_mutation(draw: st.DrawFn) -> str:
    data = copy.deepcopy(load_yaml(draw(st.sampled_from(SOURCES)), file="src.yaml").data)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        kind = draw(st.sampled_from(["delete", "retype", "wrap_list", "wrap_map", "rename"]))
        if kind == "delete":
            del parent[last]
        elif kind == "retype":
            parent[last] = copy.deepcopy(draw(ODD_VALUES))  # samples are shared objects
        elif kind == "wrap_list":
            parent[last] = [parent[last]]
        elif kind == "wrap_map":
            parent[last] = {draw(st.sampled_from(["uniform", "x", "const", "value"])): parent[last]}
        elif isinstance(parent, dict):
            new = draw(st.sampled_from([str(last)[:-1], str(last) + "s", str(last).upper(),
                                        "_" + str(last), "truncate", "preset", "stream"]))
            parent[new if new not in parent else new + "_"] = parent.pop(last)
    return dump_yaml(data)


@settings(max_examples=250, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(data_mutation())
def test_data_mutations_fail_only_with_user_errors(text: str) -> None:
    check(text)


@settings(max_examples=60, deadline=2000)
@given(st.sampled_from(["params.closing_speed_mps", "world.gap_m", "weather.road", "duration_s",
                        "outputs.0", "rare_event.event", "split.train", "labels.serious_ttc_s",
                        "correlated.0.correlation", "world", "name", "x.y.z", "outputs.9"]),
       st.sampled_from(REPLACEMENTS + ["[", "{", "]", "", "=", "!!python/name:os.system"]))
def test_overrides_fail_only_with_user_errors(key: str, value: str) -> None:
    try:
        load_scenario_text(APPROACH.read_text(), file="fuzz.yaml", base_dir=BASE_DIR,
                           overrides=[f"{key}={value}"])
    except UserError as exc:
        for problem in exc.problems:
            assert problem.message
            assert "bug in simengine" not in problem.format()


def test_sources_are_valid() -> None:
    for text in SOURCES:
        load_scenario_text(text, file="src.yaml", base_dir=BASE_DIR)
    assert Path(BASE_DIR).is_dir()
