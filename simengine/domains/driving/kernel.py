"""The batched traffic kernel: many runs per call at a fixed step, compiled with Numba.

Per step and run: each driver perceives the nearest road user or object ahead in its lane band
(limited by the local visibility — fog banks, rain, night headlights — and blocked by static
objects in the line of sight); its IDM command (Treiber, Hennecke & Helbing 2000) enters a
queue and is applied after the driver's reaction time; triggered actions (brake, lane change,
accelerate, stop, start crossing) and AEB override it; every acceleration is capped by the
tyre–road friction, |a| ≤ μ·g. Lane changes move laterally on a cosine profile with the heading
of the kinematic path; a turn follows a 90° arc at constant curvature (heading rate v/R, the
kinematic bicycle's path) at a speed capped so that v²/R ≤ ½·μ·g, then goes straight on;
vehicles off the road's axis (turning, on a cross road, or placed with another heading such as
oncoming traffic) drive their own speed profile and follow, with IDM and without the reaction
delay, the nearest road user ahead along their heading in the band they sweep; pedestrians and
cyclists cross at constant speed.
Oriented-box collision checks give a signed penetration; the ego's pairs are scored every step
(TTC, MTTC, headway, DRAC, distance, time-exposed TTC, PET through each crossing's conflict
zone).

Pure functions over arrays: no Python objects in the loop, no ``fastmath``, no randomness (every
random quantity was drawn per run before the call), so a run's result depends on nothing but its
own inputs. ``run_batch`` uses NumPy's error model: a division by zero gives ±inf or NaN instead
of raising (every division it makes has a non-zero divisor by validation or by a guard); without
the zero check per division its compiled code is smaller and compiles ~2 s faster on a cold
cache, with bit-identical results.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.driving.episode import (
    carry_run,
    finish_run,
    keep_labels,
    open_labels,
    record_step,
    reset_run,
    start_action,
)
from simengine.domains.driving.geometry import (
    box_overlaps_rect,
    box_signed_distance,
    segment_hits_box,
)
from simengine.domains.driving.metrics import conflict_type, drac, mttc, time_headway, ttc
from simengine.domains.driving.triggers import (
    ABS,
    ADD,
    AND,
    CLIP,
    DIV,
    EQ,
    EXP,
    GE,
    GT,
    LE,
    LOG,
    LT,
    MIN2,
    MUL,
    NE,
    NEG,
    NOT,
    OR,
    POW,
    PUSH_CONST,
    PUSH_VAR,
    SQRT,
    SUB,
    V_ACCEL,
    V_DISTANCE,
    V_GAP,
    V_PARAM,
    V_SPEED,
    V_TIME,
    V_X,
    V_Y,
)
from simengine.weather.events import local_visibility_m

G = 9.80665
LC_FULL_SPEED = 5.0
"""Lane changes progress at full rate at or above this speed (m/s), proportionally below it
(project choice: a vehicle cannot move sideways at rest)."""
ANTICIPATION_M = 1.5
"""A driver who sees a pedestrian or cyclist crossing treats it as in the lane this far before it
enters the lane band (project choice: about one walking second)."""
BRAKE_LIGHT_MPS2 = 0.5
"""A leader decelerating harder than this is seen braking (brake lights; engine drag and rolling
resistance alone give about 0.3–0.5 m/s²)."""
PEDESTRIAN, CYCLIST = 4, 3
# outcome columns, in this order
OUT_FIELDS = (
    "collision", "collision_with", "impact_dv_mps", "penetration_m", "min_distance_m",
    "min_ttc_s", "min_mttc_s", "min_thw_s", "max_drac_mps2", "max_btn", "min_pet_s", "tet_s",
    "conflict", "aeb_triggered", "collision_time_s",
)
TRAJ_FIELDS = ("x_m", "y_m", "heading_rad", "speed_mps", "accel_mps2")
PAIR_FIELDS = ("gap_m", "distance_m", "ttc_s", "drac_mps2")


@numba.njit(cache=True)
def _eval(code, consts, start, end, var):
    stack = np.empty(64)
    sp = 0
    i = start
    while i < end:
        op = code[i]
        if op == PUSH_CONST:
            stack[sp] = consts[code[i + 1]]
            sp += 1
            i += 2
            continue
        if op == PUSH_VAR:
            stack[sp] = var[code[i + 1]]
            sp += 1
            i += 2
            continue
        if op in (NEG, NOT, ABS, SQRT, EXP, LOG):
            a = stack[sp - 1]
            if op == NEG:
                r = -a
            elif op == NOT:
                r = 0.0 if a != 0.0 else 1.0
            elif op == ABS:
                r = abs(a)
            elif op == SQRT:
                r = math.sqrt(a) if a >= 0 else math.nan
            elif op == EXP:
                r = math.exp(min(a, 700.0))
            else:
                r = math.log(a) if a > 0 else -math.inf
            stack[sp - 1] = r
            i += 1
            continue
        if op == CLIP:
            lo, hi, a = stack[sp - 2], stack[sp - 1], stack[sp - 3]
            stack[sp - 3] = min(max(a, lo), hi)
            sp -= 2
            i += 1
            continue
        b = stack[sp - 1]
        a = stack[sp - 2]
        sp -= 1
        if op == ADD:
            r = a + b
        elif op == SUB:
            r = a - b
        elif op == MUL:
            r = a * b
        elif op == DIV:
            r = a / b if b != 0 else (math.inf if a > 0 else (-math.inf if a < 0 else math.nan))
        elif op == POW:
            r = a**b
        elif op == LT:
            r = 1.0 if a < b else 0.0
        elif op == LE:
            r = 1.0 if a <= b else 0.0
        elif op == GT:
            r = 1.0 if a > b else 0.0
        elif op == GE:
            r = 1.0 if a >= b else 0.0
        elif op == EQ:
            r = 1.0 if a == b else 0.0
        elif op == NE:
            r = 1.0 if a != b else 0.0
        elif op == AND:
            r = 1.0 if (a != 0.0 and b != 0.0) else 0.0
        elif op == OR:
            r = 1.0 if (a != 0.0 or b != 0.0) else 0.0
        elif op == MIN2:
            r = min(a, b)
        else:  # MAX2
            r = max(a, b)
        stack[sp - 1] = r
        i += 1
    return stack[0] != 0.0 if sp > 0 else True


@numba.njit(cache=True)
def _half_extent_y(h, length, width):
    return 0.5 * (abs(math.sin(h)) * length + abs(math.cos(h)) * width)


@numba.njit(cache=True)
def _half_extent_x(h, length, width):
    return 0.5 * (abs(math.cos(h)) * length + abs(math.sin(h)) * width)


@numba.njit(cache=True)
def _ahead_gap(i, j, x, y, hx, hy, margin):
    """Gap of j ahead of i along +x if their lateral extents overlap (widened by ``margin``);
    else +inf (NaN if behind). ``hx``, ``hy``: half extents of each box along x and y."""
    if abs(y[j] - y[i]) >= hy[i] + hy[j] + margin:
        return math.inf
    if x[j] < x[i]:
        return math.nan
    return (x[j] - x[i]) - hx[i] - hx[j]


@numba.njit(cache=True)
def _idm(v, v0, gap, dv, headway, s0, a_max, root, delta):
    """IDM acceleration (Treiber, Hennecke & Helbing 2000); gap = inf means free road.
    ``root``: 2·sqrt(a_max·b) with b the comfortable deceleration (a constant of the driver,
    computed once per run by :func:`_idm_root`)."""
    ratio = max(v, 0.0) / max(v0, 0.1)
    if delta == 4.0:
        r2 = ratio * ratio
        power = r2 * r2
    else:
        power = ratio**delta
    free = a_max * (1.0 - power)
    if gap == math.inf:
        return free
    s_star = s0 + max(0.0, v * headway + v * dv / root)
    q = s_star / max(gap, 0.05)
    return free - a_max * q * q


@numba.njit(cache=True)
def _idm_root(a_max, b):
    """IDM's 2·sqrt(a_max·b), once per driver and run instead of at every evaluation."""
    return 2.0 * math.sqrt(a_max * b)


