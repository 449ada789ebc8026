"""One shard, start to finish, in whatever process runs it.

Sample the shard's runs, simulate them (recording the streams that need no selection), write
the episodes, then for each selective output evaluate ``only_if`` on the outcomes and re-simulate
just the chosen runs with that stream or with scenes for rendering (DESIGN §7.3). Everything is a
function of (scenario, seed, shard): the receipt lists each file with its sha256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from simengine import __version__
from simengine.categorical import Categorical
from simengine.domains.base import OUTCOMES, SCENES, Chunk
from simengine.renderers.base import Artefact, Renderer
from simengine.runner.manifest import ShardReceipt
from simengine.runner.plan import Shard
from simengine.runner.storage import Storage, write_table
from simengine.sampling.keys import RunKeys
from simengine.sampling.sampler import NominalSampler, assign_split
from simengine.scenario.scenario import OutputPlan, Scenario

__all__ = ["Job", "run_shard", "simulate_episodes"]


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, picklable: the resolved scenario text, not Python objects."""

    scenario_text: str
    scenario_file: str
    base_dir: str | None
    entry_points: tuple[tuple[str, str, str], ...]  # (registry, name, entry point)
    seed: int
    out: str


@lru_cache(maxsize=4)
def _compiled(text: str, file: str, base_dir: str | None,
              entry_points: tuple[tuple[str, str, str], ...]) -> Scenario:
    from simengine.domains import DOMAINS
    from simengine.renderers import RENDERERS
    from simengine.scenario.scenario import load_scenario_text

    registries = {"domain": DOMAINS, "renderer": RENDERERS}
    for kind, name, ep in entry_points:
        registries[kind].register(name, ep)
    return load_scenario_text(text, file=file, base_dir=Path(base_dir) if base_dir else None)


def scenario_of(job: Job) -> Scenario:
    return _compiled(job.scenario_text, job.scenario_file, job.base_dir, job.entry_points)


_RENDERERS: dict[str, Renderer] = {}


def _renderer(plan: OutputPlan) -> Renderer:
    from simengine.renderers import RENDERERS

    assert plan.renderer is not None and plan.options is not None
    key = f"{plan.renderer}:{plan.options.model_dump_json()}"
    r = _RENDERERS.get(key)
    if r is None:
        r = RENDERERS.get(plan.renderer)(plan.options)
        r.setup()
        _RENDERERS[key] = r
    return r


@lru_cache(maxsize=8)
def _simulation_sha256(scn: Scenario) -> str:
    from simengine.scenario.yaml_loader import dump_yaml

    simulated = {k: v for k, v in scn.raw.items() if k != "outputs"}
    return hashlib.sha256(dump_yaml(simulated).encode()).hexdigest()


def _metadata(scn: Scenario, seed: int) -> dict[str, str]:
    """Key-value metadata of every Parquet file a shard writes.

    It names what was *simulated* — the resolved scenario without its ``outputs:`` — not the
    full resolved scenario (whose sha256 is in the manifest): adding an output must not change
    the bytes of any file the corpus already had (DESIGN §7.1).
    """
    return {
        "simengine.version": __version__,
        "simengine.scenario": scn.name,
        "simengine.simulation_sha256": _simulation_sha256(scn),
        "simengine.seed": str(seed),
    }


