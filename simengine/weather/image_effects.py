"""Weather on camera images, from rendered metric depth, in physical units.

:func:`apply_weather` turns a clear-weather RGB frame and its depth map into the frame a camera
would record in :class:`~simengine.weather.sensor_weather.SensorWeather`. All compositing happens
in linear light (8-bit sRGB is decoded with the IEC 61966-2-1 transfer function, composited, and
encoded again), in this order:

1. **Low light** (:mod:`~simengine.weather.low_light`): below the sun-set reference the camera
   raises its gain; once out of gain the picture darkens except where the headlights reach.
2. **Road surface** on ``road_mask`` pixels: a wet road (``road_state`` wet or ice, or any rain)
   keeps :data:`WET_ROAD_DARKENING` of its diffuse light (water fills the pores and traps light
   by total internal reflection; Lekner & Dorf 1988, "Why some things are darker when wet",
   *Appl. Opt.* 27, 1278 — the factor is a project choice) and a water film over
   :func:`wet_film_fraction` of it mirrors the horizon sky with the Fresnel reflectance of water
   at the viewing angle (grazing far away, so distant wet road shines); a snow-covered road
   (``road_state`` snow) is covered to :data:`SNOW_COVER_FRACTION` by snow of albedo
   :data:`SNOW_ALBEDO`.
3. **Fog** — Koschmieder: I = J·t + A·(1 − t), t = exp(−β·d), with β the total extinction of
   air, rain and snow (:attr:`SensorWeather.beta_per_m`); sky (depth ``inf``) gets t = 0, i.e.
   the airlight A, whenever β > 0.
4. **Rain and snow particles** (:mod:`~simengine.weather.precipitation`): streaks of drops and
   flakes whose number, size and length follow from the rate, drawn from ``rng``, hidden behind
   nearer surfaces and themselves seen through the fog in front of them. A drop refracts light
   from a wide cone of its surroundings, so it shows roughly the scene's mean radiance (Garg &
   Nayar 2004, "Photometric model of a rain drop"); a flake is a white diffuse scatterer
   (albedo :data:`SNOW_ALBEDO`) lit like the scene at its depth (headlights at night).
5. **Sensor noise** from the gain (shot + read noise, :func:`low_light.add_sensor_noise`).

Draws from ``rng`` in a fixed order (rain, snow, noise), so the same inputs and generator state
give byte-identical frames. Clear daylight (no extinction, no precipitation, sun at or above the
horizon, no road effect) returns the input bytes unchanged and draws nothing.

Contrast labels: :func:`apparent_contrast` and :func:`object_visible` apply Koschmieder's law to
an object's intrinsic contrast (:func:`intrinsic_contrast`) — visible while C0·exp(−β·d) ≥ 5 %,
the threshold that defines the MOR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from simengine.weather.low_light import (
    CameraModel,
    add_sensor_noise,
    illumination_factor,
    sensor_gain,
    sky_illuminance_lux,
)
from simengine.weather.precipitation import RAIN, SNOW, ParticleKind, sample_particles
from simengine.weather.sensor_weather import SensorWeather, SensorWeatherError
from simengine.weather.visibility import MOR_CONTRAST_THRESHOLD, extinction_per_m

__all__ = [
    "DAYLIGHT_AIRLIGHT",
    "MAX_INTRINSIC_CONTRAST",
    "SNOW_ALBEDO",
    "SNOW_COVER_FRACTION",
    "WATER_REFRACTIVE_INDEX",
    "WET_ROAD_DARKENING",
    "WeatheredImage",
    "apparent_contrast",
    "apply_weather",
    "default_airlight",
    "fresnel_reflectance",
    "intrinsic_contrast",
    "linear_to_srgb",
    "object_labels",
    "object_visible",
    "srgb_to_linear",
    "transmission_map",
    "weather_image",
    "wet_film_fraction",
]

DAYLIGHT_AIRLIGHT = 0.7
"""Airlight A (linear, 0..1) of fog in daylight: the horizon sky of a foggy day, exposed as a
light grey (sRGB ≈ 218). Project choice; pass ``airlight=`` to override."""

WET_ROAD_DARKENING = 0.6
"""Fraction of its dry diffuse light a wet road keeps (project choice, see the module doc)."""

WATER_REFRACTIVE_INDEX = 1.333
"""Refractive index of water in the visible, for the Fresnel reflectance of the film."""

SNOW_COVER_FRACTION = 0.85
"""Fraction of a snow-state road hidden under snow (project choice: tyre tracks show through)."""

SNOW_ALBEDO = 0.8
"""Diffuse reflectance of fresh snow (0.8–0.9 for new snow is the usual range; project choice
at its lower end so that lit snow does not clip)."""

MAX_INTRINSIC_CONTRAST = 100.0
"""Upper clip of :func:`intrinsic_contrast` (a lamp against a dark sky); keeps labels finite."""

_NOISE_FREE_GAIN = 1.0
_MEAN_STRIDE = 8  # the drop colour is the mean of every 8th row and column


@dataclass(frozen=True)
class WeatheredImage:
    """The frame a camera records in the weather, and what made it so.

    * ``image`` — (H, W, 3) uint8 sRGB;
    * ``transmission`` — (H, W) float32, exactly exp(−β·depth) (1 everywhere when β = 0);
    * ``beta_per_m`` — the extinction used (air + rain + snow);
    * ``airlight`` — A, linear 0..1;
    * ``particle_alpha`` — (H, W) float32 coverage of rain and snow particles (0 where none);
    * ``sensor_gain`` — the gain the camera ran at (1 in daylight).
    """

    image: np.ndarray
    transmission: np.ndarray
    beta_per_m: float
    airlight: float
    particle_alpha: np.ndarray
    sensor_gain: float


# -- sRGB -----------------------------------------------------------------------------------
def srgb_to_linear(srgb: npt.ArrayLike) -> np.ndarray:
    """IEC 61966-2-1 decoding of sRGB values in [0, 1] to linear light."""
    v = np.asarray(srgb, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: npt.ArrayLike) -> np.ndarray:
    """IEC 61966-2-1 encoding of linear light in [0, 1] to sRGB values in [0, 1]."""
    v = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


@cache
def _decode_lut() -> np.ndarray:
    """8-bit code → linear float32."""
    return srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)


@cache
def _encode_lut() -> np.ndarray:
    """Linear value quantised to 1/65535 → nearest 8-bit code. The step is 1/20 of the
    narrowest code (near black), so decoding and encoding an unchanged pixel gives it back."""
    return np.rint(linear_to_srgb(np.arange(65536) / 65535.0) * 255.0).astype(np.uint8)


# -- physics helpers ------------------------------------------------------------------------
def transmission_map(depth_m: np.ndarray, beta_per_m: float) -> np.ndarray:
    """t = exp(−β·d) per pixel as float32 (0 for sky at ``inf`` when β > 0; 1 when β = 0)."""
    depth = np.asarray(depth_m, dtype=np.float32)
    if beta_per_m <= 0.0:
        return np.ones(depth.shape, dtype=np.float32)
    return np.exp(depth * np.float32(-beta_per_m))


def fresnel_reflectance(cos_incidence: npt.ArrayLike, n: float = WATER_REFRACTIVE_INDEX
                        ) -> np.ndarray:
    """Fresnel reflectance of unpolarised light from air onto a medium of index ``n`` at
    cos(angle of incidence); 0.02 at normal incidence on water, → 1 at grazing."""
    cos_i = np.clip(np.asarray(cos_incidence, dtype=np.float64), 0.0, 1.0)
    sin_t = np.sqrt(1.0 - cos_i ** 2) / n
    cos_t = np.sqrt(1.0 - sin_t ** 2)
    rs = (cos_i - n * cos_t) / (cos_i + n * cos_t)
    rp = (cos_t - n * cos_i) / (cos_t + n * cos_i)
    return 0.5 * (rs ** 2 + rp ** 2)


@cache
def _fresnel_lut() -> np.ndarray:
    """Fresnel reflectance of water at cos(incidence) = i / 1023. The wet road's viewing angle
    is taken from the camera height and the pixel's depth: cos θ = h / max(d, h)."""
    return fresnel_reflectance(np.linspace(0.0, 1.0, 1024))


