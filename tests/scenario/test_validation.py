"""Validation of broken scenario files: one located, clear message per mistake.

Each broken file is the dummy domain's ``approach.yaml`` with one edit (or a small standalone
file). The tests pin the whole message contract: exactly one problem for one mistake, the file,
the line (and column where it is meaningful), the field path, and the words that say what was
expected and what was found (with the closest valid key for a typo). Nothing in a file is ever
executed, and every file is refused well within a second.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from simengine import api
from simengine.errors import Problem, ScenarioError
from simengine.scenario.scenario import load_scenario, load_scenario_text
from tests.conftest import APPROACH, SUPPORT

BASE = APPROACH.read_text(encoding="utf-8")
SMALL = "schema_version: 1\nname: small\ndomain: dummy\nduration_s: 5\n"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """tmp/scenarios/ for scenario files, tmp/presets/ with the preset approach.yaml uses."""
    (tmp_path / "scenarios").mkdir()
    shutil.copytree(SUPPORT / "presets", tmp_path / "presets")
    return tmp_path


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the ``occurrence``-th ``needle`` in ``text``."""
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the base file"
    return text.replace(old, new)


def problems_of(layout: Path, text: str | bytes, name: str = "bad.yaml") -> tuple[Path, list]:
    path = layout / "scenarios" / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    report = api.validate([path])
    elapsed = time.perf_counter() - started
    # a safety bound against work a file should never cause (expanding a bomb), not a benchmark
    assert elapsed < 10.0, f"validating took {elapsed:.2f}s"
    return path, report[str(path)]


def one_problem(layout: Path, text: str | bytes, name: str = "bad.yaml") -> Problem:
    """Validate ``text`` as a file; exactly one problem, located in that file."""
    path, problems = problems_of(layout, text, name)
    assert len(problems) == 1, "\n".join(p.format() for p in problems)
    problem = problems[0]
    assert problem.file == str(path)
    formatted = problem.format()
    assert formatted.startswith(f"{path}:")
    assert "Traceback" not in formatted
    return problem


def at(problem: Problem, text: str, needle: str, *, occurrence: int = 1,
       column: bool = True) -> None:
    """The problem points at ``needle`` (its line, and its column unless told otherwise)."""
    line, col = position(text, needle, occurrence)
    assert problem.line == line, problem.format()
    if column:
        assert problem.col == col, problem.format()


# -- the file as a whole --------------------------------------------------------------------------


def test_the_base_file_is_valid(layout: Path) -> None:
    _, problems = problems_of(layout, BASE, "good.yaml")
    assert problems == []


def test_yaml_syntax_error_is_located(layout: Path) -> None:
    text = edit("  gap_m: {uniform: [15, 45]}", "  gap_m: {uniform: [15, 45]")
    p = one_problem(layout, text)
    assert p.message.startswith("invalid YAML: ")
    assert "expected ',' or '}'" in p.message
    # the parser notices at the start of the next line
    assert (p.line, p.col) == position(text, "speed_mps: $closing")
    assert p.field is None


def test_empty_file(layout: Path) -> None:
    p = one_problem(layout, "")
    assert (p.line, p.col) == (1, 1)
    assert "a scenario file must be a mapping of keys" in p.message
    assert "found an empty file" in p.message


def test_top_level_list(layout: Path) -> None:
    p = one_problem(layout, "- schema_version: 1\n- name: x\n")
    assert (p.line, p.col) == (1, 1)
    assert "must be a mapping of keys" in p.message
    assert "found a list" in p.message


def test_not_utf8(layout: Path) -> None:
    p = one_problem(layout, BASE.encode() + b"\nname2: \xff\xfe\n")
    assert "not UTF-8" in p.message
    assert p.line == BASE.count("\n") + 2


# -- keys -----------------------------------------------------------------------------------------


def test_typo_in_a_domain_world_key(layout: Path) -> None:
    text = edit("  speed_mps: $closing_speed_mps", "  sped_mps: $closing_speed_mps")
    p = one_problem(layout, text)
    at(p, text, "sped_mps")  # the key itself
    assert p.field == "world.sped_mps"
    assert "unknown key 'sped_mps'" in p.message
    assert "did you mean 'speed_mps'" in p.message
    assert "expected one of: brake_mps2, brake_ttc_s, gap_m, jitter_mps, speed_mps" in p.message


