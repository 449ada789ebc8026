"""The weather a sensor sees, in physical units, and the documented severity ladder.

:class:`SensorWeather` is the one value the camera and lidar weather effects take: the
meteorological optical range of the air (fog, haze), the rain and snow rates, the sun's elevation
and the road surface. Its extinction follows :mod:`simengine.weather.visibility` exactly (the
extinctions of air, rain and snow add), so the physics and the pictures of a run agree.

The **severity ladder** names ranges of each quantity, so a corpus can be sliced by "dense fog"
or "heavy rain" and a user can ask for a level instead of a number
(:meth:`SensorWeather.from_levels`). A level covers the half-open interval ``(lower, upper]`` of
its quantity and stands for one representative value:

* fog, by MOR: haze 1000 m, light 600 m, medium 300 m, dense 150 m, extreme 50 m (β = 0.003,
  0.005, 0.01, 0.02, 0.06 1/m; the middle three are the fog densities of Foggy Cityscapes,
  Sakaridis, Dai & Van Gool 2018, and of SynFog). A level's representative MOR is its nominal
  value, and it covers the MORs from just above the next level's nominal value up to its own
  (so 400 m is "light"); above 1000 m is "none";
* rain, by rate: light ≤ 2.5 mm/h, moderate ≤ 7.6 mm/h, heavy ≤ 50 mm/h, violent above (American
  Meteorological Society, *Glossary of Meteorology*, "rain": light up to 2.5 mm/h, moderate
  2.6–7.6, heavy above 7.6; "violent" above 50 mm/h as in the UK Met Office's classification);
* snow, by liquid-water-equivalent rate. Snowfall intensity is officially graded by the
  visibility it leaves (WMO-No. 8 / US Federal Meteorological Handbook No. 1: light when the
  visibility exceeds 1 km, moderate between 0.5 and 1 km, heavy below 0.5 km); we turn those
  visibilities into rates with :mod:`~simengine.weather.visibility`'s dry-snow extinction
  (Rasmussen et al. 1999), so light ≤ 0.61 mm/h, moderate ≤ 1.22 mm/h, heavy above.

Representative rain and snow rates (light 1, moderate 5, heavy 20, violent 100 mm/h; snow 0.3,
0.9, 2.5 mm/h) are project choices near the geometric middle of each interval; 100 mm/h is the
"storm" row of ITU-R P.1817-1's visibility code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simengine.errors import UserError, closest
from simengine.weather.state import ROAD_STATES
from simengine.weather.visibility import (
    KOSCHMIEDER_CONSTANT,
    SNOW_EXTINCTION_DRY_PER_M_PER_MM_H,
    extinction_per_m,
    rain_extinction_per_m,
    snow_extinction_per_m,
    visibility_from_extinction_m,
)

__all__ = [
    "CLEAR_VISIBILITY_M",
    "FOG_LADDER",
    "RAIN_LADDER",
    "SNOW_LADDER",
    "Ladder",
    "SensorWeather",
    "SensorWeatherError",
    "SeverityLevel",
    "extinction_per_m",
    "fog_level",
    "rain_level",
    "snow_level",
]

CLEAR_VISIBILITY_M = 1e9
"""The driving ``scenes`` table writes clear air as this MOR (Parquet-friendly); read back as
``inf`` by :meth:`SensorWeather.from_scene`."""


class SensorWeatherError(UserError, ValueError):
    """A weather value out of its physical range, or an unknown severity level or road state.

    A :class:`~simengine.errors.UserError` (printed without a traceback) that is also a
    :class:`ValueError`, so numerical callers can catch it as one."""


@dataclass(frozen=True)
class SeverityLevel:
    """One rung of a ladder: a name, the interval ``(lower, upper]`` of the quantity it covers,
    and the representative value :meth:`SensorWeather.from_levels` uses for it."""

    name: str
    lower: float
    upper: float
    representative: float


@dataclass(frozen=True)
class Ladder:
    """The severity levels of one quantity, mildest first (the first level is ``"none"``)."""

    quantity: str
    unit: str
    levels: tuple[SeverityLevel, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.levels)

    def level_of(self, value: float) -> str:
        """The name of the level whose interval ``(lower, upper]`` holds ``value``."""
        v = float(value)
        for level in self.levels:
            if level.lower < v <= level.upper:
                return level.name
        raise SensorWeatherError(f"{v!r} {self.unit} lies outside every {self.quantity} level",
                                 field=self.quantity)

    def value_of(self, name: str) -> float:
        """The representative value of the level called ``name``."""
        for level in self.levels:
            if level.name == name:
                return level.representative
        hint = closest(name, self.names)
        did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
        raise SensorWeatherError(
            f"unknown {self.quantity} level {name!r}{did_you_mean}; expected one of "
            f"{', '.join(self.names)}", field=self.quantity)


def _snow_rate_for_visibility(visibility_m: float) -> float:
    """Dry-snow rate (mm/h) that alone lowers the MOR to ``visibility_m``."""
    return KOSCHMIEDER_CONSTANT / (visibility_m * SNOW_EXTINCTION_DRY_PER_M_PER_MM_H)


_INF = math.inf

FOG_LADDER = Ladder("fog", "m", (
    SeverityLevel("none", 1000.0, _INF, _INF),
    SeverityLevel("haze", 600.0, 1000.0, 1000.0),
    SeverityLevel("light", 300.0, 600.0, 600.0),
    SeverityLevel("medium", 150.0, 300.0, 300.0),
    SeverityLevel("dense", 50.0, 150.0, 150.0),
    SeverityLevel("extreme", 0.0, 50.0, 50.0),
))
"""Fog by meteorological optical range (m); severity grows as the MOR falls."""

RAIN_LADDER = Ladder("rain", "mm/h", (
    SeverityLevel("none", -_INF, 0.0, 0.0),
    SeverityLevel("light", 0.0, 2.5, 1.0),
    SeverityLevel("moderate", 2.5, 7.6, 5.0),
    SeverityLevel("heavy", 7.6, 50.0, 20.0),
    SeverityLevel("violent", 50.0, _INF, 100.0),
))
"""Rain by rate (mm/h)."""

_SNOW_LIGHT_MAX = _snow_rate_for_visibility(1000.0)     # ≈ 0.61 mm/h
_SNOW_MODERATE_MAX = _snow_rate_for_visibility(500.0)   # ≈ 1.22 mm/h

SNOW_LADDER = Ladder("snow", "mm/h", (
    SeverityLevel("none", -_INF, 0.0, 0.0),
    SeverityLevel("light", 0.0, _SNOW_LIGHT_MAX, 0.3),
    SeverityLevel("moderate", _SNOW_LIGHT_MAX, _SNOW_MODERATE_MAX, 0.9),
    SeverityLevel("heavy", _SNOW_MODERATE_MAX, _INF, 2.5),
))
"""Snow by liquid-water-equivalent rate (mm/h); bounds are the rates at which dry snow alone
lowers the MOR to 1 km and 0.5 km."""


def fog_level(visibility_m: float) -> str:
    """Fog severity of a meteorological optical range (m): none, haze, light, medium, dense or
    extreme (see :data:`FOG_LADDER`)."""
    return FOG_LADDER.level_of(_positive_visibility(visibility_m))


def rain_level(rain_mm_h: float) -> str:
    """Rain severity of a rate (mm/h): none, light, moderate, heavy or violent."""
    return RAIN_LADDER.level_of(_rate(rain_mm_h, "rain_mm_h"))


def snow_level(snow_mm_h: float) -> str:
    """Snow severity of a liquid-water-equivalent rate (mm/h): none, light, moderate or heavy."""
    return SNOW_LADDER.level_of(_rate(snow_mm_h, "snow_mm_h"))


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SensorWeatherError(f"must be a number, got {value!r}", field=name) from None


def _positive_visibility(value: Any) -> float:
    v = _number(value, "visibility_m")
    if math.isnan(v) or v <= 0.0:
        raise SensorWeatherError(
            f"must be > 0 (meteorological optical range in metres; inf = clear air), got {v!r}",
            field="visibility_m")
    return v


def _rate(value: Any, name: str) -> float:
    v = _number(value, name)
    if not math.isfinite(v) or v < 0.0:
        raise SensorWeatherError(f"must be a finite rate >= 0 mm/h, got {v!r}", field=name)
    return v


@dataclass(frozen=True)
class SensorWeather:
    """What the weather does to sensors, for one frame.

    * ``visibility_m`` — meteorological optical range of the air (fog, haze) alone, ``inf`` for
      clear air; rain and snow lower the visibility further on their own (see
      :attr:`effective_visibility_m`);
    * ``rain_mm_h``, ``snow_mm_h`` — precipitation rates (snow as liquid-water equivalent);
    * ``sun_elevation_deg`` — negative below the horizon; below 0° the camera runs out of light;
    * ``road_state`` — dry, wet, snow or ice (the look of the road surface);
    * ``temperature_c`` — picks wet (> 0 °C) or dry snow extinction; ``None`` = dry snow;
    * ``wind_mps`` — cross wind in the image plane (positive to the right), slants rain streaks.

    Raises :class:`SensorWeatherError` (a ValueError) for values out of range.
    """

    visibility_m: float = math.inf
    rain_mm_h: float = 0.0
    snow_mm_h: float = 0.0
    sun_elevation_deg: float = 45.0
    road_state: str = "dry"
    temperature_c: float | None = None
    wind_mps: float = 0.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "visibility_m", _positive_visibility(self.visibility_m))
        set_(self, "rain_mm_h", _rate(self.rain_mm_h, "rain_mm_h"))
        set_(self, "snow_mm_h", _rate(self.snow_mm_h, "snow_mm_h"))
        elev = _number(self.sun_elevation_deg, "sun_elevation_deg")
        if not -90.0 <= elev <= 90.0:
            raise SensorWeatherError(f"must lie in [-90, 90] degrees, got {elev!r}",
                                     field="sun_elevation_deg")
        set_(self, "sun_elevation_deg", elev)
        if self.road_state not in ROAD_STATES:
            hint = closest(str(self.road_state), ROAD_STATES)
            did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
            raise SensorWeatherError(f"unknown road state {self.road_state!r}{did_you_mean}; "
                                     f"expected one of {', '.join(ROAD_STATES)}",
                                     field="road_state")
        if self.temperature_c is not None:
            temp = _number(self.temperature_c, "temperature_c")
            if not math.isfinite(temp):
                raise SensorWeatherError(f"must be finite, got {temp!r}", field="temperature_c")
            set_(self, "temperature_c", temp)
        wind = _number(self.wind_mps, "wind_mps")
        if not math.isfinite(wind):
            raise SensorWeatherError(f"must be finite, got {wind!r}", field="wind_mps")
        set_(self, "wind_mps", wind)

    # -- extinction ----------------------------------------------------------------------
    @property
    def air_extinction_per_m(self) -> float:
        """β of the air (fog, haze): 2.996 / visibility_m, 0 for clear air."""
        return float(extinction_per_m(self.visibility_m))

    @property
    def rain_extinction_per_m(self) -> float:
        """β added by the rain (ITU-R P.1817-1 fit, :func:`visibility.rain_extinction_per_m`)."""
        return float(rain_extinction_per_m(self.rain_mm_h))

    @property
    def snow_extinction_per_m(self) -> float:
        """β added by the snow (Rasmussen et al. 1999, :func:`visibility.snow_extinction_per_m`)."""
        return float(snow_extinction_per_m(self.snow_mm_h, self.temperature_c))

    @property
    def beta_per_m(self) -> float:
        """Total optical extinction (1/m): air + rain + snow; what the camera's fog uses."""
        return self.air_extinction_per_m + self.rain_extinction_per_m + self.snow_extinction_per_m

    @property
    def effective_visibility_m(self) -> float:
        """MOR (m) with the precipitation counted: 2.996 / :attr:`beta_per_m` (``inf`` if 0).
        Equals :func:`visibility.effective_visibility_m` of the same values."""
        return float(visibility_from_extinction_m(self.beta_per_m))

    @property
    def precipitation_mm_h(self) -> float:
        """Rain plus snow (liquid-water equivalent), mm/h."""
        return self.rain_mm_h + self.snow_mm_h

    @property
    def levels(self) -> dict[str, str]:
        """The severity of each effect: ``{"fog": ..., "rain": ..., "snow": ...}`` (fog from the
        air's MOR, not the precipitation's)."""
        return {"fog": FOG_LADDER.level_of(self.visibility_m),
                "rain": RAIN_LADDER.level_of(self.rain_mm_h),
                "snow": SNOW_LADDER.level_of(self.snow_mm_h)}

    # -- constructors --------------------------------------------------------------------
    @classmethod
    def from_levels(cls, *, fog: str = "none", rain: str = "none", snow: str = "none",
                    sun_elevation_deg: float = 45.0, road_state: str | None = None,
                    temperature_c: float | None = None, wind_mps: float = 0.0) -> SensorWeather:
        """Weather from severity names, e.g. ``from_levels(fog="dense", rain="heavy")``: each
        level's representative value (see the module docstring). ``road_state`` defaults to
        ``"snow"`` with snow, else ``"wet"`` with rain, else ``"dry"``."""
        visibility = FOG_LADDER.value_of(fog)
        rain_mm_h = RAIN_LADDER.value_of(rain)
        snow_mm_h = SNOW_LADDER.value_of(snow)
        if road_state is None:
            road_state = "snow" if snow_mm_h > 0 else "wet" if rain_mm_h > 0 else "dry"
        return cls(visibility_m=visibility, rain_mm_h=rain_mm_h, snow_mm_h=snow_mm_h,
                   sun_elevation_deg=sun_elevation_deg, road_state=road_state,
                   temperature_c=temperature_c, wind_mps=wind_mps)

    @classmethod
    def from_scene(cls, row: Mapping[str, Any]) -> SensorWeather:
        """Weather of one row of the driving ``scenes`` table (or any mapping with its columns:
        ``visibility_m``, ``rain_mm_h``, ``snow_mm_h``, ``sun_elevation_deg``, ``road_state``;
        optional ``temperature_c``, ``wind_mps``).

        The scenes' ``visibility_m`` is the *effective* MOR (fog, rain and snow together;
        :data:`CLEAR_VISIBILITY_M` or more = clear air), so the air's own MOR is recovered by
        subtracting the rain and snow extinctions: β_air = β_eff − β_rain − β_snow (clipped at
        0). Without ``temperature_c`` the snow is taken as dry, as the driving domain does for a
        missing temperature.
        """
        rain_mm_h = _rate(row.get("rain_mm_h", 0.0), "rain_mm_h")
        snow_mm_h = _rate(row.get("snow_mm_h", 0.0), "snow_mm_h")
        temperature = row.get("temperature_c")
        effective = _positive_visibility(row.get("visibility_m", math.inf))
        if effective >= CLEAR_VISIBILITY_M:
            effective = math.inf
        beta_air = (float(extinction_per_m(effective)) - float(rain_extinction_per_m(rain_mm_h))
                    - float(snow_extinction_per_m(snow_mm_h, temperature)))
        # rounding of the subtraction must not turn clear air into a faint fog
        tolerance = 1e-9 * max(float(extinction_per_m(effective)), 1e-300)
        air = KOSCHMIEDER_CONSTANT / beta_air if beta_air > tolerance else math.inf
        return cls(visibility_m=air, rain_mm_h=rain_mm_h, snow_mm_h=snow_mm_h,
                   sun_elevation_deg=row.get("sun_elevation_deg", 45.0),
                   road_state=str(row.get("road_state", "dry")),
                   temperature_c=temperature, wind_mps=row.get("wind_mps", 0.0))

    def as_label(self) -> dict[str, Any]:
        """Plain values for a frame's labels: the physical quantities, the extinction and the
        severity of each effect."""
        return {"visibility_m": self.visibility_m, "rain_mm_h": self.rain_mm_h,
                "snow_mm_h": self.snow_mm_h, "sun_elevation_deg": self.sun_elevation_deg,
                "road_state": self.road_state, "beta_per_m": self.beta_per_m,
                "effective_visibility_m": self.effective_visibility_m,
                **{f"{k}_level": v for k, v in self.levels.items()}}

