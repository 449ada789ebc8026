"""The parts of a run the kernel does once, or rarely: set up a run's state, start a triggered
action, record a step, and turn a finished run into its outcome row.

They are separate Numba functions, not inlined code, for the first run after an install: the
compile of ``run_batch`` is single-threaded and grows with its size, while its callees can be
compiled on the other core (:mod:`simengine.driving.specialisations`). Called once per run or
per action, their call cost (a few nanoseconds per argument) does not show in the step loop.
"""

from __future__ import annotations

import math

import numba

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources

__all__ = ["ACTOR_FIELDS", "ACTOR_STATE", "RUN_STATE", "carry_run", "finish_run", "keep_labels",
           "open_labels", "record_step", "reset_run", "start_action"]


@numba.njit(cache=True)
def reset_run(r, x0, y0, h0, v0, ln0, wd0, x, y, h, v, a, ln, wd, radius, order, mode, lc_on,
              turning, own_path, stopped, zone, z_ego, z_oth, fired, due) -> None:
    """Put run ``r``'s initial state into the per-actor arrays; clear actions and zones."""
    for i in range(x0.shape[1]):
        x[i], y[i], h[i], v[i], a[i] = x0[r, i], y0[r, i], h0[r, i], v0[r, i], 0.0
        turning[i] = False
        own_path[i] = h0[r, i] != 0.0
        ln[i], wd[i] = ln0[r, i], wd0[r, i]
        radius[i] = 0.5 * math.hypot(ln[i], wd[i])
        order[i] = i
        mode[i] = 0
        lc_on[i] = False
        stopped[i] = False
        zone[i, 0] = math.nan
        z_ego[i, 0] = math.nan
        z_ego[i, 1] = math.nan
        z_oth[i, 0] = math.nan
        z_oth[i, 1] = math.nan
    for k in range(fired.shape[0]):
        fired[k] = False
        due[k] = math.inf


@numba.njit(cache=True)
def _arc_zone(i, zone, cx, cy, rr, h0, length, width, road_w) -> None:
    """The conflict zone of a turn (for PET): the x-range the arc covers while on the road,
    across the road's width; NaN if the arc never meets the road."""
    half = 0.5 * max(length, width) + 0.5
    lo, hi = math.inf, -math.inf
    for q in range(33):
        hq = h0 + math.copysign(0.5 * math.pi * q / 32.0, rr)
        px = cx + rr * math.sin(hq)
        py = cy - rr * math.cos(hq)
        if -half <= py <= road_w + half:
            lo, hi = min(lo, px), max(hi, px)
    if lo <= hi:
        zone[i, 0], zone[i, 1], zone[i, 2], zone[i, 3] = lo - half, hi + half, 0.0, road_w
    else:
        zone[i, 0] = math.nan


@numba.njit(cache=True)
def start_action(i, ak, p1, p2, x, y, h, ln, wd, mode, mode_p1, mode_p2, lc_on, lc_y0, lc_y1,
                 lc_t0, lc_dur, turning, own_path, turn_cx, turn_cy, turn_r, turn_h0, turn_v,
                 zone, road_w) -> None:
    """Actor ``i`` starts action kind ``ak`` with parameters ``p1``, ``p2``: brake or stop (0,
    3), lane change (1), accelerate (2), turn (5) or start crossing (4)."""
    if ak == 0 or ak == 3:  # brake / stop
        mode[i], mode_p1[i], mode_p2[i] = 1, p1, p2
    elif ak == 1:  # lane change
        lc_on[i], lc_y0[i], lc_y1[i] = True, y[i], p1
        lc_t0[i], lc_dur[i] = 0.0, p2
    elif ak == 2:  # accelerate
        mode[i], mode_p1[i], mode_p2[i] = 2, p1, p2
    elif ak == 5:  # turn: a 90° arc from here, centre on the turning side
        rr = p1
        turning[i], own_path[i] = True, True
        lc_on[i] = False
        turn_r[i], turn_h0[i], turn_v[i] = rr, h[i], p2
        turn_cx[i] = x[i] - rr * math.sin(h[i])
        turn_cy[i] = y[i] + rr * math.cos(h[i])
        if mode[i] != 1:
            mode[i] = 4
        _arc_zone(i, zone, turn_cx[i], turn_cy[i], rr, h[i], ln[i], wd[i], road_w)
    else:  # start crossing: towards the far side of the road
        mode[i], mode_p1[i] = 3, p1
        mode_p2[i] = 1.0 if y[i] < 0.5 * road_w else -1.0
        # its conflict zone: the strip of road its path sweeps
        half = 0.5 * max(ln[i], wd[i]) + 0.5
        zone[i, 0] = x[i] - half
        zone[i, 1] = x[i] + half
        zone[i, 2] = 0.0
        zone[i, 3] = road_w


