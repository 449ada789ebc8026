"""What the driving targets (a) and (b) correspond to: a lean, lane-ordered reference kernel
beside the shipped ``run_batch``, on the same scenes and the same per-run arrays.

    python benchmarks/bench_lane_ordered.py          # ~1 min
    python benchmarks/bench_lane_ordered.py --quick  # smaller batches, noisier

This is a measuring instrument, not part of simengine. ``lane_ordered`` below keeps, per run,
one list of vehicles per lane sorted by position, so a driver's leader is the next entry of its
own lane's list and MOBIL's neighbours are found in the target lane's list. It has the driver
model of ``run_batch`` (IDM with each driver's reaction queue, brake-light extrapolation, the
Gipps override and the friction cap; MOBIL at each driver's decision interval), collision
checks and the ego's TTC, MTTC, time headway and DRAC. It is timed in two variants:

* lean: a lane change is instantaneous, and the ego is scored against its leader only;
* with lane changes that move the vehicle sideways over MOBIL's duration (it is in both lanes'
  lists meanwhile) and the ego scored against every vehicle sharing a lane with it.

Either way it leaves out what the shipped model has besides: road users are lane-bound vehicles
only (no pedestrians, cyclists, turns, oncoming or off-axis vehicles, static objects, occlusion,
fog banks, AEB or recorded streams), the only action is a timed brake, and a vehicle's lateral
position is its lane (``run_batch`` tests every pair by lateral extent, and scores the ego
against every road user: PET through crossing zones, conflict type, the per-pair stream).

Its outputs are therefore not ``run_batch``'s. The figures say how much of the gap to the
targets is the design (general lateral perception and scoring) and how much is the machine:
see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_driving as bd  # noqa: E402 - the scenes and the shipped kernel's timing
from bench_core import best_of  # noqa: E402 - the same timing rule for every benchmark

from simengine.domains.driving.kernel import G, _cos0, _idm  # noqa: E402 - shipped helpers
from simengine.domains.driving.metrics import drac, mttc, time_headway, ttc  # noqa: E402


@numba.njit(inline="always")
def _insertion_sort(lst, count, x):
    for k in range(1, count):
        item = lst[k]
        m = k - 1
        while m >= 0 and x[lst[m]] > x[item]:
            lst[m + 1] = lst[m]
            m -= 1
        lst[m + 1] = item


@numba.njit(inline="always")
def _remove(members, count, slot_of, li, i):
    c = count[li]
    for m in range(slot_of[li, i], c - 1):
        members[li, m] = members[li, m + 1]
        slot_of[li, members[li, m]] = m
    count[li] = c - 1
    slot_of[li, i] = -1


@numba.njit(inline="always")
def _insert(members, count, slot_of, li, i, x):
    m = count[li]
    while m > 0 and x[members[li, m - 1]] > x[i]:
        members[li, m] = members[li, m - 1]
        slot_of[li, members[li, m]] = m
        m -= 1
    members[li, m] = i
    slot_of[li, i] = m
    count[li] += 1


@numba.njit(inline="always")
def _neighbour_in(members, count, li, x, i):
    """(leader, follower) of position x[i] in lane li's list (-1: none)."""
    nl, nf = -1, -1
    for kk in range(count[li]):
        m = members[li, kk]
        if m == i:
            continue
        if x[m] >= x[i]:
            nl = m
            break
        nf = m
    return nl, nf


