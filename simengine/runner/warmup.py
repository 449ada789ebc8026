"""Compile a scenario's kernels ahead: start on the other core before the scenario is loaded.

On a cold Numba cache the first run of a domain compiles its kernels for seconds. The runner
compiles them itself while a child process compiles their helpers
(:class:`simengine.jit.BackgroundCompile`); the command line starts that child earlier still,
as soon as it can read the scenario's ``domain:`` line, so the child's head start covers
loading and validating the scenario.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext

from simengine.errors import UserError

__all__ = ["compile_ahead"]

_DOMAIN = re.compile(r"^domain:\s*['\"]?([A-Za-z0-9_.-]+)", re.MULTILINE)


def compile_ahead(scenario: str) -> AbstractContextManager:
    """A context manager that compiles the kernel helpers of ``scenario``'s domain in a child
    process if that domain's kernels are not cached yet; it does nothing when they are, or when
    the file cannot be read (loading it will then say why)."""
    from simengine.domains import DOMAINS
    from simengine.jit import BackgroundCompile
    from simengine.resources import resolve_scenario_path

    try:
        text = resolve_scenario_path(scenario).read_text(encoding="utf-8")
    except (UserError, OSError, UnicodeDecodeError):
        return nullcontext()
    match = _DOMAIN.search(text)
    if match is None or match.group(1) not in DOMAINS:
        return nullcontext()
    domain = DOMAINS.get(match.group(1))()
    if not domain.kernels_cold():
        return nullcontext()
    return BackgroundCompile(reversed(domain.kernel_helpers()))
