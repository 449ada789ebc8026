"""Surrogate safety measures (criticality metrics) as scalar Numba kernels.

Notation (reference §A): follower F, leader L; ``g`` is the bumper-to-bumper gap in metres
(see :func:`simengine.domains.driving.geometry.longitudinal_gap`), ``dv = v_F − v_L`` the closing
speed in m/s, and ``da = a_F − a_L`` the relative acceleration in m/s².

Every function is a ``numba.njit(cache=True)`` kernel over floats: deterministic, no ``fastmath``,
no allocation, called once per actor pair per step by the simulator.

Edge-case conventions (shared by all metrics):

* ``g ≤ 0`` is an overlap, i.e. a collision, which the caller detects and labels separately
  (``penetration_m = -box_signed_distance(...) > 0``). Time metrics then return 0.0 and DRAC
  returns 0.0 — never a small positive TTC that would rank an actual crash as a near miss.
* No closing (``dv ≤ 0``: both stopped, equal speeds, diverging) gives TTC = +inf, never 0
  (cf. eclipse-sumo/sumo#5527, #13212).
* NaN inputs propagate as NaN for TTC/MTTC/THW/DRAC/BTN and contribute nothing to TET/TIT.
"""

from __future__ import annotations

import math

import numba

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources

__all__ = [
    "CONFLICT_NAMES",
    "CONFLICT_UNKNOWN",
    "CROSSING",
    "CROSSING_MIN_ANGLE_DEG",
    "LANE_CHANGE",
    "MTTC_DA_EPS",
    "REAR_END",
    "REAR_END_MAX_ANGLE_DEG",
    "ZONE_STATE_SIZE",
    "btn",
    "conflict_type",
    "drac",
    "init_zone_state",
    "mttc",
    "pet",
    "tet_increment",
    "time_headway",
    "tit_increment",
    "ttc",
    "update_zone_times",
    "zone_pet",
]

REAR_END = 0
CROSSING = 1
LANE_CHANGE = 2
CONFLICT_UNKNOWN = -1
CONFLICT_NAMES = ("rear_end", "crossing", "lane_change")

REAR_END_MAX_ANGLE_DEG = 30.0
CROSSING_MIN_ANGLE_DEG = 85.0
_REAR_END_MAX = math.radians(REAR_END_MAX_ANGLE_DEG)
_CROSSING_MIN = math.radians(CROSSING_MIN_ANGLE_DEG)
_TWO_PI = 2.0 * math.pi

MTTC_DA_EPS = 1e-6
"""|da| (m/s²) below which :func:`mttc` uses the constant-velocity :func:`ttc`."""

ZONE_STATE_SIZE = 3
"""Length of a per-actor, per-zone state vector: ``[first_enter, last_exit, was_occupied]``."""


@numba.njit(cache=True)
def ttc(g, dv):
    """Time to collision at constant velocities (s): ``TTC = g / dv``.

    Hayward 1972; reference §A. Returns ``g / dv`` if ``dv > 0`` and ``g > 0``; +inf if
    ``dv ≤ 0`` (both stopped, equal speeds, diverging: they never meet); 0.0 if ``g ≤ 0`` — an
    overlap is a collision, detected and labelled by the caller, so TTC is clamped to 0 rather
    than reported as negative or small. ``g ≤ 0`` takes precedence over ``dv ≤ 0``.
    """
    if math.isnan(g) or math.isnan(dv):
        return math.nan
    if g <= 0.0:
        return 0.0
    if dv <= 0.0:
        return math.inf
    return g / dv


