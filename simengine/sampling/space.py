"""The parameter space of a scenario: run-scope values as columns, and their maps to and from
independent standard normals.

Every random parameter is one dimension ``z_j ~ N(0, 1)``; its value is
``x_j = F_j^{-1}(Φ(z_j))`` given the values it refers to (distribution arguments may be
``$name`` references, resolved in dependency order). Correlated groups mix their dimensions
through the Cholesky factor of the correlation matrix first (a Gaussian copula). This one map
serves the nominal sampler, importance-sampling proposals (shift/scale ``z``) and subset
simulation (MCMC in ``z`` space), and ``log_density`` gives the exact nominal log-density that
likelihood ratios need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from simengine.errors import ScenarioError
from simengine.sampling.keys import Purpose, RunKeys, name_slot
from simengine.scenario.values import Const, Dist, Ref, ValueSpec

__all__ = ["ParamEntry", "ParamSpace"]


@dataclass(frozen=True)
class ParamEntry:
    """One column of the parameter table: a declared param or a hoisted/weather value."""

    name: str
    spec: ValueSpec
    path: tuple[str | int, ...]
    declared: bool

    @property
    def is_random(self) -> bool:
        return self.spec.is_random


@dataclass(frozen=True)
class _Group:
    members: tuple[int, ...]  # indices into ParamSpace.random_names
    chol: np.ndarray
    chol_inv: np.ndarray
    log_det: float
    corr_inv_minus_eye: np.ndarray


class ParamSpace:
    """Columns in table order, evaluated in dependency order."""

    def __init__(
        self,
        entries: Sequence[ParamEntry],
        order: Sequence[int],
        groups: Sequence[tuple[Sequence[str], np.ndarray]] = (),
    ) -> None:
        self.entries = tuple(entries)
        self.order = tuple(order)
        self.names = tuple(e.name for e in self.entries)
        self.random_names = tuple(e.name for e in self.entries if e.is_random)
        self._dim = {name: j for j, name in enumerate(self.random_names)}
        self._groups = tuple(self._make_group(names, corr) for names, corr in groups)

    def _make_group(self, names: Sequence[str], corr: np.ndarray) -> _Group:
        chol = np.linalg.cholesky(corr)
        inv = np.linalg.inv(corr)
        return _Group(
            members=tuple(self._dim[n] for n in names),
            chol=chol,
            chol_inv=np.linalg.inv(chol),
            log_det=float(np.linalg.slogdet(corr)[1]),
            corr_inv_minus_eye=inv - np.eye(len(names)),
        )

    @property
    def dim(self) -> int:
        """Number of random dimensions."""
        return len(self.random_names)

    def nominal_normals(self, keys: RunKeys) -> np.ndarray:
        """``(len(keys), dim)`` independent standard normals from the runs' parameter keys.

        Column j depends only on (seed, stage, run, name of parameter j)."""
        z = np.empty((len(keys), self.dim))
        for j, name in enumerate(self.random_names):
            z[:, j] = keys.normals(Purpose.PARAMS, 1, slot=name_slot(name))[:, 0]
        return z

    def _correlate(self, z: np.ndarray) -> np.ndarray:
        if not self._groups:
            return z
        z = z.copy()
        for g in self._groups:
            idx = list(g.members)
            z[:, idx] = z[:, idx] @ g.chol.T
        return z

    def from_normal(self, z: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter columns (table order) from independent standard normals ``z``."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        n = z.shape[0]
        zc = self._correlate(z)
        out: dict[str, np.ndarray] = {}
        for i in self.order:
            entry = self.entries[i]
            spec = entry.spec
            if isinstance(spec, Const):
                out[entry.name] = _full(n, spec.value)
            elif isinstance(spec, Ref):
                out[entry.name] = out[spec.name].copy()
            else:
                dist = self._build(entry, out)
                if entry.is_random:
                    out[entry.name] = dist.from_normal(zc[:, self._dim[entry.name]])
                else:  # {const: x}
                    out[entry.name] = _full(n, spec.raw["const"])  # type: ignore[attr-defined]
        return {name: out[name] for name in self.names}

    def to_normal(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Inverse of :meth:`from_normal` (for subset simulation and fitted proposals)."""
        n = len(next(iter(columns.values()))) if columns else 0
        zc = np.empty((n, self.dim))
        for entry in self.entries:
            if entry.is_random:
                dist = self._build(entry, columns)
                zc[:, self._dim[entry.name]] = dist.to_normal(columns[entry.name])
        for g in self._groups:
            idx = list(g.members)
            zc[:, idx] = zc[:, idx] @ g.chol_inv.T
        return zc

    def log_density(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Exact nominal log-density of each row (marginals plus the copula term)."""
        n = len(next(iter(columns.values()))) if columns else 0
        total = np.zeros(n)
        zc = np.empty((n, self.dim))
        for entry in self.entries:
            if entry.is_random:
                dist = self._build(entry, columns)
                x = columns[entry.name]
                total += dist.log_pdf(x)
                if self._groups:
                    zc[:, self._dim[entry.name]] = dist.to_normal(x)
        for g in self._groups:
            zg = zc[:, list(g.members)]
            total += -0.5 * np.einsum("ij,jk,ik->i", zg, g.corr_inv_minus_eye, zg) - 0.5 * g.log_det
        return total

    def _build(self, entry: ParamEntry, columns: Mapping[str, np.ndarray]):
        spec = entry.spec
        assert isinstance(spec, Dist)
        try:
            return spec.build(lambda name: np.asarray(columns[name], dtype=np.float64))
        except ValueError as exc:
            raise ScenarioError(
                f"{exc} (after resolving references)", field=".".join(map(str, entry.path))
            ) from None


def _full(n: int, value: object) -> np.ndarray:
    if isinstance(value, str):
        out = np.empty(n, dtype=object)
        out[:] = value
        return out
    if isinstance(value, bool):
        return np.full(n, value, dtype=bool)
    if isinstance(value, int):
        return np.full(n, value, dtype=np.int64)
    return np.full(n, float(value), dtype=np.float64)