@numba.njit(cache=True)
def _neighbours(i, y_lane, x, y, hx, hy, order, rank, xs, max_hx):
    """Leader and follower of actor i if it were at lateral position ``y_lane``:
    (leader, gap to it, follower, gap from it); index -1 and gap inf when there is none.
    Leaders are the others with ``x >= x[i]``, followers those behind; each side is scanned in
    x order (``order``/``rank``/``xs`` from :func:`_sort_by_x`) outwards from i, only as far as a
    nearer one is possible (``max_hx``: the largest half length); equal gaps go to the lower
    index, as in a scan over every actor by index."""
    lead, lead_gap, fol, fol_gap = -1, math.inf, -1, math.inf
    A = x.shape[0]
    first = rank[i]  # the first position in x order with x == x[i]
    while first > 0 and xs[first - 1] == x[i]:
        first -= 1
    for k in range(first, A):
        if (xs[k] - x[i]) - hx[i] - max_hx > lead_gap:
            break
        j = order[k]
        if j == i:
            continue
        if abs(y[j] - y_lane) >= hy[i] + hy[j]:
            continue
        g = x[j] - x[i] - hx[i] - hx[j]
        if g < lead_gap or (g == lead_gap and j < lead):
            lead, lead_gap = j, g
    for k in range(first - 1, -1, -1):
        if (x[i] - xs[k]) - hx[i] - max_hx > fol_gap:
            break
        j = order[k]
        if abs(y[j] - y_lane) >= hy[i] + hy[j]:
            continue
        g = x[i] - x[j] - hx[i] - hx[j]
        if g < fol_gap or (g == fol_gap and j < fol):
            fol, fol_gap = j, g
    return lead, lead_gap, fol, fol_gap


@numba.njit(cache=True)
def _sort_by_x(x, order, rank, xs):
    """Stable insertion sort of ``order`` by ``x`` (ties by index), in place, its inverse
    ``rank`` and the sorted positions ``xs`` (``x[order[k]]``: scans in x order test how far
    they have gone without first loading the index). Positions change little between steps,
    so this is nearly linear and allocates nothing (unlike ``np.argsort``)."""
    for k in range(1, order.shape[0]):
        item = order[k]
        m = k - 1
        while m >= 0 and (x[order[m]] > x[item] or (x[order[m]] == x[item] and order[m] > item)):
            order[m + 1] = order[m]
            m -= 1
        order[m + 1] = item
    for k in range(order.shape[0]):
        rank[order[k]] = k
        xs[k] = x[order[k]]


