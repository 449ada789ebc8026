"""The safe expression language of scenario files, evaluated vectorised over outcome columns.

Scenario files hold small conditions such as ``only_if: "collision or near_miss in ['serious',
'critical']"``, ``rare_event.event: "collision and impact_dv_mps > 5"`` or ``frames_if:
"min_ttc_s < 3"``. They are parsed with :func:`ast.parse` (mode ``eval``), checked against a
whitelist and turned into a small immutable IR (:data:`Node`). Nothing is ever handed to
``eval``, ``exec`` or ``compile``-to-code; the IR is interpreted with numpy, one column at a time.

Grammar (everything else is refused with a message naming the construct)::

    expr     := expr 'or' expr | expr 'and' expr | 'not' expr
              | arith (CMP arith)+                          # chains: 1 < x <= 3
              | arith ['not'] 'in' (list | tuple)           # of constants only
              | arith
    CMP      := '<' | '<=' | '>' | '>=' | '==' | '!='
    arith    := arith ('+' | '-' | '*' | '/' | '//' | '%' | '**') arith
              | ('-' | '+') arith | atom
    atom     := NUMBER | STRING | True | False | inf | NAME ('.' NAME)*
              | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
    FUNC     := abs | sqrt | exp | log (1 argument) | min | max (2 or more, elementwise)
              | clip (x, lo, hi)

A dotted name (``weather.road``) is one column reference resolved by its full string, never an
attribute access; a name part starting with ``_`` is refused. Numbers are float64 (integer
literals included, so ``10**10**10`` overflows to ``inf`` rather than hanging). Sources are at
most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` nested nodes.

Ordering comparisons on an ``ordered`` column (see :class:`ColumnInfo`) compare level indices:
``near_miss >= 'serious'``. A level name that is not a level is an error, not a silent False.

Margins. Rare-event estimators (subset simulation, splitting) climb a sequence of intermediate
levels ``margin > t_1 > ... > 0`` towards the event, so a boolean "did it happen" is not enough:
they need a continuous distance to the event that is ``> 0`` exactly when the event holds.
:func:`compile_margin` derives one from the expression:

* ``a < b``, ``a <= b`` -> ``b - a``; ``a > b``, ``a >= b`` -> ``a - b``; a chain -> min of links;
* ``and`` -> elementwise min, ``or`` -> max, ``not`` -> negation; ``True``/``False`` -> +-inf;
* a bool label (``collision``) -> its margin column (``ColumnInfo.margin``);
* ordered ``L >= lvl`` -> ``level_margins[lvl]``; ``L > lvl`` -> the margin of the next level up;
  ``<``/``<=`` -> negation of the matching ``>=``; ``L == lvl`` -> ``min(m(>= lvl), -m(>= next))``;
  ``!=`` -> its negation; ``L in [...]`` -> max of the ``==`` margins; ``not in`` -> negation.
  ``>=`` the lowest level is always true (+inf), ``>`` the top level always false (-inf).

Equality on a number, equality on an unordered category, a bool label compared with a literal
and a bare number used as a condition have no continuous score: compiling them raises
:class:`NoMarginError` at compile time, so a scenario fails before any simulation runs.
"""

from __future__ import annotations

import ast
import math
import operator
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, Literal, TypeAlias

import numpy as np

from simengine.errors import ExpressionError, closest, describe_value

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Binary",
    "BoolOp",
    "Call",
    "Column",
    "ColumnInfo",
    "Compare",
    "Const",
    "Expression",
    "In",
    "Margin",
    "NoMarginError",
    "Node",
    "Not",
    "Unary",
    "compile_margin",
    "parse_expression",
    "unparse",
]

MAX_LENGTH = 1000
"""Longest accepted source, in characters."""
MAX_DEPTH = 50
"""Deepest accepted nesting of expression nodes."""

FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "abs": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "sqrt": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "clip": (3, 3),
}
"""Callable names and their (min, max) argument counts."""

_FUNCTION_LIST = ", ".join(FUNCTIONS)
_ORDERING = frozenset({"<", "<=", ">", ">="})

Scalar: TypeAlias = float | bool | str


