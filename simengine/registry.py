"""Registries by string entry point (``"package.module:Attr"``), loaded on first use.

Registering costs nothing: the module named by the entry point is imported only when the name
is looked up, so ``simengine --help`` stays instant however many domains and renderers exist.
Third-party packages add entries through the ``simengine.domains`` / ``simengine.renderers``
entry-point groups of their own distribution metadata.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from simengine.errors import ScenarioError, closest

__all__ = ["Entry", "Registry", "load_entry_point"]

T = TypeVar("T")


def load_entry_point(entry_point: str) -> Any:
    """Import ``"package.module:Attr"`` and return the attribute."""
    module_name, _, attr = entry_point.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


@dataclass(frozen=True)
class Entry:
    """One registered name: where it lives and what it is, for ``simengine list``."""

    name: str
    entry_point: str
    description: str


class Registry(Generic[T]):
    """Names → lazily imported objects of one kind (domains, renderers)."""

    def __init__(self, kind: str, *, group: str) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, Entry] = {}
        self._loaded: dict[str, T] = {}
        self._plugins_scanned = False

    def register(self, name: str, entry_point: str, *, description: str = "") -> None:
        """Add ``name``; the same entry point again is a no-op, a different one an error."""
        old = self._entries.get(name)
        if old is not None and old.entry_point != entry_point:
            raise ValueError(f"{self.kind} {name!r} is already registered as {old.entry_point}")
        self._entries[name] = Entry(name, entry_point, description)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (tests use this to clean up)."""
        self._entries.pop(name, None)
        self._loaded.pop(name, None)

    def _scan_plugins(self) -> None:
        if self._plugins_scanned:
            return
        self._plugins_scanned = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            self._entries.setdefault(ep.name, Entry(ep.name, ep.value, ""))

    def entries(self) -> list[Entry]:
        """All registered entries, sorted by name."""
        self._scan_plugins()
        return [self._entries[k] for k in sorted(self._entries)]

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]

    def __contains__(self, name: object) -> bool:
        self._scan_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def entry(self, name: str) -> Entry:
        """The entry of ``name``, or a :class:`ScenarioError` with the closest valid name."""
        self._scan_plugins()
        try:
            return self._entries[name]
        except KeyError:
            hint = closest(name, self._entries)
            known = ", ".join(sorted(self._entries)) or "none registered"
            did = f" (did you mean {hint!r}?)" if hint else ""
            raise ScenarioError(
                f"unknown {self.kind} {name!r}{did}; expected one of: {known}"
            ) from None

    def get(self, name: str) -> T:
        """The object registered as ``name`` (imported on first use)."""
        if name not in self._loaded:
            self._loaded[name] = load_entry_point(self.entry(name).entry_point)
        return self._loaded[name]