@numba.njit(cache=True)
def mttc(g, dv, da):
    """Modified TTC at constant accelerations (s) (Ozbay, Yang, Bartin & Mudigonda 2008, TRR 2083).

    The smallest ``t > 0`` with ``g − dv·t − ½·da·t² = 0``, i.e. a root of
    ``½·da·t² + dv·t − g = 0``: ``t = (−dv ± √(dv² + 2·da·g)) / da``. Roots are taken in the
    cancellation-free form ``q = −½(dv + sign(dv)·√D)``, ``t ∈ {q/(½da), −g/q}``
    (Press et al., *Numerical Recipes*, §5.6). Conventions:

    * ``g ≤ 0``: 0.0 (collision, handled by the caller), as :func:`ttc`.
    * ``|da| < MTTC_DA_EPS``: falls back to :func:`ttc` (``g/dv`` or +inf).
    * ``D = dv² + 2·da·g < 0`` (the follower's relative deceleration stops the closing before the
      gap closes) or both roots ≤ 0 (diverging and not converging): +inf.

    With ``g > 0`` the product of the roots is ``−2g/da``: for ``da > 0`` exactly one root is
    positive; for ``da < 0`` both have the sign of ``dv`` and the smaller positive one is taken.
    The accelerations are extrapolated forever (a braking leader is not held at standstill), as in
    Ozbay et al.; callers wanting stop-aware values must cap the horizon themselves.
    """
    if math.isnan(g) or math.isnan(dv) or math.isnan(da):
        return math.nan
    if g <= 0.0:
        return 0.0
    if abs(da) < MTTC_DA_EPS:
        return ttc(g, dv)
    a = 0.5 * da
    disc = dv * dv + 2.0 * da * g
    if disc < 0.0:
        return math.inf
    q = -0.5 * (dv + math.copysign(math.sqrt(disc), dv))
    r1 = q / a
    r2 = -g / q if q != 0.0 else math.inf
    best = math.inf
    if r1 > 0.0:
        best = r1
    if 0.0 < r2 < best:
        best = r2
    return best


@numba.njit(cache=True)
def time_headway(g, v_f):
    """Time headway / time gap (s): ``THW = g / v_F`` (reference §A; gap measured bumper to bumper).

    +inf if ``v_F ≤ 0`` (a stopped or reversing follower never covers the gap); 0.0 if
    ``g ≤ 0`` (overlap is a collision, handled by the caller; takes precedence).
    """
    if math.isnan(g) or math.isnan(v_f):
        return math.nan
    if g <= 0.0:
        return 0.0
    if v_f <= 0.0:
        return math.inf
    return g / v_f


@numba.njit(cache=True)
def drac(g, dv):
    """Deceleration rate to avoid a crash (m/s²), rear-end form: ``DRAC = dv² / (2·g)``.

    Archer 2005 (KTH doctoral thesis); the deceleration the follower needs, relative to the
    leader, to match its speed exactly at contact. 0.0 if ``dv ≤ 0`` (not closing) or ``g ≤ 0``
    (collision, handled by the caller).
    """
    if math.isnan(g) or math.isnan(dv):
        return math.nan
    if dv <= 0.0 or g <= 0.0:
        return 0.0
    return dv * dv / (2.0 * g)


@numba.njit(cache=True)
def btn(a_required, a_max):
    """Brake threat number: ``BTN = a_required / a_max`` (reference §A; e.g. CommonRoad-CriMe).

    ``a_required`` is the required deceleration magnitude (use :func:`drac`) and ``a_max`` the
    maximum achievable deceleration magnitude (> 0), both in m/s². ``BTN ≥ 1`` means braking alone
    cannot avoid the collision. If ``a_max ≤ 0`` (no braking capacity): +inf when
    ``a_required > 0``, else 0.0.
    """
    if math.isnan(a_required) or math.isnan(a_max):
        return math.nan
    if a_max <= 0.0:
        return math.inf if a_required > 0.0 else 0.0
    return a_required / a_max


@numba.njit(cache=True)
def tet_increment(ttc_value, tau, dt):
    """One step's contribution to time exposed TTC: ``1[0 < TTC ≤ τ]·dt`` (s).

    Minderhoud & Bovy 2001 (Accid. Anal. Prev. 33(1)): ``TET = Σ_t 1[0 < TTC_t ≤ τ]·Δt``.
    TTC = 0 (collision) and +inf/NaN contribute 0.
    """
    if 0.0 < ttc_value <= tau:
        return dt
    return 0.0


@numba.njit(cache=True)
def tit_increment(ttc_value, tau, dt):
    """One step's contribution to time integrated TTC: ``(τ − TTC)·1[0 < TTC ≤ τ]·dt`` (s²).

    Minderhoud & Bovy 2001: ``TIT = Σ_t (τ − TTC_t)·1[0 < TTC_t ≤ τ]·Δt``. TTC = 0 (collision)
    and +inf/NaN contribute 0.
    """
    if 0.0 < ttc_value <= tau:
        return (tau - ttc_value) * dt
    return 0.0


