"""Raw accelerometer windows of rolling-element bearings (Numba).

Kinematic defect frequencies (n balls of diameter d on pitch diameter D, contact angle α, shaft
frequency f_r): BPFO = n/2·f_r·(1 − d/D·cos α), BPFI = n/2·f_r·(1 + d/D·cos α),
FTF = f_r/2·(1 − d/D·cos α), BSF = D/(2d)·f_r·(1 − (d/D·cos α)²). For the CWRU drive-end 6205
(n = 9, d = 7.94 mm, D = 39.04 mm) at 1797 rpm: BPFO ≈ 107.4 Hz, BPFI ≈ 162.2 Hz.

Signal: x(t) = Σ_i A·q(t_i)·h(t − t_i) + imbalance at f_r + noise, with impulses every 1/f_defect
jittered by the slip (τ_i ~ N(0, slip/f_defect)), h(t) = e^(−ζω_n t)·sin(ω_d t) the structural
resonance, and q the modulation: 1 for an outer race (fixed in the load zone), the shaft rotation
(1 + cos 2π f_r t)/2 for an inner race, the cage rotation (1 + cos 2π FTF t)/2 for a ball; a
cage fault knocks at FTF. A is ``impulse_g`` times the part's damage (1 − health).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.maintenance.model import BearingSpec

__all__ = ["BEARING_FAULTS", "bearing_frequencies_hz", "defect_frequency_hz", "window"]

BEARING_FAULTS = ("outer_race", "inner_race", "ball", "cage")
IMBALANCE_G = 0.05
"""Project choice: a small 1× shaft component present on every machine."""


DEFAULT_BEARING = BearingSpec()


def bearing_frequencies_hz(shaft_hz: float, geometry: BearingSpec | None = None
                           ) -> dict[str, float]:
    """BPFO, BPFI, BSF and FTF (Hz) at shaft frequency ``shaft_hz``."""
    g = geometry or DEFAULT_BEARING
    ratio = g.ball_diameter_mm / g.pitch_diameter_mm * math.cos(math.radians(g.contact_angle_deg))
    n = g.balls
    return {
        "bpfo": n / 2 * shaft_hz * (1 - ratio),
        "bpfi": n / 2 * shaft_hz * (1 + ratio),
        "ftf": shaft_hz / 2 * (1 - ratio),
        "bsf": g.pitch_diameter_mm / (2 * g.ball_diameter_mm) * shaft_hz * (1 - ratio**2),
    }


def defect_frequency_hz(fault: str, shaft_hz: float, geometry: BearingSpec | None = None
                        ) -> tuple[float, float, int]:
    """(impulse rate, modulation frequency, modulation kind 0 none/1 cosine) of a fault.
    A ball fault strikes both races once per spin: 2·BSF."""
    f = bearing_frequencies_hz(shaft_hz, geometry)
    table = {"outer_race": (f["bpfo"], 0.0, 0), "inner_race": (f["bpfi"], shaft_hz, 1),
             "ball": (2 * f["bsf"], f["ftf"], 1), "cage": (f["ftf"], 0.0, 0)}
    return table[fault]


@numba.njit(cache=True, nogil=True)
def _window(rate_hz: float, n: int, t0_s: float, shaft_hz: float, freq: np.ndarray,
            mod_hz: np.ndarray, mod_kind: np.ndarray, amp_g: np.ndarray, slip: float,
            resonance_hz: float, damping: float, noise: np.ndarray, jitter: np.ndarray
            ) -> np.ndarray:
    """The window in O(samples + impulses): every impulse rings the same resonance, so the sum
    of ring-downs is one complex first-order recursion y_s = r·y_(s−1) + (impulses landing
    at sample s), r = e^(p·dt), p = −ζω_n + iω_d, and x = Im y. An impulse at t_i lands on the
    first sample s ≥ t_i with phasor A·e^(p(s·dt − t_i)); Im of A·e^(pτ) is the ring-down
    A·e^(−ζω_n τ)·sin(ω_d τ). The shaft's 1× imbalance is a rotating phasor as well."""
    dt = 1.0 / rate_hz
    wn = 2 * math.pi * resonance_hz
    wd = wn * math.sqrt(1 - damping * damping)
    decay = damping * wn
    inj_re = np.zeros(n)
    inj_im = np.zeros(n)
    span = n * dt
    for c in range(freq.shape[0]):
        if amp_g[c] <= 0.0 or freq[c] <= 0.0:
            continue
        period = 1.0 / freq[c]
        first = math.floor(t0_s / period)
        count = int(span / period) + 2
        for i in range(count):
            ti = (first + i) * period + jitter[c, i % jitter.shape[1]] * slip * period - t0_s
            if ti >= span:
                break
            q = 1.0
            if mod_kind[c] == 1:
                q = 0.5 * (1.0 + math.cos(2 * math.pi * mod_hz[c] * (ti + t0_s)))
            s = max(int(math.ceil(ti * rate_hz)), 0)
            if s >= n:
                continue
            tau = s * dt - ti
            mag = amp_g[c] * q * math.exp(-decay * tau)
            inj_re[s] += mag * math.cos(wd * tau)
            inj_im[s] += mag * math.sin(wd * tau)
    r_mag = math.exp(-decay * dt)
    r_re, r_im = r_mag * math.cos(wd * dt), r_mag * math.sin(wd * dt)
    w = 2 * math.pi * shaft_hz
    u_re, u_im = math.cos(w * dt), math.sin(w * dt)  # the imbalance phasor's step
    p_re, p_im = math.cos(w * t0_s), math.sin(w * t0_s)
    x = np.empty(n)
    y_re = y_im = 0.0
    for s in range(n):
        y_re, y_im = (r_re * y_re - r_im * y_im + inj_re[s], r_re * y_im + r_im * y_re
                      + inj_im[s])
        x[s] = y_im + IMBALANCE_G * p_im + noise[s]
        p_re, p_im = u_re * p_re - u_im * p_im, u_re * p_im + u_im * p_re
    return x


def window(rng: np.random.Generator, *, rate_hz: float, window_s: float, t0_s: float,
           shaft_hz: float, faults: list[tuple[str, float, BearingSpec | None]],
           resonance_hz: float, damping: float, impulse_g: float, slip: float,
           noise_g: float) -> np.ndarray:
    """One window (float32) starting at ``t0_s``; ``faults``: (fault, damage 0..1, geometry)
    per bearing part (damage 0: healthy)."""
    n = int(round(rate_hz * window_s))
    n_parts = len(faults)
    freq, mod, amp = np.zeros(n_parts), np.zeros(n_parts), np.zeros(n_parts)
    kind = np.zeros(n_parts, np.int64)
    for c, (fault, damage, geometry) in enumerate(faults):
        freq[c], mod[c], kind[c] = defect_frequency_hz(fault, shaft_hz, geometry)
        amp[c] = impulse_g * min(max(damage, 0.0), 1.0)
    impulses = int(window_s * max(freq.max(initial=1.0), 1.0)) + 3
    jitter = rng.standard_normal((n_parts, impulses))
    noise = noise_g * rng.standard_normal(n)
    return _window(rate_hz, n, t0_s, shaft_hz, freq, mod, kind, amp, slip, resonance_hz,
                   damping, noise, jitter).astype(np.float32)
