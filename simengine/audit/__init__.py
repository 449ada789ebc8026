"""The leak audit: can a label be predicted from what should not carry it?

Names are imported lazily so that ``simengine.audit.cli`` (and the command line) stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AuditReport", "ColumnScore", "audit_corpus", "audit_table"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from simengine.audit import leak

        return getattr(leak, name)
    raise AttributeError(name)
