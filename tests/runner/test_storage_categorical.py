"""Categorical columns and the sink's Parquet writer: dictionary columns from codes, fixed row
groups, per-type encodings, checksums computed while writing, errors of the writing thread."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from simengine.categorical import Categorical, categorical
from simengine.runner.storage import ROW_GROUP_ROWS, Storage, to_arrow, write_table

FAULTS = ("none", "drift", "stuck")


def _chunk(start: int, rows: int) -> dict[str, object]:
    """Rows ``start .. start + rows`` of a table with every kind of column."""
    i = np.arange(start, start + rows)
    return {
        "run": i // 1000,
        "fault": categorical(i % 3, FAULTS),
        "machine": np.array([f"m{k % 7}" for k in i], dtype=object),
        "temperature_c": np.sin(i * 0.001) * 20.0 + 40.0,
        "running": i % 5 != 0,
    }


def test_categorical_reads_as_its_names() -> None:
    col = categorical([2, 0, 0, 1], FAULTS)
    assert len(col) == 4 and col.shape == (4,) and col.ndim == 1
    names = np.asarray(col)
    assert names.dtype == object and names.tolist() == ["stuck", "none", "none", "drift"]
    assert col.dtype == object and col.astype(str).tolist() == names.tolist()
    np.testing.assert_array_equal(col == "none", [False, True, True, False])
    np.testing.assert_array_equal(col != "none", [True, False, False, True])
    assert not np.any(col == "spike")  # not a category: never equal
    assert col[0] == "stuck"
    sub = col[1:3]
    assert isinstance(sub, Categorical) and sub.tolist() == ["none", "none"]
    assert col[np.array([True, False, False, True])].tolist() == ["stuck", "drift"]
    both = np.concatenate([col, categorical([1], FAULTS)])  # NumPy sees the names
    assert both.tolist() == ["stuck", "none", "none", "drift", "drift"]


def test_counts_and_concatenate_work_on_the_codes() -> None:
    col = categorical([2, 0, 2, 2], FAULTS)
    assert col.counts() == {"none": 1, "stuck": 3}  # names that do not occur are left out
    joined = Categorical.concatenate([col, categorical([1], FAULTS)])
    assert isinstance(joined, Categorical) and joined.categories == FAULTS
    assert joined.tolist() == ["stuck", "none", "stuck", "stuck", "drift"]
    with pytest.raises(ValueError, match="same categories"):
        Categorical.concatenate([col, categorical([0], ("other",))])


@pytest.mark.parametrize(("codes", "categories", "error", "message"), [
    ([0, 3], FAULTS, ValueError, r"codes must lie in \[0, 3\), found \[0, 3\]"),
    ([-1], FAULTS, ValueError, "codes must lie in"),
    ([0.0, 1.0], FAULTS, TypeError, "codes must be a 1-D integer array"),
    ([[0, 1]], FAULTS, TypeError, "codes must be a 1-D integer array"),
    ([0], ("a", "a"), ValueError, "categories must be unique"),
    ([0], ("a", 1), TypeError, "categories must be strings"),
])
def test_bad_categoricals_are_refused(codes, categories, error, message) -> None:
    with pytest.raises(error, match=message):
        categorical(codes, categories)


def test_to_arrow_makes_dictionary_columns_from_codes() -> None:
    table = to_arrow({"fault": categorical(np.array([1, 1, 0], np.int8), FAULTS),
                      "label": np.array(["a", "b", "c"], dtype=object),
                      "ready": pa.array([1.5, 2.5, None])})
    fault = table.column("fault").chunk(0)
    assert fault.type == pa.dictionary(pa.int32(), pa.string())
    assert fault.dictionary.to_pylist() == list(FAULTS)  # every category, used or not
    assert fault.indices.to_pylist() == [1, 1, 0]
    assert table.column("fault").to_pylist() == ["drift", "drift", "none"]
    assert table.schema.field("label").type == pa.string()
    assert table.column("ready").to_pylist() == [1.5, 2.5, None]  # pyarrow arrays pass as is


def test_chunks_with_categoricals_stream_into_fixed_row_groups(tmp_path) -> None:
    storage = Storage(str(tmp_path))
    sizes = [50_000, 30_000, 70_000, 1_000]
    starts = np.cumsum([0, *sizes[:-1]])
    rows, sha = write_table(storage, "t.parquet",
                            [_chunk(s, n) for s, n in zip(starts, sizes, strict=True)],
                            {"simengine.seed": "3"})
    total = sum(sizes)
    path = tmp_path / "t.parquet"
    assert rows == total
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()  # hashed while writing
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(g).num_rows for g in range(meta.num_row_groups)] == [
        ROW_GROUP_ROWS, ROW_GROUP_ROWS, total - 2 * ROW_GROUP_ROWS]
    table = pq.read_table(path)
    expected = _chunk(0, total)
    assert table.column("fault").to_pylist() == np.asarray(expected["fault"]).tolist()
    assert table.column("machine").to_pylist() == expected["machine"].tolist()
    np.testing.assert_array_equal(table.column("temperature_c").to_numpy(),
                                  expected["temperature_c"])
    assert table.schema.field("temperature_c").metadata == {b"unit": b"degC"}
    assert table.schema.metadata[b"simengine.seed"] == b"3"
    assert table.to_pandas()["fault"].dtype == "category"
    # the same chunks give the same bytes
    _, again = write_table(storage, "u.parquet",
                           [_chunk(s, n) for s, n in zip(starts, sizes, strict=True)],
                           {"simengine.seed": "3"})
    assert again == sha


def test_encodings_follow_the_column_types(tmp_path) -> None:
    storage = Storage(str(tmp_path))
    write_table(storage, "t.parquet", [_chunk(0, 10_000)], {})
    group = pq.ParquetFile(tmp_path / "t.parquet").metadata.row_group(0)
    column = {group.column(c).path_in_schema: group.column(c) for c in range(group.num_columns)}
    assert all(column[c].compression == "ZSTD" for c in column)
    for name in ("fault", "machine", "run"):  # dictionary encoded
        assert column[name].has_dictionary_page, name
    assert "BYTE_STREAM_SPLIT" in column["temperature_c"].encodings
    assert not column["temperature_c"].has_dictionary_page
    stats = column["temperature_c"].statistics
    assert stats is not None and stats.min == pytest.approx(20.0, abs=0.01)
    assert column["run"].statistics is not None
    assert column["fault"].statistics is None  # its dictionary page lists its values


def test_identifier_columns_are_written_plain_without_statistics(tmp_path) -> None:
    storage = Storage(str(tmp_path))
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 2**62, size=20_000)
    writer = storage.table_writer("t.parquet", {}, identifiers=("txn_id",))
    writer.write({"txn_id": ids, "account": ids % 7, "amount": rng.random(20_000)})
    writer.close()
    group = pq.ParquetFile(tmp_path / "t.parquet").metadata.row_group(0)
    column = {group.column(c).path_in_schema: group.column(c) for c in range(group.num_columns)}
    assert not column["txn_id"].has_dictionary_page
    assert column["txn_id"].statistics is None
    assert column["account"].has_dictionary_page  # an integer column not declared an id
    assert column["account"].statistics is not None
    assert column["amount"].statistics is not None
    np.testing.assert_array_equal(pq.read_table(tmp_path / "t.parquet")["txn_id"], ids)
    assert {c.compression for c in column.values()} == {"ZSTD"}


def test_key_columns_are_uncompressed_and_nested_schemas_keep_zstd_everywhere(tmp_path) -> None:
    storage = Storage(str(tmp_path))
    ids = np.random.default_rng(1).integers(1, 2**62, size=5_000)
    writer = storage.table_writer("k.parquet", {}, keys=("txn_id",))
    writer.write({"txn_id": ids, "amount": np.arange(5_000) * 0.5})
    writer.close()
    group = pq.ParquetFile(tmp_path / "k.parquet").metadata.row_group(0)
    codec = {group.column(c).path_in_schema: group.column(c).compression
             for c in range(group.num_columns)}
    assert codec == {"txn_id": "UNCOMPRESSED", "amount": "ZSTD"}
    assert group.column(0).statistics is None and not group.column(0).has_dictionary_page
    # with a nested column the per-column codecs cannot name it: everything stays zstd
    writer = storage.table_writer("n.parquet", {}, keys=("txn_id",))
    writer.write({"txn_id": ids, "window": np.ones((5_000, 4))})
    writer.close()
    group = pq.ParquetFile(tmp_path / "n.parquet").metadata.row_group(0)
    assert {group.column(c).compression for c in range(group.num_columns)} == {"ZSTD"}


def test_an_error_while_encoding_is_raised_and_leaves_no_file(tmp_path) -> None:
    storage = Storage(str(tmp_path))
    writer = storage.table_writer("t.parquet", {})
    writer.write({"x": np.zeros(ROW_GROUP_ROWS)})
    # a row group of another schema reaches the encoding thread, which refuses it
    writer.write({"x": np.zeros(ROW_GROUP_ROWS, dtype=np.int64)})
    with pytest.raises(ValueError, match="schema"):
        writer.close()
    assert storage.files() == []


def test_columns_that_cannot_hold_a_null_are_written_as_required(tmp_path) -> None:
    storage = Storage(str(tmp_path))
    chunk = {**_chunk(0, 10), "note": np.array(["a", None] * 5, dtype=object),
             "ready": pa.array([1.5, None] * 5)}
    write_table(storage, "t.parquet", [chunk], {})
    schema = pq.read_schema(tmp_path / "t.parquet")
    assert {f.name: f.nullable for f in schema} == {
        "run": False, "fault": False, "machine": True, "temperature_c": False,
        "running": False, "note": True, "ready": True}
    # no definition levels for the required ones: the Parquet column is REQUIRED
    parquet_schema = pq.ParquetFile(tmp_path / "t.parquet").schema
    rep = {parquet_schema.column(k).name: parquet_schema.column(k).max_definition_level
           for k in range(len(parquet_schema))}
    assert rep["temperature_c"] == 0 and rep["run"] == 0 and rep["note"] == 1
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.column("note").to_pylist() == ["a", None] * 5
    assert table.column("ready").to_pylist() == [1.5, None] * 5


def test_outcome_chunks_keep_their_categorical_columns() -> None:
    from simengine.runner.shard import _concat

    parts = [{"tier": categorical([0, 2], FAULTS), "x": np.array([1.0, 2.0])},
             {"tier": categorical([1], FAULTS), "x": np.array([3.0])}]
    joined = _concat(parts)
    assert isinstance(joined["tier"], Categorical)  # codes joined, no string per row
    assert joined["tier"].tolist() == ["none", "stuck", "drift"]
    np.testing.assert_array_equal(joined["x"], [1.0, 2.0, 3.0])
    # different categories cannot share codes: the names are joined instead
    mixed = _concat([parts[0], {"tier": categorical([0], ("other",)), "x": np.array([0.0])}])
    assert mixed["tier"].tolist() == ["none", "stuck", "other"]


def test_label_counts_are_the_same_from_codes_and_from_names() -> None:
    from types import SimpleNamespace

    from simengine.runner.shard import label_counts

    scn = SimpleNamespace(outcome_columns={"tier": SimpleNamespace(kind="category"),
                                           "hit": SimpleNamespace(kind="bool")})
    tier = categorical([2, 0, 2, 2], FAULTS)
    hit = np.array([True, False, True, True])
    from_codes = label_counts(scn, {"tier": tier, "hit": hit})
    from_names = label_counts(scn, {"tier": np.asarray(tier), "hit": hit})
    assert from_codes == from_names == {"tier": {"none": 1, "stuck": 3},
                                        "hit": {"false": 1, "true": 3}}
