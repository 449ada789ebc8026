"""Generate a small fraud corpus, build its transaction graph, and count typologies.

Run: python examples/fraud_graph.py [OUT]
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter

from simengine import api
from simengine.domains.fraud.edges import edge_list


def main(out: str) -> None:
    scn = api.load_scenario("ato-mule-ring", overrides=["world.population.customers.count=3000"])
    api.run(scn, out=out, runs=2, seed=0, workers=1, force=True)
    table = api.load_corpus(out).table("transactions")
    tx = {name: table.column(name).to_numpy(zero_copy_only=False)
          for name in ("run", "src_account", "dst_account", "timestamp_s", "amount",
                       "approved", "is_fraud", "typology", "phase")}
    edges = edge_list(tx)
    print(f"{len(tx['run']):,} transactions → {len(edges['run']):,} edges, "
          f"{int(edges['is_fraud'].sum()):,} carrying fraud")
    fraud = tx["is_fraud"]
    for (typology, phase), n in sorted(Counter(zip(tx["typology"][fraud], tx["phase"][fraud],
                                                   strict=True)).items()):
        print(f"  {typology:<18} {phase:<10} {n:>6,}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="fraud-graph-"))
