"""Rain drops and snowflakes in front of a camera: how many, how big, how fast, and the streak
each one paints during the exposure.

**Sizes.** Rain follows Marshall & Palmer (1948), *J. Meteor.* 5, 165:
N(D) = 8000·exp(−Λ·D) m⁻³ mm⁻¹ with Λ = 4.1·R^−0.21 mm⁻¹ (R in mm/h), truncated at 6 mm (larger
drops break up). Snow follows Gunn & Marshall (1958), *J. Meteor.* 15, 452, by melted diameter:
N0 = 3800·R^−0.87 m⁻³ mm⁻¹, Λ = 2.55·R^−0.48 mm⁻¹ (R liquid-water equivalent), truncated at
4 mm melted. A flake's diameter follows from the aggregate density ρ_s = C3 / D of Rasmussen et
al. (1999) (the dry-snow C3 = 0.017 g/cm², the constant :mod:`~simengine.weather.visibility`
uses): ρ_s·D³ = ρ_w·D_m³ gives D = sqrt(D_m³ / C3), D in mm with C3 = 0.17 g·mm/cm³ (at least the
solid-ice diameter).

**Fall speeds.** Rain: Atlas, Srivastava & Sekhon (1973), *Rev. Geophys.* 11, 1, a fit to Gunn
& Kinzer's (1949) measurements: v = 9.65 − 10.3·exp(−0.6·D) m/s (D in mm). Snow: Locatelli &
Hobbs (1974), *J. Geophys. Res.* 79, 2185, unrimed aggregates: v = 0.8·D^0.16 m/s (≈ 1 m/s).

**Which particles are drawn.** A particle at depth z is D·f/z pixels wide (f the focal length in
pixels, D its visible diameter). Only those at least ``min_width_px`` wide between
:data:`NEAR_DEPTH_M` and :data:`FAR_DEPTH_M` are drawn; the rest, too small to resolve, act
through the extinction the camera's fog already applies. Project choices: 0.25 px for rain (a
narrower drop changes a pixel by less than about one 8-bit code), 0.5 px for snow (flakes are
opaque, so this bounds the count instead: heavy snow, 2.5 mm/h, draws ~27,000 flakes in a
640×480 frame). The count is Poisson with mean ∫ N(D)·(a/3)·(z_max(D)³ − z_near³) dD, with
a = W·H/f² the frustum's cross-section per unit depth² and z_max(D) = min(f·D/min_width_px,
FAR_DEPTH_M) (integrated exactly over 96 diameter bins); depths follow the frustum's z² law
within each particle's range, positions are uniform over the frame. The count grows with the
rate for rain and snow.

**Streaks.** During the exposure T a particle moves f·v·T/z pixels (ℓ) along its fall direction
(vertical, slanted by a cross wind). Each point of its path is covered for the time the particle
takes to pass it, so over the footprint of length ℓ + w the mean coverage is w/(ℓ + w) (w its
width in pixels), times min(w, 1) across the 1-pixel line of a sub-pixel particle (Garg & Nayar
2007, "Vision and rain", *IJCV* 75: a streak's brightness change is the fraction of the exposure
the drop covers the pixel). Particles behind the rendered surface at a pixel are hidden. The
painting itself is the compiled :func:`simengine.weather._image_kernels.splat`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FAR_DEPTH_M",
    "NEAR_DEPTH_M",
    "RAIN",
    "SNOW",
    "SNOW_SHAPE_MAX_MM_H",
    "ParticleKind",
    "Particles",
    "expected_particle_count",
    "gunn_marshall",
    "marshall_palmer",
    "rain_fall_speed_mps",
    "sample_particles",
    "snow_fall_speed_mps",
    "snowflake_diameter_mm",
]

NEAR_DEPTH_M = 0.5
"""Particles nearer than this are so defocused they are not drawn (project choice)."""

FAR_DEPTH_M = 50.0
"""No particle beyond this depth is drawn (project choice; only the largest flakes reach it)."""

SNOW_SHAPE_MAX_MM_H = 10.0
"""Snow rate (mm/h, liquid equivalent) above which the flake-size distribution stops changing
shape (project choice; see :func:`gunn_marshall`)."""

_SNOW_DENSITY_SCALE = 0.17
"""Rasmussen et al. (1999) dry-snow C3 = 0.017 g/cm² as g·mm/cm³: ρ_s = 0.17 / D_mm g/cm³."""
_ICE_DENSITY = 0.917

_GRID_BINS = 96


def marshall_palmer(rain_mm_h: float) -> tuple[float, float]:
    """(N0 in m⁻³ mm⁻¹, Λ in mm⁻¹) of the Marshall–Palmer drop-size distribution at R mm/h."""
    return 8000.0, 4.1 * rain_mm_h ** -0.21


def gunn_marshall(snow_mm_h: float) -> tuple[float, float]:
    """(N0 in m⁻³ mm⁻¹, Λ in mm⁻¹) of the Gunn–Marshall snow distribution by melted diameter.

    Above :data:`SNOW_SHAPE_MAX_MM_H` the size distribution keeps its shape at that rate and
    only the number of flakes grows in proportion to the rate (Gunn & Marshall measured far
    lighter snowfalls; with the truncated sizes the fitted law would otherwise draw fewer flakes
    at very high rates)."""
    if snow_mm_h <= SNOW_SHAPE_MAX_MM_H:
        return 3800.0 * snow_mm_h ** -0.87, 2.55 * snow_mm_h ** -0.48
    cap = SNOW_SHAPE_MAX_MM_H
    return 3800.0 * cap ** -0.87 * (snow_mm_h / cap), 2.55 * cap ** -0.48


def rain_fall_speed_mps(diameter_mm: np.ndarray) -> np.ndarray:
    """Terminal speed (m/s) of rain drops, Atlas et al. (1973): 9.65 − 10.3·exp(−0.6·D)."""
    return np.maximum(9.65 - 10.3 * np.exp(-0.6 * np.asarray(diameter_mm)), 0.0)


def snowflake_diameter_mm(melted_mm: np.ndarray) -> np.ndarray:
    """Flake diameter (mm) of a melted diameter: sqrt(D_m³ / 0.17), at least the ice sphere's."""
    d_m = np.asarray(melted_mm, dtype=np.float64)
    return np.maximum(np.sqrt(d_m ** 3 / _SNOW_DENSITY_SCALE), d_m * _ICE_DENSITY ** (-1 / 3))


