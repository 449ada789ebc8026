"""Compiled per-pixel passes of :mod:`simengine.weather.image_effects`.

A 640×480 frame is 921,600 channel values; a chain of NumPy operations walks them once per
operation and allocates each intermediate, which costs tens of milliseconds. These kernels fuse
the work into a few passes. They hold no physics of their own: every constant and formula comes
in as an argument from :mod:`~simengine.weather.image_effects`, :mod:`~simengine.weather.low_light`
and :mod:`~simengine.weather.precipitation`, where it is documented.

Imports Numba at module level; loaded only when a weather effect is first applied. No
``fastmath`` (results must not depend on the CPU's vector width).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.weather.image_effects import ROAD_NONE, ROAD_WET

__all__ = ["encode", "sensor_noise", "shade", "splat"]


@numba.njit(cache=True)
def splat(x: np.ndarray, y: np.ndarray, z: np.ndarray, width: np.ndarray, length: np.ndarray,
          dir_x: np.ndarray, dir_y: np.ndarray, radiance: np.ndarray, colour: np.ndarray,
          depth: np.ndarray, beta: float, acc: np.ndarray) -> None:
    """Add each particle's streak to the accumulator ``acc`` (H, W, 5) float32, per pixel
    (Σα, Σα·(1 − t), Σα·t·L·colour (3 channels)); interleaved so a sample touches one cache
    line.

    Footprint: ``round(w)`` pixels across (≥ 1) by ``ceil(ℓ + w)`` along the fall direction,
    centred on (x, y), with round ends when 3 px or wider (a disc smeared along its path);
    coverage α = min(w, 1)·w/(ℓ + w); t = exp(−β·z); L = ``radiance[p]``; samples behind the
    surface (z ≥ depth) or off the frame are skipped.
    """
    h, w = depth.shape
    for p in range(x.shape[0]):
        wd = width[p]
        span = length[p] + wd
        thick = max(1, int(math.floor(wd + 0.5)))
        steps = max(1, int(math.ceil(span)))
        a = min(wd, 1.0) * wd / span
        t = math.exp(-beta * z[p])
        lit = a * t * radiance[p]
        lit0, lit1, lit2 = lit * colour[0], lit * colour[1], lit * colour[2]
        air = a * (1.0 - t)
        dx = dir_x[p]
        dy = dir_y[p]
        half_core = 0.5 * length[p]
        radius2 = 0.25 * wd * wd
        for s in range(steps):
            along = s + 0.5 - 0.5 * steps
            beyond = abs(along) - half_core
            for c in range(thick):
                across = c - 0.5 * (thick - 1)
                if thick >= 3 and beyond > 0.0 and beyond * beyond + across * across > radius2:
                    continue  # round ends on particles 3 px or wider
                xi = int(math.floor(x[p] + along * dx - across * dy))
                yi = int(math.floor(y[p] + along * dy + across * dx))
                if xi < 0 or xi >= w or yi < 0 or yi >= h or z[p] >= depth[yi, xi]:
                    continue
                acc[yi, xi, 0] += a
                acc[yi, xi, 1] += air
                acc[yi, xi, 2] += lit0
                acc[yi, xi, 3] += lit1
                acc[yi, xi, 4] += lit2


@numba.njit(cache=True)
def shade(image: np.ndarray, depth: np.ndarray, transmission: np.ndarray,
          decode_lut: np.ndarray, airlight: np.ndarray, lowlight: bool, sky_lux: float,
          headlight_cd: float, inv_full_lux: float, road_mask: np.ndarray, road_mode: int,
          road_params: np.ndarray, reflect_lut: np.ndarray, particles: bool, acc: np.ndarray,
          particle_alpha: np.ndarray, encode_lut: np.ndarray, out: np.ndarray,
          out_linear: np.ndarray, to_linear: bool) -> None:
    """One pass per pixel: sRGB → linear, low-light illumination, road surface, Koschmieder
    fog, the particle layer, then linear → 8-bit sRGB into ``out`` (or, with ``to_linear``,
    linear light into ``out_linear`` for the noise to be added first).

    ``transmission`` (H, W) is exp(−β·d), computed beforehand (vectorised). ``road_params`` =
    (wet darkening, camera height m, snow cover fraction, snow albedo); ``reflect_lut[i]`` is
    the radiance a wet road mirrors at cos(incidence) = i / (len − 1). The particle layer is
    α = 1 − exp(−Σα) (independent partial covers) of radiance (Σα·t·L·colour + A·Σα·(1 − t)) /
    Σα, from the :func:`splat` accumulator ``acc``; ``particle_alpha`` receives α. Encoding
    indexes ``encode_lut`` by round(v·(len − 1)).
    """
    h, w = depth.shape
    dark, cam_h, cover, albedo = road_params[0], road_params[1], road_params[2], road_params[3]
    a0, a1, a2 = airlight[0], airlight[1], airlight[2]
    top_reflect = reflect_lut.shape[0] - 1
    top = encode_lut.shape[0] - 1
    wet = road_mode == ROAD_WET
    any_road = road_mode != ROAD_NONE
    for i in range(h):
        for j in range(w):
            # per pixel: v_c = lut[code_c]·scale + offset_c (all effects are affine in J)
            d = depth[i, j]
            t = transmission[i, j]
            k = 1.0
            if lowlight:
                lux = sky_lux
                if d < np.inf:
                    dd = max(d, 1.0)
                    lux += headlight_cd / (dd * dd)
                k = min(1.0, lux * inv_full_lux)
            scale = k
            add = 0.0
            if any_road and road_mask[i, j]:
                if wet:
                    scale = k * dark
                    add = reflect_lut[int(cam_h / max(d, cam_h) * top_reflect + 0.5)]
                else:
                    scale = k * (1.0 - cover)
                    add = cover * albedo * k
            haze = 1.0 - t
            scale *= t
            add *= t
            o0 = add + a0 * haze
            o1 = add + a1 * haze
            o2 = add + a2 * haze
            if particles:
                s = acc[i, j, 0]
                if s > 0.0:
                    alpha = 1.0 - math.exp(-s)
                    keep = 1.0 - alpha
                    inv_sum = alpha / s
                    air = acc[i, j, 1] * inv_sum
                    scale *= keep
                    o0 = o0 * keep + acc[i, j, 2] * inv_sum + a0 * air
                    o1 = o1 * keep + acc[i, j, 3] * inv_sum + a1 * air
                    o2 = o2 * keep + acc[i, j, 4] * inv_sum + a2 * air
                    particle_alpha[i, j] = alpha
            v0 = decode_lut[image[i, j, 0]] * scale + o0
            v1 = decode_lut[image[i, j, 1]] * scale + o1
            v2 = decode_lut[image[i, j, 2]] * scale + o2
            if to_linear:
                out_linear[i, j, 0] = v0
                out_linear[i, j, 1] = v1
                out_linear[i, j, 2] = v2
            else:
                out[i, j, 0] = encode_lut[min(max(int(v0 * top + 0.5), 0), top)]
                out[i, j, 1] = encode_lut[min(max(int(v1 * top + 0.5), 0), top)]
                out[i, j, 2] = encode_lut[min(max(int(v2 * top + 0.5), 0), top)]


@numba.njit(cache=True)
def encode(linear: np.ndarray, encode_lut: np.ndarray, out: np.ndarray) -> None:
    """Linear light → 8-bit sRGB through a table indexed by round(v·(len − 1)), clipped."""
    top = encode_lut.shape[0] - 1
    h, w, ch = linear.shape
    for i in range(h):
        for j in range(w):
            for c in range(ch):
                idx = int(linear[i, j, c] * top + 0.5)
                out[i, j, c] = encode_lut[min(max(idx, 0), top)]


@numba.njit(cache=True)
def sensor_noise(linear: np.ndarray, electrons_per_unit: float, read_sigma_e: float,
                 exact_below: np.float32, normals: np.ndarray, uniforms: np.ndarray) -> None:
    """Add excess shot and read noise in place (see :func:`low_light.add_sensor_noise`).

    A value y holds λ = y·E electrons (E = ``electrons_per_unit``). For y < ``exact_below``
    (compared in float32, exactly as the caller counted the uniforms it drew) the shot noise is
    exact Poisson, by inverse CDF from the next of ``uniforms`` (consumed in C order), plus read
    noise σ·z (σ = ``read_sigma_e``); otherwise shot plus read noise (mean λ, variance
    v = λ + σ², third cumulant λ) is drawn from z by the Cornish–Fisher expansion to the
    skewness term: λ + √v·z + λ/(6·v)·(z² − 1). One ``normals`` value z per array value.
    Results clipped to [0, 1].
    """
    flat = linear.reshape(-1)
    z = normals.reshape(-1)
    next_uniform = 0
    inv = 1.0 / electrons_per_unit
    for n in range(flat.shape[0]):
        lam = min(max(flat[n], 0.0), 1.0) * electrons_per_unit
        if flat[n] < exact_below:
            u = uniforms[next_uniform]
            next_uniform += 1
            p = math.exp(-lam)
            cdf = p
            count = 0
            while u > cdf and count < 1000:
                count += 1
                p *= lam / count
                cdf += p
            electrons = count + read_sigma_e * z[n]
        else:
            var = lam + read_sigma_e * read_sigma_e
            zn = z[n]
            electrons = lam + math.sqrt(var) * zn + lam / (6.0 * var) * (zn * zn - 1.0)
        flat[n] = min(max(electrons * inv, 0.0), 1.0)
