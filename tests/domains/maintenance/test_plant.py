"""Maintenance logistics: crews, policies, cascades, sensor-fault labels, streams, windows."""

from __future__ import annotations

import numpy as np
import pytest

from simengine import api
from simengine.domains.maintenance.windows import cut_windows
from tests.domains.maintenance.helpers import scenario, simulate

BUSY = """  machines:
    unit: {{count: 12, sample_every_s: 36000{cascade}}}
  components:
    part: {{on: unit, fault: wear_out, wear: {{weibull: {{shape: 1.5, scale_h: 300}}}}}}
  maintenance:
    repair_h: {{uniform: [40, 80]}}
{crews}"""


def _concurrency(log: dict) -> int:
    edges = sorted([(s, 1) for s in log["t_start_h"]] + [(e, -1) for e in log["t_end_h"]])
    level = best = 0
    for _, d in edges:
        level += d
        best = max(best, level)
    return best


def test_crews_cap_concurrent_repairs() -> None:
    capped, s = simulate(scenario(BUSY.format(cascade="", crews="    crews: 2\n"),
                                  duration_h=4000), streams=("maintenance_log",))
    _, f = simulate(scenario(BUSY.format(cascade="", crews=""), duration_h=4000),
                       streams=("maintenance_log",))
    assert _concurrency(s["maintenance_log"]) == capped["max_concurrent_repairs"][0] == 2
    assert s["maintenance_log"]["wait_crew_h"].max() > 0  # failures queued for a crew
    assert _concurrency(f["maintenance_log"]) > 2  # without the cap they overlap more
    assert f["maintenance_log"]["wait_crew_h"].max() == 0


def test_cascade_raises_the_partner_failure_rate() -> None:
    plain, _ = simulate(scenario(BUSY.format(cascade="", crews=""), duration_h=4000), runs=6)
    cascade = ", cascade: {partner: next, load_factor: 3.0}"
    loaded, s = simulate(scenario(BUSY.format(cascade=cascade, crews=""), duration_h=4000),
                         runs=6, streams=("events",))
    assert loaded["failures"].sum() > 1.2 * plain["failures"].sum()
    assert np.any(s["events"]["kind"] == "cascade_start")


SENSORS = """  machines:
    pump:
      count: 6
      sample_every_s: 3600
      sensors:
        temperature_c: {{base: 40, per_damage: {{part: 10}}, noise_std: 0.5}}
        current_a: {{base: 20, per_damage: {{part: 5}}, noise_std: 0.3}}
{faults}  components:
    part: {{on: pump, fault: wear_out, wear: {{weibull: {{shape: 2, scale_h: 2000}}}}}}
"""


def test_sensor_faults_are_labeled_where_injected_and_nowhere_else() -> None:
    faults = "      sensor_faults: {per_year: 60, duration_h: {uniform: [5, 40]}}\n"
    _, clean = simulate(scenario(SENSORS.format(faults=""), duration_h=2000), runs=2,
                        streams=("timeseries",))
    _, dirty = simulate(scenario(SENSORS.format(faults=faults), duration_h=2000), runs=2,
                        streams=("timeseries",))
    a, b = clean["timeseries"], dirty["timeseries"]
    labeled = b["sensor_fault"] != "none"
    assert set(np.unique(b["sensor_fault"])) == {"none", "drift", "stuck", "dropout", "spike"}
    assert np.all(a["sensor_fault"] == "none")
    for channel in ("temperature_c", "current_a"):
        changed = ~((a[channel] == b[channel]) | (np.isnan(a[channel]) & np.isnan(b[channel])))
        on_channel = labeled & (b["sensor_fault_channel"] == channel)
        np.testing.assert_array_equal(changed, on_channel)
    for name in ("health", "rul_h", "fault_mode", "running"):  # the plant is untouched
        np.testing.assert_array_equal(a[name], b[name])


def test_timeseries_labels_and_windows(tmp_path) -> None:
    scn = api.load_scenario("turbofan-fleet")
    _, s = simulate(scn, runs=2, streams=("timeseries",))
    ts = s["timeseries"]
    assert ts["run"].size == 2 * 20 * 400
    assert set(np.unique(ts["fault_mode"])) <= {"none", "hpc_degradation", "fan_degradation"}
    assert np.all((ts["health"] >= 0) & (ts["health"] <= 1))
    onset = ts["fault_onset"]
    assert onset.sum() > 0 and np.all(ts["fault_mode"][onset] != "none")
    # one split per machine
    for (run, machine) in {(r, m) for r, m in zip(ts["run"], ts["machine"], strict=True)}:
        rows = (ts["run"] == run) & (ts["machine"] == machine)
        assert np.unique(ts["split"][rows]).size == 1
    # RUL is exact on the realised path: it falls by one hour per hour and is 0 at a failure
    mine = (ts["machine"] == "engine.0") & (ts["run"] == 0)
    rul = ts["rul_h"][mine]
    live = (rul < 125) & ~ts["rul_censored"][mine]
    falling = live[1:] & live[:-1] & (np.diff(rul) < 0) & (rul[1:] > 0)
    assert falling.sum() > 100
    assert np.allclose(np.diff(rul)[falling], -1.0)
    assert np.any(live & (rul == 0) & ~ts["running"][mine])  # down after a failure
    batch = cut_windows(ts, channels=["t30_k", "t50_k", "p30_psia"], length=30, stride=10)
    assert batch.values.shape[1:] == (30, 3)
    end = batch.labels["t_h"]
    assert np.all(end >= 29)  # a window never reaches before its machine's first sample
    i = 5
    rows = np.flatnonzero((ts["run"] == batch.labels["run"][i])
                          & (ts["machine"] == batch.labels["machine"][i]))
    k = int(np.flatnonzero(ts["t_h"][rows] == end[i])[0])
    np.testing.assert_allclose(batch.values[i, :, 0], ts["t30_k"][rows[k - 29: k + 1]],
                               rtol=1e-6)
    assert batch.labels["rul_h"][i] == ts["rul_h"][rows[k]]
    with pytest.raises(ValueError, match="unknown channel"):
        cut_windows(ts, channels=["nope_k"], length=3)


def test_turbofan_runs_end_to_end(tmp_path) -> None:
    out = tmp_path / "t"
    api.run("turbofan-fleet", out=out, runs=3, seed=2, workers=1)
    corpus = api.load_corpus(out)
    assert corpus.episodes().num_rows == 3
    import pyarrow.parquet as pq

    table = pq.read_table(out / "timeseries" / "part-00000.parquet")
    assert table.num_rows == 3 * 20 * 400
    assert {"health", "rul_h", "fault_mode", "t30_k", "sensor_fault"} <= set(table.column_names)
