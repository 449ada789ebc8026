"""SensorWeather: validation, extinction consistent with visibility.py, the severity ladder."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simengine.errors import UserError
from simengine.weather.sensor_weather import (
    FOG_LADDER,
    RAIN_LADDER,
    SNOW_LADDER,
    SensorWeather,
    SensorWeatherError,
    extinction_per_m,
    fog_level,
    rain_level,
    snow_level,
)
from simengine.weather.visibility import effective_visibility_m


def test_extinction_is_koschmieder_and_vectorised() -> None:
    vis = np.array([50.0, 150.0, 1000.0, np.inf])
    np.testing.assert_allclose(extinction_per_m(vis), [2.996 / 50, 2.996 / 150, 2.996e-3, 0.0],
                               rtol=2e-4)
    assert extinction_per_m(np.inf) == 0.0


def test_defaults_are_clear_daylight() -> None:
    w = SensorWeather()
    assert w.beta_per_m == 0.0 and math.isinf(w.effective_visibility_m)
    assert w.levels == {"fog": "none", "rain": "none", "snow": "none"}


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"visibility_m": 0.0}, "visibility_m", "must be > 0"),
    ({"visibility_m": -5.0}, "visibility_m", "must be > 0"),
    ({"visibility_m": float("nan")}, "visibility_m", "must be > 0"),
    ({"rain_mm_h": -1.0}, "rain_mm_h", ">= 0 mm/h"),
    ({"snow_mm_h": float("inf")}, "snow_mm_h", "finite rate"),
    ({"sun_elevation_deg": 91.0}, "sun_elevation_deg", "[-90, 90]"),
    ({"road_state": "wett"}, "road_state", "did you mean 'wet'"),
    ({"rain_mm_h": "lots"}, "rain_mm_h", "must be a number"),
])
def test_validation_messages(kwargs: dict, field: str, words: str) -> None:
    with pytest.raises(SensorWeatherError) as err:
        SensorWeather(**kwargs)
    assert isinstance(err.value, ValueError) and isinstance(err.value, UserError)
    assert err.value.first.field == field
    assert words in str(err.value)


def test_total_extinction_matches_visibility_module() -> None:
    """Rain and snow lower visibility exactly as simengine.weather.visibility says."""
    for vis, rain, snow, temp in [(300.0, 0.0, 0.0, None), (np.inf, 20.0, 0.0, None),
                                  (1000.0, 5.0, 1.0, None), (600.0, 0.0, 2.0, 1.5)]:
        w = SensorWeather(visibility_m=vis, rain_mm_h=rain, snow_mm_h=snow, temperature_c=temp)
        expected = float(effective_visibility_m(vis, rain, snow, temperature_c=temp))
        assert w.effective_visibility_m == pytest.approx(expected, rel=1e-12)
        assert w.beta_per_m == pytest.approx(2.9957322735539909 / expected, rel=1e-12)


def test_fog_ladder_boundaries() -> None:
    assert [fog_level(v) for v in (1000.0, 600.0, 300.0, 150.0, 50.0)] == \
        ["haze", "light", "medium", "dense", "extreme"]
    assert fog_level(1000.0001) == "none" and fog_level(math.inf) == "none"
    assert fog_level(999.0) == "haze" and fog_level(600.5) == "haze"
    assert fog_level(151.0) == "medium" and fog_level(49.0) == "extreme"
    assert fog_level(1.0) == "extreme"
    # the reference's betas: 0.003, 0.005, 0.01, 0.02, 0.06 1/m
    np.testing.assert_allclose(
        [SensorWeather.from_levels(fog=name).beta_per_m for name in FOG_LADDER.names[1:]],
        [0.003, 0.005, 0.01, 0.02, 0.06], rtol=0.002)
    with pytest.raises(SensorWeatherError):
        fog_level(0.0)


def test_rain_ladder_boundaries() -> None:
    """AMS: light up to 2.5 mm/h, moderate to 7.6, heavy above; violent above 50."""
    cases = {0.0: "none", 0.1: "light", 2.5: "light", 2.51: "moderate", 7.6: "moderate",
             7.61: "heavy", 50.0: "heavy", 50.01: "violent", 300.0: "violent"}
    assert {r: rain_level(r) for r in cases} == cases
    assert RAIN_LADDER.names == ("none", "light", "moderate", "heavy", "violent")
    with pytest.raises(SensorWeatherError):
        rain_level(-0.1)


def test_snow_ladder_follows_visibility_definition() -> None:
    """Snow is light above 1 km visibility and heavy below 0.5 km (WMO/FMH-1), through the
    dry-snow extinction of visibility.py."""
    light_max = SNOW_LADDER.levels[1].upper
    moderate_max = SNOW_LADDER.levels[2].upper
    assert float(effective_visibility_m(np.inf, snow_mm_h=light_max)) == pytest.approx(1000.0)
    assert float(effective_visibility_m(np.inf, snow_mm_h=moderate_max)) == pytest.approx(500.0)
    assert light_max == pytest.approx(0.609, abs=0.001)
    assert snow_level(0.0) == "none" and snow_level(0.6) == "light"
    assert snow_level(1.0) == "moderate" and snow_level(1.3) == "heavy"
    # each representative value lies in its own level
    for ladder, level_of in ((RAIN_LADDER, rain_level), (SNOW_LADDER, snow_level)):
        for level in ladder.levels:
            assert level_of(level.representative) == level.name


def test_from_levels() -> None:
    w = SensorWeather.from_levels(fog="dense", rain="heavy")
    assert (w.visibility_m, w.rain_mm_h, w.snow_mm_h, w.road_state) == (150.0, 20.0, 0.0, "wet")
    assert w.levels == {"fog": "dense", "rain": "heavy", "snow": "none"}
    assert SensorWeather.from_levels(snow="moderate").road_state == "snow"
    assert SensorWeather.from_levels(fog="haze").road_state == "dry"
    assert SensorWeather.from_levels(rain="light", road_state="ice").road_state == "ice"
    night = SensorWeather.from_levels(fog="extreme", sun_elevation_deg=-20.0)
    assert night.sun_elevation_deg == -20.0 and night.visibility_m == 50.0
    with pytest.raises(SensorWeatherError, match="did you mean 'dense'"):
        SensorWeather.from_levels(fog="dens")
    with pytest.raises(SensorWeatherError, match="unknown rain level 'drizzle'"):
        SensorWeather.from_levels(rain="drizzle")


def test_from_scene_recovers_the_air_visibility() -> None:
    """The scenes table stores the effective MOR (fog + rain + snow; 1e9 = clear)."""
    fog = SensorWeather(visibility_m=300.0, rain_mm_h=10.0, snow_mm_h=0.5, road_state="wet",
                        sun_elevation_deg=-3.0)
    row = {"visibility_m": fog.effective_visibility_m, "rain_mm_h": 10.0, "snow_mm_h": 0.5,
           "road_state": "wet", "sun_elevation_deg": -3.0}
    back = SensorWeather.from_scene(row)
    assert back.visibility_m == pytest.approx(300.0, rel=1e-9)
    assert back.beta_per_m == pytest.approx(fog.beta_per_m, rel=1e-12)
    assert (back.road_state, back.sun_elevation_deg) == ("wet", -3.0)
    # clear air written as 1e9, and rain only: the air stays clear
    assert math.isinf(SensorWeather.from_scene({"visibility_m": 1e9}).visibility_m)
    rain_only = SensorWeather(rain_mm_h=20.0)
    back = SensorWeather.from_scene({"visibility_m": rain_only.effective_visibility_m,
                                     "rain_mm_h": 20.0})
    assert math.isinf(back.visibility_m) and back.beta_per_m == rain_only.beta_per_m


def test_label_values() -> None:
    label = SensorWeather.from_levels(fog="medium", rain="moderate").as_label()
    assert label["fog_level"] == "medium" and label["rain_level"] == "moderate"
    assert label["visibility_m"] == 300.0 and label["rain_mm_h"] == 5.0
    assert label["effective_visibility_m"] < 300.0
