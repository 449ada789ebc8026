"""Low light: how much light the scene gets as the sun sets, what the camera does about it
(more gain, then a darker picture), and the sensor noise that the gain brings.

The rendered frame stands for a correctly exposed daylight picture at the sensor's base gain.
Three quantities follow from the sun's elevation:

* **Sky illuminance** E_sky (lux on a horizontal surface), interpolated log-linearly in elevation
  between standard reference values (the common photometry tables, e.g. P. Schlyter,
  "Radiometry and photometry in astronomy": moonless clear night sky with airglow 0.002 lx; dark
  limit of civil twilight (sun at −6°) 3.4 lx; sunrise or sunset on a clear day 400 lx; direct
  sunlight up to ~100 klx). Above the horizon the interpolation towards 100 klx at the zenith is
  only a coarse stand-in; nothing here depends on daylight values beyond 400 lx.
* **Sensor gain** g = clip(E_ref / E_sky, 1, g_max): auto-exposure holds the picture's
  brightness by raising the gain as the light falls below the reference illuminance E_ref
  (400 lx, sunset), up to g_max.
* **Illumination factor** k(x) = min(1, (E_sky + E_headlights(x)) / E_full) per pixel, where
  E_full = E_ref / g_max is the lowest illuminance the camera still renders at full brightness
  (the "minimum illumination" of a camera data sheet). Headlights add I / d² lux at depth d
  (a point source of luminous intensity I, inverse-square law). k = 1 in daylight and twilight
  down to E_full; at night only what the headlights reach stays bright.

**Noise** follows the photon-transfer model of EMVA 1288: a pixel of linear value y collects
y·Q/g electrons (Q the full-well charge at base gain), with Poisson shot noise and Gaussian read
noise σ_e electrons, so its variance is y·g/Q + (σ_e·g/Q)². The rendered frame already stands
for the base-gain picture, so only the *excess* over gain 1 is added: a scaled Poisson variable
(g−1)/Q · Poisson(y·Q/(g−1)) (mean y, shot variance y·(g−1)/Q) plus Gaussian read noise of
variance (σ_e/Q)²·(g²−1). It vanishes continuously as g → 1 and grows as the light falls.
Shot noise is exact Poisson for dark values and a skewness-corrected normal approximation for
brighter ones (:data:`EXACT_POISSON_BELOW_E`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simengine.weather.sensor_weather import SensorWeatherError

__all__ = [
    "DEFAULT_HFOV_DEG",
    "EXACT_POISSON_BELOW_E",
    "SKY_ILLUMINANCE_LUX",
    "CameraModel",
    "add_sensor_noise",
    "illumination_factor",
    "sensor_gain",
    "sky_illuminance_lux",
]

SKY_ILLUMINANCE_LUX: tuple[tuple[float, float], ...] = (
    (-18.0, 0.002),   # end of astronomical twilight: moonless clear night sky with airglow
    (-6.0, 3.4),      # end of civil twilight, clear sky
    (0.0, 400.0),     # sunrise / sunset, clear day
    (90.0, 1.0e5),    # direct sunlight, upper end (coarse stand-in above the horizon)
)
"""(sun elevation in degrees, horizontal illuminance in lux); log-linear in between, constant
outside."""

DEFAULT_HFOV_DEG = 60.0
"""Horizontal field of view assumed when the focal length is not given (a typical dash camera;
project choice)."""


@dataclass(frozen=True)
class CameraModel:
    """The few camera facts the weather effects need. Defaults are project choices for a
    typical automotive camera; renderers pass the focal length of their intrinsics.

    * ``focal_px`` — focal length in pixels; ``None`` = from the image width and
      :data:`DEFAULT_HFOV_DEG`;
    * ``exposure_s`` — shutter time (sets rain streak length; 10 ms, a flicker-safe daylight
      exposure);
    * ``height_m`` — camera height above the road (sets the viewing angle of wet road
      reflections; 1.4 m, a windscreen mount);
    * ``full_well_e`` — full-well charge at base gain (10,000 e⁻), ``read_noise_e`` — read noise
      (2 e⁻ rms), typical of current automotive CMOS sensors;
    * ``reference_lux`` — illuminance at and above which the base gain suffices (400 lx,
      sunset); ``max_gain`` — the most gain auto-exposure applies (40, i.e. 32 dB), so full
      brightness holds down to 10 lx;
    * ``headlight_cd`` — luminous intensity of the ego's headlights toward the scene (10,000 cd,
      the order of a low beam below the cut-off; with it 2 lx reach 70 m, the low-beam seeing
      distance of :data:`simengine.weather.visibility.LOW_BEAM_RANGE_M`); 0 = off.

    Raises :class:`~simengine.weather.sensor_weather.SensorWeatherError` for values out of range.
    """

    focal_px: float | None = None
    exposure_s: float = 0.01
    height_m: float = 1.4
    full_well_e: float = 10_000.0
    read_noise_e: float = 2.0
    reference_lux: float = 400.0
    max_gain: float = 40.0
    headlight_cd: float = 10_000.0

    def __post_init__(self) -> None:
        positive = {"exposure_s": self.exposure_s, "height_m": self.height_m,
                    "full_well_e": self.full_well_e, "reference_lux": self.reference_lux}
        if self.focal_px is not None:
            positive["focal_px"] = self.focal_px
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0.0):
                raise SensorWeatherError(f"must be a finite number > 0, got {value!r}",
                                         field=f"camera.{name}")
        if not (math.isfinite(self.max_gain) and self.max_gain >= 1.0):
            raise SensorWeatherError(f"must be >= 1, got {self.max_gain!r}",
                                     field="camera.max_gain")
        for name in ("read_noise_e", "headlight_cd"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise SensorWeatherError(f"must be a finite number >= 0, got {value!r}",
                                         field=f"camera.{name}")

    @property
    def full_brightness_lux(self) -> float:
        """E_full = reference_lux / max_gain: the least light rendered at full brightness."""
        return self.reference_lux / self.max_gain

    def focal_length_px(self, width_px: int) -> float:
        """``focal_px``, or the focal length of a :data:`DEFAULT_HFOV_DEG` lens on this width."""
        if self.focal_px is not None:
            return float(self.focal_px)
        return width_px / (2.0 * math.tan(math.radians(DEFAULT_HFOV_DEG) / 2.0))


_ELEV = np.array([e for e, _ in SKY_ILLUMINANCE_LUX])
_LOG_LUX = np.log10([lux for _, lux in SKY_ILLUMINANCE_LUX])


def sky_illuminance_lux(sun_elevation_deg: npt.ArrayLike) -> np.ndarray:
    """Horizontal illuminance (lux) from the sky at a sun elevation (degrees), log-linear
    between the points of :data:`SKY_ILLUMINANCE_LUX`; non-decreasing in elevation."""
    elev = np.asarray(sun_elevation_deg, dtype=np.float64)
    return np.power(10.0, np.interp(elev, _ELEV, _LOG_LUX))


def sensor_gain(sun_elevation_deg: float, camera: CameraModel) -> float:
    """Gain auto-exposure applies: clip(E_ref / E_sky, 1, max_gain); 1 with the sun up."""
    e_sky = float(sky_illuminance_lux(sun_elevation_deg))
    return float(np.clip(camera.reference_lux / e_sky, 1.0, camera.max_gain))


def illumination_factor(sun_elevation_deg: float, depth_m: np.ndarray | float,
                        camera: CameraModel) -> np.ndarray:
    """k = min(1, (E_sky + I_headlight / d²) / E_full) per pixel (float32, shape of
    ``depth_m``): the brightness a pixel keeps relative to the daylight render. Depth is clamped
    at 1 m for the inverse-square term; sky (``inf``) gets no headlight light."""
    e_sky = float(sky_illuminance_lux(sun_elevation_deg))
    e_full = camera.full_brightness_lux
    depth = np.asarray(depth_m, dtype=np.float32)
    if e_sky >= e_full:
        return np.ones(depth.shape, dtype=np.float32)
    d = np.maximum(depth, np.float32(1.0))
    lux = np.float32(camera.headlight_cd) / (d * d) + np.float32(e_sky)
    return np.minimum(lux * np.float32(1.0 / e_full), np.float32(1.0))


EXACT_POISSON_BELOW_E = 10.0
"""Shot noise is drawn exactly (Poisson, by inverse CDF) below this many expected electrons; above,
shot and read noise together come from one standard normal through the Cornish–Fisher expansion
to the skewness term (exact mean, variance within 0.06 e², the Poisson skewness kept), which is
several times cheaper than exact Poisson draws for bright pixels."""


def add_sensor_noise(linear: np.ndarray, gain: float, camera: CameraModel,
                     rng: np.random.Generator) -> np.ndarray:
    """The frame (linear light in [0, 1], float32, C-contiguous) with the excess shot and read
    noise of ``gain`` over the base gain (see the module docstring), clipped to [0, 1]; done in
    place. With E = Q/(g − 1) electrons per unit, a value y gets y' = (n + σ·z)/E where
    n ~ Poisson(y·E) (variance y·(g − 1)/Q) and σ = σ_e·E·√(g² − 1)/Q (variance
    (σ_e/Q)²·(g² − 1)); see :data:`EXACT_POISSON_BELOW_E`.

    Draws one standard normal per value (float32, C order), then one uniform per value below
    :data:`EXACT_POISSON_BELOW_E` electrons. Returns ``linear`` unchanged (and draws nothing)
    when gain ≤ 1."""
    if gain <= 1.0:
        return linear
    from simengine.weather._image_kernels import sensor_noise

    electrons_per_unit = camera.full_well_e / (gain - 1.0)
    read_sigma_e = (camera.read_noise_e / camera.full_well_e * math.sqrt(gain * gain - 1.0)
                    * electrons_per_unit)
    normals = rng.standard_normal(linear.shape, dtype=np.float32)
    exact_below = np.float32(EXACT_POISSON_BELOW_E / electrons_per_unit)
    uniforms = rng.random(int(np.count_nonzero(linear < exact_below)))
    sensor_noise(linear, electrons_per_unit, read_sigma_e, exact_below, normals, uniforms)
    return linear
