"""User-facing errors.

Every mistake a user can make (a malformed scenario, an unsafe expression, a corpus that does not
match the command) raises a subclass of :class:`UserError`. The CLI prints each one as
``PATH:LINE:COL: field.path: message`` and exits with status 2, never with a traceback; anything
else escaping is a bug in simengine.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CorpusError",
    "ExpressionError",
    "Problem",
    "ScenarioError",
    "UserError",
    "closest",
    "describe_value",
]


@dataclass(frozen=True)
class Problem:
    """One located problem: where it is, which field, and what is wrong."""

    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    field: str | None = None

    def format(self) -> str:
        """``PATH:LINE:COL: field.path: message`` (missing parts are left out)."""
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class UserError(Exception):
    """A mistake in what the user gave us. Carries one or more located :class:`Problem`."""

    exit_code = 2

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        field: str | None = None,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        if problems is None:
            problems = [Problem(message or "error", file, line, col, field)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self.format())

    @property
    def first(self) -> Problem:
        return self.problems[0]

    def format(self) -> str:
        """All problems, one per line."""
        return "\n".join(p.format() for p in self.problems)


class ScenarioError(UserError):
    """A scenario file (or a ``--set`` override) is malformed or invalid."""


class ExpressionError(ScenarioError):
    """An expression is not in the safe expression language, or cannot be evaluated."""


class CorpusError(UserError):
    """An output folder or corpus does not match the command (wrong scenario, seed, damage)."""


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid name to ``word`` for a 'did you mean' hint, or None."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


def describe_value(value: object) -> str:
    """A short human description of a found value: its type and a clipped repr."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    return f"{kind} {text}" if kind not in ("null",) else "null"
