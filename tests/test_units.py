"""Units carried by column names reach the Parquet schema."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq

from simengine.runner.storage import Storage, write_table
from simengine.units import unit_of


def test_unit_of_takes_the_longest_suffix() -> None:
    assert unit_of("speed_mps") == "m/s"
    assert unit_of("accel_mps2") == "m/s2"
    assert unit_of("rain_mm_h") == "mm/h"
    assert unit_of("rul_h") == "h"
    assert unit_of("bearing_temp_c") == "degC"
    assert unit_of("collision") == "" and unit_of("run") == "" and unit_of("_s") == ""


def test_written_fields_carry_their_unit(tmp_path) -> None:
    storage = Storage(str(tmp_path))
    write_table(storage, "t.parquet", [{
        "run": np.arange(3), "min_ttc_s": np.ones(3), "window_g": np.zeros((3, 4), np.float32),
        "label": np.array(["a", "b", "c"], dtype=object)}], {"k": "v"})
    schema = pq.read_schema(tmp_path / "t.parquet")
    assert schema.field("min_ttc_s").metadata == {b"unit": b"s"}
    assert schema.field("run").metadata is None and schema.field("label").metadata is None
    assert str(schema.field("window_g").type) == "fixed_size_list<element: float>[4]"
    assert schema.field("window_g").metadata == {b"unit": b"g"}
    assert schema.metadata[b"k"] == b"v"