def test_typo_in_a_required_key_is_one_problem(layout: Path) -> None:
    text = edit("duration_s: 6", "duraton_s: 6")
    p = one_problem(layout, text)  # not also "missing required key 'duration_s'"
    at(p, text, "duraton_s")
    assert p.field == "duraton_s"
    assert "unknown key 'duraton_s' (did you mean 'duration_s'?)" in p.message
    assert "'duration_s' is required" in p.message


def test_typo_in_labels_key(layout: Path) -> None:
    text = edit("  serious_ttc_s: 1.5", "  serous_ttc_s: 1.5")
    p = one_problem(layout, text)
    at(p, text, "serous_ttc_s")
    assert p.field == "labels.serous_ttc_s"
    assert "did you mean 'serious_ttc_s'" in p.message


def test_typo_inside_a_weather_event(layout: Path) -> None:
    text = edit("weather:\n", "weather:\n  events:\n    - {kind: fog_bank, visibilty_m: 50}\n")
    p = one_problem(layout, text)
    at(p, text, "visibilty_m")
    assert p.field == "weather.events.0.visibilty_m"
    assert "unknown key 'visibilty_m' (did you mean 'visibility_m'?)" in p.message


def test_unknown_weather_event_kind_suggests_the_closest(layout: Path) -> None:
    text = edit("weather:\n", "weather:\n  events:\n    - {kind: fogbank}\n")
    p = one_problem(layout, text)
    at(p, text, "fogbank")
    assert p.field == "weather.events.0.kind"
    assert "expected one of 'fog_bank', 'heat_wave', 'storm'" in p.message
    assert "found a string 'fogbank'" in p.message
    assert "did you mean 'fog_bank'" in p.message


def test_missing_required_key(layout: Path) -> None:
    text = edit("name: approach\n", "")
    p = one_problem(layout, text)
    assert p.field == "name"
    assert p.message.startswith("missing required key 'name'")
    assert "Scenario name" in p.message  # the field's description says what it is
    assert p.line == 2  # the mapping that lacks it (line 1 is a comment)


def test_duplicate_key(layout: Path) -> None:
    text = edit("step_hz: 10", "step_hz: 10\nstep_hz: 20")
    p = one_problem(layout, text)
    at(p, text, "step_hz: 20")
    first, _ = position(text, "step_hz: 10")
    assert p.message == f"duplicate key 'step_hz' (first defined on line {first})"


def test_typo_in_an_output_key(layout: Path) -> None:
    text = edit("  - events\n", "  - {strem: events}\n")
    p = one_problem(layout, text)
    at(p, text, "strem")
    assert p.field == "outputs.0"
    assert "unknown key 'strem' (did you mean 'stream'?)" in p.message


def test_typo_in_a_stream_output_option(layout: Path) -> None:
    text = edit("{stream: trajectories, only_if:", "{stream: trajectories, onlyif:")
    p = one_problem(layout, text)
    at(p, text, "onlyif")
    assert "unknown key 'onlyif' (did you mean 'only_if'?)" in p.message


# -- types and ranges -----------------------------------------------------------------------------


def test_wrong_type(layout: Path) -> None:
    text = edit("duration_s: 6", "duration_s: six")
    p = one_problem(layout, text)
    at(p, text, "six")
    assert p.field == "duration_s"
    assert p.message == "expected a number; found a string 'six'"


@pytest.mark.parametrize(("value", "found"), [("'6'", "a string '6'"), ("true", "a boolean")])
def test_numbers_are_not_read_from_text_or_booleans(layout: Path, value: str, found: str) -> None:
    text = edit("duration_s: 6", f"duration_s: {value}")
    p = one_problem(layout, text)
    at(p, text, value)
    assert p.message.startswith(f"expected a number; found {found}")


def test_wrong_type_of_a_value_field(layout: Path) -> None:
    text = edit("  gap_m: {uniform: [15, 45]}", "  gap_m: forty")
    p = one_problem(layout, text)
    at(p, text, "forty")
    assert p.field == "world.gap_m"
    assert "expected a number, a distribution such as {uniform: [low, high]}, or a $reference" in (
        p.message
    )
    assert "found a string 'forty'" in p.message


