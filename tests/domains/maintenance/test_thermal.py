"""Ambient temperature, heat waves and thermal acceleration (simengine.weather.thermal)."""

from __future__ import annotations

import numpy as np
import pytest

from simengine.weather.thermal import (
    ambient_temperature_c,
    arrhenius_factor,
    heat_wave_arrays,
    peck_humidity_factor,
)
from tests.domains.maintenance.helpers import scenario, simulate


def test_arrhenius_factor() -> None:
    assert arrhenius_factor(40.0, activation_energy_ev=0.7, reference_c=40.0) == pytest.approx(1)
    # 0.7 eV between 40 and 50 °C: exp(0.7/k (1/313.15 - 1/323.15)) = 2.23
    assert arrhenius_factor(50.0, activation_energy_ev=0.7, reference_c=40.0) == pytest.approx(
        2.2316, rel=1e-4)
    assert arrhenius_factor(30.0, activation_energy_ev=0.7, reference_c=40.0) < 1
    assert peck_humidity_factor(80.0, exponent=2.7, reference_pct=40.0) == pytest.approx(2**2.7)


def test_heat_wave_reaches_its_peak_at_mid_wave() -> None:
    t = np.arange(0, 24 * 60, 0.25)
    base = ambient_temperature_c(t, 15.0, start_day=172)
    hot = ambient_temperature_c(t, 15.0, start_day=172, heat_waves=[(240.0, 480.0, 41.0)])
    assert np.array_equal(base[(t < 240) | (t >= 480)], hot[(t < 240) | (t >= 480)])
    day = (t >= 348) & (t < 372)  # the wave's middle day
    assert hot[day].max() == pytest.approx(41.0, abs=0.3)
    assert base.max() < 30


def test_heat_wave_accelerates_ageing_in_a_run() -> None:
    world = """  machines:
    unit:
      count: 50
      sample_every_s: 3600
      thermal: {activation_energy_ev: 1.0, reference_c: 40, self_heating_c: 20}
  components:
    part: {on: unit, fault: insulation, wear: {weibull: {shape: 3, scale_h: 3000}}}
"""
    wave = ("weather:\n  events:\n    - {kind: heat_wave, start_s: 360000, duration_s: 864000,"
            " temperature_c: 42}\n")
    calm, _ = simulate(scenario(world, duration_h=1500), runs=4)
    hot, _ = simulate(scenario(world, duration_h=1500, extra=wave), runs=4)
    assert hot["failures"].sum() > 1.5 * calm["failures"].sum()
    assert hot["max_ambient_c"].min() == pytest.approx(42, abs=1.0)  # hourly samples
    scn = scenario(world, duration_h=1500, extra=wave)
    start, end, peak = heat_wave_arrays({}, scn.spec.weather.events, 2)
    np.testing.assert_allclose(start, 100.0)
    np.testing.assert_allclose(end, 340.0)
    np.testing.assert_allclose(peak, 42.0)


def test_vibration_stream_windows() -> None:
    from simengine import api

    scn = api.load_scenario("bearing-rig")
    _, s = simulate(scn, runs=1, streams=("vibration",))
    v = s["vibration"]
    assert v["accel_g"].shape == (v["run"].size, 6000) and v["accel_g"].dtype == np.float32
    assert set(np.unique(v["fault_mode"])) <= {"none", "outer_race", "inner_race", "ball", "cage"}
    worn = v["health"] < 0.5
    rms = np.sqrt(np.mean(v["accel_g"].astype(float) ** 2, axis=1))
    assert worn.any() and rms[worn].mean() > 2 * rms[v["health"] > 0.95].mean()