@numba.njit(cache=True)
def record_step(r, step, x, y, h, v, a, traj) -> None:
    """Store every actor's state after ``step`` in ``traj[r, step]``."""
    for i in range(x.shape[0]):
        traj[r, step, i, 0] = x[i]
        traj[r, step, i, 1] = y[i]
        traj[r, step, i, 2] = h[i]
        traj[r, step, i, 3] = v[i]
        traj[r, step, i, 4] = a[i]


@numba.njit(cache=True)
def finish_run(o, z_ego, z_oth, horizon, collided, partner, impact, min_dist, min_ttc, min_mttc,
               min_thw, max_drac, amax, tet, best_conflict, aeb_hit, t_coll) -> None:
    """Write a finished run's outcome row ``o`` (the order of ``kernel.OUT_FIELDS``), with the
    PET through each crossing zone from the ego's and the other's first entry and last exit.
    ``collided`` and ``aeb_hit`` are 1.0 or 0.0."""
    min_pet = horizon
    for j in range(1, z_ego.shape[0]):
        if math.isnan(z_ego[j, 0]) or math.isnan(z_oth[j, 0]):
            continue
        if z_ego[j, 1] <= z_oth[j, 0]:
            p = z_oth[j, 0] - z_ego[j, 1]
        elif z_oth[j, 1] <= z_ego[j, 0]:
            p = z_ego[j, 0] - z_oth[j, 1]
        else:
            p = 0.0
        min_pet = min(min_pet, p)
    if collided > 0.0:
        min_ttc = 0.0
        min_mttc = 0.0
    o[0] = collided
    o[1] = partner
    o[2] = impact
    o[3] = -min_dist
    o[4] = max(min_dist, 0.0)
    o[5] = min(min_ttc, horizon)
    o[6] = min(min_mttc, horizon)
    o[7] = min(min_thw, horizon)
    o[8] = max_drac
    o[9] = max_drac / max(amax, 1e-9)
    o[10] = min(min_pet, horizon)
    o[11] = tet
    o[12] = best_conflict
    o[13] = aeb_hit
    o[14] = t_coll if collided > 0.0 else math.nan


ACTOR_FIELDS = (
    "x", "y", "h", "v", "a", "ln", "wd", "radius", "order", "mode", "mode_p1", "mode_p2",
    "lc_on", "lc_y0", "lc_y1", "lc_t0", "lc_dur", "turning", "own_path", "turn_cx", "turn_cy",
    "turn_r", "turn_h0", "turn_v", "stopped", "zone_x0", "zone_x1", "zone_y0", "zone_y1",
    "ego_in", "ego_out", "other_in", "other_out",
)
"""The columns of a resumable run's ``actor_state``, in :func:`carry_run`'s order (flags and
ints as 1.0 / 0.0 and exact floats): the closed loop reads the pose and starts lane changes
through them."""
ACTOR_STATE = len(ACTOR_FIELDS)
RUN_STATE = 13
"""Values per run in ``run_state``: the running labels (see :func:`open_labels`)."""


