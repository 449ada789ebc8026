"""Weather on camera images: Koschmieder fog from depth, rain and snow particles, the road
surface, low light and sensor noise; contrast and visibility labels."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from scipy import integrate

from simengine.weather.image_effects import (
    DAYLIGHT_AIRLIGHT,
    SNOW_ALBEDO,
    SNOW_COVER_FRACTION,
    WET_ROAD_DARKENING,
    apparent_contrast,
    apply_weather,
    default_airlight,
    fresnel_reflectance,
    intrinsic_contrast,
    linear_to_srgb,
    object_labels,
    object_visible,
    srgb_to_linear,
    weather_image,
    wet_film_fraction,
)
from simengine.weather.low_light import (
    CameraModel,
    add_sensor_noise,
    illumination_factor,
    sensor_gain,
    sky_illuminance_lux,
)
from simengine.weather.precipitation import (
    NEAR_DEPTH_M,
    RAIN,
    SNOW,
    expected_particle_count,
    rain_fall_speed_mps,
    sample_particles,
    snowflake_diameter_mm,
)
from simengine.weather.sensor_weather import SensorWeather, SensorWeatherError

H, W = 120, 160
FOCAL_PX = 140.0
CAMERA = CameraModel(focal_px=FOCAL_PX)


def to_linear(image: np.ndarray) -> np.ndarray:
    return srgb_to_linear(image / 255.0)


def code(linear: float) -> int:
    return int(np.rint(linear_to_srgb(linear) * 255.0))


@pytest.fixture(scope="module")
def street() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A road scene: sky above the horizon (depth inf), a flat road below (depth from the camera
    height), a lane marking, and black boxes at 10, 30, 60 and 100 m. Returns image, depth,
    road mask."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    image = np.empty((H, W, 3), np.uint8)
    image[:] = (150, 180, 220)
    depth = np.full((H, W), np.inf)
    ground = yy >= H // 2
    depth[ground] = CAMERA.height_m * FOCAL_PX / (yy[ground] - H / 2 + 0.5)
    image[ground] = (90, 90, 95)
    texture = rng.integers(-12, 13, size=(H, W, 1))
    image = np.clip(image.astype(int) + texture * ground[..., None], 0, 255).astype(np.uint8)
    road = ground.copy()
    road[:, 70:74] = False
    image[ground & (xx >= 70) & (xx < 74)] = (230, 230, 230)
    for i, d in enumerate((10.0, 30.0, 60.0, 100.0)):
        sl = (slice(H // 2 - 12, H // 2 + 2), slice(10 + 36 * i, 22 + 36 * i))
        image[sl] = 0
        depth[sl] = d
        road[sl] = False
    return image, depth.astype(np.float32), road


def fog_only(visibility_m: float) -> SensorWeather:
    return SensorWeather(visibility_m=visibility_m)


# -- fog -------------------------------------------------------------------------------------
def test_transmission_is_exp_minus_beta_depth(street) -> None:
    image, depth, road = street
    for weather in (fog_only(150.0), SensorWeather(visibility_m=600.0, rain_mm_h=20.0),
                    SensorWeather(snow_mm_h=1.0)):
        out = apply_weather(image, depth, weather, np.random.default_rng(1), road_mask=road)
        assert out.transmission.dtype == np.float32 and out.transmission.shape == (H, W)
        assert out.beta_per_m == pytest.approx(weather.beta_per_m)
        expected = np.exp(-weather.beta_per_m * depth.astype(np.float64))
        np.testing.assert_allclose(out.transmission, expected, atol=1e-3, rtol=0)
        assert np.all(out.transmission[np.isinf(depth)] == 0.0)   # sky: t = 0


def test_fog_contrast_of_black_objects_follows_koschmieder(street) -> None:
    """A black object against the horizon sky keeps contrast C = exp(−β·d) exactly (up to the
    8-bit quantisation)."""
    image, depth, _ = street
    out = apply_weather(image, depth, fog_only(150.0), np.random.default_rng(1))
    linear = to_linear(out.image)
    sky = linear[0, 0, 0]
    assert sky == pytest.approx(DAYLIGHT_AIRLIGHT, abs=0.004)   # the sky is the airlight
    beta = 2.9957322735539909 / 150.0
    for i, d in enumerate((10.0, 30.0, 60.0, 100.0)):
        obj = linear[H // 2 - 5, 15 + 36 * i, 0]
        measured = abs(obj - sky) / sky
        assert measured == pytest.approx(math.exp(-beta * d), abs=0.008)
        assert float(apparent_contrast(1.0, d, 150.0)) == pytest.approx(math.exp(-beta * d))


def test_fog_is_linear_light_compositing(street) -> None:
    """I = J·t + A·(1 − t) in linear light, pixel by pixel, within 8-bit quantisation."""
    image, depth, _ = street
    out = apply_weather(image, depth, fog_only(300.0), np.random.default_rng(1),
                        airlight=0.5)
    t = out.transmission[..., None].astype(np.float64)
    expected = to_linear(image) * t + 0.5 * (1.0 - t)
    got = to_linear(out.image)
    # one 8-bit code in sRGB is at most ~0.013 in linear light (near white), ~0.0003 near black
    np.testing.assert_allclose(got, expected, atol=0.007)
    assert out.airlight == 0.5


def test_visibility_labels_at_50_m() -> None:
    """At MOR 50 m a black object (C0 = 1) at 150 m is not visible, at 10 m it is."""
    assert object_visible(1.0, 150.0, 50.0).tolist() is False
    assert object_visible(1.0, 10.0, 50.0).tolist() is True
    vis = object_visible(1.0, np.array([10.0, 40.0, 49.0, 51.0, 150.0]), 50.0)
    assert vis.tolist() == [True, True, True, False, False]
    assert np.all(object_visible(1.0, np.array([10.0, 1e4]), np.inf))
    # a weaker target fades sooner: C0 = 0.2 is seen to ln(0.2/0.05)/β = 23.1 m at MOR 50 m
    assert object_visible(0.2, 23.0, 50.0) and not object_visible(0.2, 23.3, 50.0)
    with pytest.raises(ValueError):
        object_visible(1.0, 10.0, 50.0, threshold=0.0)


def test_object_labels_use_the_image_extinction() -> None:
    weather = SensorWeather(visibility_m=50.0, rain_mm_h=20.0)
    labels = object_labels(np.array([10.0, 45.0, 150.0]), weather)
    beta = weather.beta_per_m
    np.testing.assert_allclose(labels["transmission"], np.exp(-beta * np.array([10, 45, 150])))
    np.testing.assert_allclose(labels["apparent_contrast"], labels["transmission"])
    assert labels["visible"].tolist() == [True, True, False]
    # the same answer as object_visible at the effective visibility (rain counts)
    np.testing.assert_array_equal(
        labels["visible"], object_visible(1.0, [10.0, 45.0, 150.0],
                                          weather.effective_visibility_m))
    clear = object_labels([5.0, 1e5], SensorWeather(), intrinsic_contrast=0.3)
    assert clear["transmission"].tolist() == [1.0, 1.0] and clear["visible"].all()


def test_rendered_contrast_agrees_with_visibility_label() -> None:
    """What the fogged pixels show agrees with the label: black boxes at 10 m and 150 m in
    50 m fog."""
    image = np.full((8, 8, 3), 200, np.uint8)
    depth = np.full((8, 8), np.inf, np.float32)
    image[2:4, 1:3] = 0
    depth[2:4, 1:3] = 10.0
    image[2:4, 5:7] = 0
    depth[2:4, 5:7] = 150.0
    out = apply_weather(image, depth, fog_only(50.0), np.random.default_rng(0))
    linear = to_linear(out.image)[..., 0]
    sky = linear[0, 0]
    near = abs(linear[2, 1] - sky) / sky
    far = abs(linear[2, 5] - sky) / sky
    assert near >= 0.05 and far < 0.05
    assert near == pytest.approx(math.exp(-2.9957 / 50 * 10), abs=0.01)


def test_intrinsic_contrast() -> None:
    np.testing.assert_allclose(intrinsic_contrast([0.0, 0.35, 0.7, 1.4], 0.7),
                               [1.0, 0.5, 0.0, 1.0])
    assert intrinsic_contrast(0.5, 0.0) == 100.0      # against black: clipped, finite
    assert intrinsic_contrast(0.0, 0.0) == 0.0
    assert intrinsic_contrast(1e6, 1e-3) == 100.0


# -- clear weather, determinism --------------------------------------------------------------
def test_clear_daylight_leaves_image_unchanged(street) -> None:
    image, depth, road = street
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    out = apply_weather(image, depth, SensorWeather(), rng, road_mask=road)
    assert out.image.tobytes() == image.tobytes() and out.image is not image
    assert np.all(out.transmission == 1.0) and out.beta_per_m == 0.0
    assert not out.particle_alpha.any() and out.sensor_gain == 1.0
    assert rng.bit_generator.state == state          # nothing drawn
    # a wet road state with no road pixels runs the full pipeline: still every byte equal
    # (decoding to linear light and encoding back is exact)
    wet = apply_weather(image, depth, SensorWeather(road_state="wet"), rng,
                        road_mask=np.zeros((H, W), bool))
    assert wet.image.tobytes() == image.tobytes()
    every_code = np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(16, 16, 3)
    same = apply_weather(every_code, np.ones((16, 16)), SensorWeather(road_state="wet"), rng,
                         road_mask=np.zeros((16, 16), bool))
    assert same.image.tobytes() == every_code.tobytes()


def test_same_seed_same_bytes_other_seed_differs(street) -> None:
    image, depth, road = street
    weather = SensorWeather(visibility_m=300.0, rain_mm_h=20.0, snow_mm_h=0.5,
                            sun_elevation_deg=-2.0)
    a = apply_weather(image, depth, weather, np.random.default_rng(11), road_mask=road)
    b = apply_weather(image, depth, weather, np.random.default_rng(11), road_mask=road)
    c = apply_weather(image, depth, weather, np.random.default_rng(12), road_mask=road)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.particle_alpha.tobytes() == b.particle_alpha.tobytes()
    assert a.image.tobytes() != c.image.tobytes()


def test_weather_image_convenience(street) -> None:
    image, depth, road = street
    mine = weather_image(image, depth, visibility_m=150.0, rain_mm_h=10.0, seed=3,
                         road_state="wet", road_mask=road)
    same = apply_weather(image, depth, SensorWeather(visibility_m=150.0, rain_mm_h=10.0,
                                                     road_state="wet"),
                         np.random.default_rng(3), road_mask=road)
    assert mine.image.tobytes() == same.image.tobytes()
    assert image[0, 0].tolist() == [150, 180, 220]          # input untouched


def test_input_errors(street) -> None:
    image, depth, _ = street
    rng = np.random.default_rng(0)
    with pytest.raises(SensorWeatherError, match=r"\(H, W, 3\) uint8"):
        apply_weather(image.astype(np.float32), depth, SensorWeather(), rng)
    with pytest.raises(SensorWeatherError, match="does not match"):
        apply_weather(image, depth[:-1], SensorWeather(), rng)
    bad = depth.copy()
    bad[0, 0] = np.nan
    with pytest.raises(SensorWeatherError, match="NaN or a negative"):
        apply_weather(image, bad, fog_only(100.0), rng)
    with pytest.raises(SensorWeatherError, match="boolean array"):
        apply_weather(image, depth, fog_only(100.0), rng, road_mask=np.ones((H, W)))
    with pytest.raises(SensorWeatherError, match=r"\[0, 1\]"):
        apply_weather(image, depth, fog_only(100.0), rng, airlight=2.0)


# -- rain and snow ---------------------------------------------------------------------------
def test_fall_speeds_and_flake_sizes() -> None:
    # Atlas et al. 1973: 2 mm drop ≈ 6.55 m/s, large drops approach 9.65 m/s
    assert float(rain_fall_speed_mps(2.0)) == pytest.approx(9.65 - 10.3 * math.exp(-1.2))
    assert float(rain_fall_speed_mps(6.0)) == pytest.approx(9.37, abs=0.01)
    # flakes: density 0.17/D g/cm³ → D = sqrt(Dm³/0.17); 1 mm of water → 2.43 mm flake
    assert float(snowflake_diameter_mm(1.0)) == pytest.approx(math.sqrt(1 / 0.17))


def test_particle_count_matches_marshall_palmer_integral() -> None:
    """Expected streak count = ∫ N(D)·(a/3)·(z_max(D)³ − z_near³) dD, z_max = f·D/0.25 px."""
    rate = 10.0
    lam = 4.1 * rate ** -0.21
    area = W * H / FOCAL_PX ** 2

    def density(d_mm: float) -> float:
        z_max = min(FOCAL_PX * d_mm * 1e-3 / RAIN.min_width_px, 50.0)
        return 8000 * math.exp(-lam * d_mm) * area / 3 * max(z_max ** 3 - NEAR_DEPTH_M ** 3, 0)

    exact, _ = integrate.quad(density, 0.1, 6.0, limit=200)
    got = expected_particle_count(RAIN, rate, width_px=W, height_px=H, focal_px=FOCAL_PX)
    assert got == pytest.approx(exact, rel=0.01)


def test_particle_counts_grow_with_rate() -> None:
    rates = [0.5, 1.0, 2.5, 7.6, 20.0, 50.0, 100.0]
    for kind in (RAIN, SNOW):
        counts = [expected_particle_count(kind, r, width_px=W, height_px=H, focal_px=FOCAL_PX)
                  for r in rates]
        assert np.all(np.diff(counts) > 0), (kind.name, counts)
    assert expected_particle_count(RAIN, 0.0, width_px=W, height_px=H, focal_px=FOCAL_PX) == 0


def test_streaks_are_the_fall_during_the_exposure() -> None:
    """A streak is f·v·T/z pixels long, slanted by the cross wind."""
    rng = np.random.default_rng(4)
    p = sample_particles(RAIN, 20.0, rng, width_px=W, height_px=H, focal_px=FOCAL_PX,
                         exposure_s=0.02, wind_mps=3.0)
    assert len(p) > 50
    d_mm = p.width_px * p.depth_m / FOCAL_PX * 1e3
    v = rain_fall_speed_mps(d_mm)
    np.testing.assert_allclose(p.length_px, FOCAL_PX * np.hypot(v, 3.0) * 0.02 / p.depth_m)
    np.testing.assert_allclose(p.dir_x / p.dir_y, 3.0 / v)
    assert np.all(p.width_px >= RAIN.min_width_px * 0.9) and np.all(p.depth_m >= NEAR_DEPTH_M)


def test_rain_coverage_grows_with_rate(street) -> None:
    image, depth, _ = street
    coverage, changed = [], []
    for rate in (1.0, 5.0, 20.0, 100.0):
        weather = SensorWeather(rain_mm_h=rate)
        out = apply_weather(image, depth, weather, np.random.default_rng(2))
        coverage.append(float(out.particle_alpha.sum()))
        # against the same fog without the streaks
        fog = apply_weather(image, depth, fog_only(weather.effective_visibility_m),
                            np.random.default_rng(2))
        changed.append(float(np.mean(out.image != fog.image)))
    assert np.all(np.diff(coverage) > 0), coverage
    assert np.all(np.diff(changed) > 0), changed
    assert changed[0] > 0.0


def test_particles_hide_behind_near_surfaces() -> None:
    image = np.full((60, 80, 3), 100, np.uint8)
    wall = np.full((60, 80), 0.4, np.float32)      # nearer than any drawn particle
    out = apply_weather(image, wall, SensorWeather(rain_mm_h=50.0, snow_mm_h=2.0),
                        np.random.default_rng(0), camera=CameraModel(focal_px=70.0))
    assert not out.particle_alpha.any()


def test_snow_flakes_and_snowy_road(street) -> None:
    image, depth, road = street
    light = apply_weather(image, depth, SensorWeather(snow_mm_h=0.3, road_state="snow"),
                          np.random.default_rng(3), road_mask=road, camera=CAMERA)
    heavy = apply_weather(image, depth, SensorWeather(snow_mm_h=2.5, road_state="snow"),
                          np.random.default_rng(3), road_mask=road, camera=CAMERA)
    assert 0 < light.particle_alpha.sum() < heavy.particle_alpha.sum()
    # the road is covered: near road pixels (no fog to speak of) are whitened to the closed form
    clear_flakes = light.particle_alpha < 1e-6
    near = road & (depth < 6.0) & clear_flakes
    assert near.sum() > 100
    expected = ((1 - SNOW_COVER_FRACTION) * to_linear(image)
                + SNOW_COVER_FRACTION * SNOW_ALBEDO)
    t = light.transmission[..., None]
    expected = expected * t + default_airlight(45.0) * (1 - t)
    np.testing.assert_allclose(to_linear(light.image)[near], expected[near], atol=0.01)
    assert to_linear(light.image)[near].mean() > 2 * to_linear(image)[near].mean()


def test_wet_road_darker_near_and_shiny_far(street) -> None:
    image, depth, road = street
    wet = apply_weather(image, depth, SensorWeather(road_state="wet"),
                        np.random.default_rng(0), road_mask=road, camera=CAMERA)
    lin_in, lin_out = to_linear(image), to_linear(wet.image)
    film = wet_film_fraction(0.0)
    for row in (H - 1, H // 2 + 1):             # ≈ 2.4 m and ≈ 130 m ahead
        d = float(depth[row, 40])
        reflect = film * float(fresnel_reflectance(CAMERA.height_m / max(d, 1.4)))
        reflect *= DAYLIGHT_AIRLIGHT
        expected = lin_in[row, 40] * WET_ROAD_DARKENING + reflect
        np.testing.assert_allclose(lin_out[row, 40], expected, atol=0.01)
    assert lin_out[H - 1, 40, 0] < lin_in[H - 1, 40, 0]       # near: darker
    assert lin_out[H // 2 + 1, 40, 0] > lin_in[H // 2 + 1, 40, 0]   # grazing: mirrors the sky
    assert np.array_equal(wet.image[~road], image[~road])      # only the road changes
    assert fresnel_reflectance(1.0) == pytest.approx(0.0204, abs=1e-4)
    assert fresnel_reflectance(0.0) == pytest.approx(1.0)


# -- low light -------------------------------------------------------------------------------
def test_illuminance_gain_and_headlights() -> None:
    assert float(sky_illuminance_lux(-6.0)) == pytest.approx(3.4)
    assert float(sky_illuminance_lux(0.0)) == pytest.approx(400.0)
    assert float(sky_illuminance_lux(-40.0)) == pytest.approx(0.002)
    elev = np.linspace(-30, 60, 91)
    assert np.all(np.diff(sky_illuminance_lux(elev)) >= 0)
    cam = CameraModel()
    assert sensor_gain(10.0, cam) == 1.0 and sensor_gain(-20.0, cam) == cam.max_gain
    assert sensor_gain(-3.0, cam) == pytest.approx(400.0 / float(sky_illuminance_lux(-3.0)))
    # night: k = (E_sky + I/d²) / E_full, capped at 1; sky gets no headlight
    k = illumination_factor(-20.0, np.array([5.0, 70.0, 150.0, np.inf]), cam)
    e_sky = float(sky_illuminance_lux(-20.0))
    np.testing.assert_allclose(k, [1.0, (e_sky + 1e4 / 70 ** 2) / 10.0,
                                   (e_sky + 1e4 / 150 ** 2) / 10.0, e_sky / 10.0], rtol=1e-6)
    assert np.all(illumination_factor(-3.0, np.array([5.0, np.inf]), cam) == 1.0)


def test_night_is_darker_and_noisier() -> None:
    image = np.full((64, 64, 3), 140, np.uint8)
    depth = np.full((64, 64), 100.0, np.float32)
    rng = np.random.default_rng
    day = apply_weather(image, depth, SensorWeather(), rng(0))
    dusk = apply_weather(image, depth, SensorWeather(sun_elevation_deg=-2.0), rng(0))
    night = apply_weather(image, depth, SensorWeather(sun_elevation_deg=-20.0), rng(0))
    lin = {name: to_linear(out.image) for name, out in
           (("day", day), ("dusk", dusk), ("night", night))}
    assert day.image.tobytes() == image.tobytes()
    # dusk: the gain keeps the brightness, adds noise; night: darker still and noisier
    assert lin["dusk"].mean() == pytest.approx(lin["day"].mean(), rel=0.02)
    assert lin["dusk"].std() > 0.0
    k = float(illumination_factor(-20.0, 100.0, CameraModel()))
    assert lin["night"].mean() == pytest.approx(lin["day"].mean() * k, rel=0.1)
    assert lin["night"].mean() < 0.5 * lin["day"].mean()
    relative = {n: lin[n].std() / lin[n].mean() for n in ("dusk", "night")}
    assert relative["night"] > 2 * relative["dusk"]
    # photon-transfer model: variance (g−1)/Q·y + (σ_e/Q)²(g²−1) over the base gain
    cam, g = CameraModel(), night.sensor_gain
    y = lin["day"].mean() * k
    predicted = (g - 1) / cam.full_well_e * y + (cam.read_noise_e / cam.full_well_e) ** 2 * (
        g * g - 1)
    assert lin["night"].var() == pytest.approx(predicted, rel=0.25)


def test_sensor_noise_statistics() -> None:
    """Excess noise over base gain: exact Poisson in the dark, mean y and variance
    (g − 1)/Q·y + (σ_e/Q)²·(g² − 1) everywhere."""
    gain = 21.0
    quiet = CameraModel(read_noise_e=0.0)
    e_per_unit = quiet.full_well_e / (gain - 1.0)          # 500 electrons per unit
    dark = np.full(200_000, 2.0 / e_per_unit, np.float32)   # λ = 2 electrons
    noisy = add_sensor_noise(dark.copy(), gain, quiet, np.random.default_rng(0))
    counts = np.rint(noisy * e_per_unit)
    np.testing.assert_allclose(noisy * e_per_unit, counts, atol=1e-3)   # whole electrons
    for n in range(5):
        p = math.exp(-2.0) * 2.0 ** n / math.factorial(n)
        assert np.mean(counts == n) == pytest.approx(p, abs=0.004)
    cam = CameraModel()
    for y in (0.016, 0.3):     # λ = 8 (exact) and 150 electrons (Cornish–Fisher)
        values = np.full(200_000, y, np.float32)
        out = add_sensor_noise(values.copy(), gain, cam, np.random.default_rng(1))
        variance = ((gain - 1) / cam.full_well_e * y
                    + (cam.read_noise_e / cam.full_well_e) ** 2 * (gain ** 2 - 1))
        assert out.mean() == pytest.approx(y, rel=0.01)
        assert out.var() == pytest.approx(variance, rel=0.03)
    same = np.full(10, 0.2, np.float32)
    assert add_sensor_noise(same, 1.0, cam, np.random.default_rng(0)) is same


def test_camera_model_validation() -> None:
    with pytest.raises(SensorWeatherError, match="finite number > 0") as err:
        CameraModel(exposure_s=0.0)
    assert err.value.first.field == "camera.exposure_s"
    with pytest.raises(SensorWeatherError, match=">= 1"):
        CameraModel(max_gain=0.5)
    assert CameraModel().focal_length_px(640) == pytest.approx(554.26, abs=0.01)


def test_importing_the_effects_stays_light() -> None:
    """The compiled kernels (Numba) and SciPy load on first use, not on import."""
    code = ("import sys, simengine.weather.image_effects, simengine.weather.range_effects; "
            "print(sorted(m for m in ('numba', 'scipy', 'cv2', 'pybullet') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_fog_at_night_is_dark() -> None:
    assert default_airlight(30.0) == DAYLIGHT_AIRLIGHT
    assert default_airlight(-3.0) == DAYLIGHT_AIRLIGHT
    assert default_airlight(-20.0) < 0.001
