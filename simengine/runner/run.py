"""Running a scenario into a corpus: plan, check the folder, run missing shards, finalize.

Order of writes: shard files (atomic renames) → manifest with the new receipt (atomic) → after
the last shard, corpus-wide files from ``finalize`` → manifest with ``complete: true``. A run
killed at any point loses at most the shards in flight; ``resume`` trusts only shards whose files
are all present with the recorded checksums.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from simengine.errors import CorpusError, UserError
from simengine.renderers.base import Artefact
from simengine.runner.backends import Backend, InlineBackend, ProcessBackend, default_workers
from simengine.runner.manifest import MANIFEST, Manifest, ShardReceipt
from simengine.runner.plan import Shard, plan_shards
from simengine.runner.shard import (
    Job,
    _metadata,
    _renderer,
    _write_artefacts,
    run_shard,
    simulate_episodes,
)
from simengine.runner.storage import Storage
from simengine.sampling.keys import RunKeys
from simengine.scenario.scenario import Scenario

__all__ = ["Interrupted", "RunSummary", "make_job", "run_corpus"]


class Interrupted(UserError):  # noqa: N818 - it is not an error of the user's
    """The user pressed Ctrl-C; finished shards are kept."""

    exit_code = 130


@dataclass
class RunSummary:
    """What a run did, for the final summary line and for scripts."""

    out: str
    n_runs: int
    shards_total: int
    shards_run: int
    runs_simulated: int
    wall_s: float
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def runs_per_s(self) -> float:
        return self.runs_simulated / self.wall_s if self.wall_s > 0 else float("inf")


def make_job(scn: Scenario, *, seed: int, out: str, **extra: object) -> Job:
    """The picklable job for workers (entry points let spawned workers find test plugins)."""
    from simengine.domains import DOMAINS
    from simengine.renderers import RENDERERS

    eps = [("domain", scn.spec.domain, DOMAINS.entry(scn.spec.domain).entry_point)]
    for plan in scn.outputs:
        if plan.renderer:
            eps.append(("renderer", plan.renderer, RENDERERS.entry(plan.renderer).entry_point))
    base = str(Path(scn.source).resolve().parent) if Path(scn.source).is_file() else None
    return Job(scn.text, scn.source, base, tuple(eps), seed, out, **extra)  # type: ignore[arg-type]


def _outputs_json(scn: Scenario) -> list[dict[str, object]]:
    return [
        {
            "name": p.name,
            "kind": p.kind,
            **({"stream": p.stream} if p.stream else {}),
            **({"preset": p.preset, "renderer": p.renderer} if p.renderer else {}),
        }
        for p in scn.outputs
    ]


RECEIPTS = "_receipts"
"""Per-shard receipts, written as each shard finishes: O(1) per shard, whereas the manifest
(which lists every shard) is rewritten at most every MANIFEST_EVERY_S seconds and at the end."""
MANIFEST_EVERY_S = 2.0


def _write_manifest(storage: Storage, manifest: Manifest) -> None:
    storage.write_bytes(MANIFEST, manifest.to_json().encode())


def _write_receipt(storage: Storage, receipt: ShardReceipt) -> None:
    text = json.dumps(receipt.to_json(), indent=None)
    storage.write_bytes(f"{RECEIPTS}/{Shard(receipt.index, 0, 0).part}.json", text.encode())


def _merge_receipts(storage: Storage, manifest: Manifest) -> None:
    """Add the receipts of shards that finished after the manifest was last written."""
    for rel in storage.files():
        if rel.startswith(f"{RECEIPTS}/") and rel.endswith(".json"):
            try:
                receipt = ShardReceipt.from_json(json.loads(storage.read_bytes(rel)))
            except (ValueError, KeyError, TypeError):
                continue  # unreadable: its shard is simply run again
            manifest.shards.setdefault(receipt.index, receipt)


def _verified(storage: Storage, receipt: ShardReceipt) -> bool:
    return all(storage.sha256(rel) == sha for rel, sha in receipt.files.items())


def _prepare(storage: Storage, scn: Scenario, *, seed: int, n_runs: int, shard_size: int,
             resume: bool, force: bool) -> Manifest:
    """Check the output folder against the command; returns the manifest to continue."""
    fresh = Manifest(scn.name, scn.sha256, seed, n_runs, shard_size, _outputs_json(scn))
    where = storage.path(MANIFEST)
    if storage.is_empty():
        if resume:
            raise CorpusError("nothing to resume: the output folder is empty", file=storage.root)
        return fresh
    if not storage.exists(MANIFEST):
        if not force:
            raise CorpusError(
                "output folder is not empty and holds no simengine corpus; "
                "choose another --out, or pass --force to write into it",
                file=storage.root,
            )
        return fresh
    try:
        old = Manifest.from_json(storage.read_bytes(MANIFEST).decode(errors="replace"),
                                 where=where)
    except CorpusError:
        if not force:
            raise
        storage.remove(MANIFEST)  # damaged: --force starts over, as its message promises
        return fresh
    _merge_receipts(storage, old)
    same = old.scenario_sha256 == scn.sha256 and old.seed == seed
    if force:
        # the corpus's own folders go entirely: a killed run can leave files of an unrecorded
        # shard there, which must not survive into the new corpus
        folders = ["episodes", *(str(o.get("name")) for o in [*old.outputs, *old.renders]
                                 if o.get("name"))]
        for rel in [*old.all_files(), *folders, RECEIPTS, MANIFEST, "scenario.yaml"]:
            storage.remove(rel)
        return fresh
    if not same:
        what = "seed" if old.scenario_sha256 == scn.sha256 else "resolved scenario"
        raise CorpusError(
            f"output folder holds a corpus of a different {what} "
            f"({old.scenario} seed {old.seed}); use another --out, or --force to replace it",
            file=where,
        )
    if not resume:
        state = "complete" if old.complete else f"{len(old.shards)} shards done"
        raise CorpusError(
            f"output folder already holds this corpus ({old.n_runs} runs, {state}); "
            "pass --resume to finish or extend it, or --force to start over",
            file=where,
        )
    if old.packages != fresh.packages:
        changed = ", ".join(
            f"{k} {old.packages.get(k, 'absent')} → {v}"
            for k, v in fresh.packages.items() if old.packages.get(k) != v
        )
        raise CorpusError(
            f"the corpus was written in another environment ({changed}); its bytes could not "
            "be reproduced here. Resume where it was made, or --force to start over",
            file=where,
        )
    if n_runs < old.n_runs:
        raise CorpusError(
            f"--runs {n_runs} is smaller than the corpus ({old.n_runs} runs); "
            "a corpus only grows",
            file=where,
        )
    if shard_size != old.shard_size:
        raise CorpusError(
            f"--shard-size {shard_size} differs from the corpus ({old.shard_size}); "
            "resume with the same shard size",
            file=where,
        )
    old.n_runs = n_runs
    old.complete = False
    return old


def run_corpus(
    scn: Scenario,
    *,
    out: str,
    runs: int,
    seed: int = 0,
    workers: int | None = None,
    shard_size: int | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    backend: Backend | None = None,
    on_shard: Callable[[ShardReceipt], None] | None = None,
) -> RunSummary:
    """Run ``runs`` Monte Carlo runs of ``scn`` into the corpus at ``out``."""
    if runs <= 0:
        raise CorpusError(f"--runs must be > 0; found {runs}")
    shard_size = shard_size or scn.domain.shard_size
    if shard_size <= 0:
        raise CorpusError(f"--shard-size must be > 0; found {shard_size}")
    storage = Storage(out)
    manifest = _prepare(storage, scn, seed=seed, n_runs=runs, shard_size=shard_size,
                        resume=resume, force=force)
    storage.remove_temporaries()
    plan = plan_shards(runs, shard_size)
    kept = {}
    for shard in plan:
        receipt = manifest.shards.get(shard.index)
        if receipt and receipt.runs == (shard.start, shard.stop) and _verified(storage, receipt):
            kept[shard.index] = receipt
    for index, receipt in manifest.shards.items():
        if index not in kept:
            for rel in receipt.files:
                storage.remove(rel)
    manifest.shards = kept
    manifest.finalized = {}
    todo = [s for s in plan if s.index not in kept]
    job = make_job(scn, seed=seed, out=out)
    workers = workers or default_workers()
    started = time.perf_counter()
    bar = _progress_bar(sum(s.runs for s in todo), enabled=progress)
    pool: Backend = InlineBackend()
    try:
        # the manifest first: a run killed from here on is always a corpus --resume continues
        _write_manifest(storage, manifest)
        storage.write_bytes("scenario.yaml", scn.text.encode())
        if backend is not None:
            pool = backend
        else:
            if scn.domain.kernels_cold():  # compile once here, not in every worker at once
                _compile_kernels(scn, seed)
            if workers > 1 and len(todo) > 1:
                pool = ProcessBackend(workers)
        last_write = time.perf_counter()
        for receipt in pool.map(run_shard, job, todo):
            manifest.shards[receipt.index] = receipt
            _write_receipt(storage, receipt)
            if time.perf_counter() - last_write > MANIFEST_EVERY_S:
                _write_manifest(storage, manifest)
                last_write = time.perf_counter()
            bar.update(receipt.runs[1] - receipt.runs[0])
            if on_shard is not None:
                on_shard(receipt)
        pool.close()
        bar.close()
        _finalize(storage, scn, manifest, seed)
    except KeyboardInterrupt:
        pool.close(cancel=True)
        bar.close()
        _write_manifest(storage, manifest)
        done = len(manifest.shards)
        raise Interrupted(
            f"interrupted: {done} of {len(plan)} shards are written and kept; "
            "run the same command with --resume to finish",
            file=storage.root,
        ) from None
    except BaseException:
        # a failed shard (or anything else): stop the pool instead of finishing its queue
        pool.close(cancel=True)
        bar.close()
        raise
    manifest.complete = True
    _write_manifest(storage, manifest)
    storage.remove(RECEIPTS)
    wall = time.perf_counter() - started
    counts: dict[str, dict[str, int]] = {}
    for receipt in manifest.shards.values():
        for label, values in receipt.labels.items():
            for value, n in values.items():
                counts.setdefault(label, {}).setdefault(value, 0)
                counts[label][value] += n
    return RunSummary(storage.root, runs, len(plan), len(todo), sum(s.runs for s in todo), wall,
                      counts)


def _compile_kernels(scn: Scenario, seed: int) -> None:
    """Compile the domain's kernels here, their helpers on the other core meanwhile (the two
    meet in the middle through the on-disk cache), then simulate one run, which compiles
    whatever else a run needs."""
    from simengine.jit import BackgroundCompile, compile_specialisations

    with BackgroundCompile(reversed(scn.domain.kernel_helpers())):
        compile_specialisations(scn.domain.kernels())
        simulate_episodes(scn, RunKeys.range(seed, 0, 1))


def _finalize(storage: Storage, scn: Scenario, manifest: Manifest, seed: int) -> None:
    """Corpus-wide files of every rendering output, rebuilt from all shards' partial files."""
    meta = _metadata(scn, seed)
    for plan in scn.outputs:
        if plan.kind != "render":
            continue
        prefix = f"{plan.name}/_parts/"
        parts: list[list[Artefact]] = []
        for index in sorted(manifest.shards):
            part_prefix = f"{prefix}{Shard(index, 0, 0).part}/"
            files = sorted(f for f in manifest.shards[index].files if f.startswith(part_prefix))
            parts.append([Artefact(f[len(part_prefix):], data=storage.read_bytes(f), partial=True)
                          for f in files])
        artefacts = _renderer(plan).finalize(parts, info=meta)
        manifest.finalized[plan.name] = _write_artefacts(storage, plan.name, "", artefacts, meta)


def _progress_bar(total: int, *, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="run", disable=not enabled, file=sys.stderr, smoothing=0.1,
                dynamic_ncols=True, desc="simulating")

