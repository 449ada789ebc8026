"""Weather on lidar returns: extinction and dropout, false near returns from backscatter, and
range noise in precipitation.

**Extinction.** The received power of a return follows the lidar equation for an extended
target, P ∝ ρ·exp(−2·β·r)/r² (two-way attenuation through an atmosphere of extinction β;
Rasshofer, Spies & Spies 2011, "Influences of weather phenomena on automotive laser radar
systems", *Adv. Radio Sci.* 9, 49). Powers are normalised to the detection threshold so that a
clear-air target of intensity (reflectivity) 1 is detected exactly up to ``max_range_m``:
P = ρ·exp(−2·β·r)·(R_max / r)², detected while P ≥ 1. The largest detection range of a target is
then r = W(β·R_max·√ρ)/β (W the Lambert W function; :func:`lidar_detection_range_m`).

The renderer's hits are taken as detected in clear air, so in clear weather nothing changes; in
weather a hit is *dropped* when its power falls below the threshold. (A hit the model would not
detect even in clear air — weak and far — counts as sitting at the threshold, so any extinction
drops it.) Kept returns report their intensity times the two-way transmission exp(−2·β·r).

β at the lidar's wavelength (905 nm by default) is the air's, scaled from the visible by Kim,
McArthur & Korevaar (2001) (SPIE 4214, 26): β(λ) = β(550 nm)·(λ / 550 nm)^−q with q = 1.6 above
50 km visibility, 1.3 for 6–50 km, 0.16·V + 0.34 for 1–6 km, V − 0.5 for 0.5–1 km and 0 below
0.5 km (V in km, their 2 % threshold visibility, V = 1.306·MOR); plus the rain and snow
extinctions of :mod:`~simengine.weather.visibility` unchanged (drops and flakes are far larger
than the wavelength, so their extinction does not depend on it; the rain fit is to ITU-R
P.1817-1, which is written for near-infrared optical links).

**Spurious near returns.** Fog droplets, rain drops and flakes near the sensor scatter the pulse
back; close in, that backscatter can cross the detection threshold and the lidar reports a false
near return (Rasshofer et al. 2011; fog-chamber tests such as Bijelic et al. 2018, "A benchmark
for lidar sensors in fog", IEEE IV, show the clutter within a few metres). Model: along a beam,
false triggers arrive as a Poisson process in range with rate λ(r) = η·β·(r_ref / r)² per metre
(the 1/r² fall-off of backscattered power, the extinction over these few metres neglected) for
``min_range_m`` ≤ r ≤ :data:`SPURIOUS_MAX_RANGE_M`. The first trigger, if it comes before the
beam's real return, *is* the return: it replaces a miss or occludes the (farther) real hit. The
probability per beam is therefore 1 − exp(−Λ(r_end)), Λ(r) = η·β·r_ref²·(1/r_min − 1/r), with
r_end the nearer of the real return and :data:`SPURIOUS_MAX_RANGE_M` — growing with β, hence
with fog, rain and snow — and the range of a false return is that first arrival:
P(r_s ≤ r) = (1 − exp(−Λ(r))) / (1 − exp(−Λ(r_end))) on [min_range_m, r_end], close to the
1/r² density itself when Λ is small, pulled nearer in dense fog. It is drawn by inversion from
one standard exponential E per beam: r_s = 1 / (1/r_min − E/(η·β·r_ref²)) when E < Λ(r_end).
η is a project choice (:data:`SPURIOUS_RATE_COEFF`): with it a 50 m-MOR
fog puts a false return on about a quarter of the beams. A false return's intensity is the
weakest the lidar detects at its range, (r / max_range_m)².

**Range noise.** Precipitation adds Gaussian range noise of standard deviation
:data:`RANGE_NOISE_M_PER_SQRT_MM_H`·√(rain + snow rate) (project choice: centimetres in heavy rain,
the order Filgueira et al. 2017, "Quantifying the influence of rain in LiDAR performance",
*Measurement* 95, 143, report), clipped to [min_range_m, max_range_m].

**Randomness.** Clear weather (β = 0 and no precipitation) returns copies of the inputs and
draws nothing. Otherwise exactly N standard exponentials (false triggers), then N standard
normals if there is precipitation, are drawn from ``rng`` for N beams, whatever the data — the
same generator state gives the same outputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simengine.weather.sensor_weather import SensorWeather, SensorWeatherError
from simengine.weather.visibility import KOSCHMIEDER_CONSTANT, extinction_per_m

__all__ = [
    "LIDAR_WAVELENGTH_NM",
    "RANGE_NOISE_M_PER_SQRT_MM_H",
    "SPURIOUS_MAX_RANGE_M",
    "SPURIOUS_RATE_COEFF",
    "SPURIOUS_REFERENCE_RANGE_M",
    "LidarWeather",
    "apply_lidar_weather",
    "kim_wavelength_exponent",
    "lidar_detection_range_m",
    "lidar_extinction_per_m",
    "spurious_probability",
]

LIDAR_WAVELENGTH_NM = 905.0
"""Wavelength of the usual automotive pulsed lidar (nm)."""

SPURIOUS_MAX_RANGE_M = 10.0
"""False near returns lie within this range (m) of the sensor (project choice)."""

SPURIOUS_REFERENCE_RANGE_M = 1.0
"""r_ref of the false-trigger rate λ(r) = η·β·(r_ref / r)² (m)."""

SPURIOUS_RATE_COEFF = 2.5
"""η, false triggers per unit optical depth at r_ref (project choice: with the default 0.5 m
minimum range, P(false return) ≈ 25 % per beam at 50 m MOR, 9 % at 150 m, 1.4 % at 1 km)."""

RANGE_NOISE_M_PER_SQRT_MM_H = 0.005
"""Range noise (m) per √(mm/h) of rain plus snow (project choice; 2.2 cm at 20 mm/h)."""

_RASSHOFER_TO_2PCT = 3.912 / KOSCHMIEDER_CONSTANT  # 2 % visibility / 5 % MOR


@dataclass(frozen=True)
class LidarWeather:
    """Lidar returns after the weather (one entry per beam).

    ``range_m`` — reported range (the input's for misses that stay misses, ``inf`` where a real
    return was dropped without a false one replacing it); ``intensity`` — reported intensity
    (0 where no return); ``hit`` — a return is reported; ``dropped`` — a real return was lost
    (too weak, or occluded by a false return); ``spurious`` — the reported return is false;
    ``beta_per_m`` — the extinction used.
    """

    range_m: np.ndarray
    intensity: np.ndarray
    hit: np.ndarray
    dropped: np.ndarray
    spurious: np.ndarray
    beta_per_m: float


def kim_wavelength_exponent(visibility_m: float) -> float:
    """q of Kim et al. (2001) for a MOR (m); inf (clear air) gives the > 50 km value."""
    v_km = visibility_m * _RASSHOFER_TO_2PCT / 1000.0
    if v_km > 50.0:
        return 1.6
    if v_km > 6.0:
        return 1.3
    if v_km > 1.0:
        return 0.16 * v_km + 0.34
    if v_km > 0.5:
        return v_km - 0.5
    return 0.0


def lidar_extinction_per_m(weather: SensorWeather, *,
                           wavelength_nm: float = LIDAR_WAVELENGTH_NM) -> float:
    """Extinction (1/m) at the lidar's wavelength: the air's, scaled by (λ/550)^−q (Kim et al.
    2001), plus the rain's and the snow's (wavelength-independent)."""
    if not wavelength_nm > 0.0:
        raise SensorWeatherError(f"must be > 0, got {wavelength_nm!r}", field="wavelength_nm")
    air = float(extinction_per_m(weather.visibility_m))
    if air > 0.0:
        air *= (wavelength_nm / 550.0) ** -kim_wavelength_exponent(weather.visibility_m)
    return air + weather.rain_extinction_per_m + weather.snow_extinction_per_m


def lidar_detection_range_m(intensity: npt.ArrayLike, beta_per_m: float, *,
                            max_range_m: float) -> np.ndarray:
    """Largest range (m) at which a target of ``intensity`` is detected: the r with
    ρ·exp(−2βr)·(R_max/r)² = 1, i.e. R_max·√ρ in clear air and W(β·R_max·√ρ)/β with extinction
    (Lambert W, principal branch)."""
    rho = np.clip(np.asarray(intensity, dtype=np.float64), 0.0, None)
    clear = max_range_m * np.sqrt(rho)
    if beta_per_m <= 0.0:
        return clear
    from scipy.special import lambertw

    return np.real(lambertw(beta_per_m * clear)) / beta_per_m


def spurious_probability(beta_per_m: float, *, min_range_m: float = 0.5,
                         end_range_m: float = SPURIOUS_MAX_RANGE_M) -> float:
    """P(a beam gets a false return before ``end_range_m``) = 1 − exp(−η·β·r_ref²·(1/r_min −
    1/r_end)); 0 without extinction or when r_end ≤ r_min."""
    if beta_per_m <= 0.0 or end_range_m <= min_range_m:
        return 0.0
    depth = (SPURIOUS_RATE_COEFF * beta_per_m * SPURIOUS_REFERENCE_RANGE_M ** 2
             * (1.0 / min_range_m - 1.0 / end_range_m))
    return 1.0 - math.exp(-depth)


def _check(range_m: np.ndarray, hit: np.ndarray, intensity: np.ndarray, max_range_m: float,
           min_range_m: float) -> None:
    n = range_m.shape
    if range_m.ndim != 1 or hit.shape != n or intensity.shape != n:
        raise SensorWeatherError(f"range_m, hit and intensity must be 1-D arrays of one length; "
                                 f"got shapes {range_m.shape}, {hit.shape}, {intensity.shape}",
                                 field="lidar")
    if not (math.isfinite(max_range_m) and 0.0 <= min_range_m < max_range_m):
        raise SensorWeatherError(f"need 0 <= min_range_m < max_range_m < inf; got "
                                 f"{min_range_m!r} and {max_range_m!r}", field="lidar")
    r = range_m[hit]
    if r.size and (np.isnan(r).any() or (r < 0).any()):
        raise SensorWeatherError("hit ranges must be >= 0 m", field="range_m")
    i = intensity[hit]
    if i.size and (np.isnan(i).any() or (i < 0).any() or (i > 1).any()):
        raise SensorWeatherError("intensity of hits must lie in [0, 1]", field="intensity")


def apply_lidar_weather(range_m: npt.ArrayLike, hit: npt.ArrayLike, intensity: npt.ArrayLike,
                        weather: SensorWeather, rng: np.random.Generator, *,
                        max_range_m: float, min_range_m: float = 0.5,
                        wavelength_nm: float = LIDAR_WAVELENGTH_NM) -> LidarWeather:
    """The returns of N beams (``range_m``, ``hit``, ``intensity`` in [0, 1], as rendered in
    clear air) as the lidar reports them in ``weather``. See the module docstring for the model
    (extinction and dropout, false near returns, range noise) and the draws from ``rng``."""
    r_in = np.asarray(range_m, dtype=np.float64)
    hit_in = np.asarray(hit, dtype=bool)
    i_in = np.asarray(intensity, dtype=np.float64)
    _check(r_in, hit_in, i_in, float(max_range_m), float(min_range_m))
    beta = lidar_extinction_per_m(weather, wavelength_nm=wavelength_nm)
    n = r_in.shape[0]
    if beta == 0.0 and weather.precipitation_mm_h == 0.0:
        return LidarWeather(r_in.copy(), i_in.copy(), hit_in.copy(), np.zeros(n, bool),
                            np.zeros(n, bool), 0.0)

    # extinction: two-way transmission and the detection threshold
    r_hit = np.where(hit_in, r_in, np.inf)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        two_way = np.exp(-2.0 * beta * np.where(hit_in, r_in, 0.0))
        power = i_in * two_way * (max_range_m / np.where(hit_in, r_in, 1.0)) ** 2
    power = np.nan_to_num(power, nan=np.inf)  # a hit at 0 m (inside a body) is always kept
    kept = hit_in & (power >= 1.0)

    # false near returns: first trigger of the 1/r² Poisson process, if before the real return
    r_min = float(min_range_m)
    end = np.minimum(np.where(kept, r_hit, np.inf), SPURIOUS_MAX_RANGE_M)
    scale = SPURIOUS_RATE_COEFF * beta * SPURIOUS_REFERENCE_RANGE_M ** 2
    draws = rng.standard_exponential(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / r_min - draws / scale if scale > 0.0 else np.full(n, -1.0)
        r_false = np.where(inv > 0.0, 1.0 / inv, np.inf)
    spurious = r_false < end

    out_range = np.where(hit_in, np.inf, r_in)
    out_range = np.where(kept, r_in, out_range)
    out_intensity = np.where(kept, i_in * two_way, 0.0)
    if weather.precipitation_mm_h > 0.0:
        sigma = RANGE_NOISE_M_PER_SQRT_MM_H * math.sqrt(weather.precipitation_mm_h)
        noise = rng.standard_normal(n) * sigma
        out_range = np.where(kept, np.clip(r_in + noise, r_min, max_range_m), out_range)
    out_range = np.where(spurious, r_false, out_range)
    out_intensity = np.where(spurious, (np.where(spurious, r_false, 0.0) / max_range_m) ** 2,
                             out_intensity)
    dropped = hit_in & (~kept | spurious)
    return LidarWeather(out_range, out_intensity, kept | spurious, dropped, spurious, beta)
