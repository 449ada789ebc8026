"""From a validated maintenance scenario and one run's parameters to the plant's inputs.

Resolves, for one run: the machine list (``pump.0``, ``pump.1``, …), each machine type's time
grid, the regime of every machine at every step (a fixed profile, or random switching drawn
from the run's simulation generator), the ambient temperature (weather + heat waves) and the
resulting ageing rate per regime and step (regime × Arrhenius × Peck), each machine's running
integral of it, and samplers for entity values (a wear parameter per life, a repair time per
repair).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numba
import numpy as np

from simengine import jit_cache  # noqa: F401 - cache stamps cover the package's sources
from simengine.domains.maintenance.model import MachineSpec, MaintenanceWorld, RegimeSpec
from simengine.scenario.values import Const, Dist, Ref, ValueSpec

__all__ = ["EntityDraw", "Layout", "TypeGrid", "build_grids", "layout_of"]

DEFAULT_REGIME = RegimeSpec(name="normal")


@dataclass(frozen=True)
class Layout:
    """Machines of the plant, the same for every run of a scenario."""

    types: tuple[str, ...]
    machine_type: np.ndarray          # (M,) index into types
    machine_index: np.ndarray         # (M,) index within its type
    names: tuple[str, ...]            # (M,) "pump.3"
    components: tuple[tuple[str, ...], ...]  # per type: its component names
    horizon_h: float

    @property
    def machines(self) -> int:
        return len(self.names)

    def of_type(self, t: int) -> np.ndarray:
        return np.flatnonzero(self.machine_type == t)


def layout_of(scenario) -> Layout:
    world: MaintenanceWorld = scenario.spec.world
    types = tuple(world.machines)
    mtype, mindex, names = [], [], []
    for t, name in enumerate(types):
        for i in range(world.machines[name].count):
            mtype.append(t)
            mindex.append(i)
            names.append(f"{name}.{i}")
    return Layout(types, np.asarray(mtype, dtype=np.int64), np.asarray(mindex, dtype=np.int64),
                  tuple(names), tuple(tuple(world.components_of(t)) for t in types),
                  scenario.spec.duration_s / 3600.0)


def regimes_of(spec: MachineSpec) -> tuple[RegimeSpec, ...]:
    return spec.operation.regimes if spec.operation is not None else (DEFAULT_REGIME,)


@dataclass
class TypeGrid:
    """One machine type's grid for one run: step k covers [k·dt_h, (k+1)·dt_h).

    Everything that depends on a machine only through its regime is a (G, steps) table over the
    type's G regimes (operating temperature, ageing rate); per machine the grid keeps just its
    regime at every step and the running integral of its ageing rate."""

    dt_h: float
    steps: int
    regime: np.ndarray        # (count, steps) int32 index into the type's regimes
    regime_load: np.ndarray   # (G,) load of each regime
    ambient_c: np.ndarray     # (steps,) at the step's middle
    humidity_pct: float
    regime_temp_c: np.ndarray  # (G, steps) operating temperature
    regime_rate: np.ndarray   # (G, steps) effective hours per running hour
    cum: np.ndarray           # (count, steps + 1) ∫ rate dt from 0 to the step start

    @property
    def t_h(self) -> np.ndarray:
        return np.arange(self.steps) * self.dt_h

    def rate_at(self, i: int, k: int) -> float:
        """Machine ``i``'s ageing rate during step ``k``."""
        return float(self.regime_rate[self.regime[i, k], k])

    def effective_at(self, i: int, t_h: float) -> float:
        """∫ rate dt from 0 to ``t_h`` for machine ``i`` of the type (extrapolated beyond)."""
        k = min(int(t_h // self.dt_h), self.steps - 1)
        return float(self.cum[i, k] + self.rate_at(i, k) * (t_h - k * self.dt_h))

    def time_at(self, i: int, effective: float) -> float:
        """Inverse of :meth:`effective_at`: the time at which the integral reaches it."""
        cum = self.cum[i]
        k = int(np.searchsorted(cum, effective, side="right")) - 1
        k = min(max(k, 0), self.steps - 1)
        return k * self.dt_h + (effective - cum[k]) / self.rate_at(i, k)


@numba.njit(cache=True, nogil=True)
def _integrate(regime: np.ndarray, regime_rate: np.ndarray, dt_h: float) -> np.ndarray:
    """(count, steps + 1) running integral of each machine's ageing rate (a sequential sum,
    as ``np.cumsum`` adds)."""
    count, steps = regime.shape
    cum = np.empty((count, steps + 1))
    for i in range(count):
        acc = 0.0
        cum[i, 0] = 0.0
        for k in range(steps):
            acc = acc + regime_rate[regime[i, k], k] * dt_h
            cum[i, k + 1] = acc
    return cum


def _schedule(spec: MachineSpec, count: int, t_h: np.ndarray, rng: np.random.Generator
              ) -> np.ndarray:
    op = spec.operation
    regime = np.zeros((count, t_h.size), dtype=np.int32)
    if op is None:
        return regime
    names = [r.name for r in op.regimes]
    if op.profile:
        edge = 0.0
        for step in op.profile:
            hours = math.inf if step.hours is None else step.hours
            regime[:, t_h >= edge] = names.index(step.regime)
            edge += hours
    elif op.switch_every_h is not None:
        share = np.array([r.share for r in op.regimes], dtype=np.float64)
        blocks = int(math.ceil((t_h[-1] + 1e-9) / op.switch_every_h)) + 1
        drawn = rng.choice(len(names), size=(count, blocks), p=share / share.sum())
        block = np.minimum((t_h / op.switch_every_h).astype(np.int64), blocks - 1)
        regime = np.ascontiguousarray(drawn.astype(np.int32)[:, block])
    return regime


def build_grids(scenario, layout: Layout, params: Mapping[str, np.ndarray], r: int,
                rng: np.random.Generator, weather) -> list[TypeGrid]:
    """Every machine type's grid for run ``r`` (row ``r`` of ``params`` and ``weather``)."""
    from simengine.weather.thermal import (
        ambient_temperature_c,
        arrhenius_factor,
        heat_wave_arrays,
        peck_humidity_factor,
    )

    world: MaintenanceWorld = scenario.spec.world
    one = {k: np.asarray(v)[r : r + 1] for k, v in params.items()}
    start, end, peak = heat_wave_arrays(one, scenario.spec.weather.events, 1)
    waves = list(zip(start[0], end[0], peak[0], strict=True))
    mean_c = float(weather.temperature_c[r])
    humidity = float(weather.humidity_pct[r])
    grids = []
    for t, tname in enumerate(layout.types):
        spec = world.machines[tname]
        count = int((layout.machine_type == t).sum())
        dt_h = spec.sample_every_s / 3600.0
        steps = max(int(math.ceil(layout.horizon_h / dt_h - 1e-9)), 1)
        t_h = np.arange(steps) * dt_h
        regime = _schedule(spec, count, t_h, rng)
        regimes = regimes_of(spec)
        accel = np.array([g.accel for g in regimes])
        loads = np.array([g.load for g in regimes])
        ambient = ambient_temperature_c(t_h + 0.5 * dt_h, mean_c, heat_waves=waves,
                                        **world.ambient)
        th = spec.thermal
        temp = ambient[None, :] + (th.self_heating_c if th else 0.0) * loads[:, None]
        rate = np.repeat(accel[:, None], steps, axis=1)
        if th is not None and th.activation_energy_ev > 0:
            rate = rate * arrhenius_factor(temp, activation_energy_ev=th.activation_energy_ev,
                                           reference_c=th.reference_c)
        if th is not None and th.humidity_exponent > 0:
            rate = rate * peck_humidity_factor(humidity, exponent=th.humidity_exponent,
                                               reference_pct=th.reference_humidity_pct)
        rate = np.ascontiguousarray(rate, dtype=np.float64)
        grids.append(TypeGrid(dt_h, steps, regime, loads, ambient, humidity, temp, rate,
                              _integrate(regime, rate, dt_h)))
    return grids


class EntityDraw:
    """Draws of entity-scope values for one run: constants, ``$param`` values of the run, or
    fresh draws from the distribution, taken in blocks of :data:`BLOCK` (one vectorised call)
    and handed out in order. The values depend only on the order of the calls."""

    BLOCK = 64

    def __init__(self, params: Mapping[str, np.ndarray], r: int, rng: np.random.Generator):
        self.params = params
        self.r = r
        self.rng = rng
        self._built: dict[int, object] = {}
        self._pool: dict[int, list[float]] = {}

    def __call__(self, spec: ValueSpec) -> float:
        if isinstance(spec, Const):
            return float(spec.value)
        if isinstance(spec, Ref):
            return float(np.asarray(self.params[spec.name])[self.r])
        assert isinstance(spec, Dist)
        key = id(spec)
        pool = self._pool.get(key)
        if not pool:
            dist = self._built.get(key)
            if dist is None:
                dist = spec.build(lambda name: float(np.asarray(self.params[name])[self.r]))
                self._built[key] = dist
            pool = self._pool[key] = dist.sample(self.rng, self.BLOCK).tolist()[::-1]  # type: ignore[attr-defined]
        return float(pool.pop())
