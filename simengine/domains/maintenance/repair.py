"""Imperfect corrective repair (Kijima type I and II) for every degradation model.

Kijima's virtual age after the n-th repair is v_n = v_{n−1} + q·x_n (type I: the repair undoes
a fraction 1 − q of the ageing since the last repair) or v_n = q·(v_{n−1} + x_n) (type II: of all
accumulated ageing), x_n the age gained in the n-th life. q = 0 is as good as new, q = 1 as bad
as old.

* Age models — Weibull hazard, exponential health index — take it literally: the repaired part
  keeps its model parameters and resumes at virtual age v_n (a Weibull part draws a fresh Exp(1)
  threshold for its remaining cumulative hazard: q = 1 is the minimal repair, the hazard goes on
  as if nothing had happened).
* Wear models — Gamma process, Wiener drift, Paris crack — carry their age in their damage
  D = X/threshold (crack: (a − a0)/(a_c − a0)), not in a clock: future increments do not depend
  on age. The repair acts on the damage in the same two ways, D_n = D_{n−1} + q·(D − D_{n−1})
  (type I, D_{n−1} the damage the life started with) or D_n = q·D (type II), D the damage at the
  repair; the path then grows on from D_n with the same parameters. q = 0 restores D = 0.

q = 0 installs a new part (its entity values drawn afresh), exactly like a replacement.
"""

from __future__ import annotations

import math

import numpy as np

from simengine.domains.maintenance.degradation import AGE_KINDS, WEIBULL, Life, LifeFactory

__all__ = ["repaired_life"]


def repaired_life(factory: LifeFactory, old: Life, age_h: float, rng: np.random.Generator, *,
                  q: float, kijima: int, tau_cap_h: float = math.inf) -> Life:
    """The life of part ``old`` after a corrective repair at effective age ``age_h`` since its
    installation (or last repair)."""
    if q == 0.0:
        return factory.new(rng, tau_cap_h=tau_cap_h)
    if old.kind in AGE_KINDS:
        v = old.start_age_h
        start = v + q * age_h if kijima == 1 else q * (v + age_h)
        params = old.params[:2] if old.kind == WEIBULL else old.params
        return factory.resume(rng, params, start_age_h=start, tau_cap_h=tau_cap_h)
    damage = min(1.0 - float(old.health(np.array([age_h]))[0]), 1.0)
    before = old.start_damage
    start_damage = before + q * (damage - before) if kijima == 1 else q * damage
    return factory.resume(rng, old.params, start_damage=start_damage, tau_cap_h=tau_cap_h)