def snow_fall_speed_mps(diameter_mm: np.ndarray) -> np.ndarray:
    """Fall speed (m/s) of snow aggregates, Locatelli & Hobbs (1974): 0.8·D^0.16."""
    return 0.8 * np.power(np.asarray(diameter_mm, dtype=np.float64), 0.16)


def _rain_fall_speed_of_drop(d_mm: np.ndarray) -> np.ndarray:
    return rain_fall_speed_mps(d_mm)


def _snow_fall_speed_of_melted(melted_mm: np.ndarray) -> np.ndarray:
    return snow_fall_speed_mps(snowflake_diameter_mm(melted_mm))


def _identity(d_mm: np.ndarray) -> np.ndarray:
    return np.asarray(d_mm, dtype=np.float64)


@dataclass(frozen=True)
class ParticleKind:
    """How one kind of precipitation is sized, sped and drawn. Diameters ``d_mm`` are those of
    the size distribution (melted diameter for snow)."""

    name: str
    min_width_px: float
    min_diameter_mm: float
    max_diameter_mm: float
    distribution: Callable[[float], tuple[float, float]]
    visible_diameter_mm: Callable[[np.ndarray], np.ndarray]
    fall_speed_mps: Callable[[np.ndarray], np.ndarray]


RAIN = ParticleKind("rain", min_width_px=0.25, min_diameter_mm=0.1, max_diameter_mm=6.0,
                    distribution=marshall_palmer, visible_diameter_mm=_identity,
                    fall_speed_mps=_rain_fall_speed_of_drop)
