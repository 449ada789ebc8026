"""Surrogate safety measures against closed-form values (reference §A)."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from simengine.domains.driving.geometry import box_overlaps_rect
from simengine.domains.driving.metrics import (
    CONFLICT_NAMES,
    CONFLICT_UNKNOWN,
    CROSSING,
    LANE_CHANGE,
    REAR_END,
    ZONE_STATE_SIZE,
    btn,
    conflict_type,
    drac,
    init_zone_state,
    mttc,
    pet,
    tet_increment,
    time_headway,
    tit_increment,
    ttc,
    update_zone_times,
    zone_pet,
)

INF = math.inf


def test_constant_speed_approach() -> None:
    assert ttc(50.0, 10.0) == pytest.approx(5.0)
    assert drac(50.0, 10.0) == pytest.approx(1.0)
    assert mttc(50.0, 10.0, 0.0) == pytest.approx(5.0)


def test_both_stopped_and_diverging_are_infinite() -> None:
    assert ttc(10.0, 0.0) == INF  # both stopped / equal speeds: never 0
    assert ttc(10.0, -3.0) == INF  # leader pulling away
    assert mttc(10.0, 0.0, 0.0) == INF
    assert mttc(10.0, -3.0, 0.0) == INF
    assert drac(10.0, 0.0) == 0.0
    assert drac(10.0, -3.0) == 0.0


def test_overlap_is_zero_not_small() -> None:
    for g in (0.0, -0.5):
        assert ttc(g, 5.0) == 0.0
        assert ttc(g, 0.0) == 0.0  # overlap takes precedence over "not closing"
        assert ttc(g, -2.0) == 0.0
        assert mttc(g, 5.0, 1.0) == 0.0
        assert time_headway(g, 10.0) == 0.0
        assert drac(g, 5.0) == 0.0


def test_nan_propagates() -> None:
    assert math.isnan(ttc(math.nan, 1.0))
    assert math.isnan(mttc(10.0, math.nan, 1.0))
    assert math.isnan(drac(10.0, math.nan))
    assert math.isnan(time_headway(math.nan, 1.0))


def test_mttc_leader_braking_from_equal_speed() -> None:
    # Equal speeds, leader decelerating at 3 m/s^2: 30 - 1.5 t^2 = 0.
    assert mttc(30.0, 0.0, 3.0) == pytest.approx(math.sqrt(2.0 * 30.0 / 3.0))
    assert ttc(30.0, 0.0) == INF  # constant-velocity TTC misses it


def test_mttc_closed_form_roots() -> None:
    # t^2 + 10 t - 50 = 0 -> t = -5 + sqrt(75).
    assert mttc(50.0, 10.0, 2.0) == pytest.approx(-5.0 + math.sqrt(75.0))
    # Follower braking relative: -0.5 t^2 + 10 t - 20 = 0 -> t = 10 - sqrt(60) (smaller root).
    assert mttc(20.0, 10.0, -1.0) == pytest.approx(10.0 - math.sqrt(60.0))
    # Relative braking strong enough to stop the closing first: dv^2 + 2 da g < 0.
    assert mttc(50.0, 10.0, -2.0) == INF
    # Diverging but the follower accelerates harder: t^2 - 5 t - 10 = 0.
    assert mttc(10.0, -5.0, 2.0) == pytest.approx((5.0 + math.sqrt(65.0)) / 2.0)
    # Diverging and decelerating relative: never meets.
    assert mttc(10.0, -5.0, -1.0) == INF
    # Tiny |da| falls back to constant-velocity TTC (no huge spurious root).
    assert mttc(50.0, 10.0, 1e-9) == pytest.approx(5.0)
    assert mttc(50.0, 0.0, 1e-9) == INF


def test_mttc_is_smallest_positive_root() -> None:
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(300):
        g = rng.uniform(0.5, 80.0)
        dv = rng.uniform(-15.0, 15.0)
        da = rng.uniform(-6.0, 6.0)
        t = mttc(g, dv, da)
        grid = np.linspace(0.0, min(t, 200.0), 2001)[:-1]
        gap = g - dv * grid - 0.5 * da * grid**2
        assert np.all(gap > -1e-9)  # the gap stays open before t
        if math.isfinite(t):
            found += 1
            assert t > 0.0
            assert g - dv * t - 0.5 * da * t * t == pytest.approx(0.0, abs=1e-7 * max(g, 1.0))
    assert found > 50


def test_time_headway() -> None:
    assert time_headway(30.0, 15.0) == pytest.approx(2.0)
    assert time_headway(30.0, 0.0) == INF
    assert time_headway(30.0, -1.0) == INF
    assert time_headway(0.0, 0.0) == 0.0


def test_btn() -> None:
    assert btn(drac(50.0, 10.0), 8.0) == pytest.approx(0.125)
    assert btn(9.0, 6.0) == pytest.approx(1.5)  # >= 1: braking alone cannot avoid it
    assert btn(drac(20.0, 20.0), 10.0) == pytest.approx(1.0)
    assert btn(1.0, 0.0) == INF
    assert btn(0.0, 0.0) == 0.0


def test_tet_tit_increments() -> None:
    dt, tau = 0.1, 2.0
    series = [INF, 4.0, 2.0, 1.5, 0.5, 0.0, math.nan]
    tet = sum(tet_increment(v, tau, dt) for v in series)
    tit = sum(tit_increment(v, tau, dt) for v in series)
    assert tet == pytest.approx(0.3)  # 2.0 (boundary counts), 1.5, 0.5
    assert tit == pytest.approx((0.0 + 0.5 + 1.5) * dt)


def test_conflict_types() -> None:
    deg = math.radians
    assert conflict_type(0.0, 0.0) == REAR_END
    assert conflict_type(deg(20.0), 0.0) == REAR_END
    assert conflict_type(deg(45.0), 0.0) == LANE_CHANGE
    assert conflict_type(deg(90.0), 0.0) == CROSSING
    assert conflict_type(deg(180.0), 0.0) == CROSSING  # head-on: > 85 deg
    # Wrapping: the absolute relative angle folded into [0, 180].
    assert conflict_type(deg(350.0), deg(10.0)) == REAR_END
    assert conflict_type(deg(-170.0), deg(170.0)) == REAR_END
    assert conflict_type(deg(270.0), 0.0) == CROSSING
    assert conflict_type(deg(-45.0), deg(720.0)) == LANE_CHANGE
    assert conflict_type(0.0, deg(45.0)) == conflict_type(deg(45.0), 0.0)
    assert conflict_type(math.nan, 0.0) == CONFLICT_UNKNOWN
    assert [CONFLICT_NAMES[c] for c in (REAR_END, CROSSING, LANE_CHANGE)] == [
        "rear_end",
        "crossing",
        "lane_change",
    ]


def test_pet_scalar() -> None:
    assert pet(3.0, 3.7) == pytest.approx(0.7)
    assert pet(math.nan, 3.7) == INF
    assert pet(3.0, math.nan) == INF
    assert pet(3.0, 2.5) == pytest.approx(-0.5)  # simultaneous occupancy


def fresh_state() -> np.ndarray:
    s = np.empty(ZONE_STATE_SIZE)
    init_zone_state(s)
    return s


def test_pet_from_zone_times_on_a_grid() -> None:
    # A occupies the zone for 2.0 <= t < 3.0; B enters at 3.7 and stays.
    dt = 0.1
    a, b = fresh_state(), fresh_state()
    for i in range(60):
        t = i * dt
        update_zone_times(20 <= i < 30, t, a)
        update_zone_times(i >= 37, t, b)
    assert a[0] == pytest.approx(2.0)
    assert a[1] == pytest.approx(3.0)
    assert a[2] == 0.0
    assert b[0] == pytest.approx(3.7)
    assert math.isnan(b[1])  # still inside
    assert b[2] == 1.0
    assert pet(a[1], b[0]) == pytest.approx(0.7)
    assert zone_pet(a, b) == pytest.approx(0.7)
    assert zone_pet(b, a) == pytest.approx(0.7)


def test_zone_times_reentry_and_unset_cases() -> None:
    s = fresh_state()
    assert math.isnan(s[0]) and math.isnan(s[1]) and s[2] == 0.0
    occ = [False, True, True, False, False, True, False, False]
    for i, o in enumerate(occ):
        update_zone_times(o, float(i), s)
        if i == 5:
            assert math.isnan(s[1])  # inside again: the exit is open
    assert s[0] == 1.0 and s[1] == 6.0  # collapsed to [first entry, last exit]
    never = fresh_state()
    for i in range(5):
        update_zone_times(False, float(i), never)
    assert zone_pet(s, never) == INF
    # Second enters while the first is still inside: simultaneous occupancy.
    first, second = fresh_state(), fresh_state()
    for i in range(10):
        update_zone_times(i >= 2, float(i), first)
        update_zone_times(i >= 5, float(i), second)
    assert zone_pet(first, second) == -INF


@numba.njit
def _crossing_kernel(dt, n_steps, zone, states):
    """Hot-loop-shaped caller: two cars crossing a zone, occupancy into a (2, 1, 3) state."""
    for i in range(2):
        init_zone_state(states[i, 0])
    for k in range(n_steps):
        t = k * dt
        # A drives east, centre at x = -3 at t = 1.95; B drives north, centre at y = -3 at 3.05.
        xa = -3.0 + 10.0 * (t - 1.95)
        yb = -3.0 + 5.0 * (t - 3.05)
        occ_a = box_overlaps_rect(xa, 0.0, 0.0, 4.0, 2.0, zone[0], zone[1], zone[2], zone[3])
        occ_b = box_overlaps_rect(
            0.0, yb, math.pi / 2, 4.0, 2.0, zone[0], zone[1], zone[2], zone[3]
        )
        update_zone_times(occ_a, t, states[0, 0])
        update_zone_times(occ_b, t, states[1, 0])
    return zone_pet(states[0, 0], states[1, 0])


def test_crossing_paths_pet_with_geometry() -> None:
    # A occupies (1.95, 2.55), B from 3.05: on a 0.1 s grid A is seen 2.0 .. exit at 2.6 and
    # B enters at 3.1, so PET = 0.5 s (the continuous value is 3.05 - 2.55 = 0.5 s as well).
    states = np.empty((2, 1, ZONE_STATE_SIZE))
    p = _crossing_kernel(0.1, 60, np.array([-1.0, 1.0, -1.0, 1.0]), states)
    assert states[0, 0, 0] == pytest.approx(2.0)
    assert states[0, 0, 1] == pytest.approx(2.6)
    assert states[1, 0, 0] == pytest.approx(3.1)
    assert p == pytest.approx(0.5)
