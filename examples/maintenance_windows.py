"""Generate a small turbofan corpus and cut fixed-length windows for a RUL model.

    python examples/maintenance_windows.py --runs 4 --out /tmp/turbofan

Writes the corpus (episodes, timeseries, events, maintenance_log), reads the timeseries back,
cuts 30-cycle windows of three channels with labels at each window's end, and prints the batch
shape and the split sizes (splits are per engine, so no engine's windows leak across them).
"""

from __future__ import annotations

import argparse

import numpy as np
import pyarrow.parquet as pq

from simengine import api
from simengine.domains.maintenance.windows import cut_windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    api.run("turbofan-fleet", out=args.out, runs=args.runs, seed=args.seed, workers=1)
    table = pq.read_table(f"{args.out}/timeseries").to_pydict()
    columns = {k: np.asarray(v, dtype=object if isinstance(v[0], str) else None)
               for k, v in table.items()}
    batch = cut_windows(columns, channels=["t30_k", "t50_k", "p30_psia"], length=30, stride=5)
    print(f"windows: {batch.values.shape} (windows, cycles, channels {', '.join(batch.channels)})")
    for split in ("train", "val", "test"):
        mask = batch.labels["split"] == split
        mean = float(np.mean(batch.labels["rul_h"][mask])) if mask.any() else float("nan")
        print(f"  {split}: {int(mask.sum())} windows, mean RUL label {mean:.1f} h")


if __name__ == "__main__":
    main()
