"""Weather in physical units, shared by every domain, and its effects on physics and perception.

* :mod:`~simengine.weather.state` — the per-run :class:`WeatherState` read from the parameter
  columns, with defaults;
* :mod:`~simengine.weather.friction` — tyre–road friction, braking deceleration, stopping distance;
* :mod:`~simengine.weather.visibility` — Koschmieder extinction from fog, rain and snow, detection
  range, night (headlights, reaction time);
* :mod:`~simengine.weather.events` — fog banks in space and time, for Numba kernels.

Importing this package stays light (NumPy only): the Numba-compiled :mod:`events` module loads on
first use of one of its names.
"""

from __future__ import annotations

import importlib
from typing import Any

from simengine.weather.friction import (
    G_MPS2,
    MU_PEAK,
    friction,
    friction_of,
    max_decel_mps2,
    stopping_distance_m,
)
from simengine.weather.state import DEFAULTS, ROAD_STATES, WeatherState, road_codes, weather_state
from simengine.weather.visibility import (
    KOSCHMIEDER_CONSTANT,
    detection_range_m,
    driver_detection_range_m,
    effective_visibility_m,
    extinction_per_m,
    headlight_range_m,
    is_night,
    night_reaction_factor,
    rain_extinction_per_m,
    snow_extinction_per_m,
    visibility_from_extinction_m,
)

__all__ = [
    "DEFAULTS",
    "G_MPS2",
    "KOSCHMIEDER_CONSTANT",
    "MU_PEAK",
    "ROAD_STATES",
    "WeatherState",
    "detection_range_m",
    "driver_detection_range_m",
    "effective_visibility_m",
    "extinction_per_m",
    "fog_bank_arrays",
    "friction",
    "friction_of",
    "headlight_range_m",
    "is_night",
    "local_visibility_m",
    "local_visibility_rows_m",
    "max_decel_mps2",
    "night_reaction_factor",
    "rain_extinction_per_m",
    "road_codes",
    "snow_extinction_per_m",
    "stopping_distance_m",
    "visibility_from_extinction_m",
    "weather_state",
]

_LAZY = {"fog_bank_arrays", "local_visibility_m", "local_visibility_rows_m"}


def __getattr__(name: str) -> Any:
    """Load :mod:`simengine.weather.events` (and Numba) only when one of its names is used."""
    if name in _LAZY:
        return getattr(importlib.import_module("simengine.weather.events"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