@numba.njit(cache=True)
def _extents(h, ln, wd, hx, hy):
    for i in range(h.shape[0]):
        if h[i] == 0.0:  # the common case: driving along the road, no trigonometry needed
            hx[i] = 0.5 * ln[i]
            hy[i] = 0.5 * wd[i]
        else:
            hx[i] = _half_extent_x(h[i], ln[i], wd[i])
            hy[i] = _half_extent_y(h[i], ln[i], wd[i])


@numba.njit(cache=True)
def _accel(k, leader, gap, r, v, desired, headway, min_gap, max_accel, root, delta):
    """IDM acceleration of actor k behind ``leader`` (−1: free road) at ``gap``."""
    dv = v[k] - v[leader] if leader >= 0 else 0.0
    return _idm(v[k], desired[r, k], gap if leader >= 0 else math.inf, dv, headway[r, k],
                min_gap[r, k], max_accel[r, k], root[k], delta[r, k])


@numba.njit(cache=True)
def _mobil(i, r, x, y, v, hx, hy, desired, headway, min_gap, max_accel, root, delta, mobil,
           lanes, lane_width, lc_on, lc_y0, lc_y1, lc_t0, lc_dur, order, rank, xs,
           max_hx):
    """MOBIL (Kesting, Treiber & Helbing 2007): change lane if the own gain plus the politeness-
    weighted gain of the old and new followers exceeds the threshold, and the new follower need
    not brake harder than b_safe."""
    lane = int(math.floor(y[i] / lane_width)) + 1
    y_cur = (lane - 0.5) * lane_width
    lead, lead_gap, old_f, old_f_gap = _neighbours(i, y_cur, x, y, hx, hy, order, rank,
                                                   xs, max_hx)
    a_cur = _accel(i, lead, lead_gap, r, v, desired, headway, min_gap, max_accel, root, delta)
    a_o_old = 0.0
    a_o_new = 0.0
    if old_f >= 0:
        a_o_old = _accel(old_f, i, old_f_gap, r, v, desired, headway, min_gap, max_accel,
                         root, delta)
        gap_through = old_f_gap + 2 * hx[i] + lead_gap if lead >= 0 else math.inf
        a_o_new = _accel(old_f, lead, gap_through, r, v, desired, headway, min_gap, max_accel,
                         root, delta)
    best = mobil[i, 2]
    target = -1.0
    for d in (-1, 1):
        tl = lane + d
        if tl < 1 or tl > lanes:
            continue
        y_t = (tl - 0.5) * lane_width
        nl, nl_gap, nf, nf_gap = _neighbours(i, y_t, x, y, hx, hy, order, rank, xs,
                                             max_hx)
        if nl_gap < 0 or nf_gap < 0:
            continue
        a_new = _accel(i, nl, nl_gap, r, v, desired, headway, min_gap, max_accel, root, delta)
        a_n_old = 0.0
        a_n_new = 0.0
        if nf >= 0:
            a_n_new = _accel(nf, i, nf_gap, r, v, desired, headway, min_gap, max_accel, root,
                             delta)
            if a_n_new < -mobil[i, 3]:
                continue
            gap_nf = nf_gap + 2 * hx[i] + nl_gap if nl >= 0 else math.inf
            a_n_old = _accel(nf, nl, gap_nf, r, v, desired, headway, min_gap, max_accel,
                             root, delta)
        gain = a_new - a_cur + mobil[i, 1] * ((a_n_new - a_n_old) + (a_o_new - a_o_old))
        if gain > best:
            best = gain
            target = y_t
    if target >= 0:
        lc_on[i] = True
        lc_y0[i] = y[i]
        lc_y1[i] = target
        lc_t0[i] = 0.0
        lc_dur[i] = mobil[i, 4]


@numba.njit(cache=True)
def _drive_own_path(i, dist, x, y, h, turning, cx, cy, rr, h0) -> None:
    """Move actor ``i`` by ``dist`` along its own path: the turn's arc (heading rate v/R, the
    kinematic bicycle's path at constant curvature) until it has turned 90°, then straight."""
    if turning[i]:
        sweep = 0.5 * math.pi
        turned = abs(h[i] - h0[i])
        step = dist / abs(rr[i])
        if turned + step >= sweep:
            rest = (turned + step - sweep) * abs(rr[i])
            h[i] = h0[i] + math.copysign(sweep, rr[i])
            x[i] = cx[i] + rr[i] * math.sin(h[i])
            y[i] = cy[i] - rr[i] * math.cos(h[i])
            turning[i] = False
            x[i] += rest * math.cos(h[i])
            y[i] += rest * math.sin(h[i])
        else:
            h[i] += math.copysign(step, rr[i])
            x[i] = cx[i] + rr[i] * math.sin(h[i])
            y[i] = cy[i] - rr[i] * math.cos(h[i])
    else:
        x[i] += dist * math.cos(h[i])
        y[i] += dist * math.sin(h[i])


@numba.njit(cache=True)
def _path_leader(i, x, y, h, v, ln, wd, sight):
    """The nearest road user ahead of ``i`` along ``i``'s own heading whose box overlaps the
    band ``i`` sweeps (its width), within ``sight``: (bumper-to-bumper gap, its speed along
    that heading); (inf, 0) if none. For vehicles off the road's axis (turning, on the cross
    road, oncoming), which the lane-sorted perception does not serve."""
    c, s = math.cos(h[i]), math.sin(h[i])
    best, lead_v = math.inf, 0.0
    for j in range(x.shape[0]):
        if j == i:
            continue
        dx, dy = x[j] - x[i], y[j] - y[i]
        ahead = dx * c + dy * s
        if ahead <= 0.0:
            continue
        rel = h[j] - h[i]
        cr, sr = abs(math.cos(rel)), abs(math.sin(rel))
        if abs(dy * c - dx * s) >= 0.5 * (wd[i] + sr * ln[j] + cr * wd[j]):
            continue
        gap = ahead - 0.5 * (ln[i] + cr * ln[j] + sr * wd[j])
        if gap < best and gap <= sight:
            best, lead_v = gap, v[j] * math.cos(rel)
    return best, lead_v


