"""Conformance of every registered domain and renderer (DESIGN §2, §7.1–7.5).

Parametrised over the registries, so a new domain or renderer is tested the moment it is
registered. Each domain needs at least one example scenario — the built-in scenarios whose
``domain:`` names it (plus the test scenarios below); a domain without one FAILS here. Each
renderer needs an example scenario with an output that uses it.

A domain must be deterministic (same seed → same tables; another seed → other values), must
re-simulate any single run exactly as it simulated it in a batch, and must not change what it
simulates when streams are recorded; its scenarios must survive a dump/validate round trip and
reload from a corpus to the same checksum. A renderer must give the same bytes for the same
scenes and keys, and a ``finalize`` that is a pure function of the shards' partial artefacts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simengine import api
from simengine.domains import DOMAINS
from simengine.domains.base import SCENES
from simengine.renderers import RENDERERS
from simengine.renderers.base import Artefact
from simengine.resources import builtin_scenarios
from simengine.runner.shard import select_frames, simulate_episodes
from simengine.sampling.keys import RunKeys
from simengine.scenario.scenario import OutputPlan, Scenario, load_scenario, load_scenario_text
from simengine.scenario.yaml_loader import dump_yaml, load_yaml_file
from tests.conftest import APPROACH

SEED = 20240607
TEST_EXAMPLES: dict[str, list[Path]] = {
    "dummy": [APPROACH],
    # rain and dusk: frames draw random weather, so other keys give other pixels and points
    "driving": [Path(__file__).parent / "renderers" / "scenarios" / "camera-night-rain.yaml"],
    # a small bank with its fraudulent transactions written as CSV
    "fraud": [Path(__file__).parent / "renderers" / "scenarios" / "fraud-csv.yaml"],
}
"""Example scenarios of test-only domains (built-in scenarios are found by their domain:)."""


def _domain_of(path: Path) -> str | None:
    data = load_yaml_file(path).data
    return data.get("domain") if isinstance(data, dict) else None


def example_scenarios(domain: str) -> list[Path]:
    """Every example scenario of ``domain``: built-ins whose ``domain:`` it is, then test ones."""
    builtin = [p for _, p in sorted(builtin_scenarios().items()) if _domain_of(p) == domain]
    return builtin + TEST_EXAMPLES.get(domain, [])


def _cases() -> list[Any]:
    cases = []
    for domain in DOMAINS.names():
        examples = example_scenarios(domain) or [None]  # None: a failing case, never a skip
        for path in examples:
            name = path.stem if path else "NO-EXAMPLE"
            cases.append(pytest.param(domain, path, id=f"{domain}-{name}"))
    return cases


def _renderer_cases() -> list[Any]:
    return [pytest.param(name, id=name) for name in RENDERERS.names()]


def _load(domain: str, path: Path | None) -> Scenario:
    if path is None:
        pytest.fail(f"domain {domain!r} has no example scenario: add a built-in scenario with "
                    f"`domain: {domain}` under scenarios/ (or a test one to TEST_EXAMPLES)")
    scn = load_scenario(path)
    assert scn.spec.domain == domain
    return scn


def _runs(scn: Scenario) -> int:
    return max(8, min(40, scn.domain.shard_size))


class _Collect:
    """A stream sink that keeps every chunk."""

    def __init__(self) -> None:
        self.chunks: list[Mapping[str, np.ndarray]] = []

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        self.chunks.append({k: np.asarray(v) for k, v in columns.items()})

    def table(self) -> dict[str, np.ndarray]:
        if not self.chunks:
            return {}
        return {k: np.concatenate([c[k] for c in self.chunks]) for k in self.chunks[0]}


def _simulate(scn: Scenario, keys: RunKeys, *, streams: bool = True):
    names = frozenset(scn.domain.streams) if streams else frozenset()
    sinks = {s: _Collect() for s in names}
    episodes, _ = simulate_episodes(scn, keys, names, sinks)
    return episodes, {s: sink.table() for s, sink in sinks.items()}


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a.shape == b.shape and bool(np.all(a == b))


def _assert_tables_equal(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray],
                         what: str) -> None:
    assert list(a) == list(b), f"{what}: columns differ"
    for name in a:
        assert np.asarray(a[name]).dtype == np.asarray(b[name]).dtype, f"{what}.{name}: dtype"
        assert _same(a[name], b[name]), f"{what}.{name} differs"


def _rows_of(table: Mapping[str, np.ndarray], run: int) -> dict[str, np.ndarray]:
    mask = np.asarray(table["run"]) == run
    return {k: np.asarray(v)[mask] for k, v in table.items()}


# -- domains -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("domain", "path"), _cases())
def test_same_seed_same_tables(domain: str, path: Path | None) -> None:
    scn = _load(domain, path)
    keys = RunKeys.range(SEED, 0, _runs(scn))
    ep1, streams1 = _simulate(scn, keys)
    ep2, streams2 = _simulate(load_scenario(path), RunKeys.range(SEED, 0, _runs(scn)))
    assert np.array_equal(ep1["run"], keys.runs)
    _assert_tables_equal(ep1, ep2, "episodes")
    assert list(streams1) == list(streams2)
    for name in streams1:
        _assert_tables_equal(streams1[name], streams2[name], name)
        if streams1[name]:
            assert "run" in streams1[name], f"stream {name} has no run column"
            assert set(np.unique(streams1[name]["run"])) <= set(keys.runs.tolist())


@pytest.mark.parametrize(("domain", "path"), _cases())
def test_declared_column_encodings_fit_the_streams(domain: str, path: Path | None) -> None:
    """What a stream declares about its columns (how the sink encodes them) holds for the
    tables it writes: the columns exist and are integers, keys are distinct, ordered columns
    never fall within a run."""
    scn = _load(domain, path)
    _, streams = _simulate(scn, RunKeys.range(SEED, 0, _runs(scn)))
    for name, spec in scn.domain.streams.items():
        table = streams.get(name) or {}
        if not table:
            continue
        for column in (*spec.identifiers, *spec.keys, *spec.ordered):
            assert column in table, f"{name}.{column} is declared but not written"
            assert np.asarray(table[column]).dtype.kind in "iu", f"{name}.{column}: not integer"
        for column in spec.keys:
            values = np.asarray(table[column])
            assert np.unique(values).size == values.size, f"{name}.{column}: repeated keys"
        for column in spec.ordered:
            runs, values = np.asarray(table["run"]), np.asarray(table[column])
            for run in np.unique(runs):
                assert np.all(np.diff(values[runs == run]) >= 0), f"{name}.{column} falls"


@pytest.mark.parametrize(("domain", "path"), _cases())
def test_other_seed_other_values(domain: str, path: Path | None) -> None:
    scn = _load(domain, path)
    a, _ = _simulate(scn, RunKeys.range(SEED, 0, _runs(scn)), streams=False)
    b, _ = _simulate(scn, RunKeys.range(SEED + 1, 0, _runs(scn)), streams=False)
    differ = [k for k in a if k != "run" and not _same(a[k], b[k])]
    assert differ, "a different seed gave identical episodes"
    for name in scn.space.random_names:  # every random param is redrawn
        if np.asarray(a[name]).dtype.kind == "f":
            assert not _same(a[name], b[name]), name


@pytest.mark.parametrize(("domain", "path"), _cases())
def test_single_run_is_reproduced(domain: str, path: Path | None) -> None:
    scn = _load(domain, path)
    n = _runs(scn)
    episodes, streams = _simulate(scn, RunKeys.range(SEED, 0, n))
    for runs in ([0], [n // 2], [n - 1], [2, n - 3]):
        keys = RunKeys(SEED, np.array(runs, dtype=np.int64))
        one, one_streams = _simulate(scn, keys)
        for i, run in enumerate(runs):
            row = {k: np.asarray(v)[i : i + 1] for k, v in one.items()}
            _assert_tables_equal(row, {k: np.asarray(v)[run : run + 1]
                                       for k, v in episodes.items()}, f"episodes run {run}")
            for name, table in streams.items():
                theirs = _rows_of(table, run) if table else None
                mine = _rows_of(one_streams[name], run) if one_streams[name] else None
                if theirs is None or not len(theirs["run"]):
                    assert mine is None or not len(mine["run"]), f"{name} of run {run}"
                else:
                    assert mine is not None, f"{name} of run {run} missing"
                    _assert_tables_equal(mine, theirs, f"{name} of run {run}")


@pytest.mark.parametrize(("domain", "path"), _cases())
def test_recording_streams_changes_no_outcome(domain: str, path: Path | None) -> None:
    scn = _load(domain, path)
    keys = RunKeys.range(SEED, 0, _runs(scn))
    bare, _ = _simulate(scn, keys, streams=False)
    recorded, _ = _simulate(scn, keys, streams=True)
    _assert_tables_equal(bare, recorded, "episodes with and without streams")


@pytest.mark.parametrize(("domain", "path"), _cases())
def test_scenario_round_trips(domain: str, path: Path | None) -> None:
    scn = _load(domain, path)
    dumped = scn.spec.to_data()
    again = load_scenario_text(dump_yaml(dumped), file=f"{path.name} (dumped)",
                               base_dir=path.parent)
    assert again.spec.to_data() == dumped
    assert again.spec == scn.spec


@pytest.mark.parametrize(("domain", "path"), _cases())
def test_corpus_scenario_reloads_to_same_checksum(domain: str, path: Path | None,
                                                  tmp_path: Path) -> None:
    scn = _load(domain, path)
    out = tmp_path / "corpus"
    api.run(scn, out=out, runs=min(10, _runs(scn)), seed=SEED, workers=1)
    manifest = json.loads((out / "manifest.json").read_text())
    text = (out / "scenario.yaml").read_text()
    again = load_scenario_text(text, file=str(out / "scenario.yaml"))
    assert again.sha256 == manifest["scenario_sha256"] == scn.sha256
    assert again.text == text


# -- renderers ---------------------------------------------------------------------------------


def _render_examples(renderer: str) -> list[tuple[Scenario, OutputPlan]]:
    found = []
    for domain in DOMAINS.names():
        for path in example_scenarios(domain):
            scn = load_scenario(path)
            found += [(scn, p) for p in scn.outputs if p.renderer == renderer]
    return found


def _scenes(scn: Scenario, plan: OutputPlan) -> tuple[dict[str, np.ndarray], RunKeys]:
    """Scenes of some runs the output selects (as the runner chooses them), frames selected."""
    for stop in (20, 100, 500):
        keys = RunKeys.range(SEED, 0, stop)
        episodes, params = simulate_episodes(scn, keys)
        mask = np.ones(len(keys), dtype=bool)
        if plan.only_if is not None:
            mask = np.asarray(plan.only_if.evaluate(episodes, info=scn.columns), dtype=bool)
        if mask.sum() >= 2:
            break
    else:
        pytest.fail(f"{plan.name}: no run of the first 500 is selected for rendering")
    chosen = np.flatnonzero(mask)[:6]
    keys = keys.subset(chosen)
    params = {k: np.asarray(v)[chosen] for k, v in params.items()}
    chunks = [c.columns for c in scn.domain.simulate(scn, params, keys, frozenset({SCENES}))
              if c.stream == SCENES]
    assert chunks, f"domain {scn.domain.name} yielded no scenes"
    scenes = {k: np.concatenate([np.asarray(c[k]) for c in chunks]) for k in chunks[0]}
    scenes = {k: v[select_frames(plan, scenes, scn)] for k, v in scenes.items()}
    return scenes, keys


def _fresh(plan: OutputPlan):
    r = RENDERERS.get(plan.renderer)(plan.options)
    r.setup()
    return r


def _bytes_of(artefacts: list[Artefact]) -> list[tuple[str, bool, bytes]]:
    out = []
    for a in artefacts:
        if a.data is not None:
            out.append((a.path, a.partial, a.data))
        else:
            cols = {k: np.asarray(v).tolist() for k, v in a.table.items()}
            out.append((a.path, a.partial, json.dumps(cols, sort_keys=True).encode()))
    return sorted(out)


@pytest.mark.parametrize("renderer", _renderer_cases())
def test_renderer_is_deterministic(renderer: str) -> None:
    examples = _render_examples(renderer)
    if not examples:
        pytest.fail(f"renderer {renderer!r} is used by no example scenario's outputs")
    for scn, plan in examples:
        scenes, keys = _scenes(scn, plan)
        assert len(scenes["run"]) > 0
        first = _fresh(plan).render(scenes, keys)
        assert first, "no artefacts"
        paths = [a.path for a in first]
        assert len(paths) == len(set(paths)), "duplicate artefact paths"
        again = _fresh(plan)
        assert _bytes_of(again.render(scenes, keys)) == _bytes_of(first)
        assert _bytes_of(again.render(scenes, keys)) == _bytes_of(first)  # same instance too
        # the keys decide the randomness: other keys (another seed) give other pixels; a
        # renderer that declares it draws none gives the same bytes
        other = RunKeys(SEED + 1, keys.runs)
        again_other = _bytes_of(_fresh(plan).render(scenes, other))
        if RENDERERS.get(plan.renderer).draws_randomness:
            assert again_other != _bytes_of(first)
        else:
            assert again_other == _bytes_of(first)


@pytest.mark.parametrize("renderer", _renderer_cases())
def test_renderer_finalize_is_pure(renderer: str) -> None:
    examples = _render_examples(renderer)
    if not examples:
        pytest.fail(f"renderer {renderer!r} is used by no example scenario's outputs")
    for scn, plan in examples:
        scenes, keys = _scenes(scn, plan)
        r = _fresh(plan)
        # two "shards": the selected runs split in two halves, as the runner hands them over
        half = len(keys) // 2
        parts = []
        for sub in (keys.subset(np.arange(half)), keys.subset(np.arange(half, len(keys)))):
            rows = np.isin(scenes["run"], sub.runs)
            arts = r.render({k: v[rows] for k, v in scenes.items()}, sub)
            parts.append([a for a in arts if a.partial])
        once = _bytes_of(r.finalize(parts))
        assert _bytes_of(r.finalize(parts)) == once, "finalize called twice differs"
        assert _bytes_of(_fresh(plan).finalize(parts)) == once, "finalize depends on state"
        assert _bytes_of(r.finalize([list(p) for p in parts])) == once
        assert all(not a.partial for a in r.finalize(parts)), "finalize returned partials"


def test_a_domain_without_an_example_fails() -> None:
    assert APPROACH in example_scenarios("dummy")
    DOMAINS.register("conformance-probe", "tests.support.dummy_domain:DummyDomain")
    try:
        ids = [c.id for c in _cases()]
        assert "conformance-probe-NO-EXAMPLE" in ids
        with pytest.raises(pytest.fail.Exception, match="no example scenario"):
            _load("conformance-probe", None)
    finally:
        DOMAINS.unregister("conformance-probe")
