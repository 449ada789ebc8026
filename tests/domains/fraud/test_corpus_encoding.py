"""The fraud corpus on disk: random-id columns are written plain, without statistics and at
zstd's fast level, row keys uncompressed, the timestamps delta encoded."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from simengine import api
from tests.domains.fraud.helpers import SMALL, scenario

SHORT = (SMALL.replace("duration_s: 1728000           # 20 days", "duration_s: 259200")
         .replace("count: 3000,", "count: 800,")) + "outputs: [transactions, accounts, alerts]\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("fraud-corpus")
    api.run(scenario(SHORT), out=out, runs=1, seed=3, workers=1)
    return out


def test_random_ids_have_no_dictionary_or_statistics_and_the_rest_keep_theirs(corpus) -> None:
    tmp_path = corpus
    declared = {"transactions": ("txn_id", "src_account", "dst_account", "card_id",
                                 "campaign_id", "parent_txn_id"),
                "accounts": ("account_id",), "alerts": ("alert_id", "txn_id")}
    keys = {"transactions": "txn_id", "accounts": "account_id", "alerts": "alert_id"}
    for table, ids in declared.items():
        meta = pq.ParquetFile(tmp_path / table / "part-00000.parquet").metadata
        assert meta.num_rows > 0, table
        group = meta.row_group(0)
        column = {group.column(c).path_in_schema: group.column(c)
                  for c in range(group.num_columns)}
        for name in ids:
            assert not column[name].has_dictionary_page, (table, name)
            assert column[name].statistics is None, (table, name)
        assert column["run"].statistics is not None, table
        # a row's key is random bytes: stored uncompressed; everything else zstd
        assert column[keys[table]].compression == "UNCOMPRESSED", table
        assert {c.compression for n, c in column.items() if n != keys[table]} == {"ZSTD"}
    tx = pq.ParquetFile(tmp_path / "transactions" / "part-00000.parquet").metadata.row_group(0)
    names = [tx.column(c).path_in_schema for c in range(tx.num_columns)]
    stats = tx.column(names.index("amount")).statistics
    assert stats is not None and stats.min > 0
    ts = tx.column(names.index("timestamp_s"))
    assert ts.statistics is not None and "DELTA_BINARY_PACKED" in ts.encodings
    assert not ts.has_dictionary_page
    assert tx.column(names.index("mcc")).has_dictionary_page


def test_identifier_columns_get_the_fast_zstd_level_and_nothing_else_does(corpus) -> None:
    from simengine.domains.fraud.domain import FraudDomain
    from simengine.runner.storage import IDENTIFIER_ZSTD_LEVEL, writer_options

    tmp_path = corpus
    for table, spec in FraudDomain.streams.items():
        if table == "campaigns":
            continue  # not written by this scenario (and declares no identifiers)
        schema = pq.read_schema(tmp_path / table / "part-00000.parquet")
        opts = writer_options(schema, identifiers=spec.identifiers, keys=spec.keys,
                              ordered=spec.ordered)
        # only zstd-compressed random-id columns get the fast level: keys are uncompressed
        fast = set(spec.identifiers) - set(spec.keys)
        assert opts.get("compression_level", {}) == dict.fromkeys(fast, IDENTIFIER_ZSTD_LEVEL)
        assert all(opts["compression"][name] == "zstd" for name in fast)
    assert IDENTIFIER_ZSTD_LEVEL < 1  # faster than zstd's default level
    # the file holds the same ids as the table that was written (the level changes bytes only)
    tx = pq.read_table(tmp_path / "transactions" / "part-00000.parquet")
    acc = pq.read_table(tmp_path / "accounts" / "part-00000.parquet")
    known = set(acc["account_id"].to_pylist())
    assert set(tx["src_account"].to_pylist()) <= known
    assert set(tx["dst_account"].to_pylist()) <= known
