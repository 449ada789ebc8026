"""Component lives: how long a part lasts, and its health along the way, in effective hours.

A *life* starts when a part is installed (or imperfectly repaired) and ends at failure or
replacement. Each model draws what it needs when the life starts, from the run's simulation
generator, and then answers three questions: at which effective age (since installation) its
health falls to a level (``time_to_health``; level 0 is failure), its health at given ages
(``health``), and the state the closed-form RUL needs.

Health is 1 for a new part and 0 at failure: Weibull ``1 − (H(v+s) − H(v))/E`` (cumulative
hazard since the renewal over an Exp(1) draw E, so failure is exact: T = η(−ln U)^(1/β) from new,
η[(v/η)^β − ln U]^(1/β) − v from virtual age v); path models ``1 − X/threshold`` on a grid of
step ``dtau_h`` (Gamma process, Wiener, Paris crack growth integrated with RK4); C-MAPSS
exponential ``1 − d − (exp(a s^b) − 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numba
import numpy as np

__all__ = ["KINDS", "Life", "LifeFactory", "paris_path"]

KINDS = ("weibull", "gamma_process", "wiener", "paris", "exponential_health")
WEIBULL, GAMMA, WIENER, PARIS, EXPONENTIAL = range(5)


@dataclass
class Life:
    """One part's life. ``params``: weibull (β, η, E); exponential (d, a, b); wiener (μ, σ, D);
    gamma (mean rate, shape, threshold); paris (C, m, Y·Δσ, a0, a_c, cycles/h)."""

    kind: int
    start_age_h: float
    params: tuple[float, ...]
    path: np.ndarray | None = None  # damage X/threshold at s = k·dtau_h
    dtau_h: float = 1.0
    fail_tau_h: float = field(default=math.inf)

    def health(self, s_h: np.ndarray) -> np.ndarray:
        """Health at effective ages ``s_h`` since installation."""
        s = np.maximum(np.asarray(s_h, dtype=np.float64), 0.0)
        if self.kind == WEIBULL:
            beta, eta, e = self.params
            v = self.start_age_h
            return 1.0 - (((v + s) / eta) ** beta - (v / eta) ** beta) / e
        if self.kind == EXPONENTIAL:
            d, a, b = self.params
            return 1.0 - d - np.expm1(a * s**b)
        assert self.path is not None
        x = s / self.dtau_h
        last = len(self.path) - 1
        k = np.minimum(np.floor(x).astype(np.int64), max(last - 1, 0))
        frac = np.clip(x - k, 0.0, None)
        upper = self.path[np.minimum(k + 1, last)]
        return 1.0 - (self.path[k] + frac * (upper - self.path[k]))

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
            return (math.log(arg) / a) ** (1.0 / b)
        assert self.path is not None
        above = np.flatnonzero(self.path >= 1.0 - level)
        if not above.size:
            return math.inf
        k = int(above[0])
        if k == 0:
            return 0.0
        lo, hi = self.path[k - 1], self.path[k]
        frac = (1.0 - level - lo) / (hi - lo) if hi > lo else 1.0
        return (k - 1 + frac) * self.dtau_h

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
               steps: int, substeps: int) -> np.ndarray:
    """Crack length ratio (a − a0)/(a_c − a0) at each grid step, integrating da/dN =
    C·(Y·Δσ·√(πa))^m with classical RK4 in cycles; stops after reaching a_c."""
    out = np.empty(steps + 1)
    a = a0
    out[0] = 0.0
    h = cycles_per_step / substeps
    k = 1
    while k <= steps:
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
    return out


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
        """A fresh life (virtual age ``start_age_h`` for Weibull parts). Paths are simulated up
        to failure or ``tau_cap_h`` effective hours, whichever comes first."""
        d = self.draw
        if self.kind == WEIBULL:
            life = Life(WEIBULL, start_age_h, (d("shape"), d("scale_h"), rng.exponential()))
        elif self.kind == EXPONENTIAL:
            life = Life(EXPONENTIAL, 0.0, (d("initial_wear"), d("a"), d("b")))
        else:
            life = self._path_life(rng, tau_cap_h)
        life.fail_tau_h = life.time_to_health(0.0)
        return life

    def _steps(self, tau_cap_h: float) -> int:
        return int(min(math.ceil(tau_cap_h / self.dtau_h) + 2, 10_000_000))

    def _path_life(self, rng: np.random.Generator, tau_cap_h: float) -> Life:
        d, dt, thr = self.draw, self.dtau_h, self.threshold
        steps = self._steps(tau_cap_h)
        if self.kind == GAMMA:
            mean, shape = d("mean_rate_per_h"), d("shape_per_h")
            params = (mean, shape, thr)
            path = self._grow(lambda k: rng.gamma(shape * dt, mean / shape, k), steps, thr)
        elif self.kind == WIENER:
            mu, sigma = d("drift_per_h"), d("sigma_per_sqrt_h")
            params = (mu, sigma, thr)
            path = self._grow(lambda k: mu * dt + sigma * math.sqrt(dt) * rng.standard_normal(k),
                              steps, thr)
        else:
            f = self.fixed
            c, dsigma, a0 = d("c"), d("stress_range_mpa"), d("initial_crack_m")
            y_ds = f["geometry_factor"] * dsigma
            params = (c, f["m"], y_ds, a0, f["critical_crack_m"], f["cycles_per_h"])
            path = paris_path(c, f["m"], y_ds, a0, f["critical_crack_m"],
                              f["cycles_per_h"] * dt, steps, 16)
        return Life(self.kind, 0.0, params, path, dt)

    @staticmethod
    def _grow(increments: Callable[[int], np.ndarray], steps: int, thr: float) -> np.ndarray:
        """Cumulative path X/threshold drawn in blocks until it crosses 1 or reaches ``steps``
        (so the draws consumed never depend on anything but the path itself)."""
        parts = [np.zeros(1)]
        level, done, block = 0.0, 0, 256
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
