"""Built-in scenarios and renderer presets, found in a checkout or an installed wheel.

In a checkout they are the top-level ``scenarios/`` and ``renderers/`` folders; a wheel ships
them as package data under ``simengine/_data/``. Names are file stems (``highway-cut-in``).
"""

from __future__ import annotations

from pathlib import Path

from simengine.errors import ScenarioError, closest

__all__ = ["builtin_dir", "builtin_presets", "builtin_scenarios", "resolve_preset_path",
           "resolve_scenario_path"]

_PACKAGE = Path(__file__).resolve().parent


def builtin_dir(kind: str) -> Path | None:
    """The folder of built-in ``scenarios`` or ``renderers`` presets, or None."""
    for candidate in (_PACKAGE / "_data" / kind, _PACKAGE.parent / kind):
        if candidate.is_dir():
            return candidate
    return None


def _index(kind: str) -> dict[str, Path]:
    root = builtin_dir(kind)
    if root is None:
        return {}
    files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
    return {p.stem: p for p in files}


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario name → file."""
    return _index("scenarios")


def builtin_presets() -> dict[str, Path]:
    """Built-in preset name → file."""
    return _index("renderers")


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".yaml", ".yml"))


def resolve_scenario_path(name: str) -> Path:
    """A scenario argument (a path, or a built-in name) → the file to load."""
    path = Path(name)
    if path.is_file():
        return path
    if _looks_like_path(name):
        raise ScenarioError(f"scenario file not found: {name}", file=name)
    found = builtin_scenarios()
    if name in found:
        return found[name]
    hint = closest(name, found)
    did = f" (did you mean {hint!r}?)" if hint else ""
    known = ", ".join(found) or "none installed"
    raise ScenarioError(
        f"no scenario file or built-in scenario named {name!r}{did}; built-ins: {known}"
    )


def resolve_preset_path(name: str, *, relative_to: Path | None = None) -> Path | None:
    """A preset name or path → its file, or None if there is no such preset."""
    if _looks_like_path(name):
        path = Path(name)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return path if path.is_file() else None
    return builtin_presets().get(name)