def default_airlight(sun_elevation_deg: float, camera: CameraModel | None = None) -> float:
    """Airlight from the sun's elevation: :data:`DAYLIGHT_AIRLIGHT` while the sky alone gives
    the camera full brightness, falling with the sky's illuminance below that (fog at night is
    dark; the glow of the headlights in the fog is not modelled)."""
    cam = camera or CameraModel()
    sky = float(sky_illuminance_lux(sun_elevation_deg))
    return DAYLIGHT_AIRLIGHT * min(1.0, sky / cam.full_brightness_lux)


def wet_film_fraction(rain_mm_h: float) -> float:
    """Share of a wet road under a mirror-like water film: 0.3 for a wet road, rising towards
    0.6 with the rain rate (e-folding 10 mm/h). Project choice: puddles and a continuous film
    form as the rain gets heavier."""
    return 0.3 + 0.3 * (1.0 - math.exp(-max(rain_mm_h, 0.0) / 10.0))


ROAD_NONE, ROAD_WET, ROAD_SNOW = 0, 1, 2
"""How the road pixels are drawn (codes passed to the compiled pass)."""

_ROAD_LOOK = {"dry": ROAD_NONE, "wet": ROAD_WET, "ice": ROAD_WET, "snow": ROAD_SNOW}
"""Road state → look. Ice is drawn as a wet glaze (a mirror-like film over a darkened road)."""


