"""Wiener wear that fails between samples: Brownian-bridge crossing of the failure level.

A Wiener path X(τ) = μτ + σB(τ) simulated only at grid ages k·Δ misses crossings of the level
D that happen and recede between two grid points, so grid-only detection fails parts too late.
Given the grid values x₀ < D and x₁ < D, the path between them is a Brownian bridge (the drift
drops out), which touches D with probability

    P(cross) = exp(−2 (D − x₀)(D − x₁) / (σ² Δ)).

Given that it touches (or that x₁ ≥ D), its first passage time τ ∈ (0, Δ) has the density
∝ τ^(−3/2) e^(−a²/(2σ²τ)) (Δ − τ)^(−1/2) e^(−c²/(2σ²(Δ − τ))) with a = D − x₀, c = |x₁ − D|;
with w = τ/(Δ − τ) this is exactly an inverse Gaussian, w ~ IG(mean a/c, shape a²/(σ²Δ)), so
τ = Δ·w/(1 + w) is drawn exactly with one ``Generator.wald`` call. Failure ages are therefore the
exact first passage of the continuous path (inverse Gaussian from a new part), whatever the
sampling period; the recorded path stops at the crossing (value 1 at the failure age).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["crossing_probability", "crossing_time", "wiener_path"]

MIN_DISTANCE = 1e-300
"""Below this the endpoint is on the level: the inverse Gaussian mean a/c would overflow."""


def crossing_probability(x0: np.ndarray, x1: np.ndarray, sigma: float, dt: float
                         ) -> np.ndarray:
    """P(a Brownian bridge from ``x0`` to ``x1`` over ``dt`` touches 1), for x0, x1 < 1 (1
    where either is at or above 1); ``sigma`` in the same units per √time."""
    a = np.maximum(1.0 - np.asarray(x0, dtype=np.float64), 0.0)
    b = np.maximum(1.0 - np.asarray(x1, dtype=np.float64), 0.0)
    return np.exp(-2.0 * a * b / (sigma * sigma * dt))


def crossing_time(rng: np.random.Generator, x0: float, x1: float, sigma: float,
                  dt: float) -> float:
    """The first time in (0, dt) at which a bridge from ``x0`` (< 1) to ``x1`` touches 1,
    given that it does."""
    a = 1.0 - x0
    c = max(abs(x1 - 1.0), MIN_DISTANCE)
    w = rng.wald(a / c, a * a / (sigma * sigma * dt))
    return dt * w / (1.0 + w) if math.isfinite(w) else dt


def wiener_path(rng: np.random.Generator, mu: float, sigma: float, dt: float, steps: int,
                start: float) -> tuple[np.ndarray, float]:
    """A Wiener damage path X/D on the grid from ``start`` (< 1) with drift ``mu`` and
    diffusion ``sigma`` (per D), until its first passage of 1 or ``steps`` steps.

    Returns the path (ending with 1 at the crossing) and the failure age (inf if it does not
    fail). Draws per block of k steps: k normals (increments), then k uniforms (crossing
    tests), and one inverse Gaussian at the crossing: the draws depend on the path only."""
    parts = [np.full(1, start)]
    level, done, block = start, 0, 256
    sd = sigma * math.sqrt(dt)
    while done < steps:
        k = min(block, steps - done)
        seg = level + np.cumsum(mu * dt + sd * rng.standard_normal(k))
        u = rng.random(k)
        prev = np.concatenate(([level], seg[:-1]))
        hit = (seg >= 1.0) | (u < crossing_probability(prev, seg, sigma, dt))
        if hit.any():
            j = int(np.argmax(hit))
            tau = crossing_time(rng, float(prev[j]), float(seg[j]), sigma, dt)
            parts.append(seg[:j])
            path = np.concatenate([*parts, [1.0]])
            return path, (done + j) * dt + tau
        parts.append(seg)
        done += k
        level = float(seg[-1])
        block = min(block * 2, 65536)
    return np.concatenate(parts), math.inf
