"""The graph view and the example that builds it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from simengine.domains.fraud.edges import edge_list
from tests.conftest import ROOT
from tests.domains.fraud.helpers import small_bank


def test_edge_list_aggregates_approved_payments_per_pair() -> None:
    _, _, s = small_bank()
    tx = s["transactions"]
    edges = edge_list(tx)
    ok = tx["approved"]
    assert edges["transactions"].sum() == ok.sum()
    assert np.isclose(edges["amount"].sum(), tx["amount"][ok].sum())
    assert edges["fraud_transactions"].sum() == (tx["is_fraud"] & ok).sum()
    key = set(zip(edges["run"], edges["src_account"], edges["dst_account"], strict=True))
    assert len(key) == edges["run"].size  # one edge per (run, payer, payee)
    assert (edges["first_s"] <= edges["last_s"]).all()


def test_fraud_graph_example_runs(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "fraud_graph.py"),
                          str(tmp_path / "c")], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "edges" in res.stdout and "account_takeover   drain" in res.stdout
