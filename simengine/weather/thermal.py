"""Ambient temperature over time, heat waves, and how heat and humidity accelerate ageing.

* :func:`ambient_temperature_c` — a run's air temperature at given hours: the scenario's
  ``weather.temperature_c`` as the annual mean, a seasonal and a daily cosine, plus heat waves;
* :func:`heat_wave_arrays` — the ``heat_wave`` entries of ``weather.events`` as per-run arrays
  (start, end, peak temperature);
* :func:`arrhenius_factor` — the Arrhenius acceleration factor of a thermally activated wear
  process, AF = exp(Ea/k_B · (1/T_ref − 1/T)) with absolute temperatures;
* :func:`peck_humidity_factor` — Peck's humidity term (RH/RH_ref)^n.

NumPy only; evaluated once per run on the domain's time grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "BOLTZMANN_EV_PER_K",
    "HEAT_WAVE",
    "KELVIN_OFFSET",
    "ambient_temperature_c",
    "arrhenius_factor",
    "heat_wave_arrays",
    "peck_humidity_factor",
]

BOLTZMANN_EV_PER_K = 8.617333262e-5
"""Boltzmann constant in eV/K (CODATA 2018, exact since the 2019 SI redefinition)."""
KELVIN_OFFSET = 273.15
HEAT_WAVE = "heat_wave"
HOURS_PER_YEAR = 365.0 * 24.0
WARMEST_DAY = 200.0
"""Project choice: the seasonal maximum falls in mid-July (northern mid-latitudes)."""
WARMEST_HOUR = 15.0
"""Project choice: the daily maximum at 15:00 local time."""


def arrhenius_factor(temperature_c: Any, *, activation_energy_ev: float,
                     reference_c: float) -> np.ndarray:
    """exp(Ea/k_B·(1/T_ref − 1/T)): > 1 above the reference temperature, 1 at it."""
    t_k = np.asarray(temperature_c, dtype=np.float64) + KELVIN_OFFSET
    ref_k = reference_c + KELVIN_OFFSET
    return np.exp(activation_energy_ev / BOLTZMANN_EV_PER_K * (1.0 / ref_k - 1.0 / t_k))


def peck_humidity_factor(humidity_pct: Any, *, exponent: float,
                         reference_pct: float) -> np.ndarray:
    """(RH/RH_ref)^n, Peck's humidity acceleration (n ≈ 2.7 for corrosion in his data)."""
    rh = np.maximum(np.asarray(humidity_pct, dtype=np.float64), 1e-6)
    return (rh / reference_pct) ** exponent


def ambient_temperature_c(t_h: np.ndarray, mean_c: float, *, daily_amplitude_c: float = 5.0,
                          seasonal_amplitude_c: float = 8.0, start_day: float = 1.0,
                          heat_waves: Sequence[tuple[float, float, float]] = ()) -> np.ndarray:
    """Air temperature (°C) at hours ``t_h`` after midnight of day-of-year ``start_day``.

    T = mean + seasonal·cos(2π(day − 200)/365) + daily·cos(2π(hour − 15)/24), plus, during each
    heat wave ``(start_h, end_h, peak_c)``, a sin² bump sized so that the daily maximum at the
    wave's middle reaches ``peak_c`` (a wave below the normal maximum adds nothing).
    """
    t = np.asarray(t_h, dtype=np.float64)
    day = start_day + t / 24.0
    seasonal = seasonal_amplitude_c * np.cos(2 * np.pi * (day - WARMEST_DAY) / 365.0)
    daily = daily_amplitude_c * np.cos(2 * np.pi * ((t % 24.0) - WARMEST_HOUR) / 24.0)
    temp = mean_c + seasonal + daily
    for start_h, end_h, peak_c in heat_waves:
        if not (np.isfinite(start_h) and np.isfinite(peak_c)) or end_h <= start_h:
            continue
        inside = (t >= start_h) & (t < end_h)
        mid = 0.5 * (start_h + end_h)
        mid_day = start_day + mid / 24.0
        normal_max = mean_c + seasonal_amplitude_c * np.cos(
            2 * np.pi * (mid_day - WARMEST_DAY) / 365.0) + daily_amplitude_c
        rise = max(peak_c - normal_max, 0.0)
        phase = np.clip((t - start_h) / (end_h - start_h), 0.0, 1.0)
        temp = temp + np.where(inside, rise * np.sin(np.pi * phase) ** 2, 0.0)
    return temp


def heat_wave_arrays(params: Mapping[str, np.ndarray], events: Sequence[Any], n: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-run ``(start_h, end_h, peak_c)``, each (n, k), of the k ``heat_wave`` events in file
    order. ``start_s`` defaults to 0, a missing ``duration_s`` lasts forever, a missing
    ``temperature_c`` is NaN (the wave is ignored). Values come from constants, ``$refs`` or
    the hoisted columns ``weather.events.<i>.<field>``."""
    from simengine.weather.events import _field_values

    waves = [(i, ev) for i, ev in enumerate(events) if getattr(ev, "kind", None) == HEAT_WAVE]
    shape = (n, len(waves))
    start_h, end_h, peak_c = np.zeros(shape), np.full(shape, np.inf), np.full(shape, np.nan)
    for j, (i, ev) in enumerate(waves):
        prefix = f"weather.events.{i}."
        start = _field_values(ev.start_s, prefix + "start_s", params, n)
        start = np.where(np.isnan(start), 0.0, start)
        duration = _field_values(ev.duration_s, prefix + "duration_s", params, n)
        start_h[:, j] = start / 3600.0
        end_h[:, j] = np.where(np.isnan(duration), np.inf, (start + duration) / 3600.0)
        peak_c[:, j] = _field_values(ev.temperature_c, prefix + "temperature_c", params, n)
    return start_h, end_h, peak_c