@numba.njit(error_model="numpy")
def lane_ordered(x0, y0, v0, length, desired, headway, min_gap, max_accel, comfort, max_decel,
                 delta, reaction, mu, mobil, mobil_every, lane_width, lanes, brake_actor,
                 brake_time, brake_decel, brake_to, dt, steps, depth, lateral, all_pairs):
    """Outcome per run: collision of the ego, min TTC, min headway, max DRAC, min MTTC.
    ``lateral``: lane changes move sideways over MOBIL's duration (the vehicle is in both lanes'
    lists meanwhile; else instantaneous); ``all_pairs``: the ego is scored against every
    vehicle sharing a lane with it at every step (else its leader only)."""
    n, na = x0.shape
    out = np.zeros((n, 5))
    x = np.empty(na)
    y = np.empty(na)
    h = np.zeros(na)
    v = np.empty(na)
    a = np.zeros(na)
    a_seen = np.empty(na)
    lane = np.empty(na, np.int64)
    lane_to = np.empty(na, np.int64)  # -1: not changing lanes
    lc_y0 = np.empty(na)
    lc_done = np.empty(na)
    root = np.empty(na)
    lag = np.empty(na, np.int64)
    phase = np.empty(na, np.int64)
    stopped = np.empty(na, np.bool_)
    braking = np.empty(na, np.bool_)
    members = np.empty((lanes, na), np.int64)
    count = np.zeros(lanes, np.int64)
    slot_of = np.empty((lanes, na), np.int64)  # position in each lane's list (-1: absent)
    hist = np.empty((na, depth, 4))  # gap, leader speed, leader accel, own x
    for r in range(n):
        amax = mu[r] * G
        count[:] = 0
        slot_of[:, :] = -1
        for i in range(na):
            x[i] = x0[r, i]
            y[i] = y0[r, i]
            v[i] = v0[r, i]
            a[i] = 0.0
            lane[i] = min(max(int(math.floor(y0[r, i] / lane_width)), 0), lanes - 1)
            lane_to[i] = -1
            root[i] = 2.0 * math.sqrt(max_accel[r, i] * comfort[r, i])
            lag[i] = int(round(reaction[r, i] / dt))
            phase[i] = i % mobil_every[i]
            stopped[i] = False
            braking[i] = False
            members[lane[i], count[lane[i]]] = i
            count[lane[i]] += 1
        for li in range(lanes):
            _insertion_sort(members[li], count[li], x)
            for k in range(count[li]):
                slot_of[li, members[li, k]] = k
        collided = 0.0
        min_ttc = math.inf
        min_thw = math.inf
        min_mttc = math.inf
        max_drac = 0.0
        for step in range(steps):
            t = step * dt
            slot = step % depth
            if brake_actor >= 0 and t >= brake_time[r] - 1e-9 and t < brake_time[r] + 0.5 * dt:
                braking[brake_actor] = True
            for i in range(na):
                a_seen[i] = a[i]
            for i in range(na):
                if stopped[i]:
                    a[i] = 0.0
                    continue
                gap, lead_v, lead_a = math.inf, 0.0, 0.0
                for side in range(2):
                    li = lane[i] if side == 0 else lane_to[i]
                    if li < 0:
                        continue
                    k = slot_of[li, i]
                    if k + 1 < count[li]:
                        j = members[li, k + 1]
                        g = x[j] - x[i] - 0.5 * (length[r, i] + length[r, j])
                        if g < gap:
                            gap = g
                            lead_v = v[j]
                            lead_a = a_seen[j]
                hist[i, slot, 0] = gap
                hist[i, slot, 1] = lead_v
                hist[i, slot, 2] = lead_a
                hist[i, slot, 3] = x[i]
                d = lag[i]
                gd, lvd, lad = gap, lead_v, lead_a
                if step >= d:
                    old = slot - d
                    if old < 0:
                        old += depth
                    gd, lvd, lad = hist[i, old, 0], hist[i, old, 1], hist[i, old, 2]
                    if gd < math.inf:
                        tl = d * dt
                        if lad < 0.0 and lvd + lad * tl < 0.0:
                            tl = lvd / -lad
                        gd += lvd * tl + 0.5 * lad * tl * tl - (x[i] - hist[i, old, 3])
                        lvd = max(lvd + lad * tl, 0.0)
                cmd = _idm(v[i], desired[r, i], gd, v[i] - lvd, headway[r, i], min_gap[r, i],
                           max_accel[r, i], root[i], delta[r, i])
                if lad < -0.5 and gd < math.inf:
                    room = gd + lvd * lvd / (-2.0 * lad) - min_gap[r, i]
                    need = v[i] * v[i] / (2.0 * room) if room > 0.0 else math.inf
                    if need > min(comfort[r, i], 0.5 * amax):
                        cmd = min(cmd, -need)
                acc = max(cmd, -max_decel[r, i])
                if braking[i]:
                    acc = -brake_decel[r] if v[i] > brake_to[r] else 0.0
                elif mobil[i, 0] > 0 and phase[i] == 0 and lane_to[i] < 0:
                    best = mobil[i, 2]
                    target = -1
                    for side in (-1, 1):
                        tl2 = lane[i] + side
                        if tl2 < 0 or tl2 >= lanes:
                            continue
                        nl, nf = _neighbour_in(members, count, tl2, x, i)
                        nl_gap = (x[nl] - x[i] - 0.5 * (length[r, i] + length[r, nl])
                                  if nl >= 0 else math.inf)
                        nf_gap = (x[i] - x[nf] - 0.5 * (length[r, i] + length[r, nf])
                                  if nf >= 0 else math.inf)
                        if nl_gap < 0 or nf_gap < 0:
                            continue
                        a_new = _idm(v[i], desired[r, i], nl_gap,
                                     v[i] - (v[nl] if nl >= 0 else 0.0), headway[r, i],
                                     min_gap[r, i], max_accel[r, i], root[i], delta[r, i])
                        gain_f = 0.0
                        if nf >= 0:
                            a_nf_new = _idm(v[nf], desired[r, nf], nf_gap, v[nf] - v[i],
                                            headway[r, nf], min_gap[r, nf], max_accel[r, nf],
                                            root[nf], delta[r, nf])
                            if a_nf_new < -mobil[i, 3]:
                                continue
                            a_nf_old = _idm(v[nf], desired[r, nf],
                                            nf_gap + length[r, i] + nl_gap,
                                            v[nf] - (v[nl] if nl >= 0 else 0.0), headway[r, nf],
                                            min_gap[r, nf], max_accel[r, nf], root[nf],
                                            delta[r, nf])
                            gain_f = a_nf_new - a_nf_old
                        gain = a_new - cmd + mobil[i, 1] * gain_f
                        if gain > best:
                            best = gain
                            target = tl2
                    if target >= 0:
                        _insert(members, count, slot_of, target, i, x)
                        if lateral:  # in both lanes until the change is done
                            lane_to[i] = target
                            lc_y0[i] = y[i]
                            lc_done[i] = 0.0
                        else:
                            _remove(members, count, slot_of, lane[i], i)
                            lane[i] = target
                            y[i] = (target + 0.5) * lane_width
                a[i] = min(max(acc, -amax), amax)
            for i in range(na):
                phase[i] = 0 if phase[i] + 1 == mobil_every[i] else phase[i] + 1
                if stopped[i]:
                    continue
                v_new = max(v[i] + a[i] * dt, 0.0)
                dist = 0.5 * (v[i] + v_new) * dt
                x[i] += dist
                v[i] = v_new
                if lane_to[i] >= 0:  # the cosine profile, heading of the path
                    lc_done[i] = min(lc_done[i] + dt / mobil[i, 4] * min(1.0, v_new / 5.0), 1.0)
                    y1 = (lane_to[i] + 0.5) * lane_width
                    y_new = lc_y0[i] + (y1 - lc_y0[i]) * 0.5 * (1 - math.cos(math.pi * lc_done[i]))
                    h[i] = math.atan2(y_new - y[i], max(dist, 1e-6))
                    y[i] = y_new
                    if lc_done[i] >= 1.0:
                        _remove(members, count, slot_of, lane[i], i)
                        lane[i] = lane_to[i]
                        lane_to[i] = -1
                        h[i] = 0.0
            for li in range(lanes):
                _insertion_sort(members[li], count[li], x)
                for k in range(count[li]):
                    slot_of[li, members[li, k]] = k
                for k in range(1, count[li]):
                    i = members[li, k - 1]
                    j = members[li, k]
                    if x[j] - x[i] - 0.5 * (length[r, i] + length[r, j]) < 0.0:
                        if i == 0 or j == 0:
                            collided = 1.0
                        stopped[i] = True
                        stopped[j] = True
                        v[i] = 0.0
                        v[j] = 0.0
            tt_step = math.inf
            for side in range(2):
                li = lane[0] if side == 0 else lane_to[0]
                if li < 0:
                    continue
                k0 = slot_of[li, 0]
                hi = count[li] if all_pairs else min(k0 + 2, count[li])
                lo = 0 if all_pairs else max(k0 - 1, 0)
                for k in range(lo, hi):
                    j = members[li, k]
                    if j == 0:
                        continue
                    if k > k0:  # ahead of the ego
                        g = x[j] - x[0] - 0.5 * (length[r, 0] + length[r, j])
                        cj = _cos0(h[j])
                        dv = v[0] - v[j] * cj
                        tt = ttc(g, dv)
                        da = a[0] - a[j] * cj
                        if dv > 0.0 or da > 0.0 or g <= 0.0:
                            min_mttc = min(min_mttc, mttc(g, dv, da))
                        min_thw = min(min_thw, time_headway(g, v[0]))
                        max_drac = max(max_drac, drac(g, dv))
                    else:
                        g = x[0] - x[j] - 0.5 * (length[r, 0] + length[r, j])
                        dv = v[j] * _cos0(h[j]) - v[0]
                        tt = ttc(g, dv)
                        max_drac = max(max_drac, drac(g, dv))
                    tt_step = min(tt_step, tt)
            min_ttc = min(min_ttc, tt_step)
        out[r, 0] = collided
        out[r, 1] = min_ttc
        out[r, 2] = min_thw
        out[r, 3] = max_drac
        out[r, 4] = min_mttc
    return out


