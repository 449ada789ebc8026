"""Tyre–road friction from the weather, and what it means for braking.

The figure that matters for emergency braking is the *peak* coefficient of road adhesion μ (the
maximum of the longitudinal force / normal load curve, which ABS keeps the tyre near). Values per
surface are the averages tabulated by J.Y. Wong, *Theory of Ground Vehicles* (Wiley; table
"Average values of coefficient of road adhesion", Table 1.3 in the 3rd/4th editions):

=====================  ==========  =====================================================
surface (Wong)          peak μ      used here
=====================  ==========  =====================================================
asphalt/concrete, dry   0.8–0.9     ``dry``  0.85 (middle of the range)
asphalt, wet            0.5–0.7     ``wet``  0.60 (middle); heavy rain 0.50 (bottom)
snow, hard-packed       0.2         ``snow`` 0.20
ice                     0.1         ``ice``  0.10
=====================  ==========  =====================================================

:func:`friction` then lets the precipitation and temperature of the run degrade the declared
surface with a few documented, monotone rules (μ never rises with more rain or snow, and never
falls with a warmer temperature); see its docstring.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from simengine.weather.state import ROAD_STATES, WeatherState

__all__ = [
    "FREEZING_POINT_C",
    "G_MPS2",
    "HEAVY_RAIN_MM_H",
    "MU_PEAK",
    "MU_WET_HEAVY_RAIN",
    "SNOW_COVER_MM_H",
    "WETTING_RAIN_MM_H",
    "friction",
    "friction_of",
    "max_decel_mps2",
    "stopping_distance_m",
]

ArrayLike = npt.ArrayLike

G_MPS2 = 9.80665
"""Standard acceleration of gravity (m/s²), 3rd CGPM (1901); ISO 80000-3."""

MU_PEAK: dict[str, float] = {
    "dry": 0.85,  # Wong, Theory of Ground Vehicles: dry asphalt/concrete peak 0.8–0.9
    "wet": 0.60,  # Wong: wet asphalt peak 0.5–0.7
    "snow": 0.20,  # Wong: hard-packed snow peak 0.2
    "ice": 0.10,  # Wong: ice peak 0.1
}
"""Peak tyre–road friction coefficient per road state (dimensionless)."""

MU_WET_HEAVY_RAIN = 0.50
"""Peak μ of a road under heavy rain: the bottom of Wong's wet-asphalt range (0.5–0.7), standing
in for the thicker water film and the onset of aquaplaning risk. Project choice of where in the
cited range to sit."""

WETTING_RAIN_MM_H = 0.5
"""Rain rate (mm/h) from which a road declared dry is treated as wet. Project choice: a rate that
keeps a road surface continuously wet, well inside the AMS Glossary's "light rain" (≤ 2.5 mm/h)."""

HEAVY_RAIN_MM_H = 7.6
"""Rain rate (mm/h) from which rain is "heavy": AMS Glossary of Meteorology, *rain* (light
≤ 2.5, moderate 2.6–7.6, heavy > 7.6 mm/h)."""

SNOW_COVER_MM_H = 0.5
"""Snowfall rate (mm/h liquid-water equivalent, about 5 mm/h of fresh snow) from which a road
at or below freezing is treated as snow-covered. Project choice, mirroring the wetting rule."""

FREEZING_POINT_C = 0.0
"""Air temperature (°C) at or below which water on the road is taken to freeze and snowfall to
settle. Project choice: the freezing point of water, using air for road-surface temperature."""

_MU_BY_CODE = np.array([MU_PEAK[name] for name in ROAD_STATES], dtype=np.float64)


def friction(road_codes: ArrayLike, rain_mm_h: ArrayLike = 0.0, temperature_c: ArrayLike = 15.0,
             *, snow_mm_h: ArrayLike = 0.0) -> np.ndarray:
    """Peak tyre–road friction coefficient μ per run (dimensionless, broadcast over inputs).

    Starts from :data:`MU_PEAK` of the declared road state (int8 codes into ``ROAD_STATES``) and
    applies, each rule only ever lowering μ:

    1. rain ≥ :data:`WETTING_RAIN_MM_H` (0.5 mm/h) makes the surface at least wet (μ ≤ 0.60);
    2. rain ≥ :data:`HEAVY_RAIN_MM_H` (7.6 mm/h, "heavy") lowers it to μ ≤ 0.50 (water film);
    3. snowfall ≥ :data:`SNOW_COVER_MM_H` (0.5 mm/h w.e.) at temperature ≤ 0 °C covers the road
       with snow (μ ≤ 0.20);
    4. a wet surface (declared wet, or wetted by rule 1) at temperature ≤ 0 °C freezes to ice
       (μ = 0.10: black ice, freezing rain).

    A declared snow or ice surface is kept as it is when warmer (melting is a process for the
    maintenance domain, not a per-run rule). The result is non-increasing in rain and snow and
    non-decreasing in temperature.
    """
    codes = np.asarray(road_codes)
    if codes.size and (codes.min() < 0 or codes.max() >= len(ROAD_STATES)):
        raise ValueError(f"road codes must lie in 0..{len(ROAD_STATES) - 1}")
    rain = np.asarray(rain_mm_h, dtype=np.float64)
    snow = np.asarray(snow_mm_h, dtype=np.float64)
    temp = np.asarray(temperature_c, dtype=np.float64)
    codes, rain, snow, temp = np.broadcast_arrays(codes, rain, snow, temp)

    mu = _MU_BY_CODE[codes.astype(np.intp)]
    rained_on = rain >= WETTING_RAIN_MM_H
    mu = np.where(rained_on, np.minimum(mu, MU_PEAK["wet"]), mu)
    mu = np.where(rain >= HEAVY_RAIN_MM_H, np.minimum(mu, MU_WET_HEAVY_RAIN), mu)
    freezing = temp <= FREEZING_POINT_C
    mu = np.where(freezing & (snow >= SNOW_COVER_MM_H), np.minimum(mu, MU_PEAK["snow"]), mu)
    wet = rained_on | (codes == ROAD_STATES.index("wet"))
    mu = np.where(freezing & wet, np.minimum(mu, MU_PEAK["ice"]), mu)
    return np.asarray(mu, dtype=np.float64)


def friction_of(state: WeatherState) -> np.ndarray:
    """:func:`friction` for every run of a :class:`WeatherState`."""
    return friction(state.road, state.rain_mm_h, state.temperature_c, snow_mm_h=state.snow_mm_h)


def max_decel_mps2(mu: ArrayLike) -> np.ndarray:
    """Largest braking deceleration the road allows (m/s², positive): a = μ·g on level ground
    (friction-circle limit, all of the grip used longitudinally)."""
    return np.asarray(mu, dtype=np.float64) * G_MPS2


def stopping_distance_m(speed_mps: ArrayLike, reaction_s: ArrayLike, mu: ArrayLike) -> np.ndarray:
    """Distance (m) to stop from ``speed_mps``: travel during the reaction time at constant speed,
    then constant deceleration μ·g, d = v·t_r + v² / (2·μ·g) (the standard kinematic stopping-sight
    model, e.g. AASHTO *A Policy on Geometric Design of Highways and Streets*, "stopping sight
    distance", with deceleration μ·g). ``inf`` where μ ≤ 0 and the speed is positive."""
    v = np.asarray(speed_mps, dtype=np.float64)
    t = np.asarray(reaction_s, dtype=np.float64)
    decel = max_decel_mps2(mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        braking = np.where(v == 0.0, 0.0, v * v / (2.0 * decel))
        braking = np.where((decel <= 0.0) & (v != 0.0), np.inf, braking)
    return v * t + braking