def test_mapping_where_a_list_is_expected(layout: Path) -> None:
    text = edit("outputs:\n", "outputs: {stream: events}\nxoutputs:\n")
    _, problems = problems_of(layout, text)
    first = problems[0]
    at(first, text, "{stream: events}")
    assert first.field == "outputs"
    assert first.message.startswith("expected a list; found a mapping")


def test_list_where_a_mapping_is_expected_names_the_keys(layout: Path) -> None:
    text = edit("labels:\n  serious_ttc_s: 1.5\n", "labels: [1.5]\n")
    p = one_problem(layout, text)
    at(p, text, "[1.5]")
    assert p.field == "labels"
    assert "expected a mapping with keys such as critical_ttc_s, potential_ttc_s" in p.message
    assert "found a list [1.5]" in p.message


def test_literal_choice_with_did_you_mean(layout: Path) -> None:
    text = edit("  method: subset", "  method: subsett")
    p = one_problem(layout, text)
    at(p, text, "subsett")
    assert p.field == "rare_event.method"
    assert p.message == (
        "expected one of 'naive', 'ce', 'subset'; found a string 'subsett' "
        "(did you mean 'subset'?)"
    )


def test_pydantic_bounds_are_reworded(layout: Path) -> None:
    text = edit("  method: subset", "  method: subset\n  budget: -1")
    p = one_problem(layout, text)
    at(p, text, "-1")
    assert p.field == "rare_event.budget"
    assert p.message == "must be > 0; found -1"


def test_optional_value_field_gives_one_message(layout: Path) -> None:
    # weather.visibility_m is `value_field(gt=0) | None`: no "or null" noise from the union
    text = edit("  visibility_m: {choice: {values: [.inf, 300, 100], p: [0.9, 0.07, 0.03]}}",
                "  visibility_m: -5")
    p = one_problem(layout, text)
    at(p, text, "-5")
    assert p.field == "weather.visibility_m"
    assert p.message == "must be > 0; found -5"


def test_optional_value_field_in_a_weather_event(layout: Path) -> None:
    text = edit("weather:\n", "weather:\n  events:\n    - {kind: storm, duration_s: long}\n")
    p = one_problem(layout, text)
    at(p, text, "long")
    assert p.field == "weather.events.0.duration_s"
    assert "found a string 'long'" in p.message


def test_category_outside_its_choices(layout: Path) -> None:
    text = edit("  road: {choice: {dry: 0.7, wet: 0.25, ice: 0.05}}",
                "  road: {choice: {dry: 0.7, wet: 0.25, slush: 0.05}}")
    p = one_problem(layout, text)
    at(p, text, "slush")
    assert p.field == "weather.road"
    assert p.message == (
        "choice: expected values among [dry, wet, snow, ice]; found a string 'slush'"
    )


def test_bad_param_name_points_at_the_name(layout: Path) -> None:
    text = edit("params:\n", "params:\n  2fast: 3\n")
    p = one_problem(layout, text)
    at(p, text, "2fast")
    assert p.field == "params.2fast"
    assert "param name '2fast' must start with a letter" in p.message


def test_name_pattern_is_explained(layout: Path) -> None:
    text = edit("name: approach", "name: My Approach")
    p = one_problem(layout, text)
    at(p, text, "My Approach")
    assert "expected lowercase letters, digits" in p.message
    assert "found a string 'My Approach'" in p.message


# -- distributions --------------------------------------------------------------------------------


def test_negative_std(layout: Path) -> None:
    text = edit("{normal: {mean: 5, std: 1.5}", "{normal: {mean: 5, std: -1}")
    p = one_problem(layout, text)
    at(p, text, "-1}")  # the std value itself
    assert p.field == "params.brake_base_mps2"
    assert "normal: std must be > 0" in p.message
    assert "found -1" in p.message


def test_negative_std_in_block_style_points_at_its_line(layout: Path) -> None:
    text = SMALL + "params:\n  a:\n    normal:\n      mean: 0\n      std: -2\n"
    p = one_problem(layout, text)
    at(p, text, "-2")
    assert "std must be > 0" in p.message


def test_reversed_bounds(layout: Path) -> None:
    text = edit("{uniform: [6, 16]}", "{uniform: [16, 6]}")
    p = one_problem(layout, text)
    at(p, text, "[16, 6]")
    assert p.field == "params.closing_speed_mps"
    assert "uniform: expected low < high" in p.message
    assert "found low=16" in p.message


