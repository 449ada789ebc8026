"""Maintenance-domain benchmarks, each beside a baseline measured in the same process.

    python benchmarks/bench_maintenance.py            # (a) and (b)
    python benchmarks/bench_maintenance.py --quick    # smaller fleets (a smoke run)

* (a) ``timeseries`` throughput: channel values (rows × channel columns) per second written to
  Parquet by ``api.run(workers=1)`` for an inline fleet (5 channels, hourly), against pyarrow
  writing the same table (read back from the corpus) from ready Arrow arrays, with the corpus's
  own encodings (:func:`simengine.runner.storage.writer_options`, same row groups) and, for
  reference, with pyarrow's defaults. The ratio is ours / pyarrow's (same encodings).
* (b) a 1,000-machine × 1-year hourly fleet, one run: the simulation alone (simpy plant,
  episodes only) and end to end with the ``timeseries`` stream written.

Warm (one small run first to compile and load caches), best of 3. Every figure is given as wall
time and as CPU time of this process (all its threads: the sink encodes Parquet on a second
thread while the domain computes the next chunk); "per core" divides by the CPU seconds, so it
does not depend on how many cores the run could use or on other load on the machine.
One run is one plant, hence one shard: the runner's workers cannot share it (1 process).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall s, CPU s of this process, all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def best(fn: Callable[[], tuple[float, float]], repeat: int = 3) -> tuple[float, float]:
    """The fastest (by wall time) of ``repeat`` calls of ``fn``, which times itself."""
    return min(fn() for _ in range(repeat))


SCRATCH = Path(tempfile.gettempdir()) / f"bench-maintenance-{os.getpid()}"
"""Every corpus of a benchmark goes here, removed as soon as it has been measured (and the
folder at the end)."""


def run_corpus(text: str, runs: int, *, timeseries: bool = True, keep: bool = False
               ) -> tuple[float, float, Path]:
    """Write a corpus with ``api.run`` (1 worker): (wall s, CPU s, folder), the folder removed
    again unless ``keep``."""
    from simengine import api
    from simengine.scenario.scenario import load_scenario_text

    if not timeseries:
        text = text.replace("outputs: [timeseries]", "outputs: []")
    scn = load_scenario_text(text, file="bench.yaml")
    SCRATCH.mkdir(exist_ok=True)
    out = Path(tempfile.mkdtemp(dir=SCRATCH)) / "c"
    wall, cpu = timed(lambda: api.run(scn, out=out, runs=runs, seed=1, workers=1))
    if not keep:
        shutil.rmtree(out.parent)
    return wall, cpu, out


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench_throughput(machines: int, hours: int, runs: int) -> None:
    import pyarrow.parquet as pq

    from simengine.runner.storage import ROW_GROUP_ROWS, writer_options

    text = fleet_yaml(machines, hours)
    run_corpus(fleet_yaml(4, 48), 1)
    wall, cpu = best(lambda: run_corpus(text, runs)[:2])
    out = run_corpus(text, runs, keep=True)[2]
    table = pq.read_table(out / "timeseries")
    shutil.rmtree(out.parent)
    values = table.num_rows * len(CHANNELS)
    sink = SCRATCH / "bare.parquet"
    same_wall, same_cpu = best(lambda: timed(lambda: pq.write_table(
        table, sink, row_group_size=ROW_GROUP_ROWS, **writer_options(table.schema))))
    default_wall, default_cpu = best(lambda: timed(lambda: pq.write_table(table, sink,
                                                                          compression="zstd")))
    per_core, ratio = values / cpu, same_cpu / cpu
    print(f"(a) timeseries: {table.num_rows:,} rows × {len(CHANNELS)} channels "
          f"({table.num_columns} columns), {runs} runs, 1 worker: wall {wall:.2f} s, "
          f"CPU {cpu:.2f} s → {values / wall / 1e6:.2f} M channel values/s, "
          f"{per_core / 1e6:.2f} M/s per core "
          f"[target ≥ {TARGETS['values_per_s'] / 1e6:.0f} M: "
          f"{_verdict(per_core >= TARGETS['values_per_s'])}]")
    print(f"    pyarrow write_table of the same table from ready arrays, same encodings: "
          f"wall {same_wall:.2f} s, CPU {same_cpu:.2f} s → {values / same_cpu / 1e6:.2f} M/s "
          f"per core; ratio {ratio:.3f} (CPU; wall {same_wall / wall:.3f}) "
          f"[target ≥ {TARGETS['ratio']}: {_verdict(ratio >= TARGETS['ratio'])}]")
    print(f"    (pyarrow defaults: wall {default_wall:.2f} s, CPU {default_cpu:.2f} s → "
          f"{values / default_cpu / 1e6:.2f} M/s per core)")


def bench_fleet(machines: int, hours: int) -> None:
    text = fleet_yaml(machines, hours)
    sim_wall, sim_cpu = best(lambda: run_corpus(text, 1, timeseries=False)[:2])
    full_wall, full_cpu = best(lambda: run_corpus(text, 1)[:2])
    print(f"(b) {machines:,} machines × {hours:,} h hourly, 1 run (1 process, sink thread): "
          f"episodes only wall {sim_wall:.2f} s (CPU {sim_cpu:.2f} s); with timeseries written "
          f"wall {full_wall:.2f} s (CPU {full_cpu:.2f} s) "
          f"[target ≤ {TARGETS['fleet_s']:.0f} s: {_verdict(full_wall <= TARGETS['fleet_s'])}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller fleets")
    args = parser.parse_args()
    try:
        if args.quick:
            bench_throughput(50, 2000, 2)
            bench_fleet(100, 8760)
        else:
            bench_throughput(200, 8760, 2)
            bench_fleet(1000, 8760)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    main()
