"""Shared fixtures: the test-only dummy domain and renderer are registered for every test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import tests.support.plugins  # noqa: F401 - registers the dummy domain and renderer

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = ROOT / "tests" / "support"
APPROACH = SUPPORT / "scenarios" / "approach.yaml"


@pytest.fixture
def approach() -> Path:
    """The dummy domain's scenario file (streams, a preset with only_if, a correlated group)."""
    return APPROACH


def cli_command(*args: str) -> list[str]:
    """argv for the real CLI with the test plugins registered, in a subprocess."""
    return [sys.executable, "-m", "tests.support.cli", *args]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env
