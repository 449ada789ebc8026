"""Arrow arrays built from buffers equal what ``pyarrow.array`` makes, without importing pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from simengine.arrow_arrays import numeric_array, string_array


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32,
                                   np.uint64, np.float32, np.float64, np.bool_])
def test_numeric_array_equals_pyarrow_array(dtype) -> None:
    rng = np.random.default_rng(3)
    values = (rng.normal(size=37) * 50).astype(dtype)
    got = numeric_array(values)
    assert got.equals(pa.array(values))
    assert got.type == pa.from_numpy_dtype(np.dtype(dtype))


def test_numeric_array_takes_strided_and_big_endian_input() -> None:
    values = np.arange(20, dtype=np.float64)[::3]
    assert numeric_array(values).to_pylist() == values.tolist()
    big = np.arange(5, dtype=">i4")
    assert numeric_array(big).to_pylist() == [0, 1, 2, 3, 4]


def test_numeric_array_rejects_2d() -> None:
    with pytest.raises(ValueError, match="1-D"):
        numeric_array(np.zeros((2, 2)))


def test_string_array_equals_pyarrow_array_with_nulls_and_unicode() -> None:
    items = ["cut-in", None, "", "Ünïcode ✓", "rear_end", None]
    got = string_array(items)
    assert got.equals(pa.array(items, type=pa.string()))
    assert got.null_count == 2
    assert string_array([]).equals(pa.array([], type=pa.string()))


def test_writing_a_table_does_not_import_pandas(tmp_path) -> None:
    code = (
        "import sys, numpy as np\n"
        "from simengine.runner.storage import Storage, write_table\n"
        "from simengine.categorical import categorical\n"
        f"s = Storage({str(tmp_path)!r})\n"
        "cols = {'x_m': np.arange(3.0), 'ok': np.array([True, False, True]),\n"
        "        'kind': np.array(['a', 'b', None], dtype=object),\n"
        "        'fault': categorical(np.array([0, 1, 0]), ('none', 'wear'))}\n"
        "write_table(s, 't.parquet', [cols], {})\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_string_array_with_one_long_outlier_takes_the_pool_path() -> None:
    items = ["a"] * 2000 + ["x" * 5000] + [None, "bc"]
    assert string_array(items).equals(pa.array(items, type=pa.string()))
