"""Oriented-box geometry kernels for the driving simulator's hot loop.

A road user is an oriented rectangle: centre ``(x, y)`` in metres, heading ``psi`` in radians
(0 = +x, counter-clockwise positive), length ``l`` along the heading and width ``w`` across it.
Its unit heading is ``u = (cos psi, sin psi)`` and its left normal ``n = (-sin psi, cos psi)``.

Every function is a ``numba.njit(cache=True)`` kernel over floats: deterministic, no ``fastmath``,
and, except :func:`box_corners` (which fills a caller-owned array), free of array allocation, so
the simulator can call them once per actor pair per step.

Conventions: the boxes are closed sets. *Overlap* means an intersection of positive area
(:func:`box_signed_distance` < 0, :func:`box_overlaps_rect`); boxes that only touch along an edge
or at a corner are at signed distance 0 and do not overlap. :func:`segment_hits_box` treats the
box as closed, so a line of sight that grazes an edge or corner counts as blocked.
"""

from __future__ import annotations

import math

import numba

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources

__all__ = [
    "box_corners",
    "box_overlaps_rect",
    "box_signed_distance",
    "longitudinal_gap",
    "point_box_distance",
    "segment_hits_box",
]


@numba.njit(cache=True)
def box_corners(x, y, psi, l, w, out):  # noqa: E741 - l is the domain's name for length
    """Fill ``out`` (shape (4, 2), float) with the box's corners in counter-clockwise order.

    ``corner_k = (x, y) + sx_k·(l/2)·u + sy_k·(w/2)·n`` with ``(sx, sy)`` =
    (−1, −1) rear-right, (+1, −1) front-right, (+1, +1) front-left, (−1, +1) rear-left, where
    ``u = (cos ψ, sin ψ)`` and ``n = (−sin ψ, cos ψ)``. Writes into ``out``; returns nothing.
    """
    c = math.cos(psi)
    s = math.sin(psi)
    hl = 0.5 * l
    hw = 0.5 * w
    for k in range(4):
        sx = -1.0 if (k == 0 or k == 3) else 1.0
        sy = -1.0 if k < 2 else 1.0
        out[k, 0] = x + sx * hl * c - sy * hw * s
        out[k, 1] = y + sx * hl * s + sy * hw * c


@numba.njit(cache=True)
def _corner(x, y, c, s, hl, hw, k):
    """Corner ``k`` (0..3, counter-clockwise from rear-right) as a tuple; no allocation."""
    sx = -1.0 if (k == 0 or k == 3) else 1.0
    sy = -1.0 if k < 2 else 1.0
    return x + sx * hl * c - sy * hw * s, y + sx * hl * s + sy * hw * c


@numba.njit(cache=True)
def _point_box_distance(px, py, bx, by, c, s, hl, hw):
    """Distance from a point to a closed oriented box given by cos/sin and half extents."""
    dx = px - bx
    dy = py - by
    lx = abs(dx * c + dy * s) - hl
    ly = abs(-dx * s + dy * c) - hw
    ex = lx if lx > 0.0 else 0.0
    ey = ly if ly > 0.0 else 0.0
    return math.sqrt(ex * ex + ey * ey)


@numba.njit(cache=True)
def point_box_distance(px, py, bx, by, bpsi, bl, bw):
    """Euclidean distance from point ``(px, py)`` to the closed oriented box (0 inside).

    In the box frame ``p' = (d·u, d·n)`` with ``d = p − centre``; the distance is
    ``‖(max(|p'_x| − l/2, 0), max(|p'_y| − w/2, 0))‖`` (Ericson, *Real-Time Collision
    Detection*, 2005, §5.1.4 closest point on an OBB).
    """
    return _point_box_distance(px, py, bx, by, math.cos(bpsi), math.sin(bpsi), 0.5 * bl, 0.5 * bw)


