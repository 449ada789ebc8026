"""Same-process A/B of the driving kernel: a git revision's ``kernel.py`` against the working tree.

    python benchmarks/ab_driving_kernel.py            # HEAD against the working tree
    python benchmarks/ab_driving_kernel.py 4d8bc47    # any revision
    python benchmarks/ab_driving_kernel.py --reps 11  # more alternations

This machine's speed drifts by ±20 % over minutes, so two benchmark runs minutes apart cannot
resolve a 10 % change. Here both kernels are compiled in one process and called on the same
arguments (captured from ``run_kernel``), alternating, best of ``--reps``; the ratio is
ref / new time per vehicle-step (> 1: the working tree is faster), and the outputs of the two
are compared bit for bit (a kernel change that only speeds things up must keep them equal).
Cases: a single-lane platoon of 10 IDM cars (benchmark (b)), ``stop-and-go-wave`` ((a)) and
``highway-cut-in`` ((c)'s kernel). The reference is loaded from a temporary copy of the
revision's ``kernel.py`` under a private module name, so nothing in the package changes; the
rest of the package (helpers, batch compilation) is the working tree's.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

KERNEL = "simengine/domains/driving/kernel.py"


def load_reference(rev: str, folder: Path):
    """The revision's kernel module, loaded from a copy under a private name."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{KERNEL}"],
                            capture_output=True, text=True, check=True).stdout
    path = folder / "kernel_ref.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("simengine.domains.driving._kernel_ref", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def captured_arguments(scn, n: int) -> tuple:
    """The arguments ``run_kernel`` passes to ``run_batch`` for ``n`` runs of ``scn``."""
    import bench_driving as bd

    import simengine.domains.driving.simulate as sim

    seen: dict[str, tuple] = {}
    real = sim.run_batch

    def grab(*args):
        seen["args"] = args
        return real(*args)

    sim.run_batch = grab
    try:
        keys, params = bd.params_for(scn, n)
        sim.run_kernel(scn, params, n, record=False, keys=keys)
    finally:
        sim.run_batch = real
    return seen["args"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rev", nargs="?", default="HEAD", help="git revision of the reference")
    ap.add_argument("--reps", type=int, default=7, help="alternations (best of)")
    args = ap.parse_args()

    import bench_driving as bd
    import numpy as np

    from simengine.api import load_scenario
    from simengine.domains.driving import kernel

    with tempfile.TemporaryDirectory() as tmp:
        ref = load_reference(args.rev, Path(tmp))
        cases = {
            "platoon (b)": (bd.load_inline(bd.platoon_yaml(10), Path(tmp), "platoon"), 600),
            "stop-and-go-wave (a)": (load_scenario(bd.stop_and_go_path()[0]), 150),
            "highway-cut-in (c)": (load_scenario(ROOT / "scenarios/driving/highway-cut-in.yaml"),
                                   3000),
        }
        print(f"reference: {args.rev}:{KERNEL}; new: the working tree; best of {args.reps}")
        for name, (scn, n) in cases.items():
            call = captured_arguments(scn, n)
            vehicle_steps = n * call[1].shape[1] * call[42]  # runs × actors × steps
            same = np.array_equal(ref.run_batch(*call), kernel.run_batch(*call), equal_nan=True)
            best = {"ref": float("inf"), "new": float("inf")}
            for _ in range(args.reps):
                for label, fn in (("ref", ref.run_batch), ("new", kernel.run_batch)):
                    t = time.perf_counter()
                    fn(*call)
                    best[label] = min(best[label], time.perf_counter() - t)
            ns = {k: v * 1e9 / vehicle_steps for k, v in best.items()}
            print(f"{name:22s} ref {ns['ref']:6.1f} ns  new {ns['new']:6.1f} ns per vehicle-step"
                  f"  ratio {best['ref'] / best['new']:.3f}  outputs identical: {same}",
                  flush=True)


if __name__ == "__main__":
    main()
