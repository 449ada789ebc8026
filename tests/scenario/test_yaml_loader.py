"""Behaviour of the hardened scenario YAML loader: locations, 1.2 scalars, limits, safety."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simengine.errors import ScenarioError
from simengine.scenario.yaml_loader import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    LocatedDocument,
    Mark,
    dump_yaml,
    load_yaml,
    load_yaml_file,
)

SCENARIO = """\
name: demo
on: shoulder
vehicle:
  speed_mps: 3.5
  tags: [a, b]
  route:
    - start
    - {turn: left, at: 12}
notes:
"""


def load(text: str | bytes) -> LocatedDocument:
    return load_yaml(text, file="s.yaml")


def refuse(text: str | bytes) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load(text)
    return info.value


# --- data and locations ---------------------------------------------------------------------------


def test_loads_plain_data_in_order() -> None:
    doc = load(SCENARIO)
    assert doc.file == "s.yaml"
    assert doc.data == {
        "name": "demo",
        "on": "shoulder",
        "vehicle": {
            "speed_mps": 3.5,
            "tags": ["a", "b"],
            "route": ["start", {"turn": "left", "at": 12}],
        },
        "notes": None,
    }
    assert list(doc.data) == ["name", "on", "vehicle", "notes"]
    assert list(doc.data["vehicle"]) == ["speed_mps", "tags", "route"]


@pytest.mark.parametrize(
    ("path", "line", "col"),
    [
        (["name"], 1, 7),
        (["vehicle", "speed_mps"], 4, 14),
        (["vehicle", "tags", 0], 5, 10),
        (["vehicle", "tags", 1], 5, 13),
        (["vehicle", "route"], 7, 5),
        (["vehicle", "route", 0], 7, 7),
        (["vehicle", "route", 1, "at"], 8, 24),
        ([], 1, 1),
    ],
)
def test_value_locations(path: list[str | int], line: int, col: int) -> None:
    assert load(SCENARIO).location(path) == Mark(line, col)


@pytest.mark.parametrize(
    ("path", "line", "col"),
    [
        (["on"], 2, 1),
        (["vehicle"], 3, 1),
        (["vehicle", "speed_mps"], 4, 3),
        (["vehicle", "route", 1, "at"], 8, 20),
        (["notes"], 9, 1),
    ],
)
def test_key_locations(path: list[str | int], line: int, col: int) -> None:
    assert load(SCENARIO).key_location(path) == Mark(line, col)


def test_missing_path_falls_back_to_longest_existing_prefix() -> None:
    doc = load(SCENARIO)
    vehicle = doc.location(["vehicle"])
    assert vehicle == Mark(4, 3)
    assert doc.location(["vehicle", "no_such_key"]) == vehicle
    assert doc.location(["vehicle", "tags", 7]) == Mark(5, 14 - 5)  # the [a, b] list itself
    assert doc.location(["vehicle", "tags", "0"]) == Mark(5, 9)  # a list is indexed by int
    assert doc.location(["nope", "deeper"]) == Mark(1, 1)
    # a list item has no key: key_location falls back to the value
    assert doc.key_location(["vehicle", "tags", 1]) == Mark(5, 13)
    assert doc.key_location(["vehicle", "nope"]) == vehicle


def test_aliases_are_expanded_into_independent_copies() -> None:
    doc = load("base: &b {speed: 2}\ncopy: *b\n")
    assert doc.data == {"base": {"speed": 2}, "copy": {"speed": 2}}
    doc.data["copy"]["speed"] = 9
    assert doc.data["base"]["speed"] == 2
    assert doc.location(["copy", "speed"]) == Mark(1, 18)  # the anchored node


# --- scalars: YAML 1.2 core schema ----------------------------------------------------------------


def test_on_yes_no_keys_and_values_stay_strings() -> None:
    doc = load("on: yes\noff: no\ny: n\nyes: On\nTrue: x\n1: one\nnull: ~\n")
    assert doc.data == {
        "on": "yes",
        "off": "no",
        "y": "n",
        "yes": "On",
        "True": "x",
        "1": "one",
        "null": None,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("Yes", "Yes"),
        ("0", 0),
        ("-17", -17),
        ("+4", 4),
        ("007", 7),
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("0o8", "0o8"),
        ("1e3", 1000.0),
        ("1.5", 1.5),
        ("-.5", -0.5),
        ("2.", 2.0),
        ("6.02E+23", 6.02e23),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("2024-01-01", "2024-01-01"),
        ("12:30:00", "12:30:00"),
        ("1e", "1e"),
        (".", "."),
        ("inf", "inf"),
        ("nan", "nan"),
        ("0x", "0x"),
    ],
)
def test_plain_scalars_follow_core_schema(text: str, expected: object) -> None:
    value = load(f"v: {text}\n").data["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_nan() -> None:
    assert math.isnan(load("v: .nan\n").data["v"])
    assert math.isnan(load("v: .NaN\n").data["v"])


def test_quoted_and_block_scalars_are_strings() -> None:
    doc = load("a: '1e3'\nb: \"true\"\nc: |\n  12\nd: >\n  null\ne: ''\n")
    assert doc.data == {"a": "1e3", "b": "true", "c": "12\n", "d": "null\n", "e": ""}


def test_standard_tags_are_honoured_or_checked() -> None:
    doc = load(
        "a: !!str 12\nb: !!float 3\nc: !!int '0x10'\nd: !!bool 'false'\ne: !!null ''\n"
        "f: !!map {x: 1}\ng: !!seq [1]\n"
    )
    assert doc.data == {
        "a": "12",
        "b": 3.0,
        "c": 16,
        "d": False,
        "e": None,
        "f": {"x": 1},
        "g": [1],
    }
    assert type(doc.data["b"]) is float
    err = refuse("a: 1\nb: !!int 1.5\n")
    assert err.first.line == 2 and "'1.5' is not a valid !!int" in err.first.message
    assert "does not fit" in refuse("a: !!seq {x: 1}\n").first.message
    assert "does not fit" in refuse("a: !!map x\n").first.message


def test_huge_decimal_integer_is_an_error_not_a_crash() -> None:
    err = refuse("v: " + "9" * 5000 + "\n")
    assert "too long" in err.first.message
    assert load("v: !!float 0x10\n").data == {"v": 16.0}
    assert "too long" in refuse("v: !!float 0x" + "f" * 300 + "\n").first.message


# --- structural errors ----------------------------------------------------------------------------


def test_duplicate_key_names_both_lines() -> None:
    err = refuse("vehicle:\n  kind: car\n\n  speed_mps: 1\n  lane: 2\n  speed_mps: 3\n")
    problem = err.first
    assert problem.message == "duplicate key 'speed_mps' (first defined on line 4)"
    assert (problem.file, problem.line, problem.col) == ("s.yaml", 6, 3)


def test_merge_keys_are_refused_but_a_quoted_lt_lt_key_is_text() -> None:
    err = refuse("base: &b {a: 1}\nother:\n  <<: *b\n")
    assert "merge keys" in err.first.message and (err.first.line, err.first.col) == (3, 3)
    assert load("'<<': 1\n").data == {"<<": 1}


@pytest.mark.parametrize("text", ["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n", "{[1]: 2}\n"])
def test_non_scalar_keys_are_refused(text: str) -> None:
    assert "mapping keys must be plain strings" in refuse(text).first.message


def test_multiple_documents_are_refused() -> None:
    err = refuse("a: 1\n---\nb: 2\n")
    assert "more than one YAML document" in err.first.message
    assert err.first.line == 2
    assert load("---\na: 1\n...\n").data == {"a": 1}


def test_syntax_error_is_located() -> None:
    err = refuse("name: demo\nvehicle:\n  speed: 1\n   lane: 2\n")
    assert err.first.message.startswith("invalid YAML: ")
    assert err.first.line == 4
    assert err.first.col is not None
    err = refuse("a: 1\nb: [1, 2\nc: 3\n")
    assert err.first.message.startswith("invalid YAML: ") and err.first.line == 3


def test_undefined_alias_is_a_located_error() -> None:
    err = refuse("a: 1\nb: *nope\n")
    assert err.first.message.startswith("invalid YAML: ") and err.first.line == 2


# --- safety ---------------------------------------------------------------------------------------


def test_python_object_apply_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"name: x\nrun: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ScenarioError) as info:
        load_yaml_file(evil)
    problem = info.value.first
    assert problem.message == (
        "tag '!!python/object/apply:os.system' is not allowed: scenario files hold plain data only"
    )
    assert (problem.file, problem.line, problem.col) == (str(evil), 2, 6)
    err = refuse("run: !!python/object/apply:os.system ['echo hi']\n")
    assert "not allowed" in err.first.message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("f: !!python/name:os.system\n", "!!python/name:os.system"),
        (
            "f: !!python/object:collections.OrderedDict {}\n",
            "!!python/object:collections.OrderedDict",
        ),
        ("f: !!python/tuple [1]\n", "!!python/tuple"),
        ("f: !custom 1\n", "!custom"),
        ("f: !!binary aGk=\n", "!!binary"),
        ("f: !!set {a}\n", "!!set"),
        ("f: !!timestamp 2024-01-01\n", "!!timestamp"),
        ("f: !!omap [a: 1]\n", "!!omap"),
        ("f: ! x\n", "!"),
    ],
)
def test_foreign_tags_are_refused_at_the_node(text: str, shown: str) -> None:
    problem = refuse(text).first
    assert problem.message == f"tag '{shown}' is not allowed: scenario files hold plain data only"
    assert (problem.line, problem.col) == (1, 4)


def test_billion_laughs_fails_fast() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(lines) + "\n"
    err = refuse(bomb)  # fully expanded it would be 387 M nodes: finishing at all is the test
    assert err.first.message == f"aliases expand to more than {MAX_NODES} nodes"
    assert err.first.line is not None


def test_recursive_alias_is_refused() -> None:
    assert "recursive alias" in refuse("a: &a [1, *a]\n").first.message


@pytest.mark.parametrize("opener", ["[", "{", "[{a: "])
def test_very_deep_flow_nesting_is_refused_without_recursion_error(opener: str) -> None:
    err = refuse(opener * 10_000)
    assert err.first.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert err.first.line == 1


def test_depth_limit_is_exact() -> None:
    assert load("[" * MAX_DEPTH + "]" * MAX_DEPTH).data is not None
    assert "nesting deeper" in refuse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)).first.message


def test_deep_block_nesting_is_refused() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5))
    err = refuse(text)
    assert "nesting deeper" in err.first.message and err.first.line == MAX_DEPTH + 1


def test_depth_limit_also_applies_through_aliases() -> None:
    inner = "[" * 40 + "1" + "]" * 40
    err = refuse(f"a: &a {inner}\nb: {'[' * 40}*a{']' * 40}\n")
    assert "nesting deeper" in err.first.message


# --- text-level errors ----------------------------------------------------------------------------


def test_empty_and_comment_only_files_give_none() -> None:
    for text in ["", "# just a comment\n", "\n\n", b""]:
        doc = load(text)
        assert doc.data is None
        assert doc.location([]) is None and doc.key_location(["a"]) is None


def test_non_utf8_bytes() -> None:
    problem = refuse(b"a: 1\nb: caf\xe9\n").first
    assert problem.message.startswith("file is not UTF-8 text: ")
    assert (problem.line, problem.col) == (2, 7)


@pytest.mark.parametrize("text", ["a: 1\nb: x\x00y\n", b"a: 1\nb: x\x00y\n", "a: 1\nb: \x1b\n"])
def test_control_characters_are_refused(text: str | bytes) -> None:
    problem = refuse(text).first
    assert "unacceptable character" in problem.message
    assert problem.line == 2


def test_utf8_bom_and_unicode_are_fine() -> None:
    doc = load("\ufeffname: café ☂\n".encode())
    assert doc.data == {"name": "café ☂"}
    assert doc.location(["name"]) == Mark(1, 7)


def test_oversized_input_is_refused() -> None:
    big = "a: " + "x" * MAX_BYTES + "\n"
    assert "larger than" in refuse(big).first.message
    assert "larger than" in refuse(big.encode()).first.message


def test_unreadable_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ScenarioError) as info:
        load_yaml_file(missing)
    assert info.value.first.file == str(missing)
    assert "cannot read file" in info.value.first.message
    with pytest.raises(ScenarioError):
        load_yaml_file(tmp_path)


def test_load_yaml_file_reads_and_locates(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    doc = load_yaml_file(path)
    assert doc.file == str(path)
    assert doc.data["vehicle"]["speed_mps"] == 3.5
    assert doc.key_location(["vehicle", "tags"]) == Mark(5, 3)


# --- dumping --------------------------------------------------------------------------------------

TRICKY_STRINGS = [
    "1e3",
    "true",
    "True",
    "null",
    "~",
    "",
    "0x10",
    "0o7",
    "12",
    "-3",
    ".5",
    ".inf",
    "-.inf",
    ".nan",
    "on",
    "yes",
    "no",
    "<<",
    " leading",
    "trailing ",
    "a: b",
    "- x",
    "#hash",
    "x #y",
    "[1]",
    "{a}",
    "*alias",
    "&anchor",
    "!tag",
    "%pct",
    "@at",
    "`tick",
    "'quote",
    '"dq',
    "multi\nline\n",
    "tab\there",
    "\ttab",
    "cr\rlf",
    "nul\x00",
    "nel\x85x",
    "ls\u2028x",
    "bom\ufeff",
    "\ufeffbom",
    "2024-01-01",
    "café ☂",
    "?",
    ":",
    "-",
    "---",
    "...",
    "a" * 200,
    "word " * 30,
]


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_tricky_strings_round_trip_as_values_and_keys(text: str) -> None:
    data = {"value": text, text: [text], "nested": {text: text}}
    assert load(dump_yaml(data)).data == data
    assert load(dump_yaml(text)).data == text


def test_dump_is_block_style_ordered_and_readable() -> None:
    data = {
        "z": 1,
        "on": "shoulder",
        "a": [1.5, math.inf, -math.inf, None, True, "1e3"],
        "empty": {},
        "none": [],
    }
    text = dump_yaml(data)
    assert text == (
        "z: 1\non: shoulder\na:\n- 1.5\n- .inf\n- -.inf\n- null\n- true\n- '1e3'\nempty: {}\n"
        "none: []\n"
    )
    assert load(text).data == data
    assert dump_yaml(data) == text
    assert "&" not in dump_yaml({"a": data, "b": data})  # no anchors for shared objects
    assert dump_yaml(math.nan).startswith(".nan")
    assert math.isnan(load(dump_yaml(math.nan)).data)


def test_dump_refuses_non_string_keys() -> None:
    with pytest.raises(TypeError):
        dump_yaml({1: "a"})


# --- property tests -------------------------------------------------------------------------------

YAML_PIECES = st.sampled_from(
    [
        "a",
        "b",
        ":",
        ": ",
        "- ",
        "-",
        "[",
        "]",
        "{",
        "}",
        ",",
        "\n",
        "  ",
        "\t",
        "&x ",
        "*x",
        "&y ",
        "*y",
        "!!str ",
        "!!int ",
        "!x ",
        "!!python/name:os.system ",
        "? ",
        "'",
        '"',
        "|",
        ">",
        "#",
        "---\n",
        "...\n",
        "%YAML 1.2\n",
        "%TAG ! tag:x:\n",
        "<<",
        "1e3",
        "~",
        "on",
        "\\",
        "\x00",
        "\ufeff",
        "é",
        "0x1",
        "\r\n",
        "@",
    ]
)


def assert_loads_or_refuses(text: str | bytes) -> None:
    try:
        doc = load(text)
    except ScenarioError as exc:
        assert "bug in simengine" not in str(exc)
        assert exc.first.file == "s.yaml"
        return
    assert isinstance(doc, LocatedDocument)
    doc.location(["a", 0, "b"])
    doc.key_location(["a"])


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200),
        st.lists(YAML_PIECES, max_size=40).map("".join),
    )
)
def test_any_input_loads_or_raises_scenario_error(text: str | bytes) -> None:
    assert_loads_or_refuses(text)


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(deadline=None, max_examples=300)
@given(JSON_LIKE)
def test_dump_round_trips(data: object) -> None:
    text = dump_yaml(data)
    assert load(text).data == data
    assert dump_yaml(data) == text