def _concat(chunks: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The chunks' columns joined; a column that is categorical in every chunk, with the same
    categories, stays categorical (its codes are joined: no string per row is made)."""
    if not chunks:
        return {}
    return {k: _join([c[k] for c in chunks]) for k in chunks[0]}


def _join(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, Categorical) and all(
            isinstance(p, Categorical) and p.categories == first.categories for p in parts):
        return Categorical.concatenate(parts)
    return np.concatenate(parts)


def _take(columns: Mapping[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: np.asarray(v)[index] for k, v in columns.items()}


def simulate_episodes(
    scn: Scenario,
    keys: RunKeys,
    record: frozenset[str] = frozenset(),
    sinks: Mapping[str, Any] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Sample and simulate ``keys``; returns (episode columns, params). Recorded stream chunks
    go to ``sinks[stream].write``."""
    params, log_weight = NominalSampler().sample(scn.space, keys)
    outcomes: list[Mapping[str, np.ndarray]] = []
    for chunk in scn.domain.simulate(scn, params, keys, record):
        _route(chunk, outcomes, sinks or {}, record)
    out = _concat(outcomes)
    runs = out.pop("run", None)
    if runs is None or not np.array_equal(runs, keys.runs):
        raise RuntimeError(
            f"domain {scn.domain.name!r} must yield one outcome row per run, in run order"
        )
    episodes = {"run": keys.runs, "split": assign_split(scn.spec.split, keys), **params}
    episodes.update(out)
    episodes["log_weight"] = log_weight
    return episodes, params


def _encodings(scn: Scenario, stream: str | None) -> dict[str, tuple[str, ...]]:
    """The random-id, key and rising columns a domain declares for ``stream`` (how the sink
    encodes them: :func:`simengine.runner.storage.writer_options`)."""
    spec = scn.domain.streams.get(stream) if stream is not None else None
    if spec is None:
        return {}
    return {"identifiers": spec.identifiers, "keys": spec.keys, "ordered": spec.ordered}


def _route(chunk: Chunk, outcomes: list, sinks: Mapping[str, Any], record: frozenset[str]) -> None:
    if chunk.stream == OUTCOMES:
        outcomes.append(chunk.columns)
    elif chunk.stream in sinks:
        sinks[chunk.stream].write(chunk.columns)
    elif chunk.stream not in record:
        raise RuntimeError(f"domain yielded stream {chunk.stream!r} that was not requested")


def label_counts(scn: Scenario, episodes: Mapping[str, np.ndarray]) -> dict[str, dict[str, int]]:
    """Counts of each label value in a shard (bool and categorical outcome columns)."""
    counts: dict[str, dict[str, int]] = {}
    for name, info in scn.outcome_columns.items():
        if info.kind not in ("bool", "ordered", "category") or name not in episodes:
            continue
        col = episodes[name]
        if isinstance(col, Categorical):  # counted on the codes: no string per row
            found = col.counts()
            counts[name] = {v.lower(): found[v] for v in sorted(found)}
            continue
        values, n = np.unique(np.asarray(col).astype(str), return_counts=True)
        counts[name] = {str(v).lower(): int(c) for v, c in zip(values, n, strict=True)}
    return counts


def select_frames(plan: OutputPlan, scenes: Mapping[str, np.ndarray], scn: Scenario) -> np.ndarray:
    """Boolean mask of the scene rows a rendering output keeps.

    Scene rows are in (run, time) order, and a frame may span several rows (one per object):
    rows with the same ``run`` and ``t_s`` form one frame, kept or dropped together.
    ``frames_if`` chooses the frames that qualify (a frame qualifies if any of its rows does;
    per-frame columns are equal across its rows); ``every_s`` then keeps the first qualifying
    frame of each ``every_s``-long time bucket of each run. Filtering first matters: with
    ``frames_if: min_ttc_s < 3`` and ``every_s: 1`` a second whose first frame does not qualify
    still gets its first frame that does.
    """
    n = len(scenes["run"])
    run = np.asarray(scenes["run"])
    t = np.asarray(scenes["t_s"], dtype=np.float64)
    starts = np.ones(n, dtype=bool)
    starts[1:] = (run[1:] != run[:-1]) | (t[1:] != t[:-1])
    frame = np.cumsum(starts) - 1
    first_rows = np.flatnonzero(starts)
    keep = np.ones(first_rows.size, dtype=bool)
    if plan.frames_if is not None:
        rows_ok = np.asarray(plan.frames_if.evaluate(scenes, info=scn.columns), dtype=bool)
        keep &= np.bincount(frame, weights=rows_ok, minlength=first_rows.size) > 0
    if plan.every_s is not None:
        frames = np.flatnonzero(keep)
        bucket = np.floor(t[first_rows[frames]] / plan.every_s + 1e-9)
        frun = run[first_rows[frames]]
        first = np.ones(frames.size, dtype=bool)
        first[1:] = (frun[1:] != frun[:-1]) | (bucket[1:] != bucket[:-1])
        keep[frames[~first]] = False
    return keep[frame]


def _write_artefacts(storage: Storage, base: str, part: str, artefacts: Sequence[Artefact],
                     metadata: Mapping[str, str]) -> dict[str, str]:
    files: dict[str, str] = {}
    for art in sorted(artefacts, key=lambda a: a.path):
        rel = f"{base}/_parts/{part}/{art.path}" if art.partial else f"{base}/{art.path}"
        if art.table is not None:
            _, sha = write_table(storage, rel, [art.table], metadata)
            if sha is not None:
                files[rel] = sha
        else:
            assert art.data is not None
            files[rel] = storage.write_bytes(rel, art.data)
    return files


def _selective_output(
    scn: Scenario, plan: OutputPlan, keys: RunKeys, episodes: Mapping, params: Mapping,
    storage: Storage, part: str, meta: Mapping,
) -> dict[str, str]:
    mask = np.ones(len(keys), dtype=bool)
    if plan.only_if is not None:
        mask = np.asarray(plan.only_if.evaluate(episodes, info=scn.columns), dtype=bool)
    if not mask.any():
        return {}
    sub_keys, sub_params = keys.subset(mask), _take(params, mask)
    if plan.kind == "stream":
        assert plan.stream is not None
        rel = f"{plan.name}/{part}.parquet"
        writer = storage.table_writer(rel, meta, **_encodings(scn, plan.stream))
        sinks = {plan.stream: writer}
        try:
            for chunk in scn.domain.simulate(scn, sub_params, sub_keys, frozenset({plan.stream})):
                _route(chunk, [], sinks, frozenset({plan.stream}))
        except BaseException:
            writer.abort()
            raise
        sha = writer.close()
        return {rel: sha} if sha else {}
    scene_chunks: list[Mapping[str, np.ndarray]] = []
    for chunk in scn.domain.simulate(scn, sub_params, sub_keys, frozenset({SCENES})):
        if chunk.stream == SCENES:
            scene_chunks.append(chunk.columns)
    scenes = _concat(scene_chunks)
    if not scenes:
        return {}
    scenes = _take(scenes, select_frames(plan, scenes, scn))
    artefacts = _renderer(plan).render(scenes, sub_keys)
    return _write_artefacts(storage, plan.name, part, artefacts, meta)


@dataclass
class _Tee:
    """Sends every chunk of one stream to several table writers."""

    writers: list[Any] = field(default_factory=list)

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        for w in self.writers:
            w.write(columns)


def run_shard(job: Job, shard: Shard) -> ShardReceipt:
    """Run one shard and write its files; returns the receipt."""
    scn = scenario_of(job)
    storage = Storage(job.out)
    meta = _metadata(scn, job.seed)
    keys = RunKeys.range(job.seed, shard.start, shard.stop)
    wanted = scn.outputs
    files: dict[str, str] = {}
    # streams without only_if are recorded during the main simulation; two outputs may record
    # the same stream (under different names), so each stream feeds a list of writers
    writers = {p.name: storage.table_writer(f"{p.name}/{shard.part}.parquet", meta,
                                            **_encodings(scn, p.stream))
               for p in wanted if p.kind == "stream" and p.only_if is None}
    sinks: dict[str, _Tee] = {}
    for p in wanted:
        if p.name in writers and p.stream is not None:
            sinks.setdefault(p.stream, _Tee()).writers.append(writers[p.name])
    try:
        episodes, params = simulate_episodes(scn, keys, frozenset(sinks), sinks)
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    for name, w in writers.items():
        sha = w.close()
        if sha:
            files[f"{name}/{shard.part}.parquet"] = sha
    rel = f"episodes/{shard.part}.parquet"
    _, sha = write_table(storage, rel, [episodes], meta)
    assert sha is not None
    files[rel] = sha
    for plan in wanted:
        if plan.kind == "render" or plan.only_if is not None:
            files.update(_selective_output(scn, plan, keys, episodes, params, storage,
                                           shard.part, meta))
    return ShardReceipt(shard.index, (shard.start, shard.stop), int(len(keys)), files,
                        label_counts(scn, episodes))
