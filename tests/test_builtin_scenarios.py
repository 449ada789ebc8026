"""Every built-in scenario validates, runs, and meets its expect: ranges (a built-in is a test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simengine import api
from simengine.resources import builtin_scenarios

RUNS = 2000
FEWER_RUNS = {  # a run of these is a whole fleet-year: their label rates settle sooner
    "turbofan-fleet": 300, "bearing-rig": 300, "pump-station": 300,
    "heat-wave-overheating": 300,
    # one run of these is a whole bank over weeks or months (card-fraud-month: ~1.2 M rows)
    "card-fraud-month": 8, "ato-mule-ring": 24, "aml-layering-network": 24,
    "app-scam-wave": 24, "fraud-drift-quarters": 16,
}


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_builtin_meets_its_expectations(name: str, tmp_path: Path) -> None:
    path = builtin_scenarios()[name]
    text = path.read_text()
    assert text.startswith("#"), "a built-in opens with a comment on what it represents"
    scn = api.load_scenario(name)
    assert scn.spec.expect, "a built-in carries an expect: block"
    api.run(scn, out=tmp_path / "c", runs=FEWER_RUNS.get(name, RUNS), seed=1, workers=1)
    results = api.check_expectations(tmp_path / "c")
    failed = [f"{r.expression}: {r.value:.4f} not in [{r.low}, {r.high}]" for r in results
              if not r.ok]
    assert not failed, failed
