"""The Python API. The ``simengine`` command only wraps these functions.

>>> from simengine import api
>>> scn = api.load_scenario("highway-cut-in", overrides=["weather.road=wet"])
>>> summary = api.run(scn, out="corpus", runs=10_000, seed=1)
>>> episodes = api.load_corpus("corpus").episodes()      # a pyarrow Table
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simengine.corpus import Corpus, open_corpus
from simengine.errors import Problem, UserError
from simengine.resources import builtin_presets, builtin_scenarios, resolve_scenario_path
from simengine.scenario.scenario import Scenario
from simengine.scenario.scenario import load_scenario as _load_file

__all__ = [
    "DryRunEstimate",
    "ExpectationResult",
    "audit",
    "check_expectations",
    "components",
    "dry_run",
    "load_corpus",
    "load_plugin",
    "load_scenario",
    "render",
    "run",
    "scenario_schema",
    "validate",
]

DEFAULT_RUNS = 1000


def load_plugin(spec: str | Path) -> None:
    """Import a Python file (``path/to/plugin.py``) or module (``pkg.plugin``) that registers
    domains or renderers. Its folder is put on ``sys.path`` so worker processes find it too."""
    import importlib
    import sys

    text = str(spec)
    if text.endswith(".py") or "/" in text or "\\" in text:
        path = Path(text).resolve()
        if not path.is_file():
            raise UserError(f"plugin file not found: {text}", file=text)
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        text = path.stem
    try:
        importlib.import_module(text)
    except ImportError as exc:
        raise UserError(f"cannot import plugin {text!r}: {exc}", file=str(spec)) from None


def load_scenario(
    source: str | Path | Scenario,
    *,
    overrides: Sequence[str] = (),
    outputs: Sequence[str] = (),
) -> Scenario:
    """Load and compile a scenario: a file path or a built-in name; ``overrides`` are
    ``KEY=VALUE`` strings (``params.ego_speed_mps=30``), ``outputs`` extra streams/presets."""
    if isinstance(source, Scenario):
        if not overrides and not outputs:
            return source
        source = source.source
    return _load_file(resolve_scenario_path(str(source)), overrides=overrides, outputs=outputs)


def validate(sources: Sequence[str | Path]) -> dict[str, list[Problem]]:
    """Validate files; returns the problems of each (empty list: valid)."""
    report: dict[str, list[Problem]] = {}
    for src in sources:
        try:
            load_scenario(src)
            report[str(src)] = []
        except UserError as exc:
            report[str(src)] = list(exc.problems)
    return report


def run(
    scenario: str | Path | Scenario,
    *,
    out: str | Path,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    workers: int | None = None,
    shard_size: int | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    backend: Any = None,
):
    """Run ``runs`` Monte Carlo runs into the corpus at ``out``; returns a RunSummary."""
    from simengine.runner.run import run_corpus

    scn = load_scenario(scenario)
    return run_corpus(scn, out=str(out), runs=runs, seed=seed, workers=workers,
                      shard_size=shard_size, resume=resume, force=force, progress=progress,
                      backend=backend)


def render(
    corpus: str | Path,
    runs: Sequence[int],
    output: str,
    *,
    name: str | None = None,
    force: bool = False,
    progress: Any = None,
):
    """Render ``runs`` of an existing corpus with the preset ``output`` into
    ``<corpus>/<name or preset>/``, leaving every other file as it was; returns a
    RenderSummary. The frames are those the original run would have rendered."""
    from simengine.runner.rerender import render_runs

    return render_runs(corpus, runs, output, name=name, force=force, progress=progress)


def audit(corpus: str | Path, *, table: str = "transactions", label: str = "is_fraud",
          max_rows: int = 50_000, seed: int = 0):
    """Leak audit of a corpus table: the AUC of quick classifiers (5-fold CV) on metadata-only
    columns and on every single non-label column; returns an AuditReport (``.ok``)."""
    from simengine.audit import audit_corpus

    return audit_corpus(corpus, table=table, label=label, max_rows=max_rows, seed=seed)


@dataclass(frozen=True)
class DryRunEstimate:
    """What a run would write and cost, extrapolated from a small pilot."""

    runs: int
    rows: dict[str, int]
    bytes: int
    seconds: float
    free_bytes: int | None
    pilot_runs: int

    @property
    def fits(self) -> bool:
        return self.free_bytes is None or self.bytes <= self.free_bytes


def _free_bytes(out: str) -> int | None:
    path = Path(out)
    if "://" in out:
        return None
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def dry_run(scenario: str | Path | Scenario, *, out: str | Path, runs: int = DEFAULT_RUNS,
            seed: int = 0, workers: int | None = None, pilot_runs: int = 50) -> DryRunEstimate:
    """Estimate rows, bytes and time of a run by simulating a pilot into a temporary folder."""
    import pyarrow.parquet as pq

    from simengine.runner.backends import default_workers
    from simengine.runner.plan import Shard
    from simengine.runner.run import make_job
    from simengine.runner.shard import run_shard

    scn = load_scenario(scenario)
    n = max(1, min(pilot_runs, runs))
    with tempfile.TemporaryDirectory(prefix="simengine-dry-") as tmp:
        job = make_job(scn, seed=seed, out=tmp)
        started = time.perf_counter()
        receipt = run_shard(job, Shard(0, 0, n))
        elapsed = time.perf_counter() - started
        rows: dict[str, int] = {}
        size = 0
        for rel in receipt.files:
            path = Path(tmp) / rel
            size += path.stat().st_size
            if rel.endswith(".parquet") and "/_parts/" not in rel:
                folder = rel.split("/")[0]
                rows[folder] = rows.get(folder, 0) + pq.read_metadata(path).num_rows
    scale = runs / n
    k = workers or default_workers()
    return DryRunEstimate(
        runs=runs,
        rows={k2: int(round(v * scale)) for k2, v in rows.items()},
        bytes=int(size * scale),
        seconds=elapsed * scale / min(k, max(1, -(-runs // scn.domain.shard_size))),
        free_bytes=_free_bytes(str(out)),
        pilot_runs=n,
    )


def load_corpus(path: str | Path) -> Corpus:
    """Open a corpus written by :func:`run`."""
    return open_corpus(str(path))


@dataclass(frozen=True)
class ExpectationResult:
    """One ``expect:`` entry checked against a corpus."""

    expression: str
    low: float
    high: float
    value: float

    @property
    def ok(self) -> bool:
        return self.low <= self.value <= self.high


def check_expectations(corpus: Corpus | str | Path) -> list[ExpectationResult]:
    """Mean of each ``expect:`` expression over the corpus episodes, against its range."""
    from simengine.scenario.expressions import parse_expression
    from simengine.scenario.scenario import load_scenario_text

    if not isinstance(corpus, Corpus):
        corpus = load_corpus(corpus)
    scn = load_scenario_text(corpus.scenario_text, file=f"{corpus.path}/scenario.yaml")
    table = corpus.episodes()
    columns: Mapping[str, np.ndarray] = {
        name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names
    }
    results = []
    for expr, (lo, hi) in scn.spec.expect.items():
        values = parse_expression(expr).evaluate(columns, info=scn.columns)
        results.append(ExpectationResult(expr, lo, hi, float(np.mean(values))))
    return results


def scenario_schema(domain: str | None = None) -> dict[str, Any]:
    """JSON Schema of scenario files; with ``domain``, its ``world:`` and ``labels:`` filled in."""
    from simengine.domains import DOMAINS
    from simengine.scenario.models import ScenarioSpec

    schema = ScenarioSpec.model_json_schema()
    schema["$id"] = "https://simengine.invalid/scenario.schema.json"
    if domain is not None:
        cls = DOMAINS.get(domain)
        props = schema["properties"]
        props["world"] = cls.world_model.model_json_schema()
        props["labels"] = cls.labels_model.model_json_schema()
        props["domain"] = {"const": domain, "description": props["domain"].get("description", "")}
    return schema


def components() -> dict[str, list[tuple[str, str]]]:
    """Domains, renderers, streams, built-in scenarios and presets, with one-line descriptions."""
    from simengine.domains import DOMAINS
    from simengine.renderers import RENDERERS
    from simengine.scenario.yaml_loader import load_yaml_file

    def first_line(path: Path) -> str:
        try:
            data = load_yaml_file(path).data
        except UserError:
            return "(invalid file)"
        text = data.get("description", "") if isinstance(data, dict) else ""
        return str(text).strip().splitlines()[0] if text else ""

    out: dict[str, list[tuple[str, str]]] = {"domains": [], "renderers": [], "streams": []}
    for entry in DOMAINS.entries():
        out["domains"].append((entry.name, entry.description))
        try:
            cls = DOMAINS.get(entry.name)
        except Exception as exc:
            out["domains"][-1] = (entry.name, f"(cannot load: {exc})")
            continue
        for s in cls.streams.values():
            out["streams"].append((f"{entry.name}/{s.name}", s.description))
    out["renderers"] = [(e.name, e.description) for e in RENDERERS.entries()]
    out["scenarios"] = [(k, first_line(p)) for k, p in builtin_scenarios().items()]
    out["presets"] = [(k, first_line(p)) for k, p in builtin_presets().items()]
    return out