def test_reversed_truncation(layout: Path) -> None:
    text = edit("truncate: [1, 9]", "truncate: [9, 1]")
    p = one_problem(layout, text)
    at(p, text, "[9, 1]")
    assert p.field == "params.brake_base_mps2"
    assert "truncate: expected [lo, hi] with lo < hi" in p.message


def test_unknown_distribution(layout: Path) -> None:
    text = edit("{uniform: [6, 16]}", "{unifrom: [6, 16]}")
    p = one_problem(layout, text)
    at(p, text, "unifrom")
    assert p.field == "params.closing_speed_mps"
    assert "unknown distribution 'unifrom' (did you mean 'uniform'?)" in p.message
    assert "expected one of: beta, choice, const" in p.message


def test_unknown_distribution_parameter(layout: Path) -> None:
    text = edit("{normal: {mean: 5, std: 1.5}", "{normal: {mean: 5, sd: 1.5}")
    p = one_problem(layout, text)
    assert p.line == position(text, "sd: 1.5")[0]
    assert "unknown parameter 'sd' (did you mean 'std'?)" in p.message


def test_distribution_that_can_break_a_bound(layout: Path) -> None:
    text = edit("  gap_m: {uniform: [15, 45]}", "  gap_m: {uniform: [-5, 45]}")
    p = one_problem(layout, text)
    at(p, text, "{uniform: [-5, 45]}")
    assert p.field == "world.gap_m"
    assert "must be > 0; found a uniform distribution that can draw values down to -5" in (
        p.message
    )
    assert "truncate: [0, null]" in p.message


def test_truncation_declares_the_support(layout: Path) -> None:
    text = edit("  gap_m: {uniform: [15, 45]}",
                "  gap_m: {normal: {mean: 30, std: 10}, truncate: [5, null]}")
    _, problems = problems_of(layout, text)
    assert problems == []


def test_undefined_reference(layout: Path) -> None:
    text = edit("  brake_mps2: $brake_base_mps2", "  brake_mps2: $brake_bse_mps2")
    p = one_problem(layout, text)
    at(p, text, "$brake_bse_mps2")
    assert p.field == "world.brake_mps2"
    assert p.message == (
        "reference to undefined param $brake_bse_mps2 (did you mean $brake_base_mps2?)"
    )


def test_circular_reference(layout: Path) -> None:
    text = edit("{uniform: [6, 16]}", "{uniform: [$brake_base_mps2, 16]}")
    text = edit("{normal: {mean: 5, std: 1.5}", "{normal: {mean: $closing_speed_mps, std: 1.5}",
                text)
    p = one_problem(layout, text)
    at(p, text, "{uniform: [$brake_base_mps2")
    assert p.field == "params.closing_speed_mps"
    assert p.message == (
        "circular reference: closing_speed_mps -> brake_base_mps2 -> closing_speed_mps"
    )


# -- correlation, split, expectations -------------------------------------------------------------


def test_correlated_group_naming_an_unknown_param(layout: Path) -> None:
    text = edit("[closing_speed_mps, brake_base_mps2]", "[closing_speed_mps, brake_bse_mps2]")
    p = one_problem(layout, text)
    at(p, text, "brake_bse_mps2")
    assert p.field == "correlated.0.params.1"
    assert "'brake_bse_mps2' is not a declared param (did you mean 'brake_base_mps2'?)" in (
        p.message
    )


def test_correlation_matrix_not_positive_definite(layout: Path) -> None:
    text = SMALL + (
        "params:\n  a: {uniform: [0, 1]}\n  b: {uniform: [0, 1]}\n  c: {uniform: [0, 1]}\n"
        "correlated:\n  - params: [a, b, c]\n"
        "    correlation: [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]\n"
    )
    p = one_problem(layout, text)
    at(p, text, "[[1, 0.9")
    assert p.field == "correlated.0.correlation"
    assert "expected a positive definite matrix; found smallest eigenvalue" in p.message


def test_correlation_matrix_not_symmetric_points_at_the_entry(layout: Path) -> None:
    text = edit("[[1, -0.3], [-0.3, 1]]", "[[1, -0.3], [0.3, 1]]")
    p = one_problem(layout, text)
    at(p, text, "0.3, 1]]")
    assert p.field == "correlated.0.correlation"
    assert "expected a symmetric matrix" in p.message


