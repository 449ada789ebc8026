"""Maintenance-domain benchmarks, each beside a baseline measured in the same process.

    python benchmarks/bench_maintenance.py            # (a) and (b)
    python benchmarks/bench_maintenance.py --quick    # smaller fleets (a smoke run)

* (a) ``timeseries`` throughput: channel values (rows × channel columns) per second written to
  Parquet by ``api.run(workers=1)`` for an inline fleet (5 channels, hourly), against pyarrow
  writing the same table (read back from the corpus) from ready Arrow arrays with the same
  compression: the ratio is ours / pyarrow's channel values per second.
* (b) a 1,000-machine × 1-year hourly fleet, one run: the simulation alone (simpy plant +
  per-sample state, episodes only) and end to end with the ``timeseries`` stream written.

Warm (one small run first to compile and load caches), best of 3, single worker.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_core import best_of  # noqa: E402

TARGETS = {"values_per_s": 20e6, "ratio": 0.3, "fleet_s": 10.0}
CHANNELS = ("temperature_c", "vibration_rms_mmps", "current_a", "pressure_kpa", "speed_rpm")


def fleet_yaml(machines: int, hours: int) -> str:
    sensors = "\n".join(
        f"        {c}: {{base: {10 * (i + 1)}, per_load: 5, per_damage: {{bearing: 3}}, "
        f"noise_std: 0.5}}" for i, c in enumerate(CHANNELS))
    return f"""schema_version: 1
name: bench-fleet
domain: maintenance
duration_s: {hours * 3600}
world:
  machines:
    pump:
      count: {machines}
      sample_every_s: 3600
      operation:
        switch_every_h: 24
        regimes: [{{name: low, load: 0.6, accel: 0.8}}, {{name: high, load: 1.0, accel: 1.2}}]
      sensors:
{sensors}
  components:
    bearing: {{on: pump, fault: outer_race, wear: {{weibull: {{shape: 2.3, scale_h: 20000}}}}}}
    seal:
      on: pump
      fault: seal_leak
      wear: {{gamma_process: {{mean_rate_per_h: 1.0e-4, shape_per_h: 0.05}}}}
  maintenance:
    policy: {{kind: condition_based, health_below: 0.3}}
    crews: 4
outputs: [timeseries]
"""


def run_corpus(text: str, runs: int, outputs: list[str] | None = None) -> tuple[float, Path]:
    from simengine import api
    from simengine.scenario.scenario import load_scenario_text

    scn = load_scenario_text(text, file="bench.yaml")
    if outputs is not None:
        scn = load_scenario_text(text.replace("outputs: [timeseries]", "outputs: []"),
                                 file="bench.yaml")
    out = Path(tempfile.mkdtemp()) / "c"
    start = time.perf_counter()
    api.run(scn, out=out, runs=runs, seed=1, workers=1)
    return time.perf_counter() - start, out


def bench_throughput(machines: int, hours: int, runs: int) -> None:
    import pyarrow.parquet as pq

    text = fleet_yaml(machines, hours)
    run_corpus(fleet_yaml(4, 48), 1)
    wall = best_of(lambda: run_corpus(text, runs)[0])
    _, out = run_corpus(text, runs)
    table = pq.read_table(sorted((out / "timeseries").glob("*.parquet"))[0])
    for extra in sorted((out / "timeseries").glob("*.parquet"))[1:]:
        import pyarrow as pa

        table = pa.concat_tables([table, pq.read_table(extra)])
    values = table.num_rows * len(CHANNELS)
    sink = Path(tempfile.mkdtemp()) / "bare.parquet"
    bare = best_of(lambda: _timed(lambda: pq.write_table(table, sink, compression="zstd")))
    ours, theirs = values / wall, values / bare
    print(f"(a) timeseries: {table.num_rows:,} rows × {len(CHANNELS)} channels "
          f"({table.num_columns} columns) in {wall:.2f} s → {ours / 1e6:.2f} M channel values/s "
          f"[target ≥ {TARGETS['values_per_s'] / 1e6:.0f} M: "
          f"{'met' if ours >= TARGETS['values_per_s'] else 'MISSED'}]")
    print(f"    pyarrow write_table of the same table from ready arrays: {bare:.2f} s → "
          f"{theirs / 1e6:.2f} M/s; ratio {ours / theirs:.3f} [target ≥ {TARGETS['ratio']}: "
          f"{'met' if ours / theirs >= TARGETS['ratio'] else 'MISSED'}]")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_fleet(machines: int, hours: int) -> None:
    text = fleet_yaml(machines, hours)
    sim = best_of(lambda: run_corpus(text, 1, outputs=[])[0])
    full = best_of(lambda: run_corpus(text, 1)[0])
    verdict = "met" if full <= TARGETS["fleet_s"] else "MISSED"
    print(f"(b) {machines:,} machines × {hours:,} h hourly, 1 run: episodes only {sim:.2f} s; "
          f"with timeseries written {full:.2f} s [target ≤ {TARGETS['fleet_s']:.0f} s: {verdict}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller fleets")
    args = parser.parse_args()
    if args.quick:
        bench_throughput(50, 2000, 2)
        bench_fleet(100, 8760)
    else:
        bench_throughput(200, 8760, 2)
        bench_fleet(1000, 8760)


if __name__ == "__main__":
    main()