@numba.njit(cache=True)
def _own_path_accel(v, mode, brake, brake_to, turning, turn_v, turn_r, desired, comfort, root,
                    max_accel, delta, max_decel, amax, gap, lead_v, headway, min_gap):
    """Acceleration of a vehicle off the road's axis (turning, crossing or oncoming): it drives
    the turn's speed (capped by friction on the arc) or its desired speed, or brakes when told
    to; and it follows, with IDM, the road user ``gap`` ahead along its path (a queue on the
    cross road, a car stopped beyond the turn; ``gap`` inf: none) as a driver who sees it."""
    if mode == 1:
        acc = -brake if v > brake_to else 0.0
    else:
        target = turn_v if mode == 4 else desired
        if turning:
            target = min(target, math.sqrt(0.5 * amax * abs(turn_r)))
        if v > target:  # slow down within about a second
            acc = -max(comfort, v - target)
        elif target <= 0.0:
            acc = 0.0
        else:
            acc = max_accel * (1.0 - (v / target) ** delta)
        acc = max(acc, -max_decel)
        if gap < math.inf:
            want = turn_v if mode == 4 else desired
            follow = _idm(v, max(want, 0.1), gap, v - lead_v, headway, min_gap, max_accel,
                          root, delta)
            acc = min(acc, max(follow, -max_decel))
    return min(max(acc, -amax), amax)


@numba.njit(cache=True)
def _lo(a, b):
    """``min(a, b)`` exactly as Numba's builtin computes it (``b if b < a else a``, so NaN
    handling is the same), as a plain function: the builtin is an overloaded template whose
    resolution, repeated at each of ``run_batch``'s call sites, cost seconds of compile."""
    return b if b < a else a


@numba.njit(cache=True)
def _hi(a, b):
    """``max(a, b)`` exactly as Numba's builtin computes it (``b if b > a else a``)."""
    return b if b > a else a


@numba.njit(cache=True)
def _cos0(h):
    """``math.cos(h)``, without the call for a heading along the road (cos 0 is exactly 1)."""
    return 1.0 if h == 0.0 else math.cos(h)


@numba.njit(cache=True)
def _apart(dx, dy, bound):
    """True if ``hypot(dx, dy) >= bound`` for certain (squares, with a margin for rounding:
    a False near the boundary only costs an exact test the caller would have skipped)."""
    if bound <= 0.0:
        return True
    return dx * dx + dy * dy > bound * bound * (1.0 + 1e-9)


@numba.njit(cache=True)
def _trigger_values(var, var_kind, var_a, var_b, t, r, x, y, h, v, a, ln, wd, hx, hy,
                    cond_params) -> None:
    """The values the trigger conditions read this step (time, speeds, positions, gaps, TTC,
    distances, parameters), into ``var``. A function of its own (the child process compiles it
    on a cold cache): ``run_batch`` is smaller and compiles faster."""
    for q in range(var_kind.shape[0]):
        vk, ia, ib = var_kind[q], var_a[q], var_b[q]
        if vk == V_TIME:
            var[q] = t
        elif vk == V_SPEED:
            var[q] = v[ia]
        elif vk == V_X:
            var[q] = x[ia]
        elif vk == V_Y:
            var[q] = y[ia]
        elif vk == V_ACCEL:
            var[q] = a[ia]
        elif vk == V_PARAM:
            var[q] = cond_params[r, q]
        else:
            g = _ahead_gap(ia, ib, x, y, hx, hy, 0.0)
            if vk == V_GAP:
                var[q] = g if not math.isnan(g) else math.inf
            elif vk == V_DISTANCE:
                var[q] = box_signed_distance(x[ia], y[ia], h[ia], ln[ia], wd[ia],
                                             x[ib], y[ib], h[ib], ln[ib], wd[ib])
            else:  # V_TTC
                var[q] = (ttc(g, v[ia] - v[ib] * math.cos(h[ib]))
                          if not math.isnan(g) else math.inf)


@numba.njit(cache=True)
def _static_contacts(i, r, statics, x, y, h, ln, wd, radius, v, stopped, min_dist, collided,
                     partner, impact, t_coll, t_next):
    """Actor i against the static objects (parked vehicles, barriers): the ego's minimum
    distance, and contact (i stops; the ego's first contact is its collision, with the object
    as partner, index A + s). ``collided`` is a flag as a float (a bool that may still be
    its initial constant would make Numba compile a version per value). Returns (min_dist,
    collided, partner, impact, t_coll)."""
    for s in range(statics.shape[1]):
        lower = (math.hypot(statics[r, s, 0] - x[i], statics[r, s, 1] - y[i])
                 - radius[i] - 0.5 * math.hypot(statics[r, s, 2], statics[r, s, 3]))
        if lower >= (min_dist if i == 0 else 0.0):
            continue
        sd = box_signed_distance(x[i], y[i], h[i], ln[i], wd[i], statics[r, s, 0],
                                 statics[r, s, 1], 0.0, statics[r, s, 2],
                                 statics[r, s, 3])
        if i == 0:
            min_dist = _lo(min_dist, sd)
        if sd < 0.0 and not stopped[i]:
            if i == 0 and collided == 0.0:
                collided = 1.0
                partner = float(x.shape[0] + s)
                impact = v[i]
                t_coll = t_next
            stopped[i] = True
            v[i] = 0.0
    return min_dist, collided, partner, impact, t_coll