# --------------------------------------------------------------------------------------------
# Column descriptions and errors


@dataclass(frozen=True)
class ColumnInfo:
    """What a column holds, so comparisons and margins can treat it right.

    ``margin`` (bool labels): the column whose value is > 0 exactly when the label is True.
    ``levels`` (ordered): the levels from low to high. ``level_margins`` (ordered): level ->
    column whose value is > 0 exactly when the column is ``>=`` that level (the lowest level
    needs none).
    """

    kind: Literal["number", "bool", "ordered", "category"]
    margin: str | None = None
    levels: tuple[str, ...] = ()
    level_margins: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("number", "bool", "ordered", "category"):
            raise ValueError(f"unknown column kind {self.kind!r}")
        object.__setattr__(self, "levels", tuple(self.levels))
        stray = set(self.level_margins) - set(self.levels)
        if stray:
            raise ValueError(f"level_margins names levels not in levels: {sorted(stray)}")


class NoMarginError(ExpressionError):
    """The expression is valid but has no continuous margin, so rare-event levels cannot climb."""


# --------------------------------------------------------------------------------------------
# The IR: small frozen dataclasses, exported so a domain can compile them to a kernel condition


@dataclass(frozen=True, slots=True)
class Const:
    """A literal: a float (integers are stored as floats), a bool or a string."""

    value: Scalar


@dataclass(frozen=True, slots=True)
class Column:
    """A column reference by its full (possibly dotted) name."""

    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    op: Literal["-", "+"]
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    op: Literal["+", "-", "*", "/", "//", "%", "**"]
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare:
    """``operands[0] ops[0] operands[1] ops[1] ...``; a chain is the AND of its links."""

    ops: tuple[str, ...]
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class In:
    """``operand in values`` (``not in`` when ``negated``); values are constants."""

    operand: Node
    values: tuple[Scalar, ...]
    negated: bool = False


Node: TypeAlias = Const | Column | Unary | Binary | Compare | BoolOp | Not | Call | In


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary | Not):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Compare | BoolOp):
        return node.operands
    if isinstance(node, Call):
        return node.args
    if isinstance(node, In):
        return (node.operand,)
    return ()


def _walk(node: Node) -> Iterator[Node]:
    """Pre-order, left to right (so names come out in source order)."""
    yield node
    for child in _children(node):
        yield from _walk(child)


def _names(node: Node) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n.name for n in _walk(node) if isinstance(n, Column)))


# --------------------------------------------------------------------------------------------
# Parsing: ast -> whitelist -> IR

