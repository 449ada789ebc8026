"""The synthetic labeled output the format tests read, built once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from simengine.renderers.base import Artefact
from simengine.renderers.formats import FORMATS, finalize_label_artefacts, shard_label_artefacts
from tests.renderers.formats.synthetic import Frame, render, scene, store

INFO = {"description": "synthetic-occlusion", "version": "0.0-test"}
SHARDS = ((3, 5), (8,))  # runs per shard


@dataclass(frozen=True)
class Output:
    """An output folder built over two shards, and what went into it."""

    root: Path
    frames: list[Frame]
    parts: list[list[Artefact]]


def build_output(root: Path, shards: tuple[tuple[int, ...], ...], *,
                 formats: tuple[str, ...] = FORMATS) -> Output:
    """Render each shard, store its artefacts, then finalize like the runner does."""
    frames = scene()
    parts = []
    for index, runs in enumerate(shards):
        chosen = [f for f in frames if f.run in runs]
        f_cols, o_cols, images = render(chosen)
        artefacts = shard_label_artefacts(f_cols, o_cols, formats=formats)
        # a partial of the camera renderer's own, which the label writers must ignore
        extra = Artefact("camera/rig.json", data=b'{"shard": %d}' % index, partial=True)
        parts.append(store(root, [*images, *artefacts, extra], f"part-{index:05d}"))
    store(root, finalize_label_artefacts(parts, formats=formats, info=INFO), "")
    return Output(root, frames, parts)


@pytest.fixture(scope="session")
def output(tmp_path_factory: pytest.TempPathFactory) -> Output:
    return build_output(tmp_path_factory.mktemp("dashcam") / "dashcam-64", SHARDS)