@numba.njit(cache=True)
def carry_run(save, r, actor_state, hist_state, action_state, x, y, h, v, a, ln, wd, radius,
              order, mode, mode_p1, mode_p2, lc_on, lc_y0, lc_y1, lc_t0, lc_dur, turning,
              own_path, turn_cx, turn_cy, turn_r, turn_h0, turn_v, stopped, zone, z_ego, z_oth,
              hist_gap, hist_lv, hist_la, hist_x, fired, due) -> None:
    """Carry run ``r``'s state between calls of the kernel: ``save`` copies the working
    arrays into ``actor_state`` (r, A, :data:`ACTOR_STATE`), ``hist_state`` (r, A, H, 4) and
    ``action_state`` (r, K, 2); otherwise it copies them back. Every value is a float64 (ints
    and flags exactly), so a run resumed mid-way continues bit for bit as if never stopped."""
    for i in range(x.shape[0]):
        row = actor_state[r, i]
        hist = hist_state[r, i]
        if save:
            row[0], row[1], row[2], row[3], row[4] = x[i], y[i], h[i], v[i], a[i]
            row[5], row[6], row[7], row[8], row[9] = ln[i], wd[i], radius[i], order[i], mode[i]
            row[10], row[11], row[12] = mode_p1[i], mode_p2[i], 1.0 if lc_on[i] else 0.0
            row[13], row[14], row[15], row[16] = lc_y0[i], lc_y1[i], lc_t0[i], lc_dur[i]
            row[17] = 1.0 if turning[i] else 0.0
            row[18] = 1.0 if own_path[i] else 0.0
            row[19], row[20], row[21] = turn_cx[i], turn_cy[i], turn_r[i]
            row[22], row[23] = turn_h0[i], turn_v[i]
            row[24] = 1.0 if stopped[i] else 0.0
            row[25], row[26], row[27], row[28] = zone[i, 0], zone[i, 1], zone[i, 2], zone[i, 3]
            row[29], row[30], row[31], row[32] = z_ego[i, 0], z_ego[i, 1], z_oth[i, 0], z_oth[i, 1]
            for s in range(hist.shape[0]):
                hist[s, 0], hist[s, 1] = hist_gap[i, s], hist_lv[i, s]
                hist[s, 2], hist[s, 3] = hist_la[i, s], hist_x[i, s]
        else:
            x[i], y[i], h[i], v[i], a[i] = row[0], row[1], row[2], row[3], row[4]
            ln[i], wd[i], radius[i] = row[5], row[6], row[7]
            order[i], mode[i] = int(row[8]), int(row[9])
            mode_p1[i], mode_p2[i], lc_on[i] = row[10], row[11], row[12] != 0.0
            lc_y0[i], lc_y1[i], lc_t0[i], lc_dur[i] = row[13], row[14], row[15], row[16]
            turning[i], own_path[i] = row[17] != 0.0, row[18] != 0.0
            turn_cx[i], turn_cy[i], turn_r[i] = row[19], row[20], row[21]
            turn_h0[i], turn_v[i] = row[22], row[23]
            stopped[i] = row[24] != 0.0
            zone[i, 0], zone[i, 1], zone[i, 2], zone[i, 3] = row[25], row[26], row[27], row[28]
            z_ego[i, 0], z_ego[i, 1], z_oth[i, 0], z_oth[i, 1] = row[29], row[30], row[31], row[32]
            for s in range(hist.shape[0]):
                hist_gap[i, s], hist_lv[i, s] = hist[s, 0], hist[s, 1]
                hist_la[i, s], hist_x[i, s] = hist[s, 2], hist[s, 3]
    for k in range(fired.shape[0]):
        if save:
            action_state[r, k, 0] = 1.0 if fired[k] else 0.0
            action_state[r, k, 1] = due[k]
        else:
            fired[k] = action_state[r, k, 0] != 0.0
            due[k] = action_state[r, k, 1]


@numba.njit(cache=True)
def open_labels(run_state, r):
    """The running labels of run ``r`` as :func:`keep_labels` left them: collided, partner,
    impact, t_coll, min_dist, min_ttc, min_mttc, min_thw, max_drac, tet, aeb_hit,
    best_conflict, best_ttc."""
    s = run_state[r]
    return (s[0] != 0.0, s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10] != 0.0,
            s[11], s[12])


@numba.njit(cache=True)
def keep_labels(run_state, r, collided, partner, impact, t_coll, min_dist, min_ttc, min_mttc,
                min_thw, max_drac, tet, aeb_hit, best_conflict, best_ttc) -> None:
    """Store run ``r``'s running labels for the next call (flags as 1.0 / 0.0)."""
    s = run_state[r]
    s[0], s[1], s[2], s[3], s[4] = collided, partner, impact, t_coll, min_dist
    s[5], s[6], s[7], s[8], s[9] = min_ttc, min_mttc, min_thw, max_drac, tet
    s[10], s[11], s[12] = aeb_hit, best_conflict, best_ttc