def _road_mode(weather: SensorWeather) -> int:
    """The road's look: its state's, and wet when it rains on a dry road."""
    look = _ROAD_LOOK[weather.road_state]
    return ROAD_WET if look == ROAD_NONE and weather.rain_mm_h > 0.0 else look


def _check_inputs(image: np.ndarray, depth_m: np.ndarray, road_mask: np.ndarray | None,
                  airlight: float | None) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
            or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise SensorWeatherError(f"must be an (H, W, 3) uint8 RGB array, got shape {shape} "
                                 f"of {dtype}", field="image")
    depth = np.asarray(depth_m)
    if depth.shape != image.shape[:2]:
        raise SensorWeatherError(f"shape {depth.shape} does not match the image's "
                                 f"{image.shape[:2]}", field="depth_m")
    if depth.dtype.kind != "f":
        depth = depth.astype(np.float32)
    depth32 = np.ascontiguousarray(depth, dtype=np.float32)
    if np.isnan(depth32).any() or (depth32 < 0).any():
        raise SensorWeatherError("must hold distances >= 0 m (inf for sky), found NaN or a "
                                 "negative value", field="depth_m")
    if road_mask is not None:
        mask = np.asarray(road_mask)
        if mask.shape != image.shape[:2] or mask.dtype != np.bool_:
            raise SensorWeatherError(f"must be a boolean array of shape {image.shape[:2]}, got "
                                     f"{mask.dtype} {mask.shape}", field="road_mask")
    if airlight is not None and not 0.0 <= float(airlight) <= 1.0:
        raise SensorWeatherError(f"must lie in [0, 1] (linear light), got {airlight!r}",
                                 field="airlight")
    return np.ascontiguousarray(image), depth32


def _splat_layer(kind: ParticleKind, rate_mm_h: float, colour: np.ndarray,
                 weather: SensorWeather, camera: CameraModel, focal_px: float,
                 depth: np.ndarray, beta: float, rng: np.random.Generator,
                 acc: np.ndarray) -> None:
    """Sample one kind of particle from ``rng`` and paint it into the accumulators ``acc``.
    Flakes are lit like the scene at their depth; drops carry the scene's mean colour."""
    from simengine.weather._image_kernels import splat

    h, w = depth.shape
    particles = sample_particles(kind, rate_mm_h, rng, width_px=w, height_px=h,
                                 focal_px=focal_px, exposure_s=camera.exposure_s,
                                 wind_mps=weather.wind_mps)
    if kind is SNOW:
        radiance = SNOW_ALBEDO * illumination_factor(weather.sun_elevation_deg,
                                                     particles.depth_m, camera)
    else:
        radiance = np.ones(len(particles))
    splat(particles.x_px, particles.y_px, particles.depth_m, particles.width_px,
          particles.length_px, particles.dir_x, particles.dir_y,
          np.asarray(radiance, dtype=np.float64), colour, depth, beta, acc)


