"""Generate a corpus from the example braking domain and check it, end to end.

    python examples/run_braking.py --runs 20000 --out out/braking

Registers the example domain, runs the scenario (resuming if the corpus exists), prints the
summary and the scenario's ``expect:`` checks, and exits non-zero if one fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simengine import api

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="out/braking")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    api.load_plugin(HERE / "braking_domain.py")  # registers domain: braking
    scenario = api.load_scenario(HERE / "scenarios" / "braking.yaml")
    summary = api.run(scenario, out=args.out, runs=args.runs, seed=args.seed,
                      workers=args.workers, force=True, progress=sys.stderr.isatty())
    print(f"wrote {summary.runs_simulated:,} runs to {summary.out} in {summary.wall_s:.1f}s "
          f"({summary.runs_per_s:,.0f} runs/s)")
    for label, counts in summary.label_counts.items():
        print(f"  {label}: {counts}")
    ok = True
    for result in api.check_expectations(args.out):
        mark = "ok" if result.ok else "FAILED"
        print(f"  expect {result.expression!r}: {result.value:.4f} in "
              f"[{result.low}, {result.high}] {mark}")
        ok &= result.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
