"""Fraud-domain benchmark, beside a baseline measured in the same process.

    python benchmarks/bench_fraud.py              # 1 M and 10 M transactions
    python benchmarks/bench_fraud.py --quick      # 1 M only

* Throughput: labeled transactions per second written to Parquet by ``api.run(workers=1)``
  (simulation, ledger, alert world, labels and writing: the whole path), against pyarrow
  writing the same table, read back from the corpus, from ready Arrow arrays with the same
  compression and row groups. Ratio = ours / pyarrow's transactions per second. One process,
  one core; warm (a small run first compiles the posting kernel).
* Memory: peak resident memory of a fresh process running one run of ~1 M and of ~10 M
  transactions (the same bank over a longer horizon): flat when the ratio stays near 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"tx_per_s": 1e6, "ratio": 0.3}


def bank_yaml(days: int, customers: int = 50000) -> str:
    return f"""schema_version: 1
name: bench-bank
domain: fraud
duration_s: {days * 86400}
world:
  population:
    customers: {{count: {customers}, segments: {{families: 0.5, students: 0.25, retirees: 0.25}}}}
    merchants: {{count: 2000}}
  campaigns:
    - {{typology: card_testing, count: {{poisson: {2 * days}}}}}
    - {{typology: account_takeover, count: {{poisson: {days // 3 + 1}}}}}
  alerts:
    rules: [{{amount_above: 3000}}, {{small_online_burst: 3}}]
outputs: [transactions]
"""


def run_once(days: int, out: Path) -> tuple[float, int]:
    from simengine import api
    from simengine.scenario.scenario import load_scenario_text

    scn = load_scenario_text(bank_yaml(days), file="bench-bank.yaml")
    t = time.perf_counter()
    api.run(scn, out=out, runs=1, seed=0, workers=1, force=True)
    wall = time.perf_counter() - t
    return wall, api.load_corpus(out).table("transactions").num_rows


def pyarrow_baseline(out: Path) -> float:
    import pyarrow.parquet as pq

    from simengine.runner.storage import ROW_GROUP_ROWS

    table = pq.read_table(out / "transactions" / "part-00000.parquet")
    table = table.combine_chunks()
    t = time.perf_counter()
    pq.write_table(table, out / "baseline.parquet", compression="zstd",
                   row_group_size=ROW_GROUP_ROWS)
    return time.perf_counter() - t


def peak_rss_mb(days: int) -> tuple[float, int]:
    code = (f"import sys, resource, tempfile; sys.path.insert(0, {str(ROOT)!r}); "
            "from benchmarks.bench_fraud import run_once; from pathlib import Path; "
            f"w, n = run_once({days}, Path(tempfile.mkdtemp())); "
            "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    n, mb = res.stdout.split()[-2:]
    return float(mb), int(n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_once(1, Path(tmp) / "warm")
        out = Path(tmp) / "c"
        wall, rows = run_once(30, out)
        base = pyarrow_baseline(out)
    ours, theirs = rows / wall, rows / base
    print(f"transactions: {rows:,} in {wall:.2f}s = {ours:,.0f} labeled tx/s/core "
          f"(target {TARGETS['tx_per_s']:,.0f})")
    print(f"pyarrow writing the same table: {base:.2f}s = {theirs:,.0f} tx/s; "
          f"ratio {ours / theirs:.3f} (target {TARGETS['ratio']})")
    sizes = (30,) if args.quick else (30, 300)
    peaks = [peak_rss_mb(d) for d in sizes]
    for (mb, n), d in zip(peaks, sizes, strict=True):
        print(f"peak RSS, one run of {n:,} transactions ({d} days): {mb:,.0f} MB")
    if len(peaks) > 1:
        print(f"peak memory ratio {peaks[1][0] / peaks[0][0]:.2f} for "
              f"{peaks[1][1] / peaks[0][1]:.1f}x the transactions")


if __name__ == "__main__":
    main()
