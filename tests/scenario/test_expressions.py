"""The safe expression language: parsing, refusals, vectorised evaluation and margins."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from simengine.errors import ExpressionError
from simengine.scenario import expressions
from simengine.scenario.expressions import (
    BoolOp,
    Call,
    Column,
    ColumnInfo,
    Compare,
    Const,
    In,
    NoMarginError,
    Not,
    Unary,
    compile_margin,
    parse_expression,
    unparse,
)

LEVELS = ("none", "potential", "serious", "critical")
INFO = {
    "collision": ColumnInfo("bool", margin="penetration_m"),
    "stalled": ColumnInfo("bool"),
    "near_miss": ColumnInfo(
        "ordered",
        levels=LEVELS,
        level_margins={f"{level}": f"nm_{level}" for level in LEVELS[1:]},
    ),
    "weather.road": ColumnInfo("category"),
    "impact_dv_mps": ColumnInfo("number"),
}


def evaluate(source: str, **columns: object) -> np.ndarray:
    return parse_expression(source).evaluate(columns)


def margin(source: str, columns: dict[str, object]) -> np.ndarray:
    return parse_expression(source).margin(columns, INFO)


# --------------------------------------------------------------------------------------------
# Parsing into the IR


def test_ir_of_a_typical_condition() -> None:
    expr = parse_expression("collision or near_miss in ['serious', 'critical']")
    assert expr.tree == BoolOp(
        "or", (Column("collision"), In(Column("near_miss"), ("serious", "critical")))
    )
    assert expr.names == frozenset({"collision", "near_miss"})
    assert str(expr) == expr.source


def test_dotted_names_are_single_columns_and_literals_are_floats() -> None:
    expr = parse_expression("world.actors.lead.speed_mps > 10 and not -x < +2")
    assert expr.tree == BoolOp(
        "and",
        (
            Compare((">",), (Column("world.actors.lead.speed_mps"), Const(10.0))),
            Not(Compare(("<",), (Unary("-", Column("x")), Const(2.0)))),
        ),
    )
    assert isinstance(parse_expression("3").tree.value, float)  # type: ignore[union-attr]
    assert parse_expression("inf").tree == Const(float("inf"))
    assert parse_expression("-inf").tree == Const(float("-inf"))
    assert parse_expression("clip(x, 0, 1)").tree == Call(
        "clip", (Column("x"), Const(0.0), Const(1.0))
    )


def test_multiline_source_and_leading_blanks() -> None:
    expr = parse_expression("\n  collision\n  and x > 1\n")
    assert expr.names == {"collision", "x"}
    with pytest.raises(ExpressionError, match="at column 3"):
        parse_expression("  x +")


@pytest.mark.parametrize(
    "source",
    [
        "1 < x <= 3 and not (y == 2 or z != -1.5)",
        "-(x + y) * 2 ** -z // 3 % 4",
        "(-2) ** x ** 2 - (a - b) - c",
        "max(abs(x), sqrt(y), 1e300) >= min(exp(x), log(y))",
        "a.b.c not in ['p', 'q'] or (x < y) == (y < z)",
        "(a and b) and c or not not d",
        "x > inf or x < -inf or True",
    ],
)
def test_unparse_round_trips(source: str) -> None:
    tree = parse_expression(source).tree
    assert parse_expression(unparse(tree)).tree == tree


# --------------------------------------------------------------------------------------------
# Refusals


@pytest.mark.parametrize(
    "template",
    [
        "__import__('os').system('touch {m}')",
        "().__class__.__bases__[0].__subclasses__()",
        "open('{m}', 'w')",
        "eval(\"open('{m}', 'w')\")",
        "exec(\"open('{m}', 'w')\")",
        "[open('{m}', 'w') for _ in [1]]",
        "(lambda: open('{m}', 'w'))()",
        "getattr(__builtins__, 'open')('{m}', 'w')",
    ],
)
def test_payloads_are_refused_and_never_run(template: str, tmp_path) -> None:
    marker = tmp_path / "pwned"
    source = template.replace("{m}", str(marker))
    with pytest.raises(ExpressionError):
        expr = parse_expression(source)
        expr.evaluate({"x": np.zeros(2)})
    assert not marker.exists()


def test_import_payload_names_the_call() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("__import__('os').system('x')")
    text = str(info.value)
    assert "calls are limited to abs, min, max, sqrt, exp, log, clip; found '__import__'" in text
    assert "at column 1" in text


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x.__class__", "names starting with '_'"),
        ("().__class__", "attribute access ('.__class__')"),
        ("abs(x).real", "attribute access ('.real')"),
        ("lambda: 1", "lambda"),
        ("x[0]", "subscripts"),
        ("x[1:2]", "subscripts"),
        ("abs(x=1)", "keyword arguments"),
        ("[a for a in b]", "comprehensions"),
        ("any(a for a in b)", "found 'any'"),
        ("f'{x}'", "f-strings"),
        ("(y := 1)", "assignment expressions"),
        ("_private", "names starting with '_'"),
        ("a._b", "names starting with '_'"),
        ("foo(1)", "found 'foo'"),
        ("os.system('x')", "found 'os.system'"),
        ("b'x' == y", "bytes literals"),
        ("x == None", "None"),
        ("1j", "complex numbers"),
        ("x if y else z", "conditional expressions"),
        ("x in {1, 2}", "'in' needs a list or tuple"),
        ("{1, 2}", "sets"),
        ("{1: 2}", "dicts"),
        ("[1, 2]", "lists and tuples are only allowed after 'in'"),
        ("x in [y]", "only constants"),
        ("x in ['a', 1]", "cannot mix text and numbers"),
        ("1 < x in [1]", "comparison chain"),
        ("x is y", "'is' is not allowed"),
        ("a & b", "operator '&'"),
        ("a @ b", "operator '@'"),
        ("~a", "operator '~'"),
        ("-'a'", "unary '-' on text"),
        ("abs(*x)", "starred"),
        ("min(x)", "min() takes at least 2 arguments; found 1"),
        ("clip(x, 1)", "clip() takes exactly 3 arguments; found 2"),
        ("...", "Ellipsis"),
        ("", "empty expression"),
        ("a and and b", "invalid syntax at column 7"),
        ("x > 'open", "unterminated string literal at column 5"),
    ],
)
def test_refused_constructs_name_themselves(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(source)
    assert message in str(info.value)


def test_refusal_reports_the_column_of_the_construct() -> None:
    with pytest.raises(ExpressionError, match="at column 11"):
        parse_expression("x > 1 and y[0] > 2")


def test_non_string_source() -> None:
    with pytest.raises(ExpressionError, match="must be a string"):
        parse_expression(5)  # type: ignore[arg-type]


def test_length_limit() -> None:
    parse_expression(" or ".join(["x > 1"] * 110)[:999].rsplit(" or", 1)[0])
    with pytest.raises(ExpressionError, match="too long"):
        parse_expression("x + " * 300 + "x")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ExpressionError):
        parse_expression("(" * 5000 + "x" + ")" * 5000)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("-" * 60 + "x")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("abs(" * 51 + "x" + ")" * 51)
    with pytest.raises(ExpressionError):
        parse_expression("(" * 300 + "x" + ")" * 300)  # past the parser's own limit
    assert parse_expression("(" * 100 + "x" + ")" * 100).tree == Column("x")  # parens are free
    parse_expression("-" * 48 + "x")


@pytest.mark.parametrize(
    "source",
    [
        "(" * 5000 + "x" + ")" * 5000,
        "-" * 100_000 + "x",
        "not " * 20_000 + "x",
        "1 + " * 20_000 + "1",
        "abs(" * 5000 + "x" + ")" * 5000,
    ],
)
def test_parser_failures_become_expression_errors(source: str, monkeypatch) -> None:
    """With the length limit lifted, parser limits (SyntaxError, RecursionError, MemoryError)
    and the depth limit still end as ExpressionError."""
    monkeypatch.setattr(expressions, "MAX_LENGTH", 10**7)
    with pytest.raises(ExpressionError):
        parse_expression(source)


def test_check_names_suggests_the_closest_name() -> None:
    expr = parse_expression("colision and impact_dv_mps > 5")
    with pytest.raises(ExpressionError) as info:
        expr.check_names(["collision", "impact_dv_mps", "near_miss"])
    text = str(info.value)
    assert "unknown column 'colision'" in text
    assert "did you mean 'collision'?" in text
    assert "collision, impact_dv_mps, near_miss" in text
    parse_expression("weather.road == 'wet'").check_names(["weather.road"])


# --------------------------------------------------------------------------------------------
# Evaluation


def test_arithmetic() -> None:
    x = np.array([-7.0, 0.5, 3.0])
    y = np.array([2, 4, 5])  # integers become float64
    np.testing.assert_allclose(evaluate("x + y * 2 - x / 4", x=x, y=y), x + y * 2 - x / 4)
    np.testing.assert_array_equal(evaluate("x // 2", x=x), [-4.0, 0.0, 1.0])
    np.testing.assert_array_equal(evaluate("x % 3", x=x), [2.0, 0.5, 0.0])  # Python's sign rule
    np.testing.assert_array_equal(evaluate("2 ** y", y=y), [4.0, 16.0, 32.0])
    np.testing.assert_array_equal(evaluate("-x + +y", x=x, y=y), -x + y)
    np.testing.assert_array_equal(evaluate("-2 ** 2", x=x), [-4.0] * 3)
    assert evaluate("x + y", x=x, y=y).dtype == np.float64


def test_overflow_and_division_are_silent_and_fast() -> None:
    x = np.array([0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isinf(evaluate("10**10**10 + x", x=x)))
        np.testing.assert_array_equal(evaluate("1 / x", x=x), [np.inf, 1.0])
        assert np.isnan(evaluate("log(x - 2)", x=x)).all()


def test_functions() -> None:
    x = np.array([-4.0, 1.0, 9.0])
    y = np.array([0.0, 2.0, 3.0])
    np.testing.assert_array_equal(evaluate("abs(x)", x=x), [4, 1, 9])
    np.testing.assert_array_equal(evaluate("min(x, y, 2)", x=x, y=y), [-4, 1, 2])
    np.testing.assert_array_equal(evaluate("max(x, y)", x=x, y=y), [0, 2, 9])
    np.testing.assert_array_equal(evaluate("sqrt(abs(x))", x=x), [2, 1, 3])
    np.testing.assert_allclose(evaluate("log(exp(y))", y=y), y)
    np.testing.assert_array_equal(evaluate("clip(x, 0, 5)", x=x), [0, 1, 5])


def test_comparison_chains_and_logic() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(evaluate("1 < x <= 3", x=x), [0, 0, 1, 1, 0])
    np.testing.assert_array_equal(evaluate("0 < x < 4 != x - 1", x=x), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(evaluate("x < 1 or x >= 4", x=x), [1, 0, 0, 0, 1])
    np.testing.assert_array_equal(evaluate("not (x < 1 or x >= 4)", x=x), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(evaluate("x > 0 and x < 4 and x != 2", x=x), [0, 1, 0, 1, 0])
    assert evaluate("x > 1", x=x).dtype == np.bool_


def test_membership_with_strings_and_numbers() -> None:
    road = np.array(["dry", "wet", "icy", "wet"], dtype=object)
    x = np.array([1, 2, 3, 4])
    columns = {"weather.road": road, "x": x}
    expr = parse_expression("weather.road in ['wet', 'icy']")
    np.testing.assert_array_equal(expr.evaluate(columns), [0, 1, 1, 1])
    np.testing.assert_array_equal(
        parse_expression("weather.road not in ('wet',)").evaluate(columns), [1, 0, 1, 0]
    )
    np.testing.assert_array_equal(parse_expression("x in [2, 4]").evaluate(columns), [0, 1, 0, 1])
    np.testing.assert_array_equal(parse_expression("x in []").evaluate(columns), [0, 0, 0, 0])
    np.testing.assert_array_equal(
        parse_expression("weather.road != 'wet'").evaluate(columns), [1, 0, 1, 0]
    )
    with pytest.raises(ExpressionError, match="compares text with numbers"):
        parse_expression("x in ['a']").evaluate(columns)


def test_bool_labels_and_scalar_columns() -> None:
    collision = np.array([True, False, True])
    dv = np.array([9.0, 2.0, 3.0])
    np.testing.assert_array_equal(
        evaluate("collision and dv > limit", collision=collision, dv=dv, limit=5), [1, 0, 0]
    )
    np.testing.assert_array_equal(evaluate("not collision", collision=collision), [0, 1, 0])
    np.testing.assert_array_equal(evaluate("collision == True", collision=collision), [1, 0, 1])
    np.testing.assert_array_equal(evaluate("collision + 1", collision=collision), [2, 1, 2])


def test_constant_expression_has_one_value_per_row() -> None:
    out = parse_expression("True").evaluate({"x": np.zeros(4)})
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, [True] * 4)


def test_result_does_not_alias_the_input() -> None:
    x = np.array([1.0, 2.0])
    out = evaluate("x", x=x)
    out[0] = 99
    assert x[0] == 1.0


def test_ordered_comparisons_use_level_indices() -> None:
    near_miss = np.array(["none", "potential", "serious", "critical"], dtype=object)
    cases = {
        "near_miss >= 'serious'": [0, 0, 1, 1],
        "near_miss > 'serious'": [0, 0, 0, 1],
        "'potential' < near_miss": [0, 0, 1, 1],
        "near_miss <= 'potential'": [1, 1, 0, 0],
        "'none' < near_miss < 'critical'": [0, 1, 1, 0],
        "near_miss == 'serious'": [0, 0, 1, 0],
        "near_miss != 'none'": [0, 1, 1, 1],
        "near_miss in ['serious', 'critical']": [0, 0, 1, 1],
    }
    for source, expected in cases.items():
        out = parse_expression(source).evaluate({"near_miss": near_miss}, info=INFO)
        np.testing.assert_array_equal(out, expected, err_msg=source)
    # the column may also hold level indices
    codes = np.array([0, 1, 2, 3])
    out = parse_expression("near_miss >= 'serious'").evaluate({"near_miss": codes}, info=INFO)
    np.testing.assert_array_equal(out, [0, 0, 1, 1])


def test_ordered_errors() -> None:
    near_miss = np.array(["none", "serious"])
    with pytest.raises(ExpressionError) as info:
        parse_expression("near_miss >= 'seriuos'").evaluate({"near_miss": near_miss}, info=INFO)
    assert "'seriuos' is not a level of 'near_miss'" in str(info.value)
    assert "none, potential, serious, critical" in str(info.value)
    with pytest.raises(ExpressionError, match="not one of its levels"):
        parse_expression("near_miss >= 'serious'").evaluate(
            {"near_miss": np.array(["bad"])}, info=INFO
        )
    with pytest.raises(ExpressionError, match="orders text"):
        parse_expression("near_miss >= 'serious'").evaluate({"near_miss": near_miss})
    with pytest.raises(ExpressionError, match="orders text"):
        parse_expression("weather.road > 'dry'").evaluate(
            {"weather.road": np.array(["wet"])}, info=INFO
        )


def test_evaluation_errors() -> None:
    with pytest.raises(ExpressionError, match="did you mean 'speed'"):
        evaluate("sped > 1", speed=np.zeros(2))
    with pytest.raises(ExpressionError, match="arithmetic and functions need numbers"):
        evaluate("road + 1", road=np.array(["a"]))
    with pytest.raises(ExpressionError, match="compares text with a number"):
        evaluate("road == 1", road=np.array(["a"]))
    with pytest.raises(ExpressionError, match="not a condition"):
        evaluate("road and x > 1", road=np.array(["a"]), x=np.zeros(1))
    with pytest.raises(ExpressionError, match="different lengths"):
        evaluate("x < y", x=np.zeros(2), y=np.zeros(3))
    with pytest.raises(ExpressionError, match="one-dimensional"):
        evaluate("x < 1", x=np.zeros((2, 2)))


# --------------------------------------------------------------------------------------------
# Margins


def columns_table() -> dict[str, object]:
    return {
        "collision": np.array([False, True, True]),
        "penetration_m": np.array([-1.0, 0.3, 0.2]),
        "impact_dv_mps": np.array([9, 2, 7]),
        "near_miss": np.array(["none", "serious", "critical"], dtype=object),
        "nm_potential": np.array([-1.0, 2.0, 3.0]),
        "nm_serious": np.array([-2.0, 1.0, 2.0]),
        "nm_critical": np.array([-3.0, -1.0, 1.0]),
        "x": np.array([1.0, 2.0, 3.0]),
        "y": np.array([3.0, 2.0, 0.0]),
    }


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("collision and impact_dv_mps > 5", [-1.0, -3.0, 0.2]),
        ("collision or impact_dv_mps > 5", [4.0, 0.3, 2.0]),
        ("not collision", [1.0, -0.3, -0.2]),
        ("collision", [-1.0, 0.3, 0.2]),
        ("x < y", [2.0, 0.0, -3.0]),
        ("x <= y", [2.0, 0.0, -3.0]),
        ("x > y", [-2.0, 0.0, 3.0]),
        ("x >= y + 1", [-3.0, -1.0, 2.0]),
        ("0 < x < y", [1.0, 0.0, -3.0]),
        ("abs(x - 2) < 0.5", [-0.5, 0.5, -0.5]),
        ("True", [np.inf] * 3),
        ("False", [-np.inf] * 3),
        ("x > 0 or False", [1.0, 2.0, 3.0]),
        ("near_miss >= 'serious'", [-2.0, 1.0, 2.0]),
        ("near_miss > 'potential'", [-2.0, 1.0, 2.0]),
        ("near_miss >= 'none'", [np.inf] * 3),
        ("near_miss > 'critical'", [-np.inf] * 3),
        ("near_miss < 'serious'", [2.0, -1.0, -2.0]),
        ("near_miss <= 'serious'", [3.0, 1.0, -1.0]),
        ("'serious' <= near_miss", [-2.0, 1.0, 2.0]),
        ("near_miss == 'serious'", [-2.0, 1.0, -1.0]),
        ("near_miss == 'none'", [1.0, -2.0, -3.0]),
        ("near_miss == 'critical'", [-3.0, -1.0, 1.0]),
        ("near_miss != 'serious'", [2.0, -1.0, 1.0]),
        ("near_miss in ['serious', 'critical']", [-2.0, 1.0, 1.0]),
        ("near_miss in ['none', 'critical']", [1.0, -1.0, 1.0]),
        ("near_miss not in ['none', 'critical']", [-1.0, 1.0, -1.0]),
        ("near_miss in []", [-np.inf] * 3),
        ("collision or near_miss in ['serious', 'critical']", [-1.0, 1.0, 1.0]),
    ],
)
def test_margin_rules(source: str, expected: list[float]) -> None:
    columns = columns_table()
    out = margin(source, columns)
    assert out.dtype == np.float64
    assert out.shape == (3,)
    np.testing.assert_array_equal(out, expected)
    holds = parse_expression(source).evaluate(columns, info=INFO)
    nonzero = out != 0
    np.testing.assert_array_equal((out > 0)[nonzero], holds[nonzero])


def test_margin_columns_substitute_margins_for_labels() -> None:
    compiled = compile_margin(
        parse_expression("collision and impact_dv_mps > 5 or near_miss == 'serious'"), INFO
    )
    assert compiled.columns == {"penetration_m", "impact_dv_mps", "nm_serious", "nm_critical"}
    columns = columns_table()
    np.testing.assert_array_equal(compiled(columns), [-1.0, 1.0, 0.2])
    # only the columns it needs are read
    assert compiled({k: columns[k] for k in compiled.columns}).shape == (3,)
    with pytest.raises(ExpressionError, match="unknown column 'nm_critical'"):
        compiled({k: columns[k] for k in ("penetration_m", "impact_dv_mps", "nm_serious")})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x == 3", "equality on a number has no margin; use a range such as 'abs(x - 3) < 0.5'"),
        ("x != 3", "equality on a number has no margin"),
        ("x in [1, 2]", "membership of a number has no margin"),
        (
            "weather.road == 'wet'",
            "'weather.road == ...': equality on an unordered category has no margin; "
            "subset simulation needs a continuous score",
        ),
        ("'wet' != weather.road", "'weather.road != ...': equality on an unordered category"),
        ("weather.road in ['wet']", "'weather.road in ...': equality on an unordered category"),
        ("collision == True", "comparing a bool has no margin"),
        ("collision", None),
        ("stalled", "bool label 'stalled' has no margin column"),
        ("impact_dv_mps", "a bare number column"),
        ("x", "a bare number column"),
        ("x + 1", "is a number, not a condition"),
        ("near_miss", "is a category"),
        ("near_miss >= 2", "compared with one of its levels"),
        ("near_miss == near_miss", "compared with one of its levels"),
        ("(x < 1) == (y < 2)", "comparing a bool has no margin"),
    ],
)
def test_no_margin_is_a_compile_time_error(source: str, message: str | None) -> None:
    expr = parse_expression(source)
    if message is None:
        compile_margin(expr, INFO)
        return
    with pytest.raises(NoMarginError) as info:
        compile_margin(expr, INFO)  # no columns needed: refused before any data exists
    assert message in str(info.value)
    assert isinstance(info.value, ExpressionError)


def test_unknown_level_in_a_margin_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="valid levels: none, potential, serious, critical"):
        compile_margin(parse_expression("near_miss >= 'big'"), INFO)


def test_missing_level_margin() -> None:
    info = {"level": ColumnInfo("ordered", levels=("low", "mid", "high"), level_margins={})}
    with pytest.raises(NoMarginError, match="no margin column for level 'mid'"):
        compile_margin(parse_expression("level >= 'mid'"), info)
    compile_margin(parse_expression("level >= 'low'"), info)  # always true: needs none


# --------------------------------------------------------------------------------------------
# Sign agreement: margin > 0 exactly where the expression holds (wherever margin != 0)

_NUMERIC = st.sampled_from(["x", "y", "z", "x + y", "2 * z", "-x", "abs(y)", "0", "1.5", "-2"])
_ORDER = st.sampled_from(["<", "<=", ">", ">="])


@st.composite
def _comparison(draw: st.DrawFn) -> str:
    parts = [draw(_NUMERIC)]
    for _ in range(draw(st.integers(1, 2))):
        parts += [draw(_ORDER), draw(_NUMERIC)]
    return " ".join(parts)


_PREDICATE = st.recursive(
    _comparison() | st.sampled_from(["True", "False"]),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: f"({p[0]} and {p[1]})"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} or {p[1]})"),
        inner.map(lambda p: f"not ({p})"),
    ),
    max_leaves=6,
)
_VALUES = hnp.arrays(
    np.float64,
    12,
    elements=st.one_of(
        st.integers(-3, 3).map(float), st.floats(-10, 10, allow_nan=False, allow_subnormal=False)
    ),
)


@settings(max_examples=150, deadline=None)
@given(source=_PREDICATE, x=_VALUES, y=_VALUES, z=_VALUES)
def test_margin_sign_agrees_with_evaluation(
    source: str, x: np.ndarray, y: np.ndarray, z: np.ndarray
) -> None:
    expr = parse_expression(source)
    columns = {"x": x, "y": y, "z": z}
    holds = expr.evaluate(columns)
    score = expr.margin(columns, {})
    assert score.dtype == np.float64
    assert score.shape == (12,)
    nonzero = score != 0
    np.testing.assert_array_equal((score > 0)[nonzero], holds[nonzero])


_ORDERED_PREDICATES = [
    "near_miss in ['serious', 'critical']",
    "near_miss not in ['serious', 'critical']",
    "near_miss in ['none', 'serious']",
    "near_miss == 'serious'",
    "near_miss == 'none'",
    "near_miss == 'critical'",
    "near_miss != 'potential'",
    "near_miss > 'none'",
    "near_miss >= 'serious'",
    "near_miss < 'critical'",
    "near_miss <= 'potential'",
    "'potential' < near_miss <= 'serious'",
    "collision or near_miss in ['serious', 'critical']",
    "not collision and near_miss == 'serious'",
]


@settings(max_examples=60, deadline=None)
@given(
    level=hnp.arrays(np.int64, 16, elements=st.integers(0, 3)),
    offset=hnp.arrays(np.float64, 16, elements=st.floats(0.05, 0.95)),
    scale=hnp.arrays(np.float64, 16, elements=st.floats(0.1, 10)),
    penetration=hnp.arrays(np.float64, 16, elements=st.floats(-1, 1)),
    source=st.sampled_from(_ORDERED_PREDICATES),
)
def test_ordered_margin_sign_agrees_with_evaluation(
    level: np.ndarray,
    offset: np.ndarray,
    scale: np.ndarray,
    penetration: np.ndarray,
    source: str,
) -> None:
    # level margins consistent with the level column: (level + offset - k) > 0  <=>  level >= k
    columns: dict[str, object] = {
        "near_miss": np.array(LEVELS, dtype=object)[level],
        "collision": penetration > 0,
        "penetration_m": penetration,
    }
    for k, name in enumerate(LEVELS[1:], start=1):
        columns[f"nm_{name}"] = scale * (level + offset - k)
    expr = parse_expression(source)
    holds = expr.evaluate(columns, info=INFO)
    score = expr.margin(columns, INFO)
    nonzero = score != 0
    np.testing.assert_array_equal((score > 0)[nonzero], holds[nonzero])
