"""Trigger conditions: the safe expression language compiled to a stack bytecode for the kernel.

An action's ``when.condition`` is parsed like every other expression (``ast``-checked, see
:mod:`simengine.scenario.expressions`) and then turned into postfix operations over numbered
variables. The Numba kernel fills the variables each step (time, actor speeds and positions, pair
gaps, distances and TTC, run parameters) and evaluates the code with a tiny stack machine, so
no Python runs inside the hot loop and no code from the file is ever executed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from simengine.errors import ExpressionError
from simengine.scenario import expressions as ex

__all__ = ["OPS", "CompiledConditions", "VarSpec", "compile_conditions"]

# opcodes
PUSH_CONST, PUSH_VAR = 0, 1
ADD, SUB, MUL, DIV, POW, NEG = 2, 3, 4, 5, 6, 7
LT, LE, GT, GE, EQ, NE = 8, 9, 10, 11, 12, 13
AND, OR, NOT = 14, 15, 16
ABS, SQRT, EXP, LOG, MIN2, MAX2, CLIP = 17, 18, 19, 20, 21, 22, 23
OPS = {"+": ADD, "-": SUB, "*": MUL, "/": DIV, "**": POW}
CMP = {"<": LT, "<=": LE, ">": GT, ">=": GE, "==": EQ, "!=": NE}
FUNCS = {"abs": ABS, "sqrt": SQRT, "exp": EXP, "log": LOG, "clip": CLIP}

# variable kinds
V_TIME, V_SPEED, V_X, V_Y, V_ACCEL, V_GAP, V_DISTANCE, V_TTC, V_PARAM = range(9)
_ACTOR_FIELDS = {"speed_mps": V_SPEED, "x_m": V_X, "y_m": V_Y, "accel_mps2": V_ACCEL}
_PAIR_FIELDS = {"gap": V_GAP, "distance": V_DISTANCE, "ttc": V_TTC}


@dataclass(frozen=True)
class VarSpec:
    """One variable the kernel must fill: kind, actor indices, or a param column."""

    kind: int
    a: int = -1
    b: int = -1
    param: str = ""


@dataclass
class CompiledConditions:
    """Bytecode of every condition, concatenated; ``starts[k]..starts[k+1]`` is condition k
    (an empty range means 'no condition')."""

    code: np.ndarray
    consts: np.ndarray
    starts: np.ndarray
    variables: list[VarSpec] = field(default_factory=list)

    def param_values(self, params: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """``(n, n_vars)`` values of the parameter variables (NaN for the others)."""
        out = np.full((n, max(1, len(self.variables))), np.nan)
        for i, v in enumerate(self.variables):
            if v.kind == V_PARAM:
                out[:, i] = np.asarray(params[v.param], dtype=np.float64)
        return out


class _Builder:
    def __init__(self, actors: Sequence[str], params: Sequence[str]) -> None:
        self.actors = {name: i for i, name in enumerate(actors)}
        self.params = set(params)
        self.code: list[int] = []
        self.consts: list[float] = []
        self.variables: list[VarSpec] = []
        self.index: dict[VarSpec, int] = {}

    def var(self, name: str) -> int:
        spec = self._resolve(name)
        if spec not in self.index:
            self.index[spec] = len(self.variables)
            self.variables.append(spec)
        return self.index[spec]

    def _resolve(self, name: str) -> VarSpec:
        if name == "t_s":
            return VarSpec(V_TIME)
        if name in self.params:
            return VarSpec(V_PARAM, param=name)
        parts = name.split(".")
        if len(parts) == 2 and parts[0] in self.actors and parts[1] in _ACTOR_FIELDS:
            return VarSpec(_ACTOR_FIELDS[parts[1]], self.actors[parts[0]])
        if (len(parts) == 3 and parts[0] in _PAIR_FIELDS and parts[1] in self.actors
                and parts[2] in self.actors and parts[1] != parts[2]):
            return VarSpec(_PAIR_FIELDS[parts[0]], self.actors[parts[1]], self.actors[parts[2]])
        actors = ", ".join(self.actors)
        raise ExpressionError(
            f"unknown name {name!r}: use t_s, <actor>.speed_mps|x_m|y_m|accel_mps2, "
            f"gap|distance|ttc.<actor>.<actor>, or a param name (actors: {actors})"
        )

    def emit(self, node: ex.Node) -> None:
        if isinstance(node, ex.Const):
            if isinstance(node.value, str):
                raise ExpressionError("trigger conditions compare numbers, not text")
            self.code += [PUSH_CONST, len(self.consts)]
            self.consts.append(float(node.value))
        elif isinstance(node, ex.Column):
            self.code += [PUSH_VAR, self.var(node.name)]
        elif isinstance(node, ex.Unary):
            self.emit(node.operand)
            if node.op == "-":
                self.code.append(NEG)
        elif isinstance(node, ex.Binary):
            if node.op not in OPS:
                raise ExpressionError(f"operator {node.op!r} is not supported in triggers")
            self.emit(node.left)
            self.emit(node.right)
            self.code.append(OPS[node.op])
        elif isinstance(node, ex.Compare):
            for k, op in enumerate(node.ops):
                self.emit(node.operands[k])
                self.emit(node.operands[k + 1])
                self.code.append(CMP[op])
                if k:
                    self.code.append(AND)
        elif isinstance(node, ex.BoolOp):
            for k, operand in enumerate(node.operands):
                self.emit(operand)
                if k:
                    self.code.append(AND if node.op == "and" else OR)
        elif isinstance(node, ex.Not):
            self.emit(node.operand)
            self.code.append(NOT)
        elif isinstance(node, ex.Call):
            for arg in node.args:
                self.emit(arg)
            if node.func in ("min", "max"):
                op = MIN2 if node.func == "min" else MAX2
                self.code += [op] * (len(node.args) - 1)
            else:
                self.code.append(FUNCS[node.func])
        else:
            raise ExpressionError("'in' is not supported in trigger conditions")


def compile_conditions(conditions: Sequence[ex.Expression | None], actors: Sequence[str],
                       params: Sequence[str]) -> CompiledConditions:
    """Compile each condition (None: no condition) into one shared bytecode."""
    b = _Builder(actors, params)
    starts = [0]
    for cond in conditions:
        if cond is not None:
            b.emit(cond.tree)
        starts.append(len(b.code))
    return CompiledConditions(
        code=np.asarray(b.code or [0], dtype=np.int64),
        consts=np.asarray(b.consts or [0.0], dtype=np.float64),
        starts=np.asarray(starts, dtype=np.int64),
        variables=b.variables,
    )
