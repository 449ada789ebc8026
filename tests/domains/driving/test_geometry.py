"""Oriented-box kernels against closed-form and brute-force values."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from simengine.domains.driving.geometry import (
    box_corners,
    box_overlaps_rect,
    box_signed_distance,
    longitudinal_gap,
    point_box_distance,
    segment_hits_box,
)

CAR_L = 4.5
CAR_W = 1.8


def corners(x: float, y: float, psi: float, length: float, width: float) -> np.ndarray:
    out = np.empty((4, 2))
    box_corners(x, y, psi, length, width, out)
    return out


def boundary_samples(poly: np.ndarray, per_edge: int) -> np.ndarray:
    """Points evenly spaced along each edge of a polygon (corners included)."""
    t = np.linspace(0.0, 1.0, per_edge, endpoint=False)[:, None]
    nxt = np.roll(poly, -1, axis=0)
    return np.concatenate([a + t * (b - a) for a, b in zip(poly, nxt, strict=True)])


def inside_box(pts: np.ndarray, x: float, y: float, psi: float, length: float, width: float):
    """Strictly-inside mask for points against an oriented box (independent of the kernels)."""
    d = pts - np.array([x, y])
    u = np.array([math.cos(psi), math.sin(psi)])
    n = np.array([-math.sin(psi), math.cos(psi)])
    return (np.abs(d @ u) < length / 2 - 1e-12) & (np.abs(d @ n) < width / 2 - 1e-12)


def test_box_corners_counter_clockwise_and_placed() -> None:
    c = corners(1.0, 2.0, 0.0, 4.0, 2.0)
    np.testing.assert_allclose(c, [[-1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [-1.0, 3.0]])
    r = corners(0.0, 0.0, math.pi / 2, 4.0, 2.0)
    np.testing.assert_allclose(r, [[1.0, -2.0], [1.0, 2.0], [-1.0, 2.0], [-1.0, -2.0]], atol=1e-12)
    for psi in (0.3, 2.0, -2.5):
        p = corners(3.0, -1.0, psi, 4.5, 1.8)
        x, y = p[:, 0], p[:, 1]
        shoelace = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
        assert shoelace == pytest.approx(4.5 * 1.8)  # positive area: counter-clockwise


def test_axis_aligned_overlap_gives_penetration_depth() -> None:
    # Two 4x2 boxes whose x extents [-2, 2] and [1.5, 5.5] overlap by 0.5 m.
    d = box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 3.5, 0.0, 0.0, 4.0, 2.0)
    assert d == pytest.approx(-0.5)
    # Symmetric in the argument order.
    assert box_signed_distance(3.5, 0.0, 0.0, 4.0, 2.0, 0.0, 0.0, 0.0, 4.0, 2.0) == pytest.approx(
        -0.5
    )
    # Lateral overlap of 0.3 m (y extents [-1, 1] and [0.7, 2.7]).
    assert box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 1.0, 1.7, 0.0, 4.0, 2.0) == pytest.approx(
        -0.3
    )


def test_rotated_overlap_penetration_depth() -> None:
    # Perpendicular 4x2 box: x extents [-2, 2] and [1.5, 3.5] -> 0.5 m.
    d = box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 2.5, 0.0, math.pi / 2, 4.0, 2.0)
    assert d == pytest.approx(-0.5)
    # A 2x2 square at 45 deg whose bottom corner pokes 0.3 m into the top edge (y = 1).
    cy = 1.0 + math.sqrt(2.0) - 0.3
    d = box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 0.0, cy, math.pi / 4, 2.0, 2.0)
    assert d == pytest.approx(-0.3)
    # Full containment: the MTV along y pushes the small box out of the big one.
    d = box_signed_distance(0.0, 0.0, 0.0, 10.0, 4.0, 0.0, 0.0, 0.0, 2.0, 1.0)
    assert d == pytest.approx(-(2.0 + 0.5))


def test_separated_parallel_boxes_exact_distance() -> None:
    assert box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 10.0, 0.0, 0.0, 4.0, 2.0) == pytest.approx(
        6.0
    )
    # Diagonal: corner to corner, gaps 3 m in x and 3 m in y.
    assert box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 7.0, 5.0, 0.0, 4.0, 2.0) == pytest.approx(
        math.sqrt(18.0)
    )
    # Opposite headings are the same rectangle.
    assert box_signed_distance(
        0.0, 0.0, 0.0, 4.0, 2.0, 10.0, 0.0, math.pi, 4.0, 2.0
    ) == pytest.approx(6.0)


def test_adjacent_lane_side_by_side() -> None:
    # Lane centres 3.6 m apart, cars 1.8 m wide: 1.8 m of clear space, no overlap.
    for dx in (0.0, 2.0, -3.0):
        d = box_signed_distance(0.0, 0.0, 0.0, CAR_L, CAR_W, dx, 3.6, 0.0, CAR_L, CAR_W)
        assert d == pytest.approx(1.8)
        assert -d < 0.0  # no penetration


def test_touching_boxes_are_at_zero() -> None:
    d = box_signed_distance(0.0, 0.0, 0.0, CAR_L, CAR_W, 0.0, 1.8, 0.0, CAR_L, CAR_W)
    assert d == 0.0
    d = box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 4.0, 2.0, 0.0, 4.0, 2.0)  # corner to corner
    assert d == 0.0


def test_rotated_45_distance_matches_brute_force() -> None:
    d = box_signed_distance(0.0, 0.0, 0.0, 4.0, 2.0, 5.0, 1.0, math.pi / 4, 4.0, 2.0)
    a = boundary_samples(corners(0.0, 0.0, 0.0, 4.0, 2.0), 400)
    b = boundary_samples(corners(5.0, 1.0, math.pi / 4, 4.0, 2.0), 400)
    brute = np.min(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2))
    assert d > 0.0
    assert d == pytest.approx(brute, abs=5e-3)
    assert d <= brute + 1e-12  # sampling can only over-estimate the true distance
    # Closed form: B's rear-left corner c - 2u + n = (5 - 3/sqrt2, 1 - 1/sqrt2) faces A's front
    # edge x = 2 (|y| <= 1), so the distance is 3 - 3/sqrt2.
    assert d == pytest.approx(3.0 - 3.0 / math.sqrt(2.0))


def test_random_pairs_against_brute_force() -> None:
    rng = np.random.default_rng(20240611)
    per_edge = 100
    checked_pos = checked_neg = 0
    for _ in range(60):
        x2, y2 = rng.uniform(-6.0, 6.0, 2)
        p1, p2 = rng.uniform(-math.pi, math.pi, 2)
        l1, l2 = rng.uniform(2.0, 6.0, 2)
        w1, w2 = rng.uniform(1.0, 2.5, 2)
        d = box_signed_distance(0.3, -0.2, p1, l1, w1, x2, y2, p2, l2, w2)
        a = boundary_samples(corners(0.3, -0.2, p1, l1, w1), per_edge)
        b = boundary_samples(corners(x2, y2, p2, l2, w2), per_edge)
        if d > 0.0:
            brute = np.min(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2))
            assert d <= brute + 1e-9
            assert brute - d < 6.0 / per_edge
            checked_pos += 1
        elif d < 0.0:
            overlap = (
                inside_box(a, x2, y2, p2, l2, w2).any()
                or inside_box(b, 0.3, -0.2, p1, l1, w1).any()
            )
            assert overlap
            checked_neg += 1
    assert checked_pos > 10 and checked_neg > 5


def test_point_box_distance() -> None:
    assert point_box_distance(0.0, 0.0, 0.0, 0.0, 0.3, 4.0, 2.0) == 0.0
    assert point_box_distance(5.0, 0.0, 0.0, 0.0, 0.0, 4.0, 2.0) == pytest.approx(3.0)
    assert point_box_distance(0.0, 5.0, 0.0, 0.0, math.pi / 2, 4.0, 2.0) == pytest.approx(3.0)


def test_box_overlaps_rect() -> None:
    zone = (0.0, 10.0, 0.0, 10.0)
    assert box_overlaps_rect(5.0, 5.0, 0.7, CAR_L, CAR_W, *zone)
    assert not box_overlaps_rect(20.0, 5.0, 0.0, CAR_L, CAR_W, *zone)
    # Only touching the zone boundary does not occupy it.
    assert not box_overlaps_rect(-2.0, 5.0, 0.0, 4.0, 2.0, *zone)
    assert box_overlaps_rect(-1.9, 5.0, 0.0, 4.0, 2.0, *zone)
    # Near the corner at 45 deg: the front edge pokes in at (-1.2, -1.2) ...
    assert box_overlaps_rect(-1.2, -1.2, math.pi / 4, 4.0, 2.0, *zone)
    # ... but not at (-1.6, -1.6), although the car's axis-aligned bounding box still overlaps.
    assert not box_overlaps_rect(-1.6, -1.6, math.pi / 4, 4.0, 2.0, *zone)
    # A zone fully inside the car.
    assert box_overlaps_rect(5.0, 5.0, 0.0, 40.0, 40.0, *zone)


def test_segment_hits_box() -> None:
    parked = (10.0, 0.0, 0.0, CAR_L, CAR_W)
    assert segment_hits_box(0.0, 0.0, 20.0, 0.0, *parked)  # straight through
    assert not segment_hits_box(0.0, 5.0, 20.0, 5.0, *parked)  # parallel, clear
    assert not segment_hits_box(0.0, 0.0, 7.0, 0.0, *parked)  # target before the car
    assert segment_hits_box(0.0, 0.0, 8.0, 0.0, *parked)  # target behind its rear bumper edge
    assert segment_hits_box(10.0, -5.0, 10.0, 5.0, *parked)  # vertical, through
    assert not segment_hits_box(13.0, -5.0, 13.0, 5.0, *parked)  # vertical, past the front
    assert segment_hits_box(0.0, 0.9, 20.0, 0.9, *parked)  # grazing the side: blocked
    assert segment_hits_box(0.0, -3.0, 20.0, 3.0, *parked)  # diagonal through the centre
    assert not segment_hits_box(0.0, 3.0, 20.0, 6.0, *parked)  # diagonal, clear
    assert segment_hits_box(10.0, 0.0, 10.0, 0.0, *parked)  # zero length, inside
    assert not segment_hits_box(0.0, 0.0, 0.0, 0.0, *parked)  # zero length, outside
    # A rotated box reaches y = (2 + 1)/sqrt2 ~ 2.12.
    rotated = (0.0, 0.0, math.pi / 4, 4.0, 2.0)
    assert segment_hits_box(-10.0, 1.5, 10.0, 1.5, *rotated)
    assert not segment_hits_box(-10.0, 2.2, 10.0, 2.2, *rotated)
    # Direction does not matter.
    assert segment_hits_box(20.0, 0.0, 0.0, 0.0, *parked)


def test_longitudinal_gap_in_lane_and_cut_in() -> None:
    assert longitudinal_gap(0.0, 0.0, 0.0, CAR_L, 20.0, 0.0, CAR_L) == pytest.approx(15.5)
    # Cut-in: the leader is still 1.5 m to the left; the gap is measured along the follower.
    assert longitudinal_gap(0.0, 0.0, 0.0, CAR_L, 20.0, 1.5, CAR_L) == pytest.approx(15.5)
    # Follower heading 30 deg; leader 12 m ahead along it and 1 m to its left.
    psi = math.radians(30.0)
    lx = 3.0 + 12.0 * math.cos(psi) - 1.0 * math.sin(psi)
    ly = -2.0 + 12.0 * math.sin(psi) + 1.0 * math.cos(psi)
    assert longitudinal_gap(3.0, -2.0, psi, CAR_L, lx, ly, 4.0) == pytest.approx(12.0 - 4.25)
    # Longitudinal overlap (cut-in too close) is negative; a leader behind is negative too.
    assert longitudinal_gap(0.0, 0.0, 0.0, CAR_L, 3.0, 3.6, CAR_L) == pytest.approx(-1.5)
    assert longitudinal_gap(0.0, 0.0, 0.0, CAR_L, -10.0, 0.0, CAR_L) == pytest.approx(-14.5)


@numba.njit
def _nearest_distances(states: np.ndarray, out: np.ndarray) -> None:
    """A hot-loop-shaped caller: all pairs, inside nopython code."""
    n = states.shape[0]
    for i in range(n):
        best = np.inf
        for j in range(n):
            if i != j:
                d = box_signed_distance(
                    states[i, 0],
                    states[i, 1],
                    states[i, 2],
                    states[i, 3],
                    states[i, 4],
                    states[j, 0],
                    states[j, 1],
                    states[j, 2],
                    states[j, 3],
                    states[j, 4],
                )
                best = min(best, d)
        out[i] = best


def test_kernels_callable_from_nopython_code() -> None:
    states = np.array(
        [[0.0, 0.0, 0.0, 4.0, 2.0], [10.0, 0.0, 0.0, 4.0, 2.0], [0.0, 3.5, 0.0, 4.0, 2.0]]
    )
    out = np.empty(3)
    _nearest_distances(states, out)
    np.testing.assert_allclose(out, [1.5, 6.0, 1.5])