_BINARY_OPS: dict[type, str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
    ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
}  # fmt: skip
_REFUSED_BINARY: dict[type, str] = {
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@",
}  # fmt: skip
_COMPARE_OPS: dict[type, str] = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
}  # fmt: skip
_COMPREHENSION = "comprehensions are not allowed"
_REFUSED: dict[type, str] = {
    ast.Subscript: "subscripts such as x[0] are not allowed",
    ast.Slice: "subscripts such as x[0] are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: _COMPREHENSION,
    ast.SetComp: _COMPREHENSION,
    ast.DictComp: _COMPREHENSION,
    ast.GeneratorExp: _COMPREHENSION,
    ast.JoinedStr: "f-strings are not allowed",
    ast.FormattedValue: "f-strings are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.IfExp: "conditional expressions (a if c else b) are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Set: "sets are not allowed; write a list after 'in', e.g. x in ['a', 'b']",
    ast.List: "lists and tuples are only allowed after 'in'",
    ast.Tuple: "lists and tuples are only allowed after 'in'",
    ast.Starred: "starred arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes over a plain name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _as_float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        # Newlines (from YAML block scalars) become spaces; leading blanks are skipped but
        # counted, so reported columns point into the text the user wrote.
        text = source.replace("\r", " ").replace("\n", " ")
        self.text = text.lstrip()
        self.lead = len(text) - len(self.text)

    def fail(self, node: ast.AST | None, detail: str) -> ExpressionError:
        col = 1
        if node is not None and hasattr(node, "col_offset"):
            prefix = self.text.encode("utf-8")[: node.col_offset]
            col = len(prefix.decode("utf-8", errors="ignore")) + 1
        return self.fail_at(self.lead + col, detail)

    def fail_at(self, col: int, detail: str) -> ExpressionError:
        return ExpressionError(f"{detail} at column {col} in {_clip(self.source)!r}")

    def parse(self) -> Node:
        if not self.text.strip():
            raise ExpressionError("empty expression")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(self.text, mode="eval")
        except SyntaxError as exc:
            msg = (exc.msg or "invalid syntax").split(" (detected at")[0]
            raise self.fail_at(self.lead + (exc.offset or 1), msg) from None
        except (RecursionError, MemoryError):
            raise ExpressionError(
                f"expression is nested too deeply (the limit is {MAX_DEPTH} levels)"
            ) from None
        except ValueError as exc:
            raise ExpressionError(f"invalid expression: {exc}") from None
        self.check_depth(tree)
        return self.convert(tree.body)

    def check_depth(self, tree: ast.AST) -> None:
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            if isinstance(node, ast.expr):
                depth += 1
                if depth > MAX_DEPTH:
                    raise self.fail(
                        node, f"expression is nested too deeply (the limit is {MAX_DEPTH} levels)"
                    )
            stack.extend((child, depth) for child in ast.iter_child_nodes(node))

    def convert(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name | ast.Attribute):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.BoolOp):
            op: Literal["and", "or"] = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(op, tuple(self.convert(v) for v in node.values))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        detail = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
        raise self.fail(node, detail)

    def constant(self, node: ast.Constant) -> Const:
        value = node.value
        if isinstance(value, bool | str | float):
            return Const(value)
        if isinstance(value, int):
            return Const(_as_float(value))
        what = {bytes: "bytes literals are", complex: "complex numbers are", type(None): "None is"}
        raise self.fail(node, f"{what.get(type(value), repr(value) + ' is')} not allowed")

    def name(self, node: ast.Name | ast.Attribute) -> Node:
        name = _dotted(node)
        if name is None:
            assert isinstance(node, ast.Attribute)
            base: ast.expr = node
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Call):  # e.g. __import__('os').x: the call is the news
                self.convert(base)
            raise self.fail(
                node,
                f"attribute access ('.{node.attr}') is only allowed in dotted column names "
                "such as weather.road",
            )
        if name == "inf":
            return Const(math.inf)
        if any(part.startswith("_") for part in name.split(".")):
            raise self.fail(node, f"names starting with '_' are not allowed; found {name!r}")
        return Column(name)

    def unary(self, node: ast.UnaryOp) -> Node:
        if isinstance(node.op, ast.Not):
            return Not(self.convert(node.operand))
        if isinstance(node.op, ast.Invert):
            raise self.fail(node, "operator '~' is not allowed; use 'not'")
        sign: Literal["-", "+"] = "-" if isinstance(node.op, ast.USub) else "+"
        operand = self.convert(node.operand)
        if isinstance(operand, Const):
            if isinstance(operand.value, str):
                raise self.fail(node, f"unary '{sign}' on text is not allowed")
            if isinstance(operand.value, float):
                return Const(-operand.value if sign == "-" else operand.value)
        return Unary(sign, operand)

    def binary(self, node: ast.BinOp) -> Node:
        op = _BINARY_OPS.get(type(node.op))
        if op is None:
            symbol = _REFUSED_BINARY.get(type(node.op), type(node.op).__name__)
            hint = "; use 'and' / 'or'" if symbol in ("&", "|") else ""
            raise self.fail(node, f"operator '{symbol}' is not allowed{hint}")
        return Binary(op, self.convert(node.left), self.convert(node.right))  # type: ignore[arg-type]

    def compare(self, node: ast.Compare) -> Node:
        if any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            if len(node.ops) > 1:
                raise self.fail(node, "'in' cannot be part of a comparison chain")
            operand = self.convert(node.left)
            return In(
                operand, self.literals(node.comparators[0]), isinstance(node.ops[0], ast.NotIn)
            )
        ops = []
        for op in node.ops:
            if type(op) not in _COMPARE_OPS:
                raise self.fail(node, "'is' is not allowed; use '==' or '!='")
            ops.append(_COMPARE_OPS[type(op)])
        operands = (self.convert(node.left), *(self.convert(c) for c in node.comparators))
        return Compare(tuple(ops), operands)

    def literals(self, node: ast.expr) -> tuple[Scalar, ...]:
        if not isinstance(node, ast.List | ast.Tuple):
            raise self.fail(node, "'in' needs a list or tuple of constants, e.g. x in ['a', 'b']")
        values: list[Scalar] = []
        for element in node.elts:
            item = self.convert(element)
            if not isinstance(item, Const):
                raise self.fail(element, "only constants are allowed in an 'in' list")
            values.append(item.value)
        if len({isinstance(v, str) for v in values}) > 1:
            raise self.fail(node, "an 'in' list cannot mix text and numbers")
        return tuple(values)

    def call(self, node: ast.Call) -> Node:
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
        else:
            name = _dotted(func) or ""
            if not name:
                self.convert(func)  # e.g. __import__('os').system: report the inner call
                name = ast.unparse(func)
        if name not in FUNCTIONS:
            raise self.fail(node, f"calls are limited to {_FUNCTION_LIST}; found {name!r}")
        if node.keywords:
            raise self.fail(node.keywords[0], f"keyword arguments are not allowed in {name}()")
        low, high = FUNCTIONS[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            wanted = f"exactly {low}" if low == high else f"at least {low}"
            raise self.fail(node, f"{name}() takes {wanted} arguments; found {count}")
        return Call(name, tuple(self.convert(a) for a in node.args))


def parse_expression(source: str) -> Expression:
    """Parse and check ``source``; ExpressionError (with the column) for anything refused."""
    if not isinstance(source, str):
        raise ExpressionError(f"an expression must be a string; found {describe_value(source)}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long ({len(source)} characters; the limit is {MAX_LENGTH})"
        )
    tree = _Parser(source).parse()
    return Expression(source, tree, frozenset(_names(tree)))


# --------------------------------------------------------------------------------------------
# Back to text (for messages; parse_expression(unparse(t)).tree == t)

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5,
               "*": 6, "/": 6, "//": 6, "%": 6, "unary": 7, "**": 8, "atom": 9}  # fmt: skip


