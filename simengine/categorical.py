"""Categorical columns: small integer codes plus the names they stand for.

A domain that labels millions of rows with a handful of names (fault modes, regimes, machine
ids, splits) hands the sink the codes and the names instead of one Python string per row. The
sink writes such a column as a dictionary-encoded Parquet column (a pyarrow
``DictionaryArray``), which pyarrow, pandas (``category`` dtype), polars and Hugging Face
``datasets`` read back as strings; nothing per row is ever a Python object.

NumPy code that wants strings still gets them: ``np.asarray(column)`` is the object array of
names, and ``column == "name"`` compares codes (no strings are built).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Categorical", "categorical"]


@dataclass(frozen=True, eq=False)
class Categorical:
    """A column of ``len(codes)`` values, value i being ``categories[codes[i]]``.

    ``categories`` should be the same tuple in every chunk of a table (for example every name
    the scenario can produce, in a fixed order), so each Parquet row group carries the same
    dictionary and a column's type never changes between chunks.
    """

    codes: np.ndarray
    categories: tuple[str, ...]

    def __post_init__(self) -> None:
        codes = np.asarray(self.codes)
        if codes.ndim != 1 or codes.dtype.kind not in "iu":
            raise TypeError(f"codes must be a 1-D integer array, got {codes.dtype} with shape "
                            f"{codes.shape}")
        categories = tuple(self.categories)
        if not all(isinstance(c, str) for c in categories):
            raise TypeError("categories must be strings")
        if len(set(categories)) != len(categories):
            raise ValueError(f"categories must be unique, got {categories}")
        if codes.size and (int(codes.min()) < 0 or int(codes.max()) >= len(categories)):
            raise ValueError(f"codes must lie in [0, {len(categories)}), found "
                             f"[{int(codes.min())}, {int(codes.max())}]")
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "categories", categories)

    # -- the ndarray-like surface used by tables ---------------------------------------------
    def __len__(self) -> int:
        return int(self.codes.size)

    @property
    def shape(self) -> tuple[int]:
        return (len(self),)

    @property
    def ndim(self) -> int:
        return 1

    @property
    def size(self) -> int:
        return len(self)

    @property
    def dtype(self) -> np.dtype:
        """``object``: the dtype of the names ``np.asarray(column)`` gives."""
        return np.dtype(object)

    def astype(self, dtype: Any) -> np.ndarray:
        return np.asarray(self).astype(dtype)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The names as an object array (what NumPy code reading a string column expects)."""
        if copy is False:
            raise ValueError("a Categorical cannot be viewed as an array of names without a copy")
        names = np.empty(len(self.categories), dtype=object)
        names[:] = self.categories
        out = names[self.codes]
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, key: Any) -> Categorical | str:
        picked = self.codes[key]
        if np.ndim(picked) == 0:
            return self.categories[int(picked)]
        return Categorical(picked, self.categories)

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        if isinstance(other, str):
            if other not in self.categories:
                return np.zeros(len(self), dtype=bool)
            return self.codes == self.categories.index(other)
        return np.asarray(self) == other

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        return ~np.asarray(self.__eq__(other), dtype=bool)

    __hash__ = None  # type: ignore[assignment]

    def tolist(self) -> list[str]:
        return np.asarray(self).tolist()

    def counts(self) -> dict[str, int]:
        """How many rows hold each name, for the names that occur (counted on the codes: no
        string per row is made)."""
        per_code = np.bincount(self.codes, minlength=len(self.categories))
        return {self.categories[k]: int(c) for k, c in enumerate(per_code) if c}

    @classmethod
    def concatenate(cls, parts: Sequence[Categorical]) -> Categorical:
        """The parts one after another; they must share their categories (the same tuple in
        every chunk of a table, as the class docstring asks)."""
        categories = parts[0].categories
        if any(p.categories != categories for p in parts):
            raise ValueError("only Categoricals with the same categories can be concatenated")
        return cls(np.concatenate([p.codes for p in parts]), categories)

    def __arrow_array__(self, type: Any = None) -> Any:
        """A pyarrow ``DictionaryArray`` (int32 indices, string dictionary): what
        ``pyarrow.array(column)`` returns and the sink writes."""
        import pyarrow as pa

        from simengine.arrow_arrays import numeric_array, string_array

        indices = numeric_array(self.codes.astype(np.int32, copy=False))
        return pa.DictionaryArray.from_arrays(indices, string_array(self.categories))


def categorical(codes: Any, categories: Sequence[str]) -> Categorical:
    """A :class:`Categorical` column from integer ``codes`` into ``categories``."""
    return Categorical(np.asarray(codes), tuple(categories))