@numba.njit(cache=True)
def _radius_on_axis(c, s, hl, hw, ax, ay):
    """Half-width of a box's projection on unit axis ``a``: ``hl·|u·a| + hw·|n·a|``."""
    return hl * abs(c * ax + s * ay) + hw * abs(-s * ax + c * ay)


@numba.njit(cache=True)
def _axis_overlap(dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2, ax, ay):
    """Overlap of the two boxes' projections on unit axis ``a`` (≤ 0 means separated).

    Projections are intervals ``[p_i − r_i, p_i + r_i]``; for intervals the minimum translation
    that separates them is ``r_1 + r_2 − |p_2 − p_1|`` (this also holds under containment).
    """
    r1 = _radius_on_axis(c1, s1, hl1, hw1, ax, ay)
    r2 = _radius_on_axis(c2, s2, hl2, hw2, ax, ay)
    return r1 + r2 - abs(dx * ax + dy * ay)


@numba.njit(cache=True)
def box_signed_distance(x1, y1, psi1, l1, w1, x2, y2, psi2, l2, w2):
    """Signed separation of two oriented boxes in metres.

    * Disjoint (a separating axis exists): the exact minimum Euclidean distance between the two
      rectangles, > 0. For disjoint convex polygons the minimum is attained at a vertex of one of
      them, so it is ``min(min_k dist(corner_k(A), B), min_k dist(corner_k(B), A))`` with the
      point–box distance of :func:`point_box_distance`.
    * Overlapping: minus the penetration depth, < 0, where the penetration depth is the minimum
      translation distance over the four separating-axis-theorem axes (both boxes' ``u`` and
      ``n``): ``min_a (r_A(a) + r_B(a) − |(c_B − c_A)·a|)`` (SAT for OBBs: Gottschalk, Lin &
      Manocha, *OBBTree*, SIGGRAPH 1996; Ericson 2005, §4.4 and §5.2.1).
    * Touching along an edge or at a corner: 0.

    So ``penetration_m = -box_signed_distance(...)`` is > 0 exactly on collision.
    """
    c1 = math.cos(psi1)
    s1 = math.sin(psi1)
    c2 = math.cos(psi2)
    s2 = math.sin(psi2)
    hl1 = 0.5 * l1
    hw1 = 0.5 * w1
    hl2 = 0.5 * l2
    hw2 = 0.5 * w2
    dx = x2 - x1
    dy = y2 - y1

    pen = _axis_overlap(dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2, c1, s1)
    o = _axis_overlap(dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2, -s1, c1)
    pen = min(pen, o)
    o = _axis_overlap(dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2, c2, s2)
    pen = min(pen, o)
    o = _axis_overlap(dx, dy, c1, s1, hl1, hw1, c2, s2, hl2, hw2, -s2, c2)
    pen = min(pen, o)
    if pen > 0.0:
        return -pen

    best = math.inf
    for k in range(4):
        px, py = _corner(x1, y1, c1, s1, hl1, hw1, k)
        d = _point_box_distance(px, py, x2, y2, c2, s2, hl2, hw2)
        best = min(best, d)
        qx, qy = _corner(x2, y2, c2, s2, hl2, hw2, k)
        d = _point_box_distance(qx, qy, x1, y1, c1, s1, hl1, hw1)
        best = min(best, d)
    return best


