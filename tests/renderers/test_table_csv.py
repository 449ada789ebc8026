"""The table_csv renderer and the transactions-csv preset, through the real command line."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simengine.errors import UserError
from simengine.renderers.table_csv import TableCsvOptions, TableCsvRenderer, csv_bytes
from simengine.sampling.keys import RunKeys
from tests.conftest import ROOT, cli_env

SETS = ("--set", "world.population.customers.count=1500", "--set", "duration_s=864000",
        "--set", "world.campaigns.0.count=4")


def _table() -> dict[str, np.ndarray]:
    return {
        "run": np.array([3, 3, 5]),
        "txn_id": np.array([2**62 + 7, 11, 5], dtype=np.int64),
        "amount": np.array([0.1, 12345.67, np.nan]),
        "channel": np.array(["pos", "online", 'a "quoted", name'], dtype=object),
        "approved": np.array([True, False, True]),
        "t_s": np.array([1.5, 2.25, 0.0]),
    }


def test_csv_bytes_read_back_exactly() -> None:
    t = _table()
    rows = list(csv.DictReader(io.StringIO(csv_bytes(t).decode())))
    assert list(rows[0]) == list(t)
    assert [int(r["txn_id"]) for r in rows] == t["txn_id"].tolist()  # 63-bit ids survive
    assert [float(r["amount"]) for r in rows][:2] == [0.1, 12345.67]
    assert rows[2]["amount"] == "nan" and rows[2]["channel"] == 'a "quoted", name'
    assert [r["approved"] for r in rows] == ["true", "false", "true"]
    assert csv_bytes(t, header=False).decode().count("\n") == 3


def test_one_file_per_run_without_the_frame_time_and_chosen_columns() -> None:
    keys = RunKeys.range(0, 0, 6)
    arts = TableCsvRenderer(TableCsvOptions(file="transactions")).render(_table(), keys)
    assert [a.path for a in arts] == ["transactions-000003.csv", "transactions-000005.csv"]
    header = arts[0].data.decode().splitlines()[0]
    assert header == '"run","txn_id","amount","channel","approved"'
    pick = TableCsvRenderer(TableCsvOptions(columns=("amount", "txn_id"))).render(_table(), keys)
    assert pick[1].data.decode().splitlines() == ['"amount","txn_id"', "nan,5"]
    with pytest.raises(UserError, match=r"unknown column 'amout' \(did you mean 'amount'\?\)"):
        TableCsvRenderer(TableCsvOptions(columns=("amout",))).render(_table(), keys)


def _run(out: Path, *extra: str) -> None:
    cmd = [sys.executable, "-m", "simengine", "run", "ato-mule-ring", "--runs", "3",
           "--shard-size", "2", "--out", str(out),
           "--quiet", *SETS, "--output", "transactions-csv", *extra]
    res = subprocess.run(cmd, capture_output=True, text=True, env=cli_env(), cwd=ROOT,
                         timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr


def test_transactions_csv_preset_matches_the_parquet_rows(tmp_path: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    _run(tmp_path / "one", "--workers", "1")
    _run(tmp_path / "two", "--workers", "2")
    folder = tmp_path / "one" / "transactions-csv"
    files = sorted(p.name for p in folder.glob("*.csv"))
    assert files == ["transactions-000000.csv", "transactions-000001.csv",
                     "transactions-000002.csv"]
    for name in files:  # same bytes whatever the number of workers
        assert (folder / name).read_bytes() == (tmp_path / "two" / "transactions-csv" /
                                                name).read_bytes()
    parquet = pq.read_table(sorted((tmp_path / "one" / "transactions").glob("*.parquet")))
    for run, name in enumerate(files):
        expected = parquet.filter(parquet.column("run").to_numpy() == run)
        got = pcsv.read_csv(folder / name)
        assert got.column_names == expected.column_names
        assert got.num_rows == expected.num_rows > 1000
        for col in expected.column_names:
            want = expected.column(col).to_numpy(zero_copy_only=False)
            have = got.column(col).to_numpy(zero_copy_only=False)
            if want.dtype.kind == "f":
                assert np.array_equal(want, have, equal_nan=True), col
            else:
                assert (want.astype(str) == have.astype(str)).all(), col
        fraud = got.column("is_fraud").to_numpy(zero_copy_only=False)
        assert 0 < fraud.sum() < fraud.size
    # the stdlib reader agrees on the first data line
    with open(folder / files[0], newline="") as fh:
        first = next(csv.DictReader(fh))
    assert int(first["txn_id"]) == parquet.column("txn_id")[0].as_py()


def test_frames_if_keeps_the_fraudulent_rows(tmp_path: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    from simengine import api
    from simengine.scenario.scenario import load_scenario_text
    from tests.domains.fraud.helpers import SMALL

    text = SMALL.replace("count: 3000", "count: 800") + (
        "outputs:\n  - transactions\n"
        "  - {preset: transactions-csv, name: fraud-csv, frames_if: is_fraud,"
        " columns: [txn_id, phase, amount]}\n")
    api.run(load_scenario_text(text, file="small.yaml"), out=tmp_path / "c", runs=2, seed=3,
            workers=1)
    tx = pq.read_table(sorted((tmp_path / "c" / "transactions").glob("*.parquet")))
    fraud = tx.filter(tx.column("is_fraud"))
    tables = [pcsv.read_csv(p) for p in sorted((tmp_path / "c" / "fraud-csv").glob("*.csv"))]
    assert len(tables) == 2
    ids = np.concatenate([t.column("txn_id").to_numpy() for t in tables])
    assert tables[0].column_names == ["txn_id", "phase", "amount"]
    assert ids.size > 100 and np.array_equal(ids, fraud.column("txn_id").to_numpy())
