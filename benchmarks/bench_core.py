"""Core engine benchmarks: sampler, sink and end-to-end throughput, each beside a baseline
measured in the same process.

    python benchmarks/bench_core.py            # prints a table; see benchmarks/README.md

* sampler — parameter rows/s of a 6-parameter space (truncated lognormal and normal, a Gaussian
  copula pair, categorical weather) from counter-based keys, against NumPy drawing the same count
  of standard normals from one PCG64 generator (the floor any sampler pays);
* sink — episode rows/s written by the corpus sink (fixed row groups, zstd, atomic rename)
  against ``pyarrow.parquet.write_table`` writing the same table from ready arrays;
* end to end — runs/s of ``api.run`` on the example braking domain (closed-form physics, no
  streams), 1 and 2 workers, against the sink alone writing the same episode rows.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_sampler(n: int = 1_000_000) -> tuple[float, float]:
    import tests.support.plugins  # noqa: F401
    from simengine.api import load_scenario
    from simengine.sampling.keys import RunKeys
    from simengine.sampling.sampler import NominalSampler

    scn = load_scenario(ROOT / "tests" / "support" / "scenarios" / "approach.yaml")
    keys = RunKeys.range(0, 0, n)
    ours = best_of(lambda: NominalSampler().sample(scn.space, keys))
    dims = scn.space.dim
    rng = np.random.default_rng(0)
    base = best_of(lambda: rng.standard_normal((n, dims)))
    return n / ours, n / base


def _episode_table(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    cols: dict[str, np.ndarray] = {"run": np.arange(n, dtype=np.int64)}
    split = np.empty(n, dtype=object)
    split[:] = np.array(["train", "val", "test"])[rng.integers(0, 3, n)]
    cols["split"] = split
    for i in range(8):
        cols[f"param_{i}"] = rng.standard_normal(n)
    cols["collision"] = rng.random(n) < 0.1
    for i in range(4):
        cols[f"margin_{i}"] = rng.standard_normal(n)
    cols["log_weight"] = np.zeros(n)
    return cols


def bench_sink(n: int = 1_000_000) -> tuple[float, float]:
    import pyarrow.parquet as pq

    from simengine.runner.storage import Storage, to_arrow, write_table

    cols = _episode_table(n)
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(tmp)
        ours = best_of(lambda: write_table(storage, "episodes/part-00000.parquet", [cols], {}))
        table = to_arrow(cols)  # the baseline starts from ready Arrow arrays
        base = best_of(lambda: pq.write_table(table, f"{tmp}/base.parquet", compression="zstd"))
    return n / ours, n / base


def bench_end_to_end(n: int = 1_000_000) -> dict[str, float]:
    from simengine import api

    api.load_plugin(ROOT / "examples" / "braking_domain.py")
    scn = api.load_scenario(ROOT / "examples" / "scenarios" / "braking.yaml",
                            overrides=["outputs=[]"])
    out: dict[str, float] = {}
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            api.run(scn, out=tmp, runs=n, workers=workers, force=True)
            out[f"workers={workers}"] = n / (time.perf_counter() - t)
    return out


def main() -> None:
    s_ours, s_base = bench_sampler()
    print(f"sampler      {s_ours:>14,.0f} rows/s   numpy normals {s_base:>14,.0f} rows/s   "
          f"ratio {s_ours / s_base:.3f}")
    k_ours, k_base = bench_sink()
    print(f"sink         {k_ours:>14,.0f} rows/s   pyarrow       {k_base:>14,.0f} rows/s   "
          f"ratio {k_ours / k_base:.3f}")
    for label, rate in bench_end_to_end().items():
        print(f"end to end   {rate:>14,.0f} runs/s   ({label}, braking example, 1,000,000 runs; "
              f"ratio to sink {rate / k_ours:.3f})")


if __name__ == "__main__":
    main()