@numba.njit(cache=True)
def box_overlaps_rect(x, y, psi, l, w, xmin, xmax, ymin, ymax):  # noqa: E741
    """True if the oriented box and the axis-aligned rectangle overlap with positive area.

    Separating-axis test on the four axes ``x``, ``y``, ``u``, ``n``: they overlap iff every
    projection overlap ``r_box(a) + r_rect(a) − |Δc·a|`` is > 0 (Gottschalk et al. 1996).
    Touching the zone's boundary does not count as occupying it. Used for conflict-zone
    occupancy (see :func:`simengine.domains.driving.metrics.update_zone_times`).
    """
    c = math.cos(psi)
    s = math.sin(psi)
    hl = 0.5 * l
    hw = 0.5 * w
    rhx = 0.5 * (xmax - xmin)
    rhy = 0.5 * (ymax - ymin)
    dx = 0.5 * (xmin + xmax) - x
    dy = 0.5 * (ymin + ymax) - y
    # The zone is a box with heading 0: u = (1, 0), n = (0, 1).
    if _axis_overlap(dx, dy, c, s, hl, hw, 1.0, 0.0, rhx, rhy, 1.0, 0.0) <= 0.0:
        return False
    if _axis_overlap(dx, dy, c, s, hl, hw, 1.0, 0.0, rhx, rhy, 0.0, 1.0) <= 0.0:
        return False
    if _axis_overlap(dx, dy, c, s, hl, hw, 1.0, 0.0, rhx, rhy, c, s) <= 0.0:
        return False
    return _axis_overlap(dx, dy, c, s, hl, hw, 1.0, 0.0, rhx, rhy, -s, c) > 0.0


@numba.njit(cache=True)
def segment_hits_box(x0, y0, x1, y1, bx, by, bpsi, bl, bw):
    """True if the segment from ``(x0, y0)`` to ``(x1, y1)`` meets the closed oriented box.

    The endpoints are expressed in the box frame and the segment ``p(t) = p0 + t·(p1 − p0)``,
    ``t ∈ [0, 1]``, is clipped against the slabs ``|x'| ≤ l/2`` and ``|y'| ≤ w/2``
    (Liang & Barsky, *A new concept and method for line clipping*, ACM TOG 3(1), 1984). The
    segment hits iff the clipped parameter interval is non-empty. Grazing an edge or corner
    counts as a hit (conservative for occlusion); a zero-length segment hits iff the point lies
    in the box. Use it for line of sight from an observer to a target blocked by a parked
    vehicle (pass the observer and target centres or corners as the endpoints).
    """
    c = math.cos(bpsi)
    s = math.sin(bpsi)
    hl = 0.5 * bl
    hw = 0.5 * bw
    ax = x0 - bx
    ay = y0 - by
    ex = x1 - bx
    ey = y1 - by
    # Box-frame coordinates of the start point and of the direction.
    ox = ax * c + ay * s
    oy = -ax * s + ay * c
    vx = (ex * c + ey * s) - ox
    vy = (-ex * s + ey * c) - oy
    t0 = 0.0
    t1 = 1.0
    for axis in range(2):
        o = ox if axis == 0 else oy
        v = vx if axis == 0 else vy
        h = hl if axis == 0 else hw
        if v == 0.0:
            if o < -h or o > h:
                return False
        else:
            ta = (-h - o) / v
            tb = (h - o) / v
            if ta > tb:
                ta, tb = tb, ta
            t0 = max(t0, ta)
            t1 = min(t1, tb)
            if t0 > t1:
                return False
    return True


@numba.njit(cache=True)
def longitudinal_gap(x_f, y_f, psi_f, l_f, x_l, y_l, l_l):
    """Bumper-to-bumper gap (m) of a leader ahead of a follower, along the follower's heading.

    ``g = (x_L − x_F)·cos ψ_F + (y_L − y_F)·sin ψ_F − (l_F + l_L)/2``, i.e. the projection of the
    centre offset on the follower's heading minus the two half-lengths (the car-following gap
    ``g = x_L − x_F − ℓ_L`` of reference §A with centre rather than front-bumper positions). The
    leader is treated as aligned with the follower (its heading is ignored), which is the
    lane-projection convention of SUMO/SSAM; for a cut-in at an angle this slightly
    underestimates the true bumper distance. Negative when they overlap longitudinally (which is
    a collision only if they also overlap laterally — check :func:`box_signed_distance`).
    """
    return (x_l - x_f) * math.cos(psi_f) + (y_l - y_f) * math.sin(psi_f) - 0.5 * (l_f + l_l)