def lean_arguments(scn, n: int) -> tuple:
    """``lane_ordered``'s arguments from the shipped batch compiler's arrays for ``n`` runs."""
    b = bd.prepare(scn, n, *bd.params_for(scn, n))
    dt = 1.0 / scn.spec.step_hz
    steps = int(round(scn.spec.duration_s * scn.spec.step_hz))
    brakes = [k for k in range(b.act_kind.shape[0]) if b.act_kind[k] == 0]
    if brakes:
        k = brakes[0]
        actor, when = int(b.act_actor[k]), b.act_time[:, k] + b.act_delay[:, k]
        decel, to = b.act_p1[:, k], b.act_p2[:, k]
    else:
        actor, when, decel, to = -1, np.full(n, np.inf), np.zeros(n), np.zeros(n)
    h = max(2, int(np.max(np.round(b.reaction_s / dt))) + 2)
    return (b.x, b.y, b.v, b.length, b.desired_v, b.headway, b.min_gap, b.max_accel,
            b.comfort_decel, b.max_decel, b.delta, b.reaction_s, b.mu, b.mobil, b.mobil_every,
            float(b.lane_width), int(b.lanes), actor, np.ascontiguousarray(when),
            np.ascontiguousarray(decel), np.ascontiguousarray(to), dt, steps, h)


