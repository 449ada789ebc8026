"""Tables as CSV files: one file per run of the rows a domain hands its renderers.

A table domain's ``scenes`` are its rows (the fraud domain: one row per transaction, with every
column of its ``transactions`` stream plus ``t_s``, the exact time that ``every_s`` and
``frames_if`` select by). This renderer writes the selected rows of each run to
``<output>/<file>-<run>.csv`` (run zero-padded to six digits) — a file per run, so the
corpus holds the same files with the same bytes whatever the shard size or the number of
workers, and a re-render of chosen runs rewrites exactly their files.

Bytes are a function of the rows: a header line, then one line per row in the order given
(time order), values written by Arrow's CSV writer — integers in decimal, floats in the
shortest form that reads back to the same double (``nan`` for NaN), booleans as
``true``/``false``, strings and categories double-quoted.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from pydantic import Field

from simengine.errors import UserError, closest
from simengine.renderers.base import Artefact, Renderer
from simengine.scenario.models import StrictModel

if TYPE_CHECKING:
    from simengine.sampling.keys import RunKeys

__all__ = ["TableCsvOptions", "TableCsvRenderer", "csv_bytes"]

FRAME_TIME = "t_s"


class TableCsvOptions(StrictModel):
    """How a table is written as CSV."""

    file: str = Field(default="rows", pattern=r"^[a-z][a-z0-9_]*$",
                      description="File name stem: <file>-<run>.csv.")
    columns: tuple[str, ...] | None = Field(
        default=None, min_length=1, description="Columns to write, in this order (default: "
        "every column of the table except the frame time t_s).")
    header: bool = Field(default=True, description="Write a header line of column names.")


def csv_bytes(columns: Mapping[str, np.ndarray], *, header: bool = True) -> bytes:
    """The CSV bytes of a table given as equal-length columns (see the module docstring)."""
    import pyarrow.csv as pcsv

    from simengine.runner.storage import to_arrow

    buf = io.BytesIO()
    pcsv.write_csv(to_arrow(columns), buf,
                   write_options=pcsv.WriteOptions(include_header=header))
    return buf.getvalue()


class TableCsvRenderer(Renderer):
    """Writes each selected run's rows as one CSV file."""

    name: ClassVar[str] = "table_csv"
    description: ClassVar[str] = "Table rows (e.g. fraud transactions) as one CSV file per run"
    options_model: ClassVar[type[StrictModel]] = TableCsvOptions
    draws_randomness: ClassVar[bool] = False

    def _columns(self, scenes: Mapping[str, np.ndarray]) -> list[str]:
        opts: TableCsvOptions = self.options  # type: ignore[assignment]
        if opts.columns is None:
            return [c for c in scenes if c != FRAME_TIME]
        unknown = [c for c in opts.columns if c not in scenes]
        if unknown:
            hint = closest(unknown[0], list(scenes))
            did = f" (did you mean {hint!r}?)" if hint else ""
            raise UserError(f"table_csv: unknown column {unknown[0]!r}{did}; the table has: "
                            f"{', '.join(scenes)}")
        return list(opts.columns)

    def render(self, scenes: Mapping[str, np.ndarray], keys: RunKeys) -> list[Artefact]:
        opts: TableCsvOptions = self.options  # type: ignore[assignment]
        if not scenes or len(scenes["run"]) == 0:
            return []
        names = self._columns(scenes)
        run = np.asarray(scenes["run"])
        order = np.argsort(run, kind="stable")  # rows of a run together, in their order
        run = run[order]
        starts = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
        ends = np.r_[starts[1:], run.size]
        out = []
        for a, b in zip(starts, ends, strict=True):
            rows = {c: np.asarray(scenes[c])[order[a:b]] for c in names}
            out.append(Artefact(f"{opts.file}-{int(run[a]):06d}.csv",
                                data=csv_bytes(rows, header=opts.header)))
        return out