def _scene_mean_radiance(image: np.ndarray, depth: np.ndarray, transmission: np.ndarray,
                         airlight: float, weather: SensorWeather, camera: CameraModel
                         ) -> np.ndarray:
    """Mean linear RGB of the frame after illumination and fog (every 8th row and column):
    the colour a rain drop shows."""
    sub = (slice(None, None, _MEAN_STRIDE), slice(None, None, _MEAN_STRIDE))
    t = transmission[sub][..., None]
    k = illumination_factor(weather.sun_elevation_deg, depth[sub], camera)[..., None]
    linear = _decode_lut()[image[sub]] * k * t + np.float32(airlight) * (1.0 - t)
    return linear.mean(axis=(0, 1), dtype=np.float64)


def apply_weather(image: np.ndarray, depth_m: np.ndarray, weather: SensorWeather,
                  rng: np.random.Generator, *, road_mask: np.ndarray | None = None,
                  airlight: float | None = None, camera: CameraModel | None = None
                  ) -> WeatheredImage:
    """The frame ``image`` (H, W, 3 uint8 sRGB, clear daylight) as recorded in ``weather``.

    ``depth_m`` (H, W) is the metric depth of each pixel (``inf`` or very large for sky);
    ``road_mask`` (H, W bool) marks road-surface pixels for the wet/snowy road; ``airlight``
    (linear 0..1) overrides :func:`default_airlight`; ``camera`` gives focal length, exposure
    and sensor (defaults: :class:`~simengine.weather.low_light.CameraModel`). Randomness comes
    only from ``rng``. See the module docstring for the model and the order of effects.
    """
    from simengine.weather import _image_kernels as k

    cam = camera or CameraModel()
    img, depth = _check_inputs(image, depth_m, road_mask, airlight)
    h, w = depth.shape
    beta = weather.beta_per_m
    gain = sensor_gain(weather.sun_elevation_deg, cam)
    sky_lux = float(sky_illuminance_lux(weather.sun_elevation_deg))
    lowlight = sky_lux < cam.full_brightness_lux
    a_value = float(airlight) if airlight is not None else default_airlight(
        weather.sun_elevation_deg, cam)
    road_mode = _road_mode(weather) if road_mask is not None else ROAD_NONE
    transmission = transmission_map(depth, beta)
    particle_alpha = np.zeros((h, w), dtype=np.float32)
    if (beta == 0.0 and weather.precipitation_mm_h == 0.0 and gain <= _NOISE_FREE_GAIN
            and not lowlight and road_mode == ROAD_NONE):
        return WeatheredImage(img.copy(), transmission, 0.0, a_value, particle_alpha, gain)

    airlight3 = np.full(3, a_value)
    particles = weather.precipitation_mm_h > 0.0
    if particles:
        acc = np.zeros((h, w, 5), np.float32)
        focal = cam.focal_length_px(w)
        drop_colour = _scene_mean_radiance(img, depth, transmission, a_value, weather, cam)
        for kind, rate, colour in ((RAIN, weather.rain_mm_h, drop_colour),
                                   (SNOW, weather.snow_mm_h, np.ones(3))):
            if rate > 0.0:
                _splat_layer(kind, rate, colour, weather, cam, focal, depth, beta, rng, acc)
    else:
        acc = np.zeros((1, 1, 5), np.float32)

    mask = np.ascontiguousarray(road_mask) if road_mask is not None else np.zeros((1, 1), bool)
    road_params = np.array([WET_ROAD_DARKENING, cam.height_m, SNOW_COVER_FRACTION, SNOW_ALBEDO])
    reflect_lut = (wet_film_fraction(weather.rain_mm_h) * a_value) * _fresnel_lut()
    noisy = gain > _NOISE_FREE_GAIN
    out = np.empty((h, w, 3), dtype=np.uint8)
    linear = np.empty((h, w, 3) if noisy else (1, 1, 3), dtype=np.float32)
    k.shade(img, depth, transmission, _decode_lut(), airlight3, lowlight, sky_lux,
            cam.headlight_cd, 1.0 / cam.full_brightness_lux, mask, road_mode, road_params,
            reflect_lut, particles, acc, particle_alpha, _encode_lut(), out, linear, noisy)
    if noisy:
        k.encode(add_sensor_noise(linear, gain, cam, rng), _encode_lut(), out)
    return WeatheredImage(out, transmission, beta, a_value, particle_alpha, gain)


