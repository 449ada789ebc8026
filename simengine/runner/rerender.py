"""Rendering chosen runs of an existing corpus again, into a folder of their own.

A corpus screened without images (or with small ones) often needs a few runs seen in detail:
``simengine render OUT --runs 17,423 --output dashcam-1280``. The runs' parameters are read
back from ``episodes/`` and the runs are simulated again with their own keys (DESIGN §7.1), so
the frames are exactly those the original run would have rendered with that output. Nothing of
the corpus is touched except ``manifest.json``, which gains an entry under ``renders``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simengine.corpus import open_corpus
from simengine.domains.base import SCENES
from simengine.errors import CorpusError, UserError
from simengine.renderers.base import Artefact
from simengine.runner.manifest import MANIFEST
from simengine.runner.shard import (
    _concat,
    _metadata,
    _renderer,
    _write_artefacts,
    select_frames,
)
from simengine.sampling.keys import RunKeys
from simengine.scenario.scenario import OutputPlan, Scenario

__all__ = ["RenderSummary", "parse_runs", "render_runs"]

PART = "render"


@dataclass(frozen=True)
class RenderSummary:
    """What a re-render wrote."""

    folder: str
    runs: tuple[int, ...]
    frames: int
    files: int
    seconds: float


def parse_runs(text: str) -> list[int]:
    """``"17,423"`` or ``"0-9,17"`` → sorted unique run indices (ranges are inclusive)."""
    runs: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            if sep:
                a, b = int(lo), int(hi)
                if b < a:
                    raise ValueError
                runs.update(range(a, b + 1))
            else:
                runs.add(int(part))
        except ValueError:
            raise UserError(f"--runs: expected run numbers like 17,423 or 0-9; found {part!r}",
                            field="--runs") from None
    if not runs:
        raise UserError("--runs: no run numbers given", field="--runs")
    return sorted(runs)


def _plan(scn_file: str, output: str, name: str | None) -> tuple[Scenario, OutputPlan]:
    from simengine.api import load_scenario

    # the corpus's own outputs are left out: only the simulation and this output matter
    scn = load_scenario(scn_file, overrides=["outputs=[]"], outputs=[output])
    plan = scn.outputs[-1]
    if plan.kind != "render":
        raise UserError(f"--output {output!r} is a stream, not a rendering preset; streams of "
                        "existing runs are read from the corpus", field="--output")
    return scn, dataclasses.replace(plan, name=name or plan.name)


def _params(corpus, scn: Scenario, runs: np.ndarray) -> dict[str, np.ndarray]:
    """The chosen runs' parameters as they were sampled (read back, not re-sampled: a corpus
    drawn by another sampler has other values than the nominal one would give)."""
    table = corpus.table("episodes", columns=["run", *scn.space.names], runs=runs.tolist())
    all_runs = table.column("run").to_numpy()
    if not len(all_runs):
        raise CorpusError(f"runs not in the corpus's episodes: {', '.join(map(str, runs[:10]))}",
                          file=corpus.path)
    index = np.searchsorted(all_runs, runs)
    index = np.minimum(index, len(all_runs) - 1)
    missing = runs[all_runs[index] != runs]
    if missing.size:
        raise CorpusError(f"runs not in the corpus's episodes: {', '.join(map(str, missing[:10]))}",
                          file=corpus.path)
    return {name: table.column(name).to_numpy()[index] for name in scn.space.names}


def render_runs(
    corpus_path: str | Path,
    runs: Sequence[int],
    output: str,
    *,
    name: str | None = None,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RenderSummary:
    """Render ``runs`` of the corpus at ``corpus_path`` with ``output`` (a preset name or file)
    into ``<corpus>/<name or preset>/``; ``progress(done, total)`` is called per batch."""
    start = time.perf_counter()
    corpus = open_corpus(str(corpus_path))
    manifest = corpus.manifest
    storage = corpus.storage
    chosen = np.asarray(sorted(set(int(r) for r in runs)), dtype=np.int64)
    bad = chosen[(chosen < 0) | (chosen >= manifest.n_runs)]
    if bad.size:
        raise UserError(f"--runs: the corpus has runs 0–{manifest.n_runs - 1}; found "
                        f"{', '.join(map(str, bad[:10]))}", field="--runs")
    scn, plan = _plan(storage.path("scenario.yaml"), output, name)
    taken = {"episodes", *(str(o.get("name")) for o in manifest.outputs)}
    if plan.name in taken:
        raise UserError(f"folder {plan.name!r} already belongs to this corpus; choose another "
                        "with --name", field="--name")
    previous = [r for r in manifest.renders if r.get("name") == plan.name]
    if previous and not force:
        raise UserError(f"folder {plan.name!r} already holds a re-render "
                        f"(runs {previous[0].get('runs')}); pass --force to replace it, or "
                        "choose another --name", field="--name")
    for old in previous:
        for rel in old.get("files", {}):
            storage.remove(rel)
    storage.remove(plan.name)
    params = _params(corpus, scn, chosen)
    every = RunKeys.range(manifest.seed, 0, manifest.n_runs)
    keys = every.subset(np.isin(every.runs, chosen))
    meta = _metadata(scn, manifest.seed)
    renderer = _renderer(plan)
    files: dict[str, str] = {}
    parts: list[list[Artefact]] = []
    frames = 0
    batch = max(1, min(len(chosen), scn.domain.shard_size))
    for lo in range(0, len(chosen), batch):
        sl = np.arange(lo, min(lo + batch, len(chosen)))
        sub_keys = keys.subset(sl)
        sub_params = {k: v[sl] for k, v in params.items()}
        chunks = [c.columns for c in scn.domain.simulate(scn, sub_params, sub_keys,
                                                         frozenset({SCENES}))
                  if c.stream == SCENES]
        scenes = _concat(chunks)
        if scenes:
            keep = select_frames(plan, scenes, scn)
            scenes = {k: np.asarray(v)[keep] for k, v in scenes.items()}
            if len(scenes["run"]):
                run_t = np.stack([scenes["run"], scenes["t_s"]], axis=1)
                frames += len(np.unique(run_t, axis=0))
                artefacts = renderer.render(scenes, sub_keys)
                parts.append([a for a in artefacts if a.partial])
                files.update(_write_artefacts(storage, plan.name, f"{PART}-{lo:07d}",
                                              artefacts, meta))
        if progress is not None:
            progress(int(sl[-1]) + 1, len(chosen))
    corpus_wide = renderer.finalize(parts, info=meta)
    files.update(_write_artefacts(storage, plan.name, "", corpus_wide, meta))
    manifest.renders = [r for r in manifest.renders if r.get("name") != plan.name]
    manifest.renders.append({
        "name": plan.name,
        "output": output,
        "renderer": plan.renderer,
        "runs": [int(r) for r in chosen],
        "frames": frames,
        "files": dict(sorted(files.items())),
    })
    storage.write_bytes(MANIFEST, manifest.to_json().encode())
    return RenderSummary(storage.path(plan.name), tuple(int(r) for r in chosen), frames,
                         len(files), time.perf_counter() - start)