def test_correlation_matrix_of_the_wrong_size(layout: Path) -> None:
    text = edit("[[1, -0.3], [-0.3, 1]]", "[[1, -0.3, 0], [-0.3, 1, 0]]")
    p = one_problem(layout, text)
    assert p.field == "correlated.0.correlation"
    assert "expected a 2x2 matrix" in p.message


def test_split_fractions_must_sum_to_one(layout: Path) -> None:
    text = BASE + "split: {train: 0.8, val: 0.3}\n"
    p = one_problem(layout, text)
    at(p, text, "{train: 0.8")
    assert p.field == "split"
    assert p.message == "fractions must sum to 1; found 0.8 + 0.3 = 1.1"


def test_negative_split_fraction_points_at_it(layout: Path) -> None:
    text = BASE + "split: {train: 1.2, val: -0.2}\n"
    _, problems = problems_of(layout, text)
    messages = {p.field: p.message for p in problems}
    assert messages["split.val"] == "must be >= 0; found -0.2"


def test_reversed_expect_range(layout: Path) -> None:
    text = edit("collision: [0.05, 0.6]", "collision: [0.6, 0.05]")
    p = one_problem(layout, text)
    at(p, text, "[0.6, 0.05]")
    assert p.field == "expect.collision"
    assert p.message == "expected [low, high] with low <= high; found [0.6, 0.05]"


# -- expressions: nothing is executed -------------------------------------------------------------

UNSAFE = {
    "import": ("__import__('os').system('touch {marker}')", "calls are limited to abs, min"),
    "attribute": ("().__class__.__bases__", "attribute access"),
    "dunder name": ("collision.__class__", "names starting with '_' are not allowed"),
    "lambda": ("(lambda: 1)()", "lambda is not allowed"),
    "subscript": ("min_ttc_s[0] > 1", "subscripts such as x[0] are not allowed"),
    "call": ("open('{marker}', 'w')", "calls are limited to abs, min"),
}
PLACES = {
    "only_if": ('only_if: "collision"', 'only_if: "{expr}"', "outputs.2.only_if"),
    "rare_event.event": ('event: "collision or min_ttc_s < 0.5"', 'event: "{expr}"',
                         "rare_event.event"),
    "expect key": ("  collision: [0.05, 0.6]", '  "{expr}": [0.05, 0.6]', None),
}


@pytest.mark.parametrize("place", list(PLACES))
@pytest.mark.parametrize("attack", list(UNSAFE))
def test_unsafe_expressions_are_refused_not_run(layout: Path, place: str, attack: str) -> None:
    marker = layout / "PWNED"
    expr, words = UNSAFE[attack]
    expr = expr.format(marker=marker)
    old, new, field = PLACES[place]
    text = edit(old, new.format(expr=expr))
    p = one_problem(layout, text)
    assert not marker.exists()
    at(p, text, f'"{expr}"')
    assert p.field == (field or f"expect.{expr}")
    assert words in p.message
    assert expr[:20] in p.message  # quotes the expression (long ones clipped)


def test_subset_simulation_needs_a_margin(layout: Path) -> None:
    text = edit('event: "collision or min_ttc_s < 0.5"', "event: \"weather.road == 'wet'\"")
    p = one_problem(layout, text)
    at(p, text, "\"weather.road == 'wet'\"")
    assert p.field == "rare_event.event"
    assert "has no margin" in p.message
    assert "subset simulation needs a continuous score" in p.message
    assert "method: naive" in p.message


def test_the_same_event_is_fine_for_naive_monte_carlo(layout: Path) -> None:
    text = edit('event: "collision or min_ttc_s < 0.5"', "event: \"weather.road == 'wet'\"")
    text = edit("  method: subset", "  method: naive", text)
    _, problems = problems_of(layout, text)
    assert problems == []


def test_unknown_column_in_an_expression(layout: Path) -> None:
    text = edit('only_if: "collision"', 'only_if: "colision"')
    p = one_problem(layout, text)
    at(p, text, '"colision"')
    assert "unknown column 'colision'; did you mean 'collision'?" in p.message


# -- hostile YAML ---------------------------------------------------------------------------------