def _literal(value: Scalar) -> str:
    if isinstance(value, bool | str):
        return repr(value)
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _render(node: Node) -> tuple[str, int]:
    p = _PRECEDENCE
    if isinstance(node, Const):
        text = _literal(node.value)
        return text, p["unary"] if text.startswith("-") else p["atom"]
    if isinstance(node, Column):
        return node.name, p["atom"]
    if isinstance(node, Call):
        return f"{node.func}({', '.join(_show(a, 0) for a in node.args)})", p["atom"]
    if isinstance(node, Unary):
        return f"{node.op}{_show(node.operand, p['unary'])}", p["unary"]
    if isinstance(node, Binary):
        prec = p[node.op]
        if node.op == "**":  # right-associative, and binds tighter than a unary on its left
            return f"{_show(node.left, p['atom'])} ** {_show(node.right, p['unary'])}", prec
        return f"{_show(node.left, prec)} {node.op} {_show(node.right, prec + 1)}", prec
    if isinstance(node, Compare):
        parts = [_show(node.operands[0], p["cmp"] + 1)]
        for op, operand in zip(node.ops, node.operands[1:], strict=True):
            parts.append(f"{op} {_show(operand, p['cmp'] + 1)}")
        return " ".join(parts), p["cmp"]
    if isinstance(node, In):
        word = "not in" if node.negated else "in"
        values = ", ".join(_literal(v) for v in node.values)
        return f"{_show(node.operand, p['cmp'] + 1)} {word} [{values}]", p["cmp"]
    if isinstance(node, Not):
        return f"not {_show(node.operand, p['not'])}", p["not"]
    prec = p[node.op]
    return f" {node.op} ".join(_show(o, prec + 1) for o in node.operands), prec


def _show(node: Node, need: int) -> str:
    text, prec = _render(node)
    return f"({text})" if prec < need else text


def unparse(node: Node) -> str:
    """The IR as expression source (fully equivalent; used in messages)."""
    return _show(node, 0)


