"""Component lives: how long a part lasts, and its health along the way, in effective hours.

A *life* starts when a part is installed (or imperfectly repaired) and ends at failure or
replacement. Each model draws what it needs when the life starts, from the run's simulation
generator, and then answers three questions: at which effective age (since installation) its
health falls to a level (``time_to_health``; level 0 is failure), its health at given ages
(``health``), and the state the closed-form RUL needs.

Health is 1 for a new part and 0 at failure: Weibull ``1 − (H(v+s) − H(v))/E`` (cumulative
hazard since the renewal over an Exp(1) draw E, so failure is exact: T = η(−ln U)^(1/β) from new,
η[(v/η)^β − ln U]^(1/β) − v from virtual age v); C-MAPSS exponential ``1 − d − (exp(a (v+s)^b)
− 1)`` at virtual age v; path models ``1 − X/threshold`` (Gamma process, Wiener, Paris crack
growth integrated with RK4).

A path is the damage X/threshold at ages ``k·dtau_h``, linearly interpolated; a path that fails
ends with the value 1 exactly at the failure age ``fail_tau_h`` (which need not be on the grid:
the last segment is shorter), and its health is 0 from there on. Gamma and Paris paths cross
the threshold where the interpolation does; a Wiener path also fails *between* grid points
with the Brownian-bridge crossing probability (:mod:`~simengine.domains.maintenance.bridge`).
Repaired (imperfect) lives start from a virtual age or a damage left by the repair
(:mod:`~simengine.domains.maintenance.repair`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources

__all__ = [
    "AGE_KINDS",
    "KINDS",
    "Life",
    "LifeFactory",
    "health_at",
    "healths",
    "paris_path",
    "path_health",
]

KINDS = ("weibull", "gamma_process", "wiener", "paris", "exponential_health")
WEIBULL, GAMMA, WIENER, PARIS, EXPONENTIAL = range(5)
AGE_KINDS = (WEIBULL, EXPONENTIAL)
"""Models whose state is an age (imperfect repair sets a virtual age); the others' state is a
damage path."""


@numba.njit(cache=True, inline="always")
def path_health(paths: np.ndarray, offset: int, last: int, x: float, x_end: float) -> float:
    """1 − damage of a path (``paths[offset:offset + last + 1]``) at ``x`` grid steps; a path
    that fails reaches its last value (1) at ``x_end`` steps (inf if it does not fail)."""
    if x >= x_end:
        return 0.0
    k = min(int(math.floor(x)), max(last - 1, 0))
    frac = max(x - k, 0.0)
    if k == last - 1 and x_end < math.inf:
        frac = frac / (x_end - k)
    lower = paths[offset + k]
    upper = paths[offset + min(k + 1, last)]
    return 1.0 - (lower + frac * (upper - lower))


@numba.njit(cache=True, inline="always")
def health_at(kind: int, s: float, p: np.ndarray, start_age: float, paths: np.ndarray,
              offset: int, length: int, dtau: float, fail_tau: float) -> float:
    """Health at effective age ``s`` since installation (see :class:`Life`), for kernels that
    hold lives as flat arrays."""
    if kind == WEIBULL:
        v = start_age
        return 1.0 - (((v + s) / p[1]) ** p[0] - (v / p[1]) ** p[0]) / p[2]
    if kind == EXPONENTIAL:
        return 1.0 - p[0] - math.expm1(p[1] * (start_age + s) ** p[2])
    return path_health(paths, offset, length - 1, s / dtau, fail_tau / dtau)


@numba.njit(cache=True)
def healths(kind: int, p: np.ndarray, start_age: float, path: np.ndarray, dtau: float,
            fail_tau: float, s: np.ndarray) -> np.ndarray:
    """Health of one life at ages ``s`` (≥ 0), with exactly the arithmetic of the timeseries
    kernel (:func:`synth._fill`), so the plant and the recorded rows agree to the bit."""
    out = np.empty(s.size)
    v = start_age
    v_term = (v / p[1]) ** p[0] if kind == WEIBULL else 0.0
    x_end = fail_tau / dtau
    for i in range(s.size):
        if kind == WEIBULL:
            out[i] = 1.0 - (((v + s[i]) / p[1]) ** p[0] - v_term) / p[2]
        elif kind == EXPONENTIAL:
            out[i] = 1.0 - p[0] - math.expm1(p[1] * (v + s[i]) ** p[2])
        else:
            out[i] = path_health(path, 0, path.size - 1, s[i] / dtau, x_end)
    return out


@dataclass
class Life:
    """One part's life. ``params``: weibull (β, η, E); exponential (d, a, b); wiener (μ, σ, D);
    gamma (mean rate, shape, threshold); paris (C, m, Y·Δσ, a0, a_c, cycles/h).
    ``start_age_h`` is the virtual age at the start (age models); a path's first value is its
    damage at the start."""

    kind: int
    start_age_h: float
    params: tuple[float, ...]
    path: np.ndarray | None = None  # damage X/threshold at s = k·dtau_h
    dtau_h: float = 1.0
    fail_tau_h: float = field(default=math.inf)

    def health(self, s_h: np.ndarray) -> np.ndarray:
        """Health at effective ages ``s_h`` since installation."""
        s = np.maximum(np.asarray(s_h, dtype=np.float64), 0.0)
        p = np.zeros(6)
        p[: len(self.params)] = self.params
        path = self.path if self.path is not None else np.zeros(1)
        out = healths(self.kind, p, self.start_age_h, path, self.dtau_h, self.fail_tau_h,
                      np.ascontiguousarray(np.atleast_1d(s)))
        return out.reshape(np.shape(s))

    @property
    def start_damage(self) -> float:
        """1 − health at the start of the life (0 for a new part)."""
        return float(self.path[0]) if self.path is not None else 0.0

    def time_to_health(self, level: float) -> float:
        """Effective age since installation at which health first reaches ``level`` (inf if
        not within the simulated path)."""
        if self.kind == WEIBULL:
            beta, eta, e = self.params
            v = self.start_age_h
            return eta * ((v / eta) ** beta + (1.0 - level) * e) ** (1.0 / beta) - v
        if self.kind == EXPONENTIAL:
            d, a, b = self.params
            arg = 2.0 - d - level
            if arg <= 1.0:
                return 0.0
            return max((math.log(arg) / a) ** (1.0 / b) - self.start_age_h, 0.0)
        assert self.path is not None
        if level <= 0.0:
            return self.fail_tau_h
        above = np.flatnonzero(self.path >= 1.0 - level)
        if not above.size:
            return math.inf
        k = int(above[0])
        if k == 0:
            return 0.0
        lo, hi = self.path[k - 1], self.path[k]
        frac = (1.0 - level - lo) / (hi - lo) if hi > lo else 1.0
        width = self.dtau_h
        if k == len(self.path) - 1 and math.isfinite(self.fail_tau_h):
            width = self.fail_tau_h - (k - 1) * self.dtau_h
        return (k - 1) * self.dtau_h + frac * width

    def remaining_mean_tau_h(self, s_h: float) -> float:
        """Effective hours from age ``s_h`` to failure: exact where the life knows it, else
        extrapolated at the model's mean rate (paths that end before failing)."""
        if math.isfinite(self.fail_tau_h):
            return max(self.fail_tau_h - s_h, 0.0)
        h = float(self.health(np.array([s_h]))[0])
        rate = {GAMMA: lambda p: p[0] / p[2], WIENER: lambda p: p[0] / p[2]}.get(self.kind)
        if rate is not None:
            return max(h, 0.0) / rate(self.params)
        return math.inf