@numba.njit(cache=True)
def _zone_times(j, zone, x, y, h, ln, wd, z_ego, z_oth, t_next) -> None:
    """PET bookkeeping for the pair (ego, j): first entry and last exit of the ego and of j in
    the crossing zone of j (or, if j has none, of the ego)."""
    zi = j if not math.isnan(zone[j, 0]) else (0 if not math.isnan(zone[0, 0]) else -1)
    if zi >= 0:  # PET through the crossing path of j (or of the ego)
        for who in range(2):
            idx = 0 if who == 0 else j
            inside = box_overlaps_rect(x[idx], y[idx], h[idx], ln[idx], wd[idx],
                                       zone[zi, 0], zone[zi, 1], zone[zi, 2],
                                       zone[zi, 3])
            zz = z_ego if who == 0 else z_oth
            if inside:
                if math.isnan(zz[j, 0]):
                    zz[j, 0] = t_next
                zz[j, 1] = t_next


@numba.njit(cache=True, error_model="numpy")
def run_batch(
    kind, x0, y0, h0, v0, ln0, wd0, desired, headway, min_gap, max_accel, comfort, delta, reaction,
    max_decel, aeb, aeb_ttc, aeb_range, aeb_decel, statics, act_kind, act_actor, act_time,
    act_delay, act_p1, act_p2, code, consts, starts, var_kind, var_a, var_b, cond_params, mu,
    visibility, night_cap, fog_from, fog_to, fog_start, fog_end, fog_vis, dt, steps, tau,
    lane_width, lanes, mobil, mobil_every, record, traj, pairs, ego_accel, H, first_step,
    resume, actor_state, hist_state, action_state, run_state, horizon,
):
    n, A = x0.shape
    ego = np.int64(0)  # an int64, not a literal: one specialisation of the helpers it indexes
    S = statics.shape[1]
    K = act_kind.shape[0]
    out = np.zeros((n, len(OUT_FIELDS)))
    x = np.empty(A)
    y = np.empty(A)
    h = np.empty(A)
    v = np.empty(A)
    a = np.empty(A)
    a_seen = np.empty(A)  # the accelerations at the start of this step's decisions
    ln = np.empty(A)
    wd = np.empty(A)
    radius = np.empty(A)
    hx = np.empty(A)
    hy = np.empty(A)
    rank = np.empty(A, dtype=np.int64)
    xs = np.empty(A)  # positions in x order
    order = np.empty(A, dtype=np.int64)
    lag_steps = np.empty(A, dtype=np.int64)
    root = np.empty(A)  # each driver's IDM 2·sqrt(a·b)
    mobil_phase = np.empty(A, dtype=np.int64)
    hist_gap = np.empty((A, H))
    hist_lv = np.empty((A, H))
    hist_la = np.empty((A, H))
    hist_x = np.empty((A, H))
    mode = np.empty(A, dtype=np.int64)
    mode_p1 = np.empty(A)
    mode_p2 = np.empty(A)
    lc_on = np.empty(A, dtype=np.bool_)
    lc_y0 = np.empty(A)
    lc_y1 = np.empty(A)
    lc_t0 = np.empty(A)  # lane-change progress, 0..1
    lc_dur = np.empty(A)
    turning = np.empty(A, dtype=np.bool_)  # on a turn's arc
    own_path = np.empty(A, dtype=np.bool_)  # off the road's axis: no car-following
    turn_cx = np.empty(A)  # arc centre, signed radius (+ left), start heading, target speed
    turn_cy = np.empty(A)
    turn_r = np.empty(A)
    turn_h0 = np.empty(A)
    turn_v = np.empty(A)
    stopped = np.empty(A, dtype=np.bool_)
    fired = np.empty(K, dtype=np.bool_)
    due = np.empty(K)
    var = np.empty(max(1, var_kind.shape[0]))
    zone = np.empty((A, 4))  # crossing zone of actor j: xmin, xmax, ymin, ymax (NaN: none)
    z_ego = np.empty((A, 2))  # ego's first enter / last exit of zone j
    z_oth = np.empty((A, 2))
    for r in range(n):
        # resumable calls pass the state arrays, plain ones None: Numba compiles them apart
        # and prunes the carrying from the plain version (a smaller kernel to compile)
        if actor_state is None or not resume:
            reset_run(r, x0, y0, h0, v0, ln0, wd0, x, y, h, v, a, ln, wd, radius, order, mode,
                      lc_on, turning, own_path, stopped, zone, z_ego, z_oth, fired, due)
            collided = False
            partner = -1.0
            impact = 0.0
            t_coll = math.inf
            min_dist = math.inf
            min_ttc = horizon
            min_mttc = horizon
            min_thw = horizon
            max_drac = 0.0
            tet = 0.0
            aeb_hit = False
            best_conflict = -1.0
            best_ttc = math.inf
        else:  # (save: a computed False, not the constant: one specialisation of carry_run)
            carry_run(first_step < 0, r, actor_state, hist_state, action_state, x, y, h, v, a,
                      ln, wd, radius, order, mode, mode_p1, mode_p2, lc_on, lc_y0, lc_y1, lc_t0,
                      lc_dur, turning, own_path, turn_cx, turn_cy, turn_r, turn_h0, turn_v,
                      stopped, zone, z_ego, z_oth, hist_gap, hist_lv, hist_la, hist_x, fired, due)
            (collided, partner, impact, t_coll, min_dist, min_ttc, min_mttc, min_thw, max_drac,
             tet, aeb_hit, best_conflict, best_ttc) = open_labels(run_state, r)
        amax = mu[r] * G
        for i in range(A):  # each driver's reaction time in whole steps; MOBIL's turn
            lag_steps[i] = int(round(reaction[r, i] / dt))
            root[i] = _idm_root(max_accel[r, i], comfort[r, i])
            mobil_phase[i] = (first_step + i) % mobil_every[i]  # 0: decide at this step
        for step in range(first_step, steps):
            t = step * dt
            if step == first_step:  # later steps reuse the extents and x order computed after
                _extents(h, ln, wd, hx, hy)  # the previous step moved (nothing moves between)
                _sort_by_x(x, order, rank, xs)
            # -- triggers -----------------------------------------------------------------
            if var_kind.shape[0]:
                _trigger_values(var, var_kind, var_a, var_b, t, r, x, y, h, v, a, ln, wd, hx, hy,
                                cond_params)
            for k in range(K):
                if fired[k]:
                    continue
                ok = math.isnan(act_time[r, k]) or t >= act_time[r, k] - 1e-9
                if ok and starts[k + 1] > starts[k]:
                    ok = _eval(code, consts, starts[k], starts[k + 1], var)
                if ok:
                    fired[k] = True
                    due[k] = t + act_delay[r, k]
            for k in range(K):
                if due[k] <= t + 1e-9:
                    due[k] = math.inf
                    i = act_actor[k]
                    ak = act_kind[k]
                    if stopped[i]:
                        continue
                    start_action(i, ak, act_p1[r, k], act_p2[r, k], x, y, h, ln, wd, mode,
                                 mode_p1, mode_p2, lc_on, lc_y0, lc_y1, lc_t0, lc_dur, turning,
                                 own_path, turn_cx, turn_cy, turn_r, turn_h0, turn_v, zone,
                                 lanes * lane_width)
            # -- accelerations ------------------------------------------------------------
            slot = step % H  # this step's place in the drivers' perception history
            max_hx = 0.0
            max_radius = 0.0
            for k in range(A):
                max_hx = _hi(max_hx, hx[k])
                max_radius = _hi(max_radius, radius[k])
                # drivers see what the others did over the last step (brake lights), whether
                # they decide before or after them in this loop: no dependence on actor order
                a_seen[k] = a[k]
            for i in range(A):
                if stopped[i]:
                    a[i] = 0.0
                    continue
                is_vehicle = kind[r, i] < CYCLIST
                if mode[i] == 3 or not is_vehicle:
                    a[i] = 0.0
                    continue
                if own_path[i]:
                    gap, lead_v = _path_leader(i, x, y, h, v, ln, wd,
                                               _lo(visibility[r], night_cap[r]))
                    a[i] = _own_path_accel(v[i], mode[i], mode_p1[i], mode_p2[i], turning[i],
                                           turn_v[i], turn_r[i], desired[r, i], comfort[r, i],
                                           root[i], max_accel[r, i], delta[r, i],
                                           max_decel[r, i], amax, gap, lead_v, headway[r, i],
                                           min_gap[r, i])
                    continue
                # perceive the nearest thing ahead in the lane band
                vis = visibility[r]
                if fog_from.shape[1]:
                    vis = local_visibility_m(x[i], t, vis, fog_from[r], fog_to[r],
                                             fog_start[r], fog_end[r], fog_vis[r])
                sight = _lo(vis, night_cap[r])
                gap = math.inf
                lead_v = 0.0
                lead_a = 0.0
                # scan road users in order of position from just behind i forwards, stopping
                # once none further ahead could be nearer than the best found (or in sight)
                k0 = rank[i]
                while k0 > 0 and xs[k0 - 1] == x[i]:
                    k0 -= 1
                for k in range(k0, A):
                    if (xs[k] - x[i]) - hx[i] - max_hx > _lo(gap, sight):
                        break
                    j = order[k]
                    if j == i:
                        continue
                    # a road user crossing towards the lane is a hazard before it enters it
                    margin = ANTICIPATION_M if mode[j] == 3 else 0.0
                    g = _ahead_gap(i, j, x, y, hx, hy, margin)
                    if math.isnan(g) or g >= gap or g > sight:
                        continue
                    seen = True
                    for s in range(S):
                        if segment_hits_box(x[i] + 0.5 * ln[i], y[i], x[j], y[j], statics[r, s, 0],
                                            statics[r, s, 1], 0.0, statics[r, s, 2],
                                            statics[r, s, 3]):
                            seen = False
                            break
                    if seen:
                        gap = g
                        cj = _cos0(h[j])
                        lead_v = v[j] * cj
                        lead_a = a_seen[j] * cj
                for s in range(S):
                    if abs(statics[r, s, 1] - y[i]) < 0.5 * (wd[i] + statics[r, s, 3]):
                        g = statics[r, s, 0] - x[i] - 0.5 * (ln[i] + statics[r, s, 2])
                        if -0.5 * ln[i] < g < gap and g <= sight:
                            gap = g
                            lead_v = 0.0
                            lead_a = 0.0
                # reaction time: the driver acts on what it perceived ``reaction`` ago, with the
                # leader extrapolated from its then-speed and -acceleration (brake lights,
                # looming; cf. Treiber, Kesting & Helbing 2006, HDM) until it would stop
                hist_gap[i, slot] = gap
                hist_lv[i, slot] = lead_v
                hist_la[i, slot] = lead_a
                hist_x[i, slot] = x[i]
                d = lag_steps[i]
                if step >= d:
                    old = slot - d  # (step - d) % H: d < H, so one wrap at most
                    if old < 0:
                        old += H
                    gap_d, lv_d, la_d = hist_gap[i, old], hist_lv[i, old], hist_la[i, old]
                    if gap_d < math.inf:
                        lag = d * dt  # (not ``tau``: that is the TET threshold)
                        if la_d < 0.0 and lv_d + la_d * lag < 0.0:
                            lag = lv_d / -la_d
                        gap_d += lv_d * lag + 0.5 * la_d * lag * lag - (x[i] - hist_x[i, old])
                        lv_d = _hi(lv_d + la_d * lag, 0.0)
                else:
                    gap_d, lv_d, la_d = gap, lead_v, lead_a
                command = _idm(v[i], desired[r, i], gap_d, v[i] - lv_d, headway[r, i],
                               min_gap[r, i], max_accel[r, i], root[i], delta[r, i])
                if la_d < -BRAKE_LIGHT_MPS2 and gap_d < math.inf:
                    # a braking leader: brake at least hard enough to stop behind the point
                    # where it will stop, once that exceeds what is comfortable on this surface
                    # (Gipps 1981 safe-speed constraint, as an emergency override of IDM)
                    room = gap_d + lv_d * lv_d / (-2.0 * la_d) - min_gap[r, i]
                    need = v[i] * v[i] / (2.0 * room) if room > 0.0 else math.inf
                    if need > _lo(comfort[r, i], 0.5 * amax):
                        command = _lo(command, -need)
                acc = _hi(command, -max_decel[r, i])
                if mode[i] == 1:
                    acc = -mode_p1[i]
                    if v[i] <= mode_p2[i]:
                        acc = 0.0 if mode_p2[i] <= 0 else acc
                        if mode_p2[i] > 0:
                            mode[i] = 0
                elif mode[i] == 2:
                    acc = mode_p1[i]
                    if v[i] >= mode_p2[i]:
                        mode[i] = 0
                if (mobil[i, 0] > 0 and mode[i] == 0 and not lc_on[i]
                        and mobil_phase[i] == 0):
                    _mobil(i, r, x, y, v, hx, hy, desired, headway, min_gap, max_accel, root,
                           delta, mobil, lanes, lane_width, lc_on, lc_y0, lc_y1, lc_t0, lc_dur,
                           order, rank, xs, max_hx)
                if aeb[i] and gap <= _lo(aeb_range[r, i], sight):
                    tt = ttc(gap, v[i] - lead_v)
                    if tt <= aeb_ttc[r, i]:
                        aeb_hit = aeb_hit or i == 0
                        mode[i], mode_p1[i], mode_p2[i] = 1, aeb_decel[r, i], 0.0
                        acc = _lo(acc, -aeb_decel[r, i])
                if i == 0 and step < ego_accel.shape[1] and not math.isnan(ego_accel[r, step]):
                    # a controller in the loop drives the ego (AEB, if fitted, still intervenes)
                    acc = ego_accel[r, step] if mode[0] != 1 else _lo(ego_accel[r, step], acc)
                a[i] = _lo(_hi(acc, -amax), amax)
            for i in range(A):  # (step + i) % mobil_every[i], without a division per step
                mobil_phase[i] = 0 if mobil_phase[i] + 1 == mobil_every[i] else mobil_phase[i] + 1
            # -- integrate ----------------------------------------------------------------
            for i in range(A):
                if stopped[i]:
                    continue
                if mode[i] == 3:  # crossing
                    y[i] += mode_p2[i] * mode_p1[i] * dt
                    h[i] = 0.5 * math.pi * mode_p2[i]
                    v[i] = mode_p1[i]
                    continue
                v_new = _hi(v[i] + a[i] * dt, 0.0)
                dist = 0.5 * (v[i] + v_new) * dt
                if own_path[i]:
                    _drive_own_path(i, dist, x, y, h, turning, turn_cx, turn_cy, turn_r,
                                    turn_h0)
                    v[i] = v_new
                    continue
                x[i] += dist
                if lc_on[i]:
                    # progress (kept in lc_t0) slows below LC_FULL_SPEED: no sideways moves at rest
                    lc_t0[i] = _lo(lc_t0[i] + dt / lc_dur[i] * _lo(1.0, v_new / LC_FULL_SPEED),
                                   1.0)
                    s_frac = lc_t0[i]
                    shape = 0.5 * (1 - math.cos(math.pi * s_frac))
                    y_new = lc_y0[i] + (lc_y1[i] - lc_y0[i]) * shape
                    h[i] = math.atan2(y_new - y[i], _hi(dist, 1e-6))
                    y[i] = y_new
                    if s_frac >= 1.0:
                        lc_on[i] = False
                        h[i] = 0.0
                v[i] = v_new
            # -- collisions and the ego's pairs -------------------------------------------
            _extents(h, ln, wd, hx, hy)
            tt_min_step = math.inf
            _sort_by_x(x, order, rank, xs)
            for i in range(A):
                # the ego against everyone (its minimum distance is a label); the others in a
                # sweep over x-sorted order, only as far as a contact is possible
                stop_k = A if i == 0 else rank[i] + 1
                for kk in range(1 if i == 0 else stop_k, A):
                    if i != 0 and xs[kk] - x[i] >= radius[i] + max_radius:
                        break
                    j = kk if i == 0 else order[kk]
                    if j == 0 or j == i:
                        continue
                    # bounding circles give a lower bound on the distance: the exact oriented-box
                    # distance is computed only when it can matter (a new minimum, or a contact)
                    bound = (min_dist if i == 0 else 0.0) + radius[i] + radius[j]
                    if abs(x[j] - x[i]) >= bound or _apart(x[j] - x[i], y[j] - y[i], bound):
                        continue
                    sd = box_signed_distance(x[i], y[i], h[i], ln[i], wd[i],
                                             x[j], y[j], h[j], ln[j], wd[j])
                    if i == 0:
                        min_dist = _lo(min_dist, sd)
                    if sd < 0.0 and not (stopped[i] and stopped[j]):
                        if i == 0 and not collided:
                            collided = True
                            partner = j
                            dvx = v[i] * math.cos(h[i]) - v[j] * math.cos(h[j])
                            dvy = v[i] * math.sin(h[i]) - v[j] * math.sin(h[j])
                            impact = math.sqrt(dvx * dvx + dvy * dvy)
                            t_coll = t + dt
                        stopped[i] = True
                        stopped[j] = True
                        v[i] = 0.0
                        v[j] = 0.0
                if S:
                    min_dist, hit, partner, impact, t_coll = _static_contacts(
                        i, r, statics, x, y, h, ln, wd, radius, v, stopped, min_dist,
                        1.0 if collided else 0.0, partner, impact, t_coll, t + dt)
                    collided = hit != 0.0
            for j in range(1, A):
                g = _ahead_gap(ego, j, x, y, hx, hy, 0.0)
                gap_pair = math.inf
                tt = math.inf
                dr = 0.0
                if not math.isnan(g) and g < math.inf:  # j ahead of the ego
                    cj = _cos0(h[j])
                    dv = v[0] - v[j] * cj
                    tt = ttc(g, dv)
                    da = a[0] - a[j] * cj
                    if dv > 0.0 or da > 0.0 or g <= 0.0:  # else never closing: MTTC is inf
                        min_mttc = _lo(min_mttc, mttc(g, dv, da))
                    min_thw = _lo(min_thw, time_headway(g, v[0]))
                    dr = drac(g, dv)
                    gap_pair = g
                else:
                    gb = _ahead_gap(j, ego, x, y, hx, hy, 0.0)  # ego ahead of j
                    if not math.isnan(gb) and gb < math.inf:
                        dv = v[j] * _cos0(h[j]) - v[0]
                        tt = ttc(gb, dv)
                        dr = drac(gb, dv)
                        gap_pair = gb
                if tt < best_ttc:
                    best_ttc = tt
                    best_conflict = conflict_type(h[0], h[j])
                tt_min_step = _lo(tt_min_step, tt)
                max_drac = _hi(max_drac, dr)
                if not (math.isnan(zone[j, 0]) and math.isnan(zone[0, 0])):
                    _zone_times(j, zone, x, y, h, ln, wd, z_ego, z_oth, t + dt)
                if record and pairs.shape[0]:  # (pairs are kept only when a stream needs them)
                    pairs[r, step, j, 0] = gap_pair
                    pairs[r, step, j, 1] = box_signed_distance(x[0], y[0], h[0], ln[0], wd[0],
                                                               x[j], y[j], h[j], ln[j], wd[j])
                    pairs[r, step, j, 2] = tt
                    pairs[r, step, j, 3] = dr
            if tt_min_step > 0 and tt_min_step <= tau:
                tet += dt
            if not collided:
                min_ttc = _lo(min_ttc, tt_min_step)
            if record:
                record_step(r, step, x, y, h, v, a, traj)
        # (flags as floats: a bool that may still be its initial constant would make Numba
        # compile a version of finish_run per literal value)
        if actor_state is not None:
            carry_run(first_step >= 0, r, actor_state, hist_state, action_state, x, y, h, v, a,
                      ln, wd, radius, order, mode, mode_p1, mode_p2, lc_on, lc_y0, lc_y1, lc_t0,
                      lc_dur, turning, own_path, turn_cx, turn_cy, turn_r, turn_h0, turn_v,
                      stopped, zone, z_ego, z_oth, hist_gap, hist_lv, hist_la, hist_x, fired, due)
            keep_labels(run_state, r, 1.0 if collided else 0.0, partner, impact, t_coll, min_dist,
                        min_ttc, min_mttc, min_thw, max_drac, tet, 1.0 if aeb_hit else 0.0,
                        best_conflict, best_ttc)
        finish_run(out[r], z_ego, z_oth, horizon, 1.0 if collided else 0.0, partner, impact,
                   min_dist, min_ttc, min_mttc, min_thw, max_drac, amax, tet, best_conflict,
                   1.0 if aeb_hit else 0.0, t_coll)
    return out