def test_python_tag_is_refused_and_not_run(layout: Path) -> None:
    marker = layout / "PWNED"
    text = edit("name: approach", f"name: !!python/object/apply:os.system ['touch {marker}']")
    p = one_problem(layout, text)
    assert not marker.exists()
    at(p, text, "!!python")
    assert p.message == (
        "tag '!!python/object/apply:os.system' is not allowed: scenario files hold plain data only"
    )


def test_alias_bomb_is_refused_quickly(layout: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    text = "\n".join(lines) + "\n"
    p = one_problem(layout, text)
    assert p.message.startswith("aliases expand to more than")
    assert p.line is not None and 2 <= p.line <= len(lines)


def test_deep_nesting_is_refused(layout: Path) -> None:
    text = "schema_version: 1\nworld: " + "[" * 5000 + "]" * 5000 + "\n"
    p = one_problem(layout, text)
    assert p.line == 2
    assert p.message == "nesting deeper than 64 levels"


# -- outputs, presets, domains --------------------------------------------------------------------


def test_unknown_preset_or_stream_name(layout: Path) -> None:
    text = edit("  - events\n", "  - dashcm-640\n")
    p = one_problem(layout, text)
    at(p, text, "dashcm-640")
    assert p.field == "outputs.0"
    assert "unknown output 'dashcm-640'" in p.message
    assert "expected a stream of this domain (trajectories, events)" in p.message


def test_unknown_stream(layout: Path) -> None:
    text = edit("{stream: trajectories,", "{stream: trajectores,")
    p = one_problem(layout, text)
    assert p.line == position(text, "trajectores")[0]
    assert p.field == "outputs.1"
    assert "unknown stream 'trajectores' (did you mean 'trajectories'?)" in p.message


def test_missing_preset_file(layout: Path) -> None:
    text = edit("../presets/dummy-thumbs.yaml", "../presets/dummy-thumb.yaml")
    p = one_problem(layout, text)
    assert p.field == "outputs.2"
    assert "preset file not found '../presets/dummy-thumb.yaml'" in p.message


def test_bad_option_override_is_located_in_the_scenario(layout: Path) -> None:
    text = edit("name: thumbs,", "name: thumbs, width_px: -3,")
    p = one_problem(layout, text)
    at(p, text, "-3")
    assert p.field == "outputs.2.width_px"
    assert p.message == "must be > 0; found -3"


def test_misspelt_option_override_suggests_options_and_output_keys(layout: Path) -> None:
    text = edit("name: thumbs,", "name: thumbs, widht_px: 3,")
    p = one_problem(layout, text)
    at(p, text, "widht_px")
    assert "unknown key 'widht_px' (did you mean 'width_px'?)" in p.message


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "words"),
    [
        ("width_px: 8", "widht_px: 8", "widht_px", "widht_px",
         "unknown key 'widht_px' (did you mean 'width_px'?)"),
        ("width_px: 8", "width_px: -8", "-8", "width_px", "must be > 0; found -8"),
        ("renderer: dummy-image", "renderer: dummy-imag", "dummy-imag", "renderer",
         "unknown renderer 'dummy-imag' (did you mean 'dummy-image'?)"),
        ("schema_version: 1", "schema_version: 3", "3", "schema_version",
         "unsupported schema_version 3"),
        ("renderer: dummy-image\n", "", None, "renderer", "missing required key 'renderer'"),
    ],
)
def test_errors_inside_a_preset_file_are_located_there(
    layout: Path, old: str, new: str, needle: str | None, field: str, words: str
) -> None:
    preset = layout / "presets" / "dummy-thumbs.yaml"
    ptext = edit(old, new, preset.read_text())
    preset.write_text(ptext)
    _, problems = problems_of(layout, BASE)
    assert len(problems) == 1, [p.format() for p in problems]
    p = problems[0]
    assert p.file is not None and Path(p.file).resolve() == preset.resolve()
    assert p.field == field
    assert words in p.message
    if needle is not None:
        assert (p.line, p.col) == position(ptext, needle)


def test_preset_file_with_bad_yaml(layout: Path) -> None:
    preset = layout / "presets" / "dummy-thumbs.yaml"
    preset.write_text(preset.read_text().replace("width_px: 8", "width_px: [8"))
    _, problems = problems_of(layout, BASE)
    assert len(problems) == 1
    assert Path(problems[0].file or "").resolve() == preset.resolve()
    assert problems[0].message.startswith("invalid YAML")


