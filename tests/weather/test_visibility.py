"""Koschmieder extinction, precipitation, detection range and night."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from simengine.weather import (
    detection_range_m,
    driver_detection_range_m,
    effective_visibility_m,
    extinction_per_m,
    headlight_range_m,
    is_night,
    night_reaction_factor,
    rain_extinction_per_m,
    snow_extinction_per_m,
)
from simengine.weather.visibility import LOW_BEAM_RANGE_M


def test_koschmieder_beta_times_mor() -> None:
    vis = np.array([50.0, 300.0, 1000.0])
    np.testing.assert_allclose(extinction_per_m(vis) * vis, 2.996, rtol=1e-4)
    assert extinction_per_m(np.inf) == 0.0
    with pytest.raises(ValueError):
        extinction_per_m(0.0)


def test_reference_fog_ladder() -> None:
    """The ladder in the reference: 1000 m -> beta 0.003, 150 m -> 0.02, 50 m -> 0.06."""
    np.testing.assert_allclose(extinction_per_m([1000.0, 150.0, 50.0]), [0.003, 0.02, 0.06],
                               rtol=0.002)


def test_detection_range_equals_mor_at_five_percent() -> None:
    vis = np.array([50.0, 300.0, 1000.0])
    np.testing.assert_allclose(detection_range_m(vis), vis, rtol=1e-12)
    assert np.isinf(detection_range_m(np.inf))
    # a lower-contrast target fades sooner; one at the threshold is never seen
    assert detection_range_m(300.0, intrinsic_contrast=0.5) < 300.0
    assert detection_range_m(300.0, intrinsic_contrast=0.05) == 0.0
    # C0 * exp(-beta d) = threshold at the returned distance
    d = detection_range_m(200.0, contrast_threshold=0.02, intrinsic_contrast=0.6)
    assert 0.6 * math.exp(-extinction_per_m(200.0) * d) == pytest.approx(0.02)


def test_rain_and_snow_lower_visibility_monotonically() -> None:
    rates = np.array([0.0, 0.5, 2.0, 10.0, 50.0])
    for base in (np.inf, 1000.0):
        rain = effective_visibility_m(base, rain_mm_h=rates)
        snow = effective_visibility_m(base, snow_mm_h=rates)
        assert rain[0] == base and snow[0] == base
        assert np.all(np.diff(rain) < 0) and np.all(np.diff(snow) < 0)
    # snow hides far more per mm/h than rain
    assert np.all(snow_extinction_per_m(rates[1:]) > rain_extinction_per_m(rates[1:]))
    # the rain fit follows the ITU-R P.1817-1 visibility code within 15 %
    itu = {0.25: 18100.0, 2.5: 5900.0, 12.5: 2800.0, 25.0: 1900.0, 100.0: 770.0}
    got = effective_visibility_m(np.inf, rain_mm_h=np.array(list(itu)))
    np.testing.assert_allclose(got, list(itu.values()), rtol=0.15)


def test_wet_snow_hides_less_than_dry() -> None:
    dry = snow_extinction_per_m(2.0, temperature_c=-5.0)
    wet = snow_extinction_per_m(2.0, temperature_c=1.0)
    assert wet < dry == snow_extinction_per_m(2.0)
    # Rasmussen et al. 1999: about 0.4 km (dry) vs 3.4 km (wet) at 2 mm/h, 2 % threshold
    assert 3.912 / dry == pytest.approx(400.0, rel=0.02)
    assert 3.912 / wet == pytest.approx(3370.0, rel=0.02)


def test_night() -> None:
    elev = np.array([45.0, 0.0, -3.0, -6.0, -7.0, -30.0])
    np.testing.assert_array_equal(is_night(elev), [False, False, False, False, True, True])
    factor = night_reaction_factor(elev)
    assert np.all(factor >= 1.0)
    assert factor[0] == factor[1] == 1.0
    assert np.all(np.diff(factor) >= 0)
    assert factor[-1] > 1.0
    assert np.isinf(headlight_range_m(10.0))
    assert headlight_range_m(-20.0) == LOW_BEAM_RANGE_M
    assert headlight_range_m(-20.0, high_beam=True) > LOW_BEAM_RANGE_M
    seen = driver_detection_range_m([1000.0, 1000.0, 30.0], [30.0, -20.0, -20.0])
    np.testing.assert_allclose(seen, [1000.0, LOW_BEAM_RANGE_M, 30.0])


def test_importing_the_package_does_not_load_numba() -> None:
    code = ("import sys, simengine.weather as w; assert 'numba' not in sys.modules; "
            "w.local_visibility_m; assert 'numba' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