# --------------------------------------------------------------------------------------------
# Evaluation over numpy columns


def _unknown_column(name: str, known: Collection[str]) -> str:
    message = f"unknown column {name!r}"
    hint = closest(name, known)
    if hint is not None:
        message += f"; did you mean {hint!r}?"
    if not known:
        message += " (no columns are known)"
    elif len(known) <= 20:
        message += f" (known: {', '.join(sorted(known))})"
    return message


def _column_array(name: str, value: Any) -> np.ndarray:
    """A column as a float64, bool or str array (0-d for a scalar)."""
    array = np.asarray(value)
    if array.ndim > 1:
        raise ExpressionError(f"column {name!r} must be one-dimensional; found shape {array.shape}")
    kind = array.dtype.kind
    if kind == "b":
        return array
    if kind in "iuf":
        return array.astype(np.float64, copy=False)
    if kind in "US":
        return array.astype(str)
    if kind == "O":
        if all(isinstance(v, str) for v in array.flat):
            return array.astype(str)
        try:
            return array.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise ExpressionError(f"column {name!r} holds unsupported values ({array.dtype})")


def _is_text(value: np.ndarray) -> bool:
    return value.dtype.kind == "U"


_COMPARE_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt,
    ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
_BINARY_FUNCS: dict[str, np.ufunc] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
    "//": np.floor_divide, "%": np.mod, "**": np.power,
}  # fmt: skip
_UNARY_FUNCS: dict[str, np.ufunc] = {"abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "log": np.log}


class _Evaluator:
    """One evaluation: the needed columns converted once, their common length, the column info."""

    def __init__(
        self, columns: Mapping[str, Any], info: Mapping[str, ColumnInfo], needed: Iterable[str]
    ) -> None:
        self.info = info
        self.arrays: dict[str, np.ndarray] = {}
        for name in needed:
            if name not in columns:
                raise ExpressionError(_unknown_column(name, list(columns)))
            self.arrays[name] = _column_array(name, columns[name])
        lengths = {len(a) for a in self.arrays.values() if a.ndim == 1}
        if not self.arrays:  # a constant expression still answers one value per row
            lengths = {
                len(v) for v in columns.values() if isinstance(v, np.ndarray) and v.ndim == 1
            }
        if len(lengths) > 1:
            raise ExpressionError(f"columns have different lengths: {sorted(lengths)}")
        self.length: int | None = lengths.pop() if lengths else None

    def finish(self, result: np.ndarray, dtype: Any = None) -> np.ndarray:
        result = np.asarray(result, dtype=dtype)
        shape = (self.length,) if self.length is not None else result.shape
        return np.array(np.broadcast_to(result, shape), dtype=dtype)

    def value(self, node: Node) -> np.ndarray:
        if isinstance(node, Const):
            return np.asarray(node.value)
        if isinstance(node, Column):
            return self.arrays[node.name]
        if isinstance(node, Unary):
            operand = self.number(node.operand)
            return np.negative(operand) if node.op == "-" else operand
        if isinstance(node, Binary):
            return _BINARY_FUNCS[node.op](self.number(node.left), self.number(node.right))
        if isinstance(node, Call):
            args = [self.number(a) for a in node.args]
            if node.func == "min":
                return reduce(np.minimum, args)
            if node.func == "max":
                return reduce(np.maximum, args)
            if node.func == "clip":
                return np.minimum(np.maximum(args[0], args[1]), args[2])
            return _UNARY_FUNCS[node.func](args[0])
        if isinstance(node, Not):
            return np.logical_not(self.truth(node.operand))
        if isinstance(node, BoolOp):
            combine = np.logical_and if node.op == "and" else np.logical_or
            return reduce(combine, [self.truth(o) for o in node.operands])
        if isinstance(node, Compare):
            values = [self.value(o) for o in node.operands]
            links = [
                self.link(op, node.operands[i], node.operands[i + 1], values[i], values[i + 1])
                for i, op in enumerate(node.ops)
            ]
            return reduce(np.logical_and, links)
        return self.membership(node)

    def number(self, node: Node) -> np.ndarray:
        value = self.value(node)
        if _is_text(value):
            raise ExpressionError(
                f"{unparse(node)!r} is text; arithmetic and functions need numbers"
            )
        return value.astype(np.float64, copy=False)

    def truth(self, node: Node) -> np.ndarray:
        value = self.value(node)
        if _is_text(value):
            raise ExpressionError(
                f"{unparse(node)!r} is text, not a condition; compare it, e.g. x == 'value'"
            )
        return value

    def levels_of(self, node: Node) -> tuple[str, ...] | None:
        if isinstance(node, Column):
            info = self.info.get(node.name)
            if info is not None and info.kind == "ordered":
                return info.levels
        return None

    def codes(self, owner: str, levels: tuple[str, ...], node: Node, value: np.ndarray) -> Any:
        """Level names -> level indices (numbers pass through as indices already)."""
        if not _is_text(value):
            return value
        codes = np.full(value.shape, -1.0)
        for index, level in enumerate(levels):
            codes[value == level] = index
        if np.any(codes < 0):
            bad = str(value[codes < 0].flat[0])
            where = f"{bad!r} is not a level of {owner!r}"
            if isinstance(node, Column) and node.name == owner:
                where = f"column {owner!r} holds {bad!r}, which is not one of its levels"
            raise ExpressionError(f"{where}; valid levels: {', '.join(levels)}")
        return codes

    def link(self, op: str, left: Node, right: Node, a: np.ndarray, b: np.ndarray) -> Any:
        text = f"{unparse(left)} {op} {unparse(right)}"
        left_levels, right_levels = self.levels_of(left), self.levels_of(right)
        if left_levels is not None or right_levels is not None:
            owner = left if left_levels is not None else right
            assert isinstance(owner, Column)
            levels = left_levels or right_levels or ()
            a = self.codes(owner.name, left_levels or levels, left, a)
            b = self.codes(owner.name, right_levels or levels, right, b)
        if _is_text(a) != _is_text(b):
            raise ExpressionError(f"{text!r} compares text with a number")
        if _is_text(a) and op in _ORDERING:
            raise ExpressionError(
                f"{text!r} orders text; only ordered columns with known levels can be ordered "
                "(ColumnInfo(kind='ordered', levels=...))"
            )
        if not _is_text(a) and a.dtype != b.dtype:
            a, b = a.astype(np.float64), b.astype(np.float64)
        return np.asarray(_COMPARE_FUNCS[op](a, b), dtype=bool)

    def membership(self, node: In) -> np.ndarray:
        value = self.value(node.operand)
        if not node.values:
            found = np.zeros(value.shape, dtype=bool)
        else:
            values = np.asarray(node.values)
            levels = self.levels_of(node.operand)
            if levels is not None:
                assert isinstance(node.operand, Column)
                value = self.codes(node.operand.name, levels, node.operand, value)
                values = self.codes(node.operand.name, levels, Const(""), values)
            if _is_text(value) != _is_text(values):
                raise ExpressionError(f"{unparse(node)!r} compares text with numbers")
            found = np.isin(value, values)
        return np.logical_not(found) if node.negated else found


# --------------------------------------------------------------------------------------------
# Expressions and margins

_MarginFn: TypeAlias = Callable[[_Evaluator], np.ndarray]


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression: its source, its IR and the column names it references."""

    source: str
    tree: Node
    names: frozenset[str]

    def __str__(self) -> str:
        return self.source

    def check_names(self, known: Iterable[str]) -> None:
        """ExpressionError for the first name (in source order) that is not in ``known``."""
        known = list(known)
        known_set = set(known)
        for name in _names(self.tree):
            if name not in known_set:
                raise ExpressionError(f"{_unknown_column(name, known)} in {_clip(self.source)!r}")

    def evaluate(
        self, columns: Mapping[str, Any], *, info: Mapping[str, ColumnInfo] | None = None
    ) -> np.ndarray:
        """The value per row (a bool array for a condition) over equal-length 1-D columns."""
        with np.errstate(all="ignore"):
            evaluator = _Evaluator(columns, info or {}, _names(self.tree))
            return evaluator.finish(evaluator.value(self.tree))

    def margin(self, columns: Mapping[str, Any], info: Mapping[str, ColumnInfo]) -> np.ndarray:
        """The continuous margin per row: ``compile_margin(self, info)(columns)``."""
        return compile_margin(self, info)(columns)


class Margin:
    """A compiled margin: call it with columns to get a float64 array, > 0 where the event holds."""

    __slots__ = ("_fn", "_info", "columns", "expression")

    def __init__(
        self,
        expression: Expression,
        info: Mapping[str, ColumnInfo],
        fn: _MarginFn,
        columns: Iterable[str],
    ) -> None:
        self.expression = expression
        self.columns: frozenset[str] = frozenset(columns)
        self._info = info
        self._fn = fn

    def __call__(self, columns: Mapping[str, Any]) -> np.ndarray:
        with np.errstate(all="ignore"):
            evaluator = _Evaluator(columns, self._info, sorted(self.columns))
            return evaluator.finish(self._fn(evaluator), np.float64)

    def __repr__(self) -> str:
        return f"Margin({self.expression.source!r}, columns={sorted(self.columns)})"


def _constant(value: float) -> _MarginFn:
    return lambda _ev: np.asarray(value)


def _negate(fn: _MarginFn) -> _MarginFn:
    return lambda ev: np.negative(fn(ev))


def _combine(ufunc: np.ufunc, fns: list[_MarginFn], empty: float) -> _MarginFn:
    if not fns:
        return _constant(empty)
    return lambda ev: reduce(ufunc, [fn(ev) for fn in fns])


def _fetch(name: str) -> _MarginFn:
    return lambda ev: ev.number(Column(name))


def _difference(high: Node, low: Node) -> _MarginFn:
    return lambda ev: np.subtract(ev.number(high), ev.number(low))


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_CATEGORY_HINT = "subset simulation needs a continuous score"


class _MarginCompiler:
    def __init__(self, info: Mapping[str, ColumnInfo]) -> None:
        self.info = info
        self.columns: dict[str, None] = {}  # ordered set of the columns the margin reads

    def kind(self, node: Node) -> str:
        if isinstance(node, Column):
            info = self.info.get(node.name)
            return info.kind if info is not None else "number"
        if isinstance(node, Const):
            if isinstance(node.value, str):
                return "text"
            return "bool" if isinstance(node.value, bool) else "number"
        if isinstance(node, Compare | BoolOp | Not | In):
            return "bool"
        return "number"

    def predicate(self, node: Node) -> _MarginFn:
        if isinstance(node, Const) and isinstance(node.value, bool):
            return _constant(math.inf if node.value else -math.inf)
        if isinstance(node, Column):
            return self.label(node.name)
        if isinstance(node, Not):
            return _negate(self.predicate(node.operand))
        if isinstance(node, BoolOp):
            ufunc = np.minimum if node.op == "and" else np.maximum
            return _combine(ufunc, [self.predicate(o) for o in node.operands], 0.0)
        if isinstance(node, Compare):
            links = [
                self.link(op, node.operands[i], node.operands[i + 1])
                for i, op in enumerate(node.ops)
            ]
            return _combine(np.minimum, links, math.inf)
        if isinstance(node, In):
            return self.membership(node)
        raise NoMarginError(
            f"{unparse(node)!r} is a number, not a condition, so it has no margin; "
            "compare it, e.g. 'x > 0'"
        )

    def label(self, name: str) -> _MarginFn:
        info = self.info.get(name)
        if info is None or info.kind == "number":
            labels = [n for n, i in self.info.items() if i.kind == "bool"]
            hint = closest(name, labels)
            extra = f"; did you mean {hint!r}?" if hint else ""
            raise NoMarginError(
                f"{name!r} used as a condition has no margin: a bare number column (or one "
                f"without column info) is not a labelled event; compare it, e.g. '{name} > 0'"
                f"{extra}"
            )
        if info.kind != "bool":
            raise NoMarginError(f"{name!r} is a category; compare it with a level instead")
        if info.margin is None:
            raise NoMarginError(f"bool label {name!r} has no margin column")
        self.columns[info.margin] = None
        return _fetch(info.margin)

    def link(self, op: str, left: Node, right: Node) -> _MarginFn:
        kinds = (self.kind(left), self.kind(right))
        text = f"{unparse(left)} {op} {unparse(right)}"
        if "ordered" in kinds:
            if kinds[1] == "ordered" and kinds[0] != "ordered":
                left, right, op = right, left, _FLIPPED[op]
            if not (isinstance(right, Const) and isinstance(right.value, str)):
                raise NoMarginError(
                    f"{text!r}: an ordered column has a margin only when compared with one of "
                    "its levels, e.g. near_miss >= 'serious'"
                )
            assert isinstance(left, Column)
            return self.ordered(left.name, op, right.value)
        if "category" in kinds or "text" in kinds:
            pair = ((left, kinds[0]), (right, kinds[1]))
            ranked = sorted(pair, key=lambda p: (p[1] != "category", p[1] == "text"))
            subject = unparse(ranked[0][0])  # name the category, not the literal
            what = "equality" if op in ("==", "!=") else "an ordering comparison"
            raise NoMarginError(
                f"'{subject} {op} ...': {what} on an unordered category has no margin; "
                f"{_CATEGORY_HINT}"
            )
        if "bool" in kinds:
            subject = unparse(left if kinds[0] == "bool" else right)
            raise NoMarginError(
                f"'{subject} {op} ...': comparing a bool has no margin; write the label alone "
                f"('{subject}' or 'not {subject}')"
            )
        if op in ("==", "!="):
            raise NoMarginError(
                f"{text!r}: equality on a number has no margin; use a range such as "
                f"'abs({unparse(left)} - {unparse(right)}) < 0.5'"
            )
        for node in (left, right):
            self.columns.update(dict.fromkeys(_names(node)))
        return _difference(right, left) if op in ("<", "<=") else _difference(left, right)

    def at_least(self, name: str, index: int) -> _MarginFn:
        """Margin of ``name >= levels[index]`` (+inf below the lowest, -inf above the top)."""
        info = self.info[name]
        if index <= 0:
            return _constant(math.inf)
        if index >= len(info.levels):
            return _constant(-math.inf)
        level = info.levels[index]
        column = info.level_margins.get(level)
        if column is None:
            raise NoMarginError(f"ordered column {name!r} has no margin column for level {level!r}")
        self.columns[column] = None
        return _fetch(column)

    def ordered(self, name: str, op: str, level: str) -> _MarginFn:
        levels = self.info[name].levels
        if level not in levels:
            raise ExpressionError(
                f"{level!r} is not a level of {name!r}; valid levels: {', '.join(levels)}"
            )
        i = levels.index(level)
        if op == ">=":
            return self.at_least(name, i)
        if op == ">":
            return self.at_least(name, i + 1)
        if op == "<":
            return _negate(self.at_least(name, i))
        if op == "<=":
            return _negate(self.at_least(name, i + 1))
        equal = _combine(
            np.minimum, [self.at_least(name, i), _negate(self.at_least(name, i + 1))], 0
        )
        return equal if op == "==" else _negate(equal)

    def membership(self, node: In) -> _MarginFn:
        kind = self.kind(node.operand)
        word = "not in" if node.negated else "in"
        subject = unparse(node.operand)
        if kind == "ordered" and all(isinstance(v, str) for v in node.values):
            assert isinstance(node.operand, Column)
            name = node.operand.name
            fns = [self.ordered(name, "==", str(v)) for v in node.values]
            found = _combine(np.maximum, fns, -math.inf)
            return _negate(found) if node.negated else found
        if kind == "number":
            raise NoMarginError(
                f"'{subject} {word} ...': membership of a number has no margin; use ranges such "
                f"as 'abs({subject} - 3) < 0.5'"
            )
        raise NoMarginError(
            f"'{subject} {word} ...': equality on an unordered category has no margin; "
            f"{_CATEGORY_HINT}"
        )


def compile_margin(expr: Expression, info: Mapping[str, ColumnInfo]) -> Margin:
    """The continuous margin of ``expr``; NoMarginError now if it has none (see module doc)."""
    compiler = _MarginCompiler(info)
    fn = compiler.predicate(expr.tree)
    return Margin(expr, info, fn, compiler.columns)
