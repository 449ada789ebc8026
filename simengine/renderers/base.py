"""The renderer interface: selected runs' scenes → artefacts (image files, label tables).

A renderer is pure given its inputs: the same scenes and keys give the same bytes. It never
writes files — it returns :class:`Artefact` objects and the sink stores them. ``setup()`` runs once
per worker process (e.g. to open a pybullet client); ``finalize`` builds corpus-wide files (merged
COCO, ``data.yaml``) deterministically from every shard's partial artefacts, so they come out the
same after a resume.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import BaseModel

if TYPE_CHECKING:
    from simengine.sampling.keys import RunKeys

__all__ = ["Artefact", "Renderer"]


@dataclass(frozen=True)
class Artefact:
    """One file a renderer produces, relative to its output folder.

    Exactly one of ``data`` (raw bytes) or ``table`` (columns, written as Parquet) is set.
    ``partial`` artefacts are per-shard pieces of a corpus-wide file: the sink keeps them under
    ``_parts/`` and hands them back to :meth:`Renderer.finalize`.
    """

    path: str
    data: bytes | None = None
    table: Mapping[str, np.ndarray] | None = None
    partial: bool = False

    def __post_init__(self) -> None:
        if (self.data is None) == (self.table is None):
            raise ValueError("an artefact holds exactly one of data or table")
        if self.path.startswith(("/", "..")) or "\\" in self.path or ".." in self.path.split("/"):
            raise ValueError(f"artefact path must be relative and inside the output: {self.path}")


class Renderer(ABC):
    """Records selected runs. Subclass, declare ``options_model``, register by name."""

    name: ClassVar[str]
    description: ClassVar[str]
    options_model: ClassVar[type[BaseModel]]
    draws_randomness: ClassVar[bool] = True
    """Whether the output depends on the run keys (sensor noise, weather) and not only on the
    scenes; a table writer's does not. The conformance tests check whichever is declared."""

    def __init__(self, options: BaseModel) -> None:
        self.options = options

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Once per worker process, before the first :meth:`render`."""

    @abstractmethod
    def render(self, scenes: Mapping[str, np.ndarray], keys: RunKeys) -> list[Artefact]:
        """Artefacts for the selected frames in ``scenes`` (rows of the domain's scenes table,
        each with ``run`` and ``t_s``); ``keys`` are the runs' keys (use Purpose.RENDERING)."""

    def finalize(self, parts: Sequence[Sequence[Artefact]], *,
                 info: Mapping[str, str] | None = None) -> list[Artefact]:
        """Corpus-wide artefacts from every shard's partial artefacts (shard order); ``info``
        is the corpus's metadata (engine version, scenario, seed) for file headers — never a
        timestamp, so the files come out the same after a resume."""
        return []