def weather_image(image: np.ndarray, depth_m: np.ndarray, *, seed: int,
                  visibility_m: float = math.inf, rain_mm_h: float = 0.0,
                  snow_mm_h: float = 0.0, sun_elevation_deg: float = 45.0,
                  road_state: str = "dry", road_mask: np.ndarray | None = None,
                  airlight: float | None = None, camera: CameraModel | None = None
                  ) -> WeatheredImage:
    """Apply the weather to your own RGB image and metric depth map (labels stay valid: the
    geometry does not change). Same model as :func:`apply_weather`, with the randomness drawn
    from ``np.random.default_rng(seed)`` — the same seed gives the same bytes.

    >>> out = weather_image(rgb, depth, visibility_m=150.0, rain_mm_h=20.0, seed=7)
    >>> out.image, out.transmission
    """
    weather = SensorWeather(visibility_m=visibility_m, rain_mm_h=rain_mm_h, snow_mm_h=snow_mm_h,
                            sun_elevation_deg=sun_elevation_deg, road_state=road_state)
    return apply_weather(image, depth_m, weather, np.random.default_rng(seed),
                         road_mask=road_mask, airlight=airlight, camera=camera)


# -- contrast and visibility labels ---------------------------------------------------------
def intrinsic_contrast(object_luminance: npt.ArrayLike, background_luminance: npt.ArrayLike
                       ) -> np.ndarray:
    """Weber contrast |L_o − L_b| / L_b of an object against its background (linear
    luminances, e.g. mean linear luminance over the object's mask and over the horizon sky),
    clipped to [0, :data:`MAX_INTRINSIC_CONTRAST`]; a dark object against the sky has 1."""
    lo = np.asarray(object_luminance, dtype=np.float64)
    lb = np.asarray(background_luminance, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.abs(lo - lb) / lb
    c = np.where(lb > 0.0, c, np.where(lo > 0.0, MAX_INTRINSIC_CONTRAST, 0.0))
    return np.clip(np.nan_to_num(c, nan=0.0), 0.0, MAX_INTRINSIC_CONTRAST)


def apparent_contrast(intrinsic_contrast: npt.ArrayLike, distance_m: npt.ArrayLike,
                      visibility_m: npt.ArrayLike) -> np.ndarray:
    """Koschmieder: C = C0·exp(−β·d), β = 2.996 / visibility_m (C0 in clear air, whatever d).
    Pass :attr:`SensorWeather.effective_visibility_m` so rain and snow count."""
    c0 = np.asarray(intrinsic_contrast, dtype=np.float64)
    d = np.asarray(distance_m, dtype=np.float64)
    beta = extinction_per_m(visibility_m)
    with np.errstate(invalid="ignore"):
        t = np.where(beta > 0.0, np.exp(-beta * d), 1.0)
    return c0 * t


def object_visible(intrinsic_contrast: npt.ArrayLike, distance_m: npt.ArrayLike,
                   visibility_m: npt.ArrayLike, *,
                   threshold: float = MOR_CONTRAST_THRESHOLD) -> np.ndarray:
    """True where the apparent contrast C0·exp(−β·d) is at least ``threshold`` (5 %, the
    contrast threshold that defines the MOR). At MOR 50 m a black object (C0 = 1) is visible
    out to 50 m: at 10 m its contrast is 0.55, at 150 m 1.2e-4."""
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must lie in (0, 1)")
    return np.asarray(apparent_contrast(intrinsic_contrast, distance_m, visibility_m)
                      >= threshold)


def object_labels(distance_m: npt.ArrayLike, weather: SensorWeather, *,
                  intrinsic_contrast: npt.ArrayLike = 1.0,
                  threshold: float = MOR_CONTRAST_THRESHOLD) -> dict[str, np.ndarray]:
    """Per-object weather labels for objects at ``distance_m``: ``transmission``
    exp(−β·d) with the same β as the image (air + rain + snow), ``apparent_contrast``
    C0·exp(−β·d) and ``visible`` (contrast ≥ ``threshold``). ``intrinsic_contrast`` defaults to
    1, a dark object against the horizon sky."""
    d = np.asarray(distance_m, dtype=np.float64)
    beta = weather.beta_per_m
    with np.errstate(invalid="ignore"):
        t = np.exp(-beta * d) if beta > 0.0 else np.ones_like(d)
    contrast = np.asarray(intrinsic_contrast, dtype=np.float64) * t
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold must lie in (0, 1)")
    return {"transmission": t, "apparent_contrast": contrast, "visible": contrast >= threshold}