VARIANTS = (("lean", False, False), ("+ lateral lane changes, all-pairs ego scoring", True, True))


def compare(scn, n: int, label: str, target: float) -> None:
    actors, steps = bd.shape_of(scn)
    args = lean_arguments(scn, n)
    ours = bd.kernel_rate(scn, n)["vs"]
    print(f"{label}: run_batch {ours / 1e6:.1f} M vehicle-steps/s/core; "
          f"target {target / 1e6:.0f} M")
    for name, lateral, all_pairs in VARIANTS:
        lane_ordered(*lean_arguments(scn, 4), lateral, all_pairs)  # compile
        t = best_of(lambda lateral=lateral, all_pairs=all_pairs: lane_ordered(
            *args, lateral, all_pairs))
        lean = n * steps * actors / t
        print(f"    lane-ordered reference, {name:<46s} {lean / 1e6:6.1f} M   "
              f"ratio to run_batch {lean / ours:4.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller batches (noisier)")
    q = ap.parse_args().quick
    from simengine.api import load_scenario

    with tempfile.TemporaryDirectory() as folder:
        platoon = bd.load_inline(bd.platoon_yaml(10), Path(folder), "platoon")
        compare(platoon, 400 if q else 2000, "(b) platoon, 10 cars, 20 Hz", 50e6)
    path, _ = bd.stop_and_go_path()
    compare(load_scenario(path), 100 if q else 500, "(a) stop-and-go-wave, 31 vehicles", 20e6)


if __name__ == "__main__":
    main()
