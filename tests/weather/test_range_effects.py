"""Weather on lidar returns: extinction and dropout, false near returns, range noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simengine.weather.range_effects import (
    SPURIOUS_MAX_RANGE_M,
    apply_lidar_weather,
    kim_wavelength_exponent,
    lidar_detection_range_m,
    lidar_extinction_per_m,
    spurious_probability,
)
from simengine.weather.sensor_weather import SensorWeather, SensorWeatherError

MAX_RANGE_M = 120.0


def beams(n: int, range_m: float, intensity: float | np.ndarray = 1.0
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.full(n, range_m), np.ones(n, bool),
            np.broadcast_to(np.asarray(intensity, dtype=float), (n,)).copy())


def test_clear_weather_changes_nothing_and_draws_nothing() -> None:
    rng = np.random.default_rng(0)
    r = np.array([5.0, 60.0, 119.0, 120.0, 0.0])
    hit = np.array([True, True, True, False, False])
    inten = np.array([0.05, 0.5, 1.0, 0.0, 0.0])
    state = rng.bit_generator.state
    out = apply_lidar_weather(r, hit, inten, SensorWeather(), rng, max_range_m=MAX_RANGE_M)
    assert rng.bit_generator.state == state
    np.testing.assert_array_equal(out.range_m, r)
    np.testing.assert_array_equal(out.intensity, inten)
    np.testing.assert_array_equal(out.hit, hit)
    assert not out.dropped.any() and not out.spurious.any() and out.beta_per_m == 0.0
    # night and a wet road do not touch the lidar either
    night = apply_lidar_weather(r, hit, inten, SensorWeather(sun_elevation_deg=-30,
                                                             road_state="wet"),
                                rng, max_range_m=MAX_RANGE_M)
    np.testing.assert_array_equal(night.range_m, r)


def test_extinction_at_905_nm() -> None:
    """Fog (MOR < 0.38 km) extinguishes the same at 905 nm as in the visible (q = 0); haze
    less; rain and snow add their visible extinction."""
    assert kim_wavelength_exponent(300.0) == 0.0
    assert kim_wavelength_exponent(1000.0) == pytest.approx(0.16 * 1.3058 + 0.34, abs=1e-3)
    assert kim_wavelength_exponent(math.inf) == 1.6
    fog = SensorWeather(visibility_m=150.0)
    assert lidar_extinction_per_m(fog) == pytest.approx(fog.beta_per_m)
    haze = SensorWeather(visibility_m=1000.0)
    q = kim_wavelength_exponent(1000.0)
    assert lidar_extinction_per_m(haze) == pytest.approx(haze.beta_per_m * (905 / 550) ** -q)
    rain = SensorWeather(rain_mm_h=25.0)
    assert lidar_extinction_per_m(rain) == pytest.approx(rain.beta_per_m)


def test_detection_range_closed_form() -> None:
    assert float(lidar_detection_range_m(1.0, 0.0, max_range_m=MAX_RANGE_M)) == MAX_RANGE_M
    assert float(lidar_detection_range_m(0.25, 0.0, max_range_m=MAX_RANGE_M)) == 60.0
    for beta in (0.003, 0.02, 0.06):
        for rho in (1.0, 0.3):
            r = float(lidar_detection_range_m(rho, beta, max_range_m=MAX_RANGE_M))
            assert rho * math.exp(-2 * beta * r) * (MAX_RANGE_M / r) ** 2 == pytest.approx(1.0)


def test_dropout_is_the_exp_minus_2_beta_r_threshold() -> None:
    """A target of intensity 1 is kept exactly while exp(−2βr)·(R/r)² ≥ 1, and its intensity is
    attenuated by exp(−2βr)."""
    weather = SensorWeather(visibility_m=150.0)
    beta = lidar_extinction_per_m(weather)
    r_star = float(lidar_detection_range_m(1.0, beta, max_range_m=MAX_RANGE_M))
    r = np.array([5.0, 20.0, r_star * 0.999, r_star * 1.001, 80.0, 119.0])
    out = apply_lidar_weather(r, np.ones(6, bool), np.ones(6), weather,
                              np.random.default_rng(0), max_range_m=MAX_RANGE_M)
    real = ~out.spurious
    expected_kept = r <= r_star
    np.testing.assert_array_equal(out.dropped[real], ~expected_kept[real])
    kept = real & expected_kept
    np.testing.assert_allclose(out.intensity[kept], np.exp(-2 * beta * r[kept]))
    np.testing.assert_array_equal(out.range_m[kept], r[kept])      # fog adds no range noise
    assert np.all(np.isinf(out.range_m[out.dropped & real]))


def test_drop_fraction_matches_closed_form_and_grows_as_visibility_falls() -> None:
    """Targets at 20 m with intensities uniform on (0, 1]: the dropped fraction is the share of
    intensities below (r/R)²·exp(2βr)."""
    n, r = 20_000, 20.0
    intensity = (np.arange(n) + 1.0) / n
    fractions = []
    for vis in (1000.0, 300.0, 150.0, 80.0, 50.0):
        weather = SensorWeather(visibility_m=vis)
        beta = lidar_extinction_per_m(weather)
        out = apply_lidar_weather(*beams(n, r, intensity), weather, np.random.default_rng(1),
                                  max_range_m=MAX_RANGE_M)
        lost_to_power = out.dropped & ~out.spurious
        # beams whose real return was occluded by a false one are not counted against power
        share = lost_to_power.sum() / (~out.spurious).sum()
        closed = min(1.0, (r / MAX_RANGE_M) ** 2 * math.exp(2 * beta * r))
        assert share == pytest.approx(closed, abs=0.01)
        fractions.append(out.dropped.mean())
    assert np.all(np.diff(fractions) > 0), fractions


def test_spurious_returns_only_in_weather_and_near() -> None:
    n = 50_000
    r, hit, inten = np.full(n, 0.0), np.zeros(n, bool), np.zeros(n)    # all misses
    clear = apply_lidar_weather(r, hit, inten, SensorWeather(), np.random.default_rng(2),
                                max_range_m=MAX_RANGE_M)
    assert not clear.spurious.any() and not clear.hit.any()
    rates = []
    for weather in (SensorWeather(visibility_m=1000.0), SensorWeather(visibility_m=150.0),
                    SensorWeather(visibility_m=50.0), SensorWeather(rain_mm_h=50.0),
                    SensorWeather(snow_mm_h=2.5)):
        out = apply_lidar_weather(r, hit, inten, weather, np.random.default_rng(2),
                                  max_range_m=MAX_RANGE_M, min_range_m=0.5)
        s = out.spurious
        assert np.array_equal(out.hit, s) and not out.dropped.any()
        assert np.all((out.range_m[s] >= 0.5) & (out.range_m[s] <= SPURIOUS_MAX_RANGE_M))
        np.testing.assert_allclose(out.intensity[s], (out.range_m[s] / MAX_RANGE_M) ** 2)
        p = spurious_probability(out.beta_per_m, min_range_m=0.5)
        assert s.mean() == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n) + 1e-4)
        rates.append(s.mean())
    assert rates[0] < rates[1] < rates[2]
    assert spurious_probability(2.996 / 50.0) == pytest.approx(0.25, abs=0.02)


def test_false_return_ranges_are_the_first_backscatter_trigger() -> None:
    """Ranges of false returns: first arrival of the rate η·β·(r_ref/r)², so
    P(r_s ≤ r | false return) = (1 − exp(−Λ(r))) / (1 − exp(−Λ(r_end))) with
    Λ(r) = η·β·r_ref²·(1/r_min − 1/r); nearly the 1/r² density when Λ is small."""
    n = 200_000
    for vis in (20.0, 300.0):
        out = apply_lidar_weather(np.zeros(n), np.zeros(n, bool), np.zeros(n),
                                  SensorWeather(visibility_m=vis), np.random.default_rng(3),
                                  max_range_m=MAX_RANGE_M, min_range_m=0.5)
        ranges = np.sort(out.range_m[out.spurious])
        for q in (1.0, 2.0, 5.0):
            empirical = np.searchsorted(ranges, q) / ranges.size
            cdf = (spurious_probability(out.beta_per_m, min_range_m=0.5, end_range_m=q)
                   / spurious_probability(out.beta_per_m, min_range_m=0.5))
            assert empirical == pytest.approx(cdf, abs=0.01)
            if vis == 300.0:
                inverse_square = (1 / 0.5 - 1 / q) / (1 / 0.5 - 1 / SPURIOUS_MAX_RANGE_M)
                assert empirical == pytest.approx(inverse_square, abs=0.03)


def test_false_returns_occlude_only_farther_hits() -> None:
    n = 20_000
    weather = SensorWeather(visibility_m=50.0)
    near = apply_lidar_weather(*beams(n, 0.8), weather, np.random.default_rng(4),
                               max_range_m=MAX_RANGE_M)
    far = apply_lidar_weather(*beams(n, 30.0), weather, np.random.default_rng(4),
                              max_range_m=MAX_RANGE_M)
    assert np.all(near.range_m[near.spurious] < 0.8)
    assert near.spurious.mean() < far.spurious.mean()
    assert np.all(far.dropped[far.spurious]) and np.all(far.hit[far.spurious])
    p_near = spurious_probability(near.beta_per_m, end_range_m=0.8)
    assert near.spurious.mean() == pytest.approx(p_near, abs=0.01)


def test_range_noise_grows_with_precipitation() -> None:
    n = 20_000
    sigmas = []
    for rain in (1.0, 10.0, 50.0):
        out = apply_lidar_weather(*beams(n, 20.0), SensorWeather(rain_mm_h=rain),
                                  np.random.default_rng(5), max_range_m=MAX_RANGE_M)
        real = out.hit & ~out.spurious
        sigmas.append(out.range_m[real].std())
        assert out.range_m[real].mean() == pytest.approx(20.0, abs=0.002)
        assert sigmas[-1] == pytest.approx(0.005 * math.sqrt(rain), rel=0.05)
    assert sigmas[0] < sigmas[1] < sigmas[2]


def test_deterministic_given_rng() -> None:
    n = 5_000
    rng_data = np.random.default_rng(9)
    r = rng_data.uniform(0.5, 120.0, n)
    hit = rng_data.random(n) < 0.8
    inten = rng_data.random(n)
    weather = SensorWeather(visibility_m=200.0, rain_mm_h=8.0, snow_mm_h=0.5)
    a = apply_lidar_weather(r, hit, inten, weather, np.random.default_rng(1),
                            max_range_m=MAX_RANGE_M)
    b = apply_lidar_weather(r, hit, inten, weather, np.random.default_rng(1),
                            max_range_m=MAX_RANGE_M)
    c = apply_lidar_weather(r, hit, inten, weather, np.random.default_rng(2),
                            max_range_m=MAX_RANGE_M)
    for field in ("range_m", "intensity", "hit", "dropped", "spurious"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes()
    assert a.range_m.tobytes() != c.range_m.tobytes()
    # a real hit either stays (maybe noisy), or is dropped; a miss stays a miss unless false
    assert np.all(a.hit[~hit] == a.spurious[~hit])
    assert np.all(a.hit | a.dropped | ~hit)


def test_input_errors() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(SensorWeatherError, match="one length"):
        apply_lidar_weather(np.ones(3), np.ones(2, bool), np.ones(3), SensorWeather(), rng,
                            max_range_m=MAX_RANGE_M)
    with pytest.raises(SensorWeatherError, match=r"\[0, 1\]"):
        apply_lidar_weather(np.ones(2), np.ones(2, bool), np.array([0.5, 1.5]),
                            SensorWeather(), rng, max_range_m=MAX_RANGE_M)
    with pytest.raises(SensorWeatherError, match=">= 0 m"):
        apply_lidar_weather(np.array([-1.0]), np.ones(1, bool), np.ones(1), SensorWeather(),
                            rng, max_range_m=MAX_RANGE_M)
    # a hit at 0 m (the ray starts inside a body) is kept, whatever its intensity
    inside = apply_lidar_weather(np.zeros(2), np.ones(2, bool), np.array([0.0, 0.5]),
                                 SensorWeather(visibility_m=50.0), rng, max_range_m=MAX_RANGE_M)
    assert inside.hit.all() and not inside.dropped.any()
    with pytest.raises(SensorWeatherError, match="min_range_m < max_range_m"):
        apply_lidar_weather(np.ones(2), np.ones(2, bool), np.ones(2), SensorWeather(), rng,
                            max_range_m=0.2)
