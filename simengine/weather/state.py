"""The weather of a batch of runs as plain arrays in SI-style units, one value per run.

A scenario's ``weather:`` block is hoisted into the run's parameter table under dotted names
(``weather.road``, ``weather.visibility_m``, ...). :func:`weather_state` turns those columns into a
:class:`WeatherState` that every domain reads the same way: the road surface as small integer
codes (cheap to pass to compiled kernels), everything else as float64 arrays. Fields the scenario
leaves out take the values in :data:`DEFAULTS`, so a domain never has to special-case "no weather".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from simengine.scenario.values import Const, Dist, Ref

if TYPE_CHECKING:
    from simengine.scenario.models import Weather

__all__ = ["DEFAULTS", "NUMERIC_FIELDS", "ROAD_STATES", "WeatherState", "road_codes",
           "weather_state"]

ROAD_STATES: tuple[str, ...] = ("dry", "wet", "snow", "ice")
"""Road surface states; a :class:`WeatherState` stores the index into this tuple (int8).
Kept identical to :data:`simengine.scenario.models.ROAD_STATES` (checked by the tests)."""

NUMERIC_FIELDS: tuple[str, ...] = (
    "visibility_m", "rain_mm_h", "snow_mm_h", "temperature_c", "humidity_pct",
    "sun_elevation_deg", "wind_mps",
)
"""The float fields of :class:`WeatherState`, in order."""

DEFAULTS: dict[str, Any] = {
    # Project choice: an unremarkable day, so that leaving weather out changes no physics.
    "road": "dry",
    # Clear air: no extinction (MOR is unbounded); the visibility module treats inf as beta = 0.
    "visibility_m": math.inf,
    "rain_mm_h": 0.0,
    "snow_mm_h": 0.0,
    # 15 degC is the sea-level temperature of the ICAO Standard Atmosphere (ISO 2533:1975).
    "temperature_c": 15.0,
    # Project choice: a mid-range relative humidity for temperate climates.
    "humidity_pct": 60.0,
    # Project choice: the sun well above the horizon (full daylight, not twilight).
    "sun_elevation_deg": 45.0,
    "wind_mps": 0.0,
}
"""Value of each weather field when the scenario does not set it."""


@dataclass(frozen=True)
class WeatherState:
    """The weather of ``n`` runs: one entry per run in each (read-only) array.

    ``road`` holds int8 codes into :data:`ROAD_STATES`; ``visibility_m`` is the meteorological
    optical range (MOR, WMO-No. 8), ``inf`` for clear air; ``rain_mm_h`` and ``snow_mm_h`` are
    precipitation rates (snow as liquid-water equivalent); ``sun_elevation_deg`` is negative below
    the horizon.
    """

    road: np.ndarray
    visibility_m: np.ndarray
    rain_mm_h: np.ndarray
    snow_mm_h: np.ndarray
    temperature_c: np.ndarray
    humidity_pct: np.ndarray
    sun_elevation_deg: np.ndarray
    wind_mps: np.ndarray

    def __len__(self) -> int:
        return int(self.road.shape[0])

    @property
    def road_names(self) -> np.ndarray:
        """The road state of each run as strings (``"dry"``, ``"wet"``, ...)."""
        return np.asarray(ROAD_STATES, dtype=object)[self.road]

    def row(self, i: int) -> dict[str, Any]:
        """The weather of run ``i`` as plain Python values (road as its name)."""
        out: dict[str, Any] = {"road": ROAD_STATES[int(self.road[i])]}
        for f in fields(self)[1:]:
            out[f.name] = float(getattr(self, f.name)[i])
        return out


def road_codes(values: Any) -> np.ndarray:
    """int8 codes into :data:`ROAD_STATES` for road names (or codes already).

    Raises ValueError for a name that is not a road state or a code out of range.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        if arr.size and (arr.min() < 0 or arr.max() >= len(ROAD_STATES)):
            raise ValueError(f"road codes must lie in 0..{len(ROAD_STATES) - 1}; "
                             f"found {int(arr.min())}..{int(arr.max())}")
        return arr.astype(np.int8)
    lookup = {name: i for i, name in enumerate(ROAD_STATES)}
    # each distinct value is looked up once (a column of n runs holds a handful of names)
    uniques, inverse = np.unique(arr.reshape(-1).astype(str), return_inverse=True)
    codes = np.empty(len(uniques), dtype=np.int8)
    for k, value in enumerate(uniques.tolist()):
        code = lookup.get(value)
        if code is None:
            raise ValueError(f"unknown road state {value!r}; expected one of "
                             f"{', '.join(ROAD_STATES)}")
        codes[k] = code
    return codes[inverse].reshape(arr.shape)


def _frozen(arr: np.ndarray) -> np.ndarray:
    arr = np.array(arr, copy=True)
    arr.flags.writeable = False
    return arr


def _column(columns: Mapping[str, np.ndarray], name: str, weather: Weather | None,
            n: int) -> Any:
    """The raw values of ``weather.<name>``: the hoisted column, else the referenced parameter
    or constant written in the model, else the default."""
    key = f"weather.{name}"
    if key in columns:
        return columns[key]
    spec = getattr(weather, name, None) if weather is not None else None
    if isinstance(spec, Ref):
        if spec.name not in columns:
            raise KeyError(f"weather.{name} refers to ${spec.name}, which is not among the "
                           "parameter columns")
        return columns[spec.name]
    if isinstance(spec, Const):
        return np.full(n, spec.value, dtype=object if isinstance(spec.value, str) else float)
    if isinstance(spec, Dist) and not spec.is_random:
        value = spec.raw["const"]
        return np.full(n, value, dtype=object if isinstance(value, str) else float)
    if isinstance(spec, Dist):
        raise KeyError(f"{key} is random but has no column among the parameter columns")
    return np.full(n, DEFAULTS[name], dtype=object if name == "road" else float)


def _length(values: Any, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=arr.dtype if arr.dtype.kind != "U" else object)
    if arr.shape != (n,):
        raise ValueError(f"weather.{name}: expected {n} values (one per run); found shape "
                         f"{arr.shape}")
    return arr


def weather_state(columns: Mapping[str, np.ndarray], n: int,
                  weather: Weather | None = None) -> WeatherState:
    """The :class:`WeatherState` of ``n`` runs from their parameter columns.

    Weather values are read from the columns ``weather.road``, ``weather.visibility_m``, ...
    (road as strings or codes); a field without a column takes its :data:`DEFAULTS` value. Pass the
    scenario's validated ``weather`` model too when it may hold ``$references`` (those are not
    hoisted into ``weather.*`` columns; the referenced parameter's column is used instead).

    Raises ValueError for an unknown road state or a column of the wrong length.
    """
    road = road_codes(_length(_column(columns, "road", weather, n), "road", n))
    values: dict[str, np.ndarray] = {}
    for name in NUMERIC_FIELDS:
        raw = _length(_column(columns, name, weather, n), name, n)
        values[name] = _frozen(np.asarray(raw, dtype=np.float64))
    return WeatherState(road=_frozen(road), **values)
