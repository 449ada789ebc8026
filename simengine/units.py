"""Units from column names: the project names every physical quantity with its unit as a suffix
(``speed_mps``, ``visibility_m``, ``bearing_temp_c``), so tables get their units for free.

:func:`unit_of` maps a name to its unit string (UCUM-like; ``""`` when dimensionless or
unknown); the sink writes it into each Parquet field's metadata (``unit``), where readers such as
pyarrow and pandas-with-pyarrow can see it.
"""

from __future__ import annotations

__all__ = ["UNITS", "unit_of"]

UNITS: dict[str, str] = {
    "_m": "m", "_km": "km", "_mm": "mm", "_ft": "ft", "_px": "px",
    "_s": "s", "_ms": "ms", "_h": "h", "_d": "d",
    "_mps": "m/s", "_mps2": "m/s2", "_kmh": "km/h", "_mm_h": "mm/h", "_mmps": "mm/s",
    "_rad": "rad", "_deg": "deg", "_hz": "Hz", "_rpm": "rpm",
    "_c": "degC", "_k": "K", "_pct": "%",
    "_pa": "Pa", "_kpa": "kPa", "_bar": "bar", "_psia": "psia",
    "_a": "A", "_v": "V", "_kw": "kW", "_g": "g", "_lps": "L/s",
}
"""Units by name suffix; the longest matching suffix wins (``_mm_h`` before ``_h``)."""

_BY_LENGTH = sorted(UNITS, key=len, reverse=True)


def unit_of(name: str) -> str:
    """The unit a column's name carries (``""`` when none)."""
    for suffix in _BY_LENGTH:
        if name.endswith(suffix) and len(name) > len(suffix):
            return UNITS[suffix]
    return ""