SNOW = ParticleKind("snow", min_width_px=0.5, min_diameter_mm=0.1, max_diameter_mm=4.0,
                    distribution=gunn_marshall, visible_diameter_mm=snowflake_diameter_mm,
                    fall_speed_mps=_snow_fall_speed_of_melted)


@dataclass(frozen=True)
class Particles:
    """Particles in front of the camera at the start of the exposure (one entry each)."""

    x_px: np.ndarray          # streak centre, pixels (column)
    y_px: np.ndarray          # streak centre, pixels (row)
    depth_m: np.ndarray
    width_px: np.ndarray      # image diameter
    length_px: np.ndarray     # displacement during the exposure
    dir_x: np.ndarray         # unit fall direction in the image (y down)
    dir_y: np.ndarray

    def __len__(self) -> int:
        return int(self.x_px.shape[0])


def _grid(kind: ParticleKind, rate_mm_h: float, focal_px: float, area_per_m2: float
          ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Diameter bin centres (mm), bin width, expected count per bin, z_max per bin."""
    edges = np.linspace(kind.min_diameter_mm, kind.max_diameter_mm, _GRID_BINS + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    width = edges[1] - edges[0]
    n0, lam = kind.distribution(rate_mm_h)
    seen_m = kind.visible_diameter_mm(centres) * 1e-3
    z_max = np.minimum(focal_px * seen_m / kind.min_width_px, FAR_DEPTH_M)
    volume = area_per_m2 / 3.0 * np.maximum(z_max ** 3 - NEAR_DEPTH_M ** 3, 0.0)
    # exact integral of N0·exp(−ΛD) over each bin, so coarse bins lose nothing
    per_bin = n0 / lam * (np.exp(-lam * edges[:-1]) - np.exp(-lam * edges[1:]))
    return centres, width, per_bin * volume, z_max


def expected_particle_count(kind: ParticleKind, rate_mm_h: float, *, width_px: int,
                            height_px: int, focal_px: float) -> float:
    """Mean number of drawn particles in the frame (see the module docstring); 0 without
    precipitation. Increasing in the rate."""
    if rate_mm_h <= 0.0:
        return 0.0
    area = width_px * height_px / focal_px ** 2
    return float(_grid(kind, rate_mm_h, focal_px, area)[2].sum())


def sample_particles(kind: ParticleKind, rate_mm_h: float, rng: np.random.Generator, *,
                     width_px: int, height_px: int, focal_px: float, exposure_s: float,
                     wind_mps: float = 0.0) -> Particles:
    """Draw the particles of one frame from ``rng`` (a Poisson count, then diameter bin, place
    in the bin, depth, and image position, in that order; always the same draws for the same
    inputs and generator state)."""
    area = width_px * height_px / focal_px ** 2
    if rate_mm_h <= 0.0:
        empty = np.zeros(0)
        return Particles(empty, empty, empty, empty, empty, empty, empty)
    centres, bin_width, expected, z_max = _grid(kind, rate_mm_h, focal_px, area)
    total = float(expected.sum())
    count = int(rng.poisson(total))
    bins = rng.choice(centres.size, size=count, p=expected / total)
    d_mm = centres[bins] + (rng.random(count) - 0.5) * bin_width
    near3 = NEAR_DEPTH_M ** 3
    depth = np.cbrt(near3 + rng.random(count) * (z_max[bins] ** 3 - near3))
    x = rng.random(count) * width_px
    y = rng.random(count) * height_px
    seen_mm = kind.visible_diameter_mm(d_mm)
    speed = kind.fall_speed_mps(d_mm)
    along = np.hypot(speed, wind_mps)
    length = focal_px * along * exposure_s / depth
    with np.errstate(invalid="ignore", divide="ignore"):
        dir_x = np.where(along > 0, wind_mps / along, 0.0)
        dir_y = np.where(along > 0, speed / along, 1.0)
    return Particles(x, y, depth, focal_px * seen_mm * 1e-3 / depth, length, dir_x, dir_y)