@numba.njit(cache=True)
def paris_path(c: float, m: float, y_dsigma: float, a0: float, ac: float, cycles_per_step: float,
               steps: int, substeps: int, start: float = 0.0) -> np.ndarray:
    """Crack length ratio (a − a0)/(a_c − a0) at each grid step, from ``start`` (the ratio at
    step 0), integrating da/dN = C·(Y·Δσ·√(πa))^m with classical RK4 in cycles; stops after
    reaching a_c."""
    out = np.empty(steps + 1)
    a = a0 + start * (ac - a0)
    out[0] = start
    h = cycles_per_step / substeps
    k = 1
    while k <= steps and a < ac:
        for _ in range(substeps):
            k1 = c * (y_dsigma * math.sqrt(math.pi * a)) ** m
            k2 = c * (y_dsigma * math.sqrt(math.pi * (a + 0.5 * h * k1))) ** m
            k3 = c * (y_dsigma * math.sqrt(math.pi * (a + 0.5 * h * k2))) ** m
            k4 = c * (y_dsigma * math.sqrt(math.pi * (a + h * k3))) ** m
            a += h * (k1 + 2 * k2 + 2 * k3 + k4) / 6.0
        out[k] = (a - a0) / (ac - a0)
        if a >= ac:
            return out[: k + 1]
        k += 1
    return out[:k]


def _ends_at_crossing(path: np.ndarray, dtau_h: float) -> tuple[np.ndarray, float]:
    """A path that reaches 1 (linear interpolation between grid points) cut at the crossing:
    (path ending with 1, failure age); a path that does not reach 1 is returned as is (inf)."""
    above = np.flatnonzero(path >= 1.0)
    if not above.size:
        return path, math.inf
    k = int(above[0])
    if k == 0:
        return np.ones(1), 0.0
    lo, hi = path[k - 1], path[k]
    frac = (1.0 - lo) / (hi - lo) if hi > lo else 1.0
    out = path[: k + 1].copy()
    out[k] = 1.0
    return out, (k - 1 + frac) * dtau_h