@numba.njit(cache=True)
def conflict_type(psi_1, psi_2):
    """SSAM conflict type from the two headings (rad): an int code.

    ``θ = |ψ_1 − ψ_2|`` wrapped to ``[0, π]``; ``REAR_END`` (0) if ``θ < 30°``, ``CROSSING`` (1)
    if ``θ > 85°``, otherwise ``LANE_CHANGE`` (2) — the SSAM v2 default angle thresholds
    (Gettman et al. 2008, FHWA-HRT-08-051). Head-on (θ ≈ 180°) is > 85° and so counts as
    ``CROSSING``, as in SSAM, which has no separate head-on class. Boundaries (exactly 30° or
    85°) are lane changes. ``CONFLICT_UNKNOWN`` (−1) if a heading is NaN or infinite.
    ``CONFLICT_NAMES[code]`` gives the label for codes 0–2.
    """
    d = psi_1 - psi_2
    if math.isnan(d) or math.isinf(d):
        return CONFLICT_UNKNOWN
    theta = abs(d) % _TWO_PI
    if theta > math.pi:
        theta = _TWO_PI - theta
    if theta < _REAR_END_MAX:
        return REAR_END
    if theta > _CROSSING_MIN:
        return CROSSING
    return LANE_CHANGE


@numba.njit(cache=True)
def pet(t_exit_first, t_enter_second):
    """Post-encroachment time (s): ``PET = t_enter_second − t_exit_first`` (Allen et al. 1978).

    +inf if either time is NaN (unset: one user never left or never entered). Not clamped: a
    negative value means the second user entered before the first had left (both in the zone at
    once); callers treat it as the most critical case.
    """
    if math.isnan(t_exit_first) or math.isnan(t_enter_second):
        return math.inf
    return t_enter_second - t_exit_first


@numba.njit(cache=True)
def init_zone_state(state):
    """Reset a zone-state vector to "never entered": ``[NaN, NaN, 0.0]``."""
    state[0] = math.nan
    state[1] = math.nan
    state[2] = 0.0


@numba.njit(cache=True)
def update_zone_times(occupied, t, state):
    """Record one road user's entry into and exit from one conflict zone at sample time ``t``.

    ``state`` is a float64 vector of length 3 (``ZONE_STATE_SIZE``), typically the view
    ``zone_state[actor, zone]`` of an ``(n_actors, n_zones, 3)`` array, initialised to
    ``[NaN, NaN, 0.0]`` (:func:`init_zone_state`):

    * ``state[0]`` first_enter — the first sample time at which ``occupied`` was true
      (NaN: never entered);
    * ``state[1]`` last_exit — the first sample time at which ``occupied`` was false after the
      most recent occupied stretch (NaN: never entered, or inside the zone now);
    * ``state[2]`` was_occupied — 1.0 if ``occupied`` was true at the previous call, else 0.0.

    Call it once per step, in time order, with ``occupied`` from
    :func:`simengine.domains.driving.geometry.box_overlaps_rect`. On entry (false → true) it sets
    first_enter if unset and clears last_exit (re-entries extend the same occupancy interval);
    on exit (true → false) it sets last_exit = ``t``. So a user occupying the zone for
    ``t_a ≤ t < t_b`` on the sample grid records ``[t_a, t_b]``, each to within one step, and
    repeated passes collapse into ``[first entry, last exit]``. PET is then
    ``pet(state_first[1], state_second[0])``; see :func:`zone_pet`.
    """
    was = state[2] != 0.0
    if occupied and not was:
        if math.isnan(state[0]):
            state[0] = t
        state[1] = math.nan
        state[2] = 1.0
    elif was and not occupied:
        state[1] = t
        state[2] = 0.0


@numba.njit(cache=True)
def zone_pet(state_a, state_b):
    """PET (s) of two road users at one conflict zone from their :func:`update_zone_times` states.

    The user with the earlier first_enter is "first"; ``PET = first_enter(second) −
    last_exit(first)``. +inf if either user never entered. If the first user is still inside
    (last_exit unset) when the second has entered, they occupied the zone simultaneously and the
    result is −inf (more critical than any finite PET). A finite negative result likewise means
    overlapping occupancy intervals (e.g. equal entry times; ``a`` is then taken as first).
    """
    enter_a = state_a[0]
    enter_b = state_b[0]
    if math.isnan(enter_a) or math.isnan(enter_b):
        return math.inf
    if enter_a <= enter_b:
        exit_first = state_a[1]
        enter_second = enter_b
    else:
        exit_first = state_b[1]
        enter_second = enter_a
    if math.isnan(exit_first):
        return -math.inf
    return enter_second - exit_first