def test_wrong_schema_version(layout: Path) -> None:
    text = edit("schema_version: 1", "schema_version: 2")
    p = one_problem(layout, text)
    at(p, text, "2\n")
    assert p.field == "schema_version"
    assert p.message == "unsupported schema_version 2: this simengine reads schema_version 1"


def test_unknown_domain_with_did_you_mean(layout: Path) -> None:
    text = edit("domain: dummy", "domain: dumy")
    p = one_problem(layout, text)
    at(p, text, "dumy")
    assert p.field == "domain"
    assert "unknown domain 'dumy' (did you mean 'dummy'?)" in p.message


# -- several mistakes, all reported in one pass ---------------------------------------------------


def test_independent_mistakes_are_all_reported_in_file_order(layout: Path) -> None:
    text = edit("duration_s: 6", "duration_s: -6")
    text = edit("  speed_mps: $closing_speed_mps", "  sped_mps: $closing_speed_mps", text)
    text = edit("  serious_ttc_s: 1.5", "  serious_ttc_s: high", text)
    _, problems = problems_of(layout, text)
    assert [p.field for p in problems] == ["duration_s", "world.sped_mps", "labels.serious_ttc_s"]
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)


# -- --set overrides ------------------------------------------------------------------------------


def override_problem(*overrides: str) -> Problem:
    with pytest.raises(ScenarioError) as info:
        load_scenario(APPROACH, overrides=list(overrides))
    problems = info.value.problems
    assert len(problems) == 1, info.value.format()
    return problems[0]


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ("world.gap_m=-3", "world.gap_m", "must be > 0; found -3"),
        ("duration_s=abc", "duration_s", "expected a number; found a string 'abc'"),
        ("world.sped_mps=3", "world.sped_mps", "did you mean 'speed_mps'?"),
        ("weather.road=slush", "weather.road", "found a string 'slush'"),
        ("params.closing_speed_mps={uniform: [3, 1]}", "params.closing_speed_mps",
         "uniform: expected low < high"),
        ("world.speed_mps=$nope", "world.speed_mps", "reference to undefined param $nope"),
        ("rare_event.event=__import__('os')", "rare_event.event", "calls are limited to"),
        ("split.train=0.5", "split", "fractions must sum to 1"),
        ("params.x=[", "params.x", "cannot read the value '[': invalid YAML"),
        ("weather.road=!!python/object/apply:os.system ['x']", "weather.road",
         "tag '!!python/object/apply:os.system' is not allowed"),
        ("name.x=3", "name.x", "name is a string 'approach', not a mapping or list"),
        ("outputs.7=events", "outputs.7", "outputs is a list of 3 items"),
        ("domain=dumy", "domain", "did you mean 'dummy'?"),
    ],
)
def test_bad_override_is_reported_against_the_override(
    override: str, field: str, message: str
) -> None:
    p = override_problem(override)
    assert p.file == f"--set {override}"
    assert p.line is None and p.col is None
    assert p.field == field
    assert message in p.message
    assert p.format() == f"--set {override}: {field}: {p.message}"


def test_override_without_equals_sign() -> None:
    p = override_problem("duration_s")
    assert p.format().startswith("--set duration_s: expected KEY=VALUE")


def test_bad_extra_output_is_reported_against_the_option() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(APPROACH, outputs=["nope"])
    (p,) = info.value.problems
    assert p.file == "--output nope"
    assert "unknown output 'nope'" in p.message


def test_missing_key_in_a_mapping_an_override_created_blames_the_override() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(SMALL, file="small.yaml", overrides=["rare_event.method=ce"])
    (p,) = info.value.problems
    assert p.file == "--set rare_event.method=ce"
    assert p.field == "rare_event.event"
    assert p.message.startswith("missing required key 'event'")


def test_good_override_still_loads() -> None:
    scn = load_scenario(APPROACH, overrides=["weather.road=wet", "world.gap_m=30"])
    assert scn.spec.weather.road.to_raw() == "wet"


def test_text_api_locates_problems_in_the_named_file() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(SMALL + "step_hz: fast\n", file="inline.yaml")
    assert info.value.format() == (
        "inline.yaml:5:10: step_hz: expected a number; found a string 'fast'"
    )