class LifeFactory:
    """Draws new lives of one component for one run. ``draw(name)`` returns the next value of an
    entity field (already bound to the run's parameters)."""

    def __init__(self, kind: str, draw: Callable[[str], float], *, threshold: float = 1.0,
                 fixed: dict[str, float] | None = None, dtau_h: float = 1.0) -> None:
        self.kind = KINDS.index(kind)
        self.draw = draw
        self.threshold = threshold
        self.fixed = fixed or {}
        self.dtau_h = dtau_h

    def new(self, rng: np.random.Generator, *, start_age_h: float = 0.0,
            tau_cap_h: float = math.inf) -> Life:
        """A fresh life: a new part (entity values drawn afresh), at virtual age
        ``start_age_h`` for age models. Paths are simulated up to failure or ``tau_cap_h``
        effective hours, whichever comes first."""
        d = self.draw
        if self.kind == WEIBULL:
            params: tuple[float, ...] = (d("shape"), d("scale_h"))
        elif self.kind == EXPONENTIAL:
            params = (d("initial_wear"), d("a"), d("b"))
        elif self.kind == GAMMA:
            params = (d("mean_rate_per_h"), d("shape_per_h"), self.threshold)
        elif self.kind == WIENER:
            params = (d("drift_per_h"), d("sigma_per_sqrt_h"), self.threshold)
        else:
            f = self.fixed
            params = (d("c"), f["m"], f["geometry_factor"] * d("stress_range_mpa"),
                      d("initial_crack_m"), f["critical_crack_m"], f["cycles_per_h"])
        return self.resume(rng, params, start_age_h=start_age_h, tau_cap_h=tau_cap_h)

    def resume(self, rng: np.random.Generator, params: tuple[float, ...], *,
               start_age_h: float = 0.0, start_damage: float = 0.0,
               tau_cap_h: float = math.inf) -> Life:
        """A life of a part with model parameters ``params`` (Weibull: β, η — a fresh Exp(1)
        threshold is drawn), starting at virtual age ``start_age_h`` (age models) or damage
        ``start_damage`` (path models)."""
        if self.kind == WEIBULL:
            life = Life(WEIBULL, start_age_h, (*params[:2], rng.exponential()))
        elif self.kind == EXPONENTIAL:
            life = Life(EXPONENTIAL, start_age_h, params)
        else:
            life = self._path_life(rng, params, start_damage, tau_cap_h)
        if life.kind in AGE_KINDS:
            life.fail_tau_h = life.time_to_health(0.0)
        return life

    def _steps(self, tau_cap_h: float) -> int:
        if not math.isfinite(tau_cap_h):
            return 10_000_000
        return int(min(math.ceil(tau_cap_h / self.dtau_h) + 2, 10_000_000))

    def _path_life(self, rng: np.random.Generator, params: tuple[float, ...], start: float,
                   tau_cap_h: float) -> Life:
        from simengine.domains.maintenance.bridge import wiener_path

        dt, steps = self.dtau_h, self._steps(tau_cap_h)
        if start >= 1.0:
            return Life(self.kind, 0.0, params, np.ones(1), dt, 0.0)
        if self.kind == GAMMA:
            mean, shape, thr = params
            path, fail = _ends_at_crossing(self._grow(
                lambda k: rng.gamma(shape * dt, mean / shape, k), steps, thr, start), dt)
        elif self.kind == WIENER:
            mu, sigma, thr = params
            path, fail = wiener_path(rng, mu / thr, sigma / thr, dt, steps, start)
        else:
            c, m, y_ds, a0, ac, cycles = params
            path, fail = _ends_at_crossing(
                paris_path(c, m, y_ds, a0, ac, cycles * dt, steps, 16, start), dt)
        return Life(self.kind, 0.0, params, path, dt, fail)

    @staticmethod
    def _grow(increments: Callable[[int], np.ndarray], steps: int, thr: float,
              start: float = 0.0) -> np.ndarray:
        """Cumulative path X/threshold from ``start``, drawn in blocks until it crosses 1 or
        reaches ``steps`` (so the draws consumed never depend on anything but the path
        itself)."""
        parts = [np.full(1, start)]
        level, done, block = start, 0, 256
        while done < steps:
            k = min(block, steps - done)
            seg = level + np.cumsum(increments(k)) / thr
            parts.append(seg)
            done += k
            level = float(seg[-1])
            if np.any(seg >= 1.0):
                break
            block = min(block * 2, 65536)
        return np.concatenate(parts)
