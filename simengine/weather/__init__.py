"""Weather in physical units, shared by every domain, and its effects on physics and perception.

* :mod:`~simengine.weather.state` — the per-run :class:`WeatherState` read from the parameter
  columns, with defaults;
* :mod:`~simengine.weather.friction` — tyre–road friction, braking deceleration, stopping distance;
* :mod:`~simengine.weather.visibility` — Koschmieder extinction from fog, rain and snow, detection
  range, night (headlights, reaction time);
* :mod:`~simengine.weather.events` — fog banks in space and time, for Numba kernels;
* :mod:`~simengine.weather.sensor_weather`, :mod:`~simengine.weather.image_effects`,
  :mod:`~simengine.weather.range_effects` — weather on camera images and lidar returns (fog
  from depth, rain and snow particles, low light and sensor noise, lidar extinction and
  spurious returns), with the severity ladders.

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
from simengine.weather.image_effects import (
    WeatheredImage,
    apparent_contrast,
    apply_weather,
    intrinsic_contrast,
    object_labels,
    object_visible,
    weather_image,
)
from simengine.weather.low_light import CameraModel
from simengine.weather.range_effects import (
    LidarWeather,
    apply_lidar_weather,
    lidar_extinction_per_m,
)
from simengine.weather.sensor_weather import (
    FOG_LADDER,
    RAIN_LADDER,
    SNOW_LADDER,
    SensorWeather,
    SensorWeatherError,
    fog_level,
    rain_level,
    snow_level,
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
    "FOG_LADDER",
    "G_MPS2",
    "KOSCHMIEDER_CONSTANT",
    "MU_PEAK",
    "RAIN_LADDER",
    "ROAD_STATES",
    "SNOW_LADDER",
    "CameraModel",
    "LidarWeather",
    "SensorWeather",
    "SensorWeatherError",
    "WeatherState",
    "WeatheredImage",
    "apparent_contrast",
    "apply_lidar_weather",
    "apply_weather",
    "detection_range_m",
    "driver_detection_range_m",
    "effective_visibility_m",
    "extinction_per_m",
    "fog_bank_arrays",
    "fog_level",
    "friction",
    "friction_of",
    "headlight_range_m",
    "intrinsic_contrast",
    "is_night",
    "lidar_extinction_per_m",
    "local_visibility_m",
    "local_visibility_rows_m",
    "max_decel_mps2",
    "night_reaction_factor",
    "object_labels",
    "object_visible",
    "rain_extinction_per_m",
    "rain_level",
    "road_codes",
    "snow_extinction_per_m",
    "snow_level",
    "stopping_distance_m",
    "visibility_from_extinction_m",
    "weather_image",
    "weather_state",
]

_LAZY = {"fog_bank_arrays", "local_visibility_m", "local_visibility_rows_m"}


def __getattr__(name: str) -> Any:
    """Load :mod:`simengine.weather.events` (and Numba) only when one of its names is used."""
    if name in _LAZY:
        return getattr(importlib.import_module("simengine.weather.events"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
