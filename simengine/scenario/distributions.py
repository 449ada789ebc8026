"""Probability distributions that scenario files declare for random values.

A distribution is written as a one-key mapping ``{<name>: <arguments>}``, optionally with a
``truncate: [lo, hi]`` key next to it. Every numeric argument (and each truncation bound) may be
a ``$name`` reference to another parameter; references are kept as strings by :meth:`parse` and
resolved by the scenario layer to float arrays (one value per run) before the distribution is
constructed, so every method here broadcasts over parameter arrays of shape ``(n,)``.

YAML forms (units are those of the quantity the distribution describes):

====================  =========================================================================
``const``             ``{const: 5}`` or ``{const: wet}`` — always that value. A number behaves as
                      a point mass (``log_pdf`` 0 at the value, -inf elsewhere); a string is a
                      categorical distribution with one value.
``uniform``           ``{uniform: [low, high]}`` or ``{uniform: {low: .., high: ..}}``.
``normal``            ``{normal: {mean: .., std: ..}}``.
``lognormal``         ``{lognormal: {median: .., sigma: ..}}`` or ``{lognormal: {mu: .., sigma:
                      ..}}`` (``mu`` is the log of the median, ``sigma`` the std of the log).
``exponential``       ``{exponential: {mean: ..}}`` or ``{exponential: {rate: ..}}``.
``gamma``             ``{gamma: {shape: .., scale: ..}}`` or ``{gamma: {shape: .., rate: ..}}``.
``beta``              ``{beta: {a: .., b: ..}}`` on [0, 1].
``weibull``           ``{weibull: {shape: .., scale: ..}}``.
``poisson``           ``{poisson: 12}`` or ``{poisson: {mean: 12}}`` — integer counts.
``integers``          ``{integers: [low, high]}`` — uniform over low..high, both INCLUSIVE.
``choice``            ``{choice: {dry: 0.7, wet: 0.25, ice: 0.05}}`` (label: probability),
                      ``{choice: {values: [.inf, 300, 100], p: [0.9, 0.07, 0.03]}}`` (numbers or
                      strings; ``p`` optional, equal weights by default) or a bare list
                      ``{choice: [a, b, c]}`` (equal weights). Probabilities must be >= 0 and sum
                      to 1 within 1e-6. Values are literals (numbers, including ``.inf``, or
                      strings); the probabilities may be references.
====================  =========================================================================

Truncation: ``{normal: {mean: 18, std: 6}, truncate: [3, 60]}``. Either bound may be ``null`` for
an open side. It applies to continuous and integer distributions (not to ``const`` or
``choice``) and is TRUE truncation: the density is renormalised by the retained probability
mass and sampling inverts the CDF restricted to ``[F(lo), F(hi)]`` — values are never clipped.
For integer distributions the retained support is ``ceil(lo)..floor(hi)``.

One sampling path: ``sample(rng, n) == from_normal(rng.standard_normal(n))``, where
``from_normal(z) = ppf(Phi(z))``. This is what makes Gaussian copulas, importance sampling and
subset simulation consistent with plain Monte Carlo. The inversion is done in log space, with
the lower form (``log F``) below the median and the upper form (``log S = log(1 - F)``) above
it, so both tails stay accurate (``z = +8`` or a ``truncate: [60, null]`` on a standard normal
give finite values inside the bounds). Normal, lognormal, exponential, weibull, uniform,
poisson and integers are computed in log space throughout; gamma and beta use scipy's regularised
incomplete functions, whose tails are exact down to about 1e-300 of probability (beyond that the
inversion returns the support edge and such a truncation is reported as leaving zero mass).

Mean and variance are theoretical and include truncation: closed forms (truncated normal via
:data:`scipy.stats.truncnorm`, exponential by memorylessness, poisson through
``k p(k) = mu p(k-1)``, uniform and integers trivially), and otherwise Gauss–Hermite quadrature
of ``x(z) = from_normal(z)`` against the standard normal density.

Integer distributions return ``int64`` draws; if a result cannot be represented (a NaN input, or
``ppf(1)`` on an unbounded support) the array is returned as float64 instead.
"""

from __future__ import annotations

import functools
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np

from simengine.errors import closest, describe_value


class _LazyModule:
    """Imports a module on first attribute access: scipy costs ~0.5 s to import, and loading a
    scenario must stay quick when no distribution needs it (``simengine --help``, validation)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            import importlib

            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


special = _LazyModule("scipy.special")
stats = _LazyModule("scipy.stats")

__all__ = [
    "DISTRIBUTIONS",
    "Beta",
    "Choice",
    "Const",
    "Distribution",
    "Exponential",
    "Gamma",
    "Integers",
    "Kind",
    "Lognormal",
    "Normal",
    "Poisson",
    "Uniform",
    "Weibull",
    "make_distribution",
    "parse_distribution",
]

Kind = Literal["continuous", "integer", "categorical"]

DISTRIBUTIONS: dict[str, type[Distribution]] = {}
"""Every distribution class by its YAML name (filled as the classes are defined)."""

_REF = re.compile(r"^\$[A-Za-z][A-Za-z0-9_]*$")
_LN2 = math.log(2.0)
_PROB_TOL = 1e-6
_GH_DEGREE = 160
_MAX_SEARCH_STEPS = 2200
_STEP_SLACK = 32 * np.finfo(float).eps


# --------------------------------------------------------------------------------------------
# small numeric helpers


def _quiet(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``method`` with floating point warnings silenced (log(0), inf - inf are expected)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return method(*args, **kwargs)

    return wrapper


def _log1mexp(t: Any) -> np.ndarray:
    """``log(1 - exp(t))`` for ``t <= 0``, accurate for every t (Mächler's switch at -log 2)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(all="ignore"):
        return np.where(t > -_LN2, np.log(-np.expm1(t)), np.log1p(-np.exp(t)))


def _logdiffexp(a: Any, b: Any) -> np.ndarray:
    """``log(exp(a) - exp(b))`` for ``a >= b``; -inf when they are equal (or a is -inf)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(all="ignore"):
        d = np.where(b == -np.inf, -np.inf, b - a)
        out = a + _log1mexp(np.minimum(d, 0.0))
        return np.where(a == -np.inf, -np.inf, out)


def _is_ref(value: Any) -> bool:
    return isinstance(value, str) and bool(_REF.match(value))


def _fmt(value: Any) -> str:
    """A number (or None) as the user would write it in YAML."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.ndarray):
        return f"an array of {value.size} values"
    if isinstance(value, float | int | np.floating | np.integer):
        v = float(value)
        if math.isnan(v):
            return ".nan"
        if math.isinf(v):
            return ".inf" if v > 0 else "-.inf"
        return repr(v)
    return repr(value)


def _scalar(out: Any) -> float | np.ndarray:
    """A 0-d (or 1-element broadcast of scalar parameters) result as a Python float."""
    arr = np.asarray(out, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _as_param(dist: str, key: str, value: Any) -> float | np.ndarray:
    """A parameter as a float or a 1-D float array (one value per run)."""
    if isinstance(value, str):
        if _is_ref(value):
            raise ValueError(
                f"{dist}: {key} is the unresolved reference {value!r}; references must be "
                "resolved to numbers before the distribution is built"
            )
        raise ValueError(f"{dist}: {key} must be a number, found {describe_value(value)}")
    if value is None or isinstance(value, bool | np.bool_):
        raise ValueError(f"{dist}: {key} must be a number, found {describe_value(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{dist}: {key} must be a number, found {describe_value(value)}") from None
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{dist}: {key} must be a number or a 1-D array with one value per run, "
            f"found an array of shape {arr.shape}"
        )
    return arr


def _require(dist: str, key: str, value: Any, ok: Any, requirement: str) -> None:
    """Raise ``"<dist>: <key> must be <requirement>, found <value>"`` where ``ok`` is False."""
    ok = np.asarray(ok, dtype=bool)
    if ok.all():
        return
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        raise ValueError(f"{dist}: {key} must be {requirement}, found {_fmt(float(arr))}")
    idx = int(np.flatnonzero(~np.broadcast_to(ok, arr.shape))[0])
    raise ValueError(
        f"{dist}: {key} must be {requirement}, found {_fmt(float(arr[idx]))} (run {idx})"
    )


def _first_bad(ok: np.ndarray) -> int | None:
    ok = np.asarray(ok, dtype=bool)
    if ok.all():
        return None
    return int(np.flatnonzero(~ok.ravel())[0]) if ok.ndim else -1


@functools.lru_cache(maxsize=1)
def _gh_nodes() -> tuple[np.ndarray, np.ndarray]:
    """Probabilists' Gauss–Hermite nodes and weights normalised to the N(0, 1) density."""
    z, w = np.polynomial.hermite_e.hermegauss(_GH_DEGREE)
    return z, w / math.sqrt(2.0 * math.pi)


def _smallest_integer(
    pred: Callable[[np.ndarray], np.ndarray], guess: Any, lo: Any, hi: Any
) -> np.ndarray:
    """Smallest integer k in [lo, hi] with ``pred(k)`` (monotone False..True); hi if none.

    Vectorised: starts from ``guess`` (usually exact), gallops to a bracket, then bisects.
    """
    shape = np.broadcast_shapes(np.shape(guess), np.shape(lo), np.shape(hi))
    lo = np.broadcast_to(np.asarray(lo, dtype=float), shape)
    hi = np.broadcast_to(np.asarray(hi, dtype=float), shape)
    g = np.broadcast_to(np.asarray(guess, dtype=float), shape)
    g = np.where(np.isfinite(g), np.floor(g), np.where(np.isfinite(lo), lo, 0.0))
    g = np.clip(g, lo, hi)
    ok = pred(g)
    high = np.where(ok, g, np.nan)
    low = np.where(ok, np.nan, g)
    low = np.where(ok & (g <= lo), lo - 1.0, low)
    none = ~ok & (g >= hi)
    high = np.where(none, hi, high)
    low = np.where(none, hi - 1.0, low)
    step = 1.0
    for _ in range(_MAX_SEARCH_STEPS):
        need_low = np.isnan(low)
        need_high = np.isnan(high)
        if not (need_low.any() or need_high.any()):
            break
        cand = np.where(
            need_low, np.maximum(g - step, lo), np.where(need_high, np.minimum(g + step, hi), g)
        )
        p = pred(cand)
        high = np.where(need_low & p, cand, high)
        low = np.where(need_low & p & (cand <= lo), lo - 1.0, low)
        low = np.where(need_low & ~p, cand, low)
        high = np.where(need_high & p, cand, high)
        low = np.where(need_high & ~p, cand, low)
        top = need_high & ~p & (cand >= hi)
        high = np.where(top, hi, high)
        low = np.where(top, hi - 1.0, low)
        step *= 2.0
    for _ in range(_MAX_SEARCH_STEPS):
        active = (high - low) > 1.0
        if not active.any():
            break
        mid = np.floor(low / 2.0 + high / 2.0)
        mid = np.where(active, np.clip(mid, low + 1.0, high - 1.0), high)
        p = pred(mid)
        high = np.where(active & p, mid, high)
        low = np.where(active & ~p, mid, low)
    return high


# --------------------------------------------------------------------------------------------
# the base class


class Distribution(ABC):
    """A probability distribution declared in a scenario file.

    Parameters are floats or 1-D float arrays of one common length ``n`` (one value per run);
    every method broadcasts them against its argument. ``truncate=(lo, hi)`` (either side None
    for open) truncates continuous and integer distributions (true truncation, renormalised).
    Invalid numbers raise ValueError naming what was expected and what was found.
    """

    name: ClassVar[str]
    kind: ClassVar[Kind]
    _forms: ClassVar[tuple[tuple[str, ...], ...]] = ()
    """Accepted keyword sets (alternatives, e.g. ``(("mean",), ("rate",))``)."""
    _list_form: ClassVar[tuple[str, ...] | None] = None
    """Names of the entries of the list form (``[low, high]``), if there is one."""
    _scalar_form: ClassVar[str | None] = None
    """The parameter a bare scalar argument stands for (``{poisson: 12}``), if any."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            DISTRIBUTIONS[cls.name] = cls

    def __init__(
        self, *, truncate: tuple[float | None, float | None] | None = None, **params: Any
    ) -> None:
        form = self._match_form(list(params))
        self._form = form
        self.params: dict[str, Any] = {k: self._convert(k, params[k]) for k in form}
        self._n = self._runs()
        self._setup()
        self._init_truncation(truncate)

    # -- parameter handling -------------------------------------------------------------------

    @classmethod
    def _expected(cls) -> str:
        parts = []
        if cls._scalar_form:
            parts.append(f"a number (the {cls._scalar_form})")
        if cls._list_form:
            parts.append("[" + ", ".join(cls._list_form) + "]")
        parts.extend("{" + ", ".join(f) + "}" for f in cls._forms)
        if len(parts) <= 2:
            return " or ".join(parts)
        return ", ".join(parts[:-1]) + " or " + parts[-1]

    @classmethod
    def _match_form(cls, keys: Sequence[Any]) -> tuple[str, ...]:
        """The form (keyword set) the given keys spell, or a ValueError saying what is off."""
        expected = cls._expected()
        allowed = [k for form in cls._forms for k in form]
        allowed = list(dict.fromkeys(allowed))
        for key in keys:
            if not isinstance(key, str):
                raise ValueError(
                    f"{cls.name}: parameter names must be strings, found {describe_value(key)}; "
                    f"expected {expected}"
                )
            if key not in allowed:
                hint = closest(key, allowed)
                did = f" (did you mean {hint!r}?)" if hint else ""
                raise ValueError(f"{cls.name}: unknown parameter {key!r}{did}; expected {expected}")
        given = set(keys)
        for form in cls._forms:
            if given == set(form):
                return form
        # Say what is wrong: alternatives given together, or something missing.
        for form_a in cls._forms:
            for form_b in cls._forms:
                only_a = set(form_a) - set(form_b)
                only_b = set(form_b) - set(form_a)
                if only_a and only_b and given & only_a and given & only_b:
                    a, b = sorted(given & only_a)[0], sorted(given & only_b)[0]
                    raise ValueError(
                        f"{cls.name}: give either {a!r} or {b!r}, not both; expected {expected}"
                    )
        best = max(cls._forms, key=lambda f: (len(given & set(f)), -len(f)))
        missing = [k for k in best if k not in given]
        found = "{" + ", ".join(str(k) for k in keys) + "}" if keys else "no parameters"
        raise ValueError(
            f"{cls.name}: missing parameter {missing[0]!r}; expected {expected}, found {found}"
        )

    def _convert(self, key: str, value: Any) -> Any:
        return _as_param(self.name, key, value)

    def _runs(self) -> int | None:
        """The common length of the array parameters (None if all are scalars)."""
        lengths = {k: len(v) for k, v in self.params.items() if isinstance(v, np.ndarray)}
        if not lengths:
            return None
        if len(set(lengths.values())) > 1:
            desc = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise ValueError(
                f"{self.name}: parameter arrays must all have one value per run (same length), "
                f"found {desc}"
            )
        return next(iter(lengths.values()))

    def _setup(self) -> None:  # noqa: B027 - optional hook
        """Validate the converted parameters and derive internal ones."""

    def _init_truncation(self, truncate: Any) -> None:
        if truncate is not None:
            raise ValueError(
                f"{self.name}: truncate is not allowed here (only continuous and integer "
                f"distributions can be truncated), found truncate {_fmt_truncate(truncate)}"
            )
        self.truncate = None

    @classmethod
    def _parse_number(cls, key: str, value: Any) -> Any:
        """A YAML scalar as a float, or a ``$name`` reference kept as is."""
        if isinstance(value, str):
            if _is_ref(value):
                return value
            if value.startswith("$"):
                raise ValueError(
                    f"{cls.name}: {key}: invalid reference {value!r}; write $name with letters, "
                    "digits and _"
                )
            try:
                return float(value)
            except ValueError:
                pass
        elif isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ValueError(
            f"{cls.name}: {key} must be a number or a $reference, found {describe_value(value)}"
        )

    @classmethod
    def parse(cls, args: Any) -> dict[str, Any]:
        """YAML argument (whatever follows the name) -> canonical keyword params for __init__.

        Numbers become floats; ``$name`` references are kept as strings and not range-checked.
        Wrong shape, keys or types raise ValueError with the expected and found forms.
        """
        expected = cls._expected()
        if isinstance(args, Mapping):
            form = cls._match_form(list(args))
            return {k: cls._parse_number(k, args[k]) for k in form}
        if isinstance(args, list | tuple) and cls._list_form is not None:
            if len(args) != len(cls._list_form):
                raise ValueError(
                    f"{cls.name}: expected {expected}, found {describe_value(list(args))}"
                )
            return {k: cls._parse_number(k, v) for k, v in zip(cls._list_form, args, strict=True)}
        if cls._scalar_form is not None and (
            isinstance(args, str) or (isinstance(args, int | float) and not isinstance(args, bool))
        ):
            try:
                return {cls._scalar_form: cls._parse_number(cls._scalar_form, args)}
            except ValueError:
                pass
        raise ValueError(f"{cls.name}: expected {expected}, found {describe_value(args)}")

    # -- public API ---------------------------------------------------------------------------

    @property
    def n_runs(self) -> int | None:
        """How many runs the parameter arrays describe (None when all parameters are scalars)."""
        return self._n

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws: exactly ``self.from_normal(rng.standard_normal(n))``."""
        if self._n is not None and n != self._n:
            raise ValueError(
                f"{self.name}: the parameters have {self._n} values (one per run) but {n} draws "
                "were requested"
            )
        return self.from_normal(rng.standard_normal(n))

    @abstractmethod
    def log_pdf(self, x: Any) -> np.ndarray:
        """Log density (continuous) or log probability (integer, categorical); -inf outside."""

    def cdf(self, x: Any) -> np.ndarray:
        """P(X <= x) (of the truncated distribution when truncated). Numeric kinds only."""
        raise TypeError(f"{self.name}: cdf is defined only for continuous and integer kinds")

    def ppf(self, u: Any) -> np.ndarray:
        """Inverse of :meth:`cdf` (smallest x with cdf(x) >= u). Numeric kinds only."""
        raise TypeError(f"{self.name}: ppf is defined only for continuous and integer kinds")

    @abstractmethod
    def from_normal(self, z: Any) -> np.ndarray:
        """``ppf(Phi(z))``, accurate in both tails."""

    @abstractmethod
    def to_normal(self, x: Any) -> np.ndarray:
        """``Phi^-1(cdf(x))`` (continuous); ``Phi^-1`` of the mid-step for discrete kinds."""

    @abstractmethod
    def mean(self) -> float | np.ndarray:
        """Theoretical mean, including truncation."""

    @abstractmethod
    def var(self) -> float | np.ndarray:
        """Theoretical variance, including truncation."""

    @property
    def dtype(self) -> np.dtype:
        """float64 (continuous, numeric choice), int64 (integer kinds), object (string choice)."""
        return np.dtype(np.int64) if self.kind == "integer" else np.dtype(np.float64)

    def to_raw(self) -> dict[str, Any]:
        """Back to the YAML mapping form; ``parse(to_raw()[name])`` round-trips."""
        values = {k: _plain_param(v) for k, v in self.params.items()}
        if self._scalar_form is not None and self._form == (self._scalar_form,):
            args: Any = values[self._scalar_form]
        elif self._list_form is not None and set(self._form) == set(self._list_form):
            args = [values[k] for k in self._list_form]
        else:
            args = values
        raw: dict[str, Any] = {self.name: args}
        if self.truncate is not None:
            raw["truncate"] = [_plain_param(b) for b in self.truncate]
        return raw

    def __repr__(self) -> str:
        parts = []
        for k, v in self.params.items():
            parts.append(f"{k}=array(n={len(v)})" if isinstance(v, np.ndarray) else f"{k}={v!r}")
        if self.truncate is not None:
            parts.append(f"truncate={_fmt_truncate(self.truncate)}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _plain_param(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, list):
        return [_plain_param(x) for x in v]
    return v


def _fmt_truncate(truncate: Any) -> str:
    try:
        items = list(truncate)
    except TypeError:
        return _fmt(truncate)
    return "[" + ", ".join(_fmt(b) for b in items) + "]"


# --------------------------------------------------------------------------------------------
# continuous and integer distributions: shared truncation and log-space inversion machinery


class _Numeric(Distribution):
    """Continuous and integer distributions. Subclasses give untruncated log-space primitives.

    Primitives (finite x; parameters broadcast): ``_logpdf``, ``_logcdf``, ``_logsf``,
    ``_ppf_log(log p)`` and ``_isf_log(log q)`` (continuous inverses) or ``_ppf_guess`` /
    ``_isf_guess`` (integer starting points refined by search), ``_support``, ``_mean0``,
    ``_var0``; and ``_trunc_moments`` when a closed form beats quadrature.
    """

    _discrete: ClassVar[bool] = False

    # -- primitives ---------------------------------------------------------------------------

    @abstractmethod
    def _support(self) -> tuple[Any, Any]: ...

    @abstractmethod
    def _logpdf(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _logcdf(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _logsf(self, x: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _mean0(self) -> Any: ...

    @abstractmethod
    def _var0(self) -> Any: ...

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _fast_from_normal(self, z: np.ndarray) -> np.ndarray | None:
        """An exact closed form of from_normal for the untruncated distribution, if any."""
        return None

    def _fast_to_normal(self, x: np.ndarray) -> np.ndarray | None:
        return None

    # -- wrappers that handle the infinities ----------------------------------------------------

    def _lc(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = self._logcdf(np.where(np.isfinite(x), x, 0.0))
        out = np.where(x == np.inf, 0.0, np.where(x == -np.inf, -np.inf, out))
        return np.where(np.isnan(x), np.nan, out)

    def _ls(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = self._logsf(np.where(np.isfinite(x), x, 0.0))
        out = np.where(x == np.inf, -np.inf, np.where(x == -np.inf, 0.0, out))
        return np.where(np.isnan(x), np.nan, out)

    # -- truncation -----------------------------------------------------------------------------

    def _init_truncation(self, truncate: Any) -> None:
        lo: Any = None
        hi: Any = None
        if truncate is not None:
            if isinstance(truncate, str | Mapping) or not isinstance(
                truncate, Sequence | np.ndarray
            ):
                raise ValueError(
                    f"{self.name}: truncate: expected [lo, hi] (either may be null), "
                    f"found {describe_value(truncate)}"
                )
            items = list(truncate)
            if len(items) != 2:
                raise ValueError(
                    f"{self.name}: truncate: expected [lo, hi] (either may be null), "
                    f"found {len(items)} entries {_fmt_truncate(items)}"
                )
            lo = None if items[0] is None else _as_param(self.name, "truncate lo", items[0])
            hi = None if items[1] is None else _as_param(self.name, "truncate hi", items[1])
            for key, b in (("truncate lo", lo), ("truncate hi", hi)):
                if b is not None:
                    _require(self.name, key, b, ~np.isnan(b), "a number or null")
            for b in (lo, hi):
                if isinstance(b, np.ndarray):
                    if self._n is None:
                        self._n = len(b)
                    elif len(b) != self._n:
                        raise ValueError(
                            f"{self.name}: truncate bounds must have one value per run "
                            f"({self._n}), found {len(b)}"
                        )
            if lo is not None and hi is not None:
                bad = _first_bad(np.asarray(lo) < np.asarray(hi))
                if bad is not None:
                    lo_v = np.asarray(lo).ravel()[bad] if np.ndim(lo) else lo
                    hi_v = np.asarray(hi).ravel()[bad] if np.ndim(hi) else hi
                    run = f" (run {bad})" if bad >= 0 and (np.ndim(lo) or np.ndim(hi)) else ""
                    raise ValueError(
                        f"{self.name}: truncate: expected [lo, hi] with lo < hi, "
                        f"found [{_fmt(lo_v)}, {_fmt(hi_v)}]{run}"
                    )
        self.truncate = None if lo is None and hi is None else (lo, hi)

        slo, shi = self._support()
        a = np.asarray(-np.inf if lo is None else lo, dtype=float)
        b = np.asarray(np.inf if hi is None else hi, dtype=float)
        if self._discrete:
            a, b = np.ceil(a), np.floor(b)
        a = np.maximum(a, slo)
        b = np.minimum(b, shi)
        lowcut = a - 1.0 if self._discrete else a
        with np.errstate(all="ignore"):
            if lo is None:
                log_fa, log_sa = np.asarray(-np.inf), np.asarray(0.0)
            else:
                log_fa, log_sa = self._lc(lowcut), self._ls(lowcut)
            if hi is None:
                log_fb, log_sb = np.asarray(0.0), np.asarray(-np.inf)
            else:
                log_fb, log_sb = self._lc(b), self._ls(b)
            log_ml = _logdiffexp(log_fb, log_fa)
            log_mu = _logdiffexp(log_sa, log_sb)
        self._a, self._b, self._lowcut = a, b, lowcut
        self._log_fa, self._log_sa, self._log_fb, self._log_sb = log_fa, log_sa, log_fb, log_sb
        self._log_ml, self._log_mu = log_ml, log_mu
        # The retained mass, from the framing that does not cancel: the upper one when the
        # interval lies above the median.
        self._log_m = np.where(log_sa < log_fa, log_mu, log_ml)
        if self.truncate is not None:
            bad = _first_bad((self._log_m > -np.inf) & (b >= a))
            if bad is not None:
                run = f" (run {bad})" if bad >= 0 and np.ndim(self._log_m) else ""
                lo_v = np.asarray(lo).ravel()[bad] if np.ndim(lo) else lo
                hi_v = np.asarray(hi).ravel()[bad] if np.ndim(hi) else hi
                raise ValueError(
                    f"{self.name}: truncate [{_fmt(lo_v)}, {_fmt(hi_v)}] leaves zero probability "
                    f"mass; expected an interval where the distribution has mass{run}"
                )

    @property
    def bounds(self) -> tuple[Any, Any]:
        """The effective support (after truncation): floats or per-run arrays."""
        return _scalar(self._a), _scalar(self._b)

    def _trunc_logs(
        self, lc: np.ndarray, ls: np.ndarray, upper: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(log F_T, log S_T) of the truncated distribution from the untruncated log CDF/SF at
        the same points, in the lower (``upper`` False) or upper framing."""
        lf_l = _logdiffexp(lc, self._log_fa) - self._log_ml
        ls_l = _logdiffexp(self._log_fb, lc) - self._log_ml
        lf_u = _logdiffexp(self._log_sa, ls) - self._log_mu
        ls_u = _logdiffexp(ls, self._log_sb) - self._log_mu
        return np.where(upper, lf_u, lf_l), np.where(upper, ls_u, ls_l)

    def _point_logs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(log F_T(x), log S_T(x)) with x already clipped to [lowcut, b]."""
        lc, ls = self._lc(x), self._ls(x)
        return self._trunc_logs(lc, ls, ls < lc)

    def _invert(self, logu: np.ndarray, logv: np.ndarray, from_float: bool = False) -> np.ndarray:
        """The truncated quantile at u, given log u and log(1 - u), each accurate.

        ``from_float``: u was given as a float in [0, 1] (ppf), so allow for its rounding."""
        bad = np.isnan(logu) | np.isnan(logv)
        logu = np.where(bad, -_LN2, logu)
        logv = np.where(bad, -_LN2, logv)
        if self._discrete and from_float:
            # Read u as u - 32 eps u: a u computed as cdf(k) (so rounded, and near 1 known only
            # to eps absolutely) then maps back to k.
            logu = logu + math.log1p(-_STEP_SLACK)
            logv = np.logaddexp(logv, math.log(_STEP_SLACK) + logu)
        target_f = np.logaddexp(self._log_fa, logu + self._log_ml)
        target_s = np.logaddexp(self._log_sb, logv + self._log_mu)
        upper = target_s < target_f
        if self._discrete:
            # and a few dozen ulps of slack on the log probabilities for their own rounding.
            mass = np.abs(self._log_m)
            slack_f = _STEP_SLACK * (1.0 + np.abs(target_f) + mass)
            slack_s = _STEP_SLACK * (1.0 + np.abs(target_s) + mass)

            def below(k: np.ndarray) -> np.ndarray:
                return self._lc(k) >= target_f - slack_f

            def above(k: np.ndarray) -> np.ndarray:
                return self._ls(k) <= target_s + slack_s

            # Elements handled by the other framing get a target every k meets, so the search
            # settles them at once.
            target_f = np.where(upper, -np.inf, target_f)
            target_s = np.where(upper, target_s, np.inf)
            x_l = _smallest_integer(below, self._ppf_guess(target_f), self._a, self._b)
            x_u = _smallest_integer(above, self._isf_guess(target_s), self._a, self._b)
        else:
            x_l = self._ppf_log(target_f)
            x_u = self._isf_log(target_s)
        x = np.where(upper, x_u, x_l)
        # Guard against the last ulp of rounding at the bounds (not a clip of the distribution).
        x = np.clip(x, self._a, self._b)
        return self._finish(np.where(bad, np.nan, x))

    def _finish(self, x: np.ndarray) -> np.ndarray:
        if self._discrete and np.isfinite(x).all():
            return x.astype(np.int64)
        return np.asarray(x, dtype=float)

    # -- public API -----------------------------------------------------------------------------

    @_quiet
    def log_pdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        inside = np.isfinite(x) & (x >= self._a) & (x <= self._b)
        if self._discrete:
            inside &= x == np.floor(x)
        xs = np.where(inside, x, np.where(np.isfinite(self._a), self._a, 0.0))
        out = np.where(inside, self._logpdf(xs) - self._log_m, -np.inf)
        return np.where(np.isnan(x), np.nan, out)

    @_quiet
    def cdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        xc = np.floor(x) if self._discrete else x
        xc = np.clip(xc, self._lowcut, self._b)
        lf, ls = self._point_logs(xc)
        out = np.where(ls < lf, -np.expm1(ls), np.exp(lf))
        out = np.where(x < self._a, 0.0, np.where(x >= self._b, 1.0, out))
        return np.where(np.isnan(x), np.nan, out)

    def sf(self, x: Any) -> np.ndarray:
        """P(X > x), accurate where the CDF is close to 1."""
        with np.errstate(all="ignore"):
            x = np.asarray(x, dtype=float)
            xc = np.floor(x) if self._discrete else x
            lf, ls = self._point_logs(np.clip(xc, self._lowcut, self._b))
            out = np.where(ls < lf, np.exp(ls), -np.expm1(lf))
            out = np.where(x < self._a, 1.0, np.where(x >= self._b, 0.0, out))
            return np.where(np.isnan(x), np.nan, out)

    @_quiet
    def ppf(self, u: Any) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        u = np.where((u >= 0.0) & (u <= 1.0), u, np.nan)
        return self._invert(np.log(u), np.log1p(-u), from_float=True)

    @_quiet
    def from_normal(self, z: Any) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        if self.truncate is None:
            fast = self._fast_from_normal(z)
            if fast is not None:
                return fast
        return self._invert(special.log_ndtr(z), special.log_ndtr(-z))

    @_quiet
    def to_normal(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._discrete:
            k = np.clip(np.floor(x), self._lowcut, self._b)
            k_prev = np.clip(np.ceil(x) - 1.0, self._lowcut, self._b)
            lc_k, ls_k = self._lc(k), self._ls(k)
            lc_p, ls_p = self._lc(k_prev), self._ls(k_prev)
            upper = ls_p < lc_p
            lf1, ls1 = self._trunc_logs(lc_k, ls_k, upper)
            lf0, ls0 = self._trunc_logs(lc_p, ls_p, upper)
            lf = np.logaddexp(lf0, lf1) - _LN2
            ls = np.logaddexp(ls0, ls1) - _LN2
        else:
            if self.truncate is None:
                fast = self._fast_to_normal(x)
                if fast is not None:
                    return fast
            lf, ls = self._point_logs(np.clip(x, self._a, self._b))
        z = np.where(ls < lf, -special.ndtri_exp(ls), special.ndtri_exp(lf))
        z = np.where(x < self._a, -np.inf, np.where(x > self._b, np.inf, z))
        return np.where(np.isnan(x), np.nan, z)

    def _trunc_moments(self) -> tuple[Any, Any]:
        """Mean and variance of the truncated distribution: Gauss–Hermite quadrature of
        x(z) = from_normal(z) against the N(0, 1) density (x(z) is smooth for continuous
        distributions, so this converges fast)."""
        z, w = _gh_nodes()
        x = np.asarray(self.from_normal(z[:, None]), dtype=float)
        m = np.tensordot(w, x, axes=1)
        v = np.tensordot(w, (x - m) ** 2, axes=1)
        if self._n is None:
            return m[0], v[0]
        return m, v

    @_quiet
    def mean(self) -> float | np.ndarray:
        if self.truncate is None:
            return _scalar(self._mean0())
        return _scalar(self._trunc_moments()[0])

    @_quiet
    def var(self) -> float | np.ndarray:
        if self.truncate is None:
            return _scalar(self._var0())
        return _scalar(self._trunc_moments()[1])


class _Continuous(_Numeric):
    kind: ClassVar[Kind] = "continuous"


class _Discrete(_Numeric):
    kind: ClassVar[Kind] = "integer"
    _discrete: ClassVar[bool] = True

    @abstractmethod
    def _ppf_guess(self, lp: np.ndarray) -> np.ndarray:
        """A starting point for the smallest k with log F(k) >= lp (need not be exact)."""

    @abstractmethod
    def _isf_guess(self, lq: np.ndarray) -> np.ndarray:
        """A starting point for the smallest k with log S(k) <= lq (need not be exact)."""

    def _log_mass(self, lo: Any, hi: Any) -> np.ndarray:
        """log P(lo <= X <= hi) of the untruncated distribution (integer bounds)."""
        lo = np.asarray(lo, dtype=float)
        lfa, lsa = self._lc(lo - 1.0), self._ls(lo - 1.0)
        lfb, lsb = self._lc(hi), self._ls(hi)
        return np.where(lsa < lfa, _logdiffexp(lsa, lsb), _logdiffexp(lfb, lfa))


# --------------------------------------------------------------------------------------------
# the distributions


class Const(Distribution):
    """Always the same value: ``{const: 5}`` or ``{const: wet}``.

    Parameters: ``value`` — a number (in the unit of the quantity; may be a per-run array) or a
    string (a category). A number behaves as a continuous point mass: ``log_pdf`` is 0 at the
    value and -inf elsewhere, ``to_normal`` is 0, mean is the value and variance 0. A string
    makes it categorical with one value. Cannot be truncated.
    """

    name = "const"
    kind: ClassVar[Kind] = "continuous"
    _forms = (("value",),)
    _scalar_form = "value"

    def _convert(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and not _is_ref(value):
            return value
        return _as_param(self.name, key, value)

    def _setup(self) -> None:
        v = self.params["value"]
        self._is_str = isinstance(v, str)
        if self._is_str:
            self.kind = "categorical"  # type: ignore[misc]  # per instance: a string constant
            self.values = np.array([v], dtype=object)
        else:
            _require(self.name, "value", v, ~np.isnan(v), "a number")
            self.values = np.atleast_1d(np.asarray(v, dtype=float))[:1]

    @classmethod
    def parse(cls, args: Any) -> dict[str, Any]:
        if isinstance(args, str):
            if args.startswith("$") and not _is_ref(args):
                raise ValueError(
                    f"const: invalid reference {args!r}; write $name with letters, digits and _"
                )
            return {"value": args}
        if isinstance(args, int | float) and not isinstance(args, bool):
            return {"value": float(args)}
        if isinstance(args, Mapping):
            form = cls._match_form(list(args))
            return cls.parse(args[form[0]])
        raise ValueError(f"const: expected a number or a string, found {describe_value(args)}")

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(object) if self._is_str else np.dtype(np.float64)

    def _full(self, like: Any) -> np.ndarray:
        v = self.params["value"]
        if self._is_str:
            return np.full(np.shape(like), v, dtype=object)
        shape = np.broadcast_shapes(np.shape(like), np.shape(v))
        return np.broadcast_to(np.asarray(v, dtype=float), shape).copy()

    def _matches(self, x: Any) -> np.ndarray:
        v = self.params["value"]
        if self._is_str:
            xa = np.asarray(x, dtype=object)
            return np.asarray(xa == v, dtype=bool)
        xa = np.asarray(x)
        if xa.dtype.kind not in "fiub":
            return np.zeros(np.broadcast_shapes(xa.shape, np.shape(v)), dtype=bool)
        return np.asarray(xa.astype(float) == v, dtype=bool)

    def log_pdf(self, x: Any) -> np.ndarray:
        return np.where(self._matches(x), 0.0, -np.inf)

    def cdf(self, x: Any) -> np.ndarray:
        if self._is_str:
            return super().cdf(x)
        x = np.asarray(x, dtype=float)
        return np.where(np.isnan(x), np.nan, np.where(x >= self.params["value"], 1.0, 0.0))

    def ppf(self, u: Any) -> np.ndarray:
        if self._is_str:
            return super().ppf(u)
        u = np.asarray(u, dtype=float)
        return np.where((u >= 0.0) & (u <= 1.0), self._full(u), np.nan)

    def from_normal(self, z: Any) -> np.ndarray:
        return self._full(np.asarray(z, dtype=float))

    def to_normal(self, x: Any) -> np.ndarray:
        shape = (
            np.shape(x)
            if self._is_str
            else np.broadcast_shapes(np.shape(x), np.shape(self.params["value"]))
        )
        return np.zeros(shape)

    def mean(self) -> float | np.ndarray:
        if self._is_str:
            raise TypeError(f"const: mean needs a numeric value, found {self.params['value']!r}")
        return _scalar(self.params["value"])

    def var(self) -> float | np.ndarray:
        if self._is_str:
            raise TypeError(f"const: var needs a numeric value, found {self.params['value']!r}")
        return _scalar(np.zeros(np.shape(self.params["value"])))

    def to_raw(self) -> dict[str, Any]:
        return {"const": _plain_param(self.params["value"])}


class Uniform(_Continuous):
    """Uniform on ``[low, high]``: ``{uniform: [low, high]}`` or ``{uniform: {low, high}}``.

    Parameters: ``low`` < ``high``, finite, in the unit of the quantity.
    """

    name = "uniform"
    _forms = (("low", "high"),)
    _list_form = ("low", "high")

    def _setup(self) -> None:
        low, high = self.params["low"], self.params["high"]
        for k in ("low", "high"):
            _require(self.name, k, self.params[k], np.isfinite(self.params[k]), "a finite number")
        bad = _first_bad(np.asarray(low) < np.asarray(high))
        if bad is not None:
            lo_v = np.asarray(low).ravel()[bad] if np.ndim(low) else low
            hi_v = np.asarray(high).ravel()[bad] if np.ndim(high) else high
            run = f" (run {bad})" if np.ndim(low) or np.ndim(high) else ""
            raise ValueError(
                f"uniform: expected low < high, found low={_fmt(lo_v)}, high={_fmt(hi_v)}{run}"
            )
        self._low, self._high = np.asarray(low, float), np.asarray(high, float)
        self._w = self._high - self._low

    def _support(self) -> tuple[Any, Any]:
        return self._low, self._high

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        inside = (x >= self._low) & (x <= self._high)
        return np.where(inside, -np.log(self._w), -np.inf)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        return np.log(np.clip((x - self._low) / self._w, 0.0, 1.0))

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return np.log(np.clip((self._high - x) / self._w, 0.0, 1.0))

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        return self._low + np.exp(lp) * self._w

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        return self._high - np.exp(lq) * self._w

    def _mean0(self) -> Any:
        return (self._low + self._high) / 2.0

    def _var0(self) -> Any:
        return self._w**2 / 12.0

    def _trunc_moments(self) -> tuple[Any, Any]:
        return (self._a + self._b) / 2.0, (self._b - self._a) ** 2 / 12.0


class Normal(_Continuous):
    """Normal (Gaussian): ``{normal: {mean, std}}``.

    Parameters: ``mean`` (finite) and ``std`` > 0, both in the unit of the quantity.
    """

    name = "normal"
    _forms = (("mean", "std"),)

    def _setup(self) -> None:
        m, s = self.params["mean"], self.params["std"]
        _require(self.name, "mean", m, np.isfinite(m), "a finite number")
        _require(self.name, "std", s, np.asarray(s) > 0, "> 0")
        _require(self.name, "std", s, np.isfinite(s), "finite")
        self._m, self._s = np.asarray(m, float), np.asarray(s, float)

    def _support(self) -> tuple[Any, Any]:
        return -np.inf, np.inf

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        t = (x - self._m) / self._s
        return -0.5 * t * t - np.log(self._s) - 0.5 * math.log(2.0 * math.pi)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        return special.log_ndtr((x - self._m) / self._s)

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return special.log_ndtr((self._m - x) / self._s)

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        return self._m + self._s * special.ndtri_exp(lp)

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        return self._m - self._s * special.ndtri_exp(lq)

    def _fast_from_normal(self, z: np.ndarray) -> np.ndarray:
        return self._m + self._s * z

    def _fast_to_normal(self, x: np.ndarray) -> np.ndarray:
        return (x - self._m) / self._s

    def _mean0(self) -> Any:
        return self._m

    def _var0(self) -> Any:
        return self._s**2

    def _trunc_moments(self) -> tuple[Any, Any]:
        alpha = (self._a - self._m) / self._s
        beta = (self._b - self._m) / self._s
        m, v = stats.truncnorm.stats(alpha, beta, loc=self._m, scale=self._s, moments="mv")
        return m, v


class Lognormal(_Continuous):
    """Lognormal: ``{lognormal: {median, sigma}}`` or ``{lognormal: {mu, sigma}}``.

    Parameters: ``median`` > 0 (unit of the quantity) or ``mu`` = log(median) (log of that
    unit), and ``sigma`` > 0, the standard deviation of log(X) (dimensionless).
    """

    name = "lognormal"
    _forms = (("median", "sigma"), ("mu", "sigma"))

    def _setup(self) -> None:
        if "median" in self.params:
            med = self.params["median"]
            _require(self.name, "median", med, np.asarray(med) > 0, "> 0")
            _require(self.name, "median", med, np.isfinite(med), "finite")
            self._mu = np.log(np.asarray(med, float))
        else:
            mu = self.params["mu"]
            _require(self.name, "mu", mu, np.isfinite(mu), "a finite number")
            self._mu = np.asarray(mu, float)
        s = self.params["sigma"]
        _require(self.name, "sigma", s, np.asarray(s) > 0, "> 0")
        _require(self.name, "sigma", s, np.isfinite(s), "finite")
        self._sigma = np.asarray(s, float)

    def _support(self) -> tuple[Any, Any]:
        return 0.0, np.inf

    def _t(self, x: np.ndarray) -> np.ndarray:
        return (np.log(np.where(x > 0, x, np.nan)) - self._mu) / self._sigma

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        t = self._t(x)
        out = -0.5 * t * t - np.log(self._sigma * x) - 0.5 * math.log(2.0 * math.pi)
        return np.where(x > 0, out, -np.inf)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, special.log_ndtr(self._t(x)), -np.inf)

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, special.log_ndtr(-self._t(x)), 0.0)

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        return np.exp(self._mu + self._sigma * special.ndtri_exp(lp))

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        return np.exp(self._mu - self._sigma * special.ndtri_exp(lq))

    def _fast_from_normal(self, z: np.ndarray) -> np.ndarray:
        return np.exp(self._mu + self._sigma * z)

    def _fast_to_normal(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, self._t(x), np.where(np.isnan(x), np.nan, -np.inf))

    def _mean0(self) -> Any:
        return np.exp(self._mu + self._sigma**2 / 2.0)

    def _var0(self) -> Any:
        s2 = self._sigma**2
        return np.expm1(s2) * np.exp(2.0 * self._mu + s2)


class Exponential(_Continuous):
    """Exponential on [0, inf): ``{exponential: {mean}}`` or ``{exponential: {rate}}``.

    Parameters: ``mean`` > 0 (unit of the quantity) or ``rate`` = 1/mean > 0 (per unit).
    """

    name = "exponential"
    _forms = (("mean",), ("rate",))

    def _setup(self) -> None:
        key = "mean" if "mean" in self.params else "rate"
        v = self.params[key]
        _require(self.name, key, v, np.asarray(v) > 0, "> 0")
        _require(self.name, key, v, np.isfinite(v), "finite")
        v = np.asarray(v, float)
        self._rate = 1.0 / v if key == "mean" else v

    def _support(self) -> tuple[Any, Any]:
        return 0.0, np.inf

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, np.log(self._rate) - self._rate * x, -np.inf)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, _log1mexp(-self._rate * x), -np.inf)

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, -self._rate * x, 0.0)

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        return -_log1mexp(lp) / self._rate

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        return -lq / self._rate

    def _mean0(self) -> Any:
        return 1.0 / self._rate

    def _var0(self) -> Any:
        return 1.0 / self._rate**2

    def _trunc_moments(self) -> tuple[Any, Any]:
        # Memoryless: X | X > a is a + Exp(rate); truncated above at b it is a + Exp truncated
        # to [0, w], whose moments are w*g(t) and w^2*h(t) with t = rate*w.
        a, b, lam = self._a, self._b, self._rate
        w = b - a
        t = lam * w
        small = t < 0.1
        ts = np.where(small, t, 0.0)
        g_series = 0.5 - ts / 12.0 + ts**3 / 720.0 - ts**5 / 30240.0
        h_series = 1.0 / 12.0 - ts**2 / 240.0 + ts**4 / 6048.0 - ts**6 / 172800.0
        tl = np.where(small, 1.0, t)
        g_direct = 1.0 / tl - 1.0 / np.expm1(tl)
        h_direct = 1.0 / tl**2 - 1.0 / (4.0 * np.sinh(tl / 2.0) ** 2)
        g = np.where(small, g_series, g_direct)
        h = np.where(small, h_series, h_direct)
        finite = np.isfinite(w)
        wf = np.where(finite, w, 0.0)
        mean = np.where(finite, a + wf * g, a + 1.0 / lam)
        var = np.where(finite, wf**2 * h, 1.0 / lam**2)
        return mean, var


class Gamma(_Continuous):
    """Gamma on [0, inf): ``{gamma: {shape, scale}}`` or ``{gamma: {shape, rate}}``.

    Parameters: ``shape`` k > 0 (dimensionless), ``scale`` θ > 0 (unit of the quantity) or
    ``rate`` = 1/θ > 0. Mean kθ, variance kθ².
    """

    name = "gamma"
    _forms = (("shape", "scale"), ("shape", "rate"))

    def _setup(self) -> None:
        for k, v in self.params.items():
            _require(self.name, k, v, np.asarray(v) > 0, "> 0")
            _require(self.name, k, v, np.isfinite(v), "finite")
        self._k = np.asarray(self.params["shape"], float)
        if "scale" in self.params:
            self._theta = np.asarray(self.params["scale"], float)
        else:
            self._theta = 1.0 / np.asarray(self.params["rate"], float)

    def _support(self) -> tuple[Any, Any]:
        return 0.0, np.inf

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        return stats.gamma.logpdf(x, self._k, scale=self._theta)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0.0) / self._theta
        return np.where(x > 0, np.log(special.gammainc(self._k, y)), -np.inf)

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0.0) / self._theta
        return np.where(x > 0, np.log(special.gammaincc(self._k, y)), 0.0)

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        return self._theta * special.gammaincinv(self._k, np.exp(lp))

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        return self._theta * special.gammainccinv(self._k, np.exp(lq))

    def _mean0(self) -> Any:
        return self._k * self._theta

    def _var0(self) -> Any:
        return self._k * self._theta**2


class Beta(_Continuous):
    """Beta on [0, 1]: ``{beta: {a, b}}``.

    Parameters: shape parameters ``a`` > 0 and ``b`` > 0 (dimensionless); the value is a
    fraction (scale it with an expression if another range is needed).
    """

    name = "beta"
    _forms = (("a", "b"),)

    def _setup(self) -> None:
        for k, v in self.params.items():
            _require(self.name, k, v, np.asarray(v) > 0, "> 0")
            _require(self.name, k, v, np.isfinite(v), "finite")
        self._pa = np.asarray(self.params["a"], float)
        self._pb = np.asarray(self.params["b"], float)

    def _support(self) -> tuple[Any, Any]:
        return 0.0, 1.0

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        return stats.beta.logpdf(x, self._pa, self._pb)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        return np.log(special.betainc(self._pa, self._pb, np.clip(x, 0.0, 1.0)))

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return np.log(special.betaincc(self._pa, self._pb, np.clip(x, 0.0, 1.0)))

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        return special.betaincinv(self._pa, self._pb, np.exp(lp))

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        return special.betainccinv(self._pa, self._pb, np.exp(lq))

    def _invert(self, logu: np.ndarray, logv: np.ndarray, from_float: bool = False) -> np.ndarray:
        # One incomplete-beta inversion per element instead of two: the upper quantile of
        # Beta(a, b) at q is 1 - (lower quantile of Beta(b, a) at q).
        bad = np.isnan(logu) | np.isnan(logv)
        target_f = np.logaddexp(self._log_fa, np.where(bad, -_LN2, logu) + self._log_ml)
        target_s = np.logaddexp(self._log_sb, np.where(bad, -_LN2, logv) + self._log_mu)
        upper = target_s < target_f
        y = special.betaincinv(
            np.where(upper, self._pb, self._pa),
            np.where(upper, self._pa, self._pb),
            np.exp(np.where(upper, target_s, target_f)),
        )
        x = np.clip(np.where(upper, 1.0 - y, y), self._a, self._b)
        return np.where(bad, np.nan, x)

    def _mean0(self) -> Any:
        return self._pa / (self._pa + self._pb)

    def _var0(self) -> Any:
        s = self._pa + self._pb
        return self._pa * self._pb / (s * s * (s + 1.0))


class Weibull(_Continuous):
    """Weibull on [0, inf): ``{weibull: {shape, scale}}``; S(x) = exp(-(x/scale)^shape).

    Parameters: ``shape`` k > 0 (dimensionless), ``scale`` λ > 0 (unit of the quantity).
    """

    name = "weibull"
    _forms = (("shape", "scale"),)

    def _setup(self) -> None:
        for k, v in self.params.items():
            _require(self.name, k, v, np.asarray(v) > 0, "> 0")
            _require(self.name, k, v, np.isfinite(v), "finite")
        self._k = np.asarray(self.params["shape"], float)
        self._lam = np.asarray(self.params["scale"], float)

    def _support(self) -> tuple[Any, Any]:
        return 0.0, np.inf

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0.0) / self._lam
        out = np.log(self._k / self._lam) + (self._k - 1.0) * np.log(y) - y**self._k
        return np.where(x >= 0, out, -np.inf)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0.0) / self._lam
        return np.where(x > 0, _log1mexp(-(y**self._k)), -np.inf)

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        y = np.maximum(x, 0.0) / self._lam
        return np.where(x > 0, -(y**self._k), 0.0)

    def _ppf_log(self, lp: np.ndarray) -> np.ndarray:
        return self._lam * (-_log1mexp(lp)) ** (1.0 / self._k)

    def _isf_log(self, lq: np.ndarray) -> np.ndarray:
        return self._lam * (-lq) ** (1.0 / self._k)

    def _mean0(self) -> Any:
        return self._lam * special.gamma(1.0 + 1.0 / self._k)

    def _var0(self) -> Any:
        g1 = special.gamma(1.0 + 1.0 / self._k)
        g2 = special.gamma(1.0 + 2.0 / self._k)
        return self._lam**2 * (g2 - g1 * g1)


class Poisson(_Discrete):
    """Poisson counts on 0, 1, 2, ...: ``{poisson: 12}`` or ``{poisson: {mean: 12}}``.

    Parameters: ``mean`` >= 0, the expected count (events per run or per whatever the quantity
    counts). Integer kind (int64 draws).
    """

    name = "poisson"
    _forms = (("mean",),)
    _scalar_form = "mean"

    def _setup(self) -> None:
        mu = self.params["mean"]
        _require(self.name, "mean", mu, np.asarray(mu) >= 0, ">= 0")
        _require(self.name, "mean", mu, np.isfinite(mu), "finite")
        self._mu = np.asarray(mu, float)

    def _support(self) -> tuple[Any, Any]:
        return 0.0, np.inf

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        return stats.poisson.logpmf(x, self._mu)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(x)
        return np.where(k >= 0, np.log(special.pdtr(np.maximum(k, 0.0), self._mu)), -np.inf)

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        k = np.floor(x)
        return np.where(k >= 0, np.log(special.pdtrc(np.maximum(k, 0.0), self._mu)), 0.0)

    def _guess(self, z: np.ndarray) -> np.ndarray:
        # Cornish–Fisher: the normal quantile with the skewness correction; the integer search
        # fixes whatever this misses.
        return np.ceil(self._mu + np.sqrt(self._mu) * z + (z * z - 1.0) / 6.0 - 0.5)

    def _ppf_guess(self, lp: np.ndarray) -> np.ndarray:
        return self._guess(special.ndtri_exp(lp))

    def _isf_guess(self, lq: np.ndarray) -> np.ndarray:
        return self._guess(-special.ndtri_exp(lq))

    def _mean0(self) -> Any:
        return self._mu

    def _var0(self) -> Any:
        return self._mu

    def _trunc_moments(self) -> tuple[Any, Any]:
        # k p(k) = mu p(k-1), so E[X; a..b] = mu P(a-1..b-1) and
        # E[X(X-1); a..b] = mu^2 P(a-2..b-2).
        a, b, mu = self._a, self._b, self._mu
        m1 = mu * np.exp(self._log_mass(a - 1.0, b - 1.0) - self._log_m)
        m2 = mu * mu * np.exp(self._log_mass(a - 2.0, b - 2.0) - self._log_m)
        return m1, np.maximum(m2 + m1 - m1 * m1, 0.0)


class Integers(_Discrete):
    """Uniform integers: ``{integers: [low, high]}`` — every integer from low to high INCLUSIVE
    is equally likely.

    Parameters: ``low`` <= ``high``, integers, in the unit of the quantity. Integer kind.
    """

    name = "integers"
    _forms = (("low", "high"),)
    _list_form = ("low", "high")

    def _setup(self) -> None:
        low, high = self.params["low"], self.params["high"]
        for k in ("low", "high"):
            v = self.params[k]
            _require(self.name, k, v, np.isfinite(v), "a finite integer")
            _require(self.name, k, v, np.asarray(v) == np.floor(v), "an integer")
        bad = _first_bad(np.asarray(low) <= np.asarray(high))
        if bad is not None:
            lo_v = np.asarray(low).ravel()[bad] if np.ndim(low) else low
            hi_v = np.asarray(high).ravel()[bad] if np.ndim(high) else high
            run = f" (run {bad})" if np.ndim(low) or np.ndim(high) else ""
            raise ValueError(
                f"integers: expected low <= high, found low={_fmt(lo_v)}, high={_fmt(hi_v)}{run}"
            )
        self._low, self._high = np.asarray(low, float), np.asarray(high, float)
        self._count = self._high - self._low + 1.0

    def _support(self) -> tuple[Any, Any]:
        return self._low, self._high

    def _logpdf(self, x: np.ndarray) -> np.ndarray:
        inside = (x >= self._low) & (x <= self._high) & (x == np.floor(x))
        return np.where(inside, -np.log(self._count), -np.inf)

    def _logcdf(self, x: np.ndarray) -> np.ndarray:
        return np.log(np.clip((np.floor(x) - self._low + 1.0) / self._count, 0.0, 1.0))

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return np.log(np.clip((self._high - np.floor(x)) / self._count, 0.0, 1.0))

    def _ppf_guess(self, lp: np.ndarray) -> np.ndarray:
        return self._low - 1.0 + np.ceil(np.exp(lp) * self._count)

    def _isf_guess(self, lq: np.ndarray) -> np.ndarray:
        return np.ceil(self._high - np.exp(lq) * self._count)

    def _mean0(self) -> Any:
        return (self._low + self._high) / 2.0

    def _var0(self) -> Any:
        return (self._count**2 - 1.0) / 12.0

    def _trunc_moments(self) -> tuple[Any, Any]:
        count = self._b - self._a + 1.0
        return (self._a + self._b) / 2.0, (count**2 - 1.0) / 12.0

    def to_raw(self) -> dict[str, Any]:
        raw = super().to_raw()
        raw["integers"] = [_as_int(v) for v in raw["integers"]]
        return raw


def _as_int(v: Any) -> Any:
    """Integer-valued floats (and lists of them) as ints, for tidy YAML dumps."""
    if isinstance(v, list):
        return [_as_int(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


class Choice(Distribution):
    """A categorical choice among listed values.

    ``{choice: {dry: 0.7, wet: 0.25, ice: 0.05}}`` (string labels with probabilities),
    ``{choice: {values: [.inf, 300, 100], p: [0.9, 0.07, 0.03]}}`` (numbers or strings; ``p``
    optional, equal weights by default) or ``{choice: [a, b, c]}`` (equal weights).

    Parameters: ``values`` — literal numbers (may include .inf; unit of the quantity) or strings,
    all of one sort, no duplicates; ``p`` — probabilities >= 0 summing to 1 within 1e-6 (each
    may be a per-run array), renormalised exactly. ``from_normal`` walks the cumulative
    probabilities in the declared order; ``to_normal`` maps a value to the middle of its step.
    Cannot be truncated. Mean and variance exist for numeric values only.
    """

    name = "choice"
    kind: ClassVar[Kind] = "categorical"
    _forms = (("values", "p"), ("values",))
    _EXPECTED = "{label: probability, ...}, {values: [...], p: [...]} or [value, ...]"

    @classmethod
    def _expected(cls) -> str:
        return cls._EXPECTED

    @classmethod
    def _check_values(cls, values: Any) -> list[Any]:
        if isinstance(values, str | Mapping) or not isinstance(values, Sequence | np.ndarray):
            raise ValueError(
                f"choice: values must be a list of numbers or strings, found "
                f"{describe_value(values)}"
            )
        out = [v.item() if isinstance(v, np.generic) else v for v in values]
        if not out:
            raise ValueError("choice: expected at least one value, found an empty list")
        for v in out:
            if isinstance(v, bool) or not isinstance(v, str | int | float):
                raise ValueError(
                    f"choice: values must be numbers or strings, found {describe_value(v)}"
                )
            if _is_ref(v):
                raise ValueError(
                    f"choice: values must be literal numbers or strings, found the reference "
                    f"{v!r} (only the probabilities may be references)"
                )
            if isinstance(v, float) and math.isnan(v):
                raise ValueError("choice: values must not be .nan")
        n_str = sum(isinstance(v, str) for v in out)
        if 0 < n_str < len(out):
            raise ValueError(
                f"choice: values must be all numbers or all strings, found a mix: {out!r}"
            )
        seen: set[Any] = set()
        for v in out:
            if v in seen:
                raise ValueError(f"choice: duplicate value {v!r}; each value may appear once")
            seen.add(v)
        return out

    @classmethod
    def parse(cls, args: Any) -> dict[str, Any]:
        if isinstance(args, list | tuple):
            values = cls._check_values(list(args))
            return {"values": values, "p": [1.0 / len(values)] * len(values)}
        if isinstance(args, Mapping):
            if "values" in args and isinstance(args["values"], list | tuple):
                for key in args:
                    if key not in ("values", "p"):
                        hint = closest(str(key), ["values", "p"])
                        did = f" (did you mean {hint!r}?)" if hint else ""
                        raise ValueError(
                            f"choice: unknown key {key!r}{did}; expected {{values: [...], "
                            "p: [...]}"
                        )
                values = cls._check_values(list(args["values"]))
                if args.get("p") is None:
                    return {"values": values, "p": [1.0 / len(values)] * len(values)}
                p = args["p"]
                if not isinstance(p, list | tuple):
                    raise ValueError(
                        f"choice: p must be a list of probabilities, found {describe_value(p)}"
                    )
                if len(p) != len(values):
                    raise ValueError(
                        f"choice: expected p to have {len(values)} entries (one per value), "
                        f"found {len(p)}"
                    )
                return {"values": values, "p": [cls._parse_number("p", x) for x in p]}
            if not args:
                raise ValueError(f"choice: expected {cls._EXPECTED}, found an empty mapping")
            values = cls._check_values(list(args))
            return {
                "values": values,
                "p": [cls._parse_number(f"probability of {k!r}", w) for k, w in args.items()],
            }
        raise ValueError(f"choice: expected {cls._EXPECTED}, found {describe_value(args)}")

    def _convert(self, key: str, value: Any) -> Any:
        if key == "values":
            return self._check_values(value)
        if value is None:  # equal weights, filled in by _setup
            return None
        if isinstance(value, str | Mapping) or not isinstance(value, Sequence | np.ndarray):
            raise ValueError(
                f"choice: p must be a list of probabilities, found {describe_value(value)}"
            )
        return [_as_param(self.name, "p", x) for x in value]

    def _runs(self) -> int | None:
        lengths = {len(x) for x in self.params.get("p") or [] if isinstance(x, np.ndarray)}
        if len(lengths) > 1:
            raise ValueError(
                f"choice: probability arrays must all have one value per run (same length), "
                f"found lengths {sorted(lengths)}"
            )
        return lengths.pop() if lengths else None

    def _setup(self) -> None:
        values = self.params["values"]
        k = len(values)
        if self.params.get("p") is None:
            self.params["p"] = [1.0 / k] * k
            self._form = ("values", "p")
        p_list = self.params["p"]
        if len(p_list) != k:
            raise ValueError(
                f"choice: expected p to have {k} entries (one per value), found {len(p_list)}"
            )
        p = np.stack(np.broadcast_arrays(*[np.asarray(x, float) for x in p_list]), axis=-1)
        for j in range(k):
            pj = p[..., j]
            _require(self.name, f"probability of {values[j]!r}", pj, np.isfinite(pj), "finite")
            _require(self.name, f"probability of {values[j]!r}", pj, pj >= 0, ">= 0")
        total = p.sum(axis=-1)
        bad = _first_bad(np.abs(total - 1.0) <= _PROB_TOL)
        if bad is not None:
            t = float(np.asarray(total).ravel()[bad]) if np.ndim(total) else float(total)
            run = f" (run {bad})" if np.ndim(total) else ""
            raise ValueError(
                f"choice: probabilities must sum to 1 (within 1e-6), found sum {t:.10g}{run}"
            )
        p = p / total[..., None]
        self._p = p
        with np.errstate(divide="ignore"):
            self._log_p = np.log(p)
        cum = np.cumsum(p, axis=-1)
        cum[..., -1] = 1.0
        # rest_j = p_j + ... + p_{k-1} summed from the top so the upper tail stays accurate.
        rest = np.cumsum(p[..., ::-1], axis=-1)[..., ::-1]
        rest[..., 0] = 1.0
        tail = np.concatenate([rest[..., 1:], np.zeros_like(rest[..., :1])], axis=-1)
        cum_prev = np.concatenate([np.zeros_like(cum[..., :1]), cum[..., :-1]], axis=-1)
        self._cum, self._tail = cum, tail
        self._mid_lo = (cum_prev + cum) / 2.0  # the mid-step, measured from below
        self._mid_hi = (rest + tail) / 2.0  # and from above
        self._is_str = isinstance(values[0], str)
        if self._is_str:
            self.values = np.array(values, dtype=object)
        else:
            self.values = np.array(values, dtype=float)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(object) if self._is_str else np.dtype(np.float64)

    def _index(self, x: Any) -> np.ndarray:
        """Index of each x among the values (-1 when it is not one of them)."""
        if self._is_str:
            xa = np.asarray(x, dtype=object)
            eq = np.asarray(xa[..., None] == self.values, dtype=bool)
        else:
            xa = np.asarray(x)
            if xa.dtype.kind not in "fiub":
                return np.full(xa.shape, -1)
            eq = xa.astype(float)[..., None] == self.values
        return np.where(eq.any(axis=-1), eq.argmax(axis=-1), -1)

    def _at(self, table: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """table[..., idx] per element, broadcasting per-run tables against idx."""
        safe = np.maximum(idx, 0)
        if table.ndim == 1:
            return table[safe]
        shape = np.broadcast_shapes(safe.shape, table.shape[:-1])
        t = np.broadcast_to(table, (*shape, table.shape[-1]))
        return np.take_along_axis(t, np.broadcast_to(safe, shape)[..., None], axis=-1)[..., 0]

    @_quiet
    def log_pdf(self, x: Any) -> np.ndarray:
        idx = self._index(x)
        return np.where(idx >= 0, self._at(self._log_p, idx), -np.inf)

    @_quiet
    def from_normal(self, z: Any) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        u = special.ndtr(z)[..., None]
        v = special.ndtr(-z)[..., None]
        # smallest j with u <= cum_j, counted from below (z <= 0) or from above (z > 0)
        idx_lo = np.sum(self._cum[..., :-1] < u, axis=-1)
        idx_hi = np.sum(self._tail[..., :-1] > v, axis=-1)
        idx = np.where(z <= 0, idx_lo, idx_hi)
        return self.values[idx]

    @_quiet
    def to_normal(self, x: Any) -> np.ndarray:
        idx = self._index(x)
        m = self._at(self._mid_lo, idx)
        w = self._at(self._mid_hi, idx)
        z = np.where(m <= 0.5, special.ndtri(m), -special.ndtri(w))
        return np.where(idx >= 0, z, np.nan)

    def _numeric(self, what: str) -> None:
        if self._is_str:
            raise TypeError(f"choice: {what} needs numeric values, found strings")

    @_quiet
    def mean(self) -> float | np.ndarray:
        self._numeric("mean")
        used = self._p > 0
        return _scalar(np.sum(np.where(used, self._p * self.values, 0.0), axis=-1))

    @_quiet
    def var(self) -> float | np.ndarray:
        self._numeric("var")
        used = self._p > 0
        m = np.sum(np.where(used, self._p * self.values, 0.0), axis=-1)
        dev = np.where(used, self.values - m[..., None], 0.0)
        v = np.sum(np.where(used, self._p * dev * dev, 0.0), axis=-1)
        infinite = np.any(used & ~np.isfinite(self.values), axis=-1)
        return _scalar(np.where(infinite, np.inf, v))

    def to_raw(self) -> dict[str, Any]:
        values = list(self.params["values"])
        p = [_plain_param(x) for x in self.params["p"]]
        if self._is_str and all(not isinstance(x, list) for x in p):
            return {"choice": dict(zip(values, p, strict=True))}
        return {"choice": {"values": values, "p": p}}


# --------------------------------------------------------------------------------------------
# YAML entry points


def _parse_bound(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        if _is_ref(value):
            return value
        try:
            return float(value)
        except ValueError:
            pass
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if math.isnan(value):
            raise ValueError(f"{name}: truncate bounds must be numbers or null, found .nan")
        return float(value)
    raise ValueError(
        f"{name}: truncate: expected [lo, hi] with numbers, null or $references, "
        f"found {describe_value(value)}"
    )


def parse_distribution(
    raw: Mapping[str, Any],
) -> tuple[type[Distribution], dict[str, Any], tuple[float | None, float | None] | None]:
    """Split a YAML mapping ``{<name>: args, truncate: [lo, hi]}`` into (class, params, truncate).

    Exactly one distribution key; ``truncate`` is the only other key allowed (``[lo, hi]``,
    either may be null for an open side, either may be a ``$name`` reference). Raises
    ValueError naming what was expected and what was found.
    """
    names = ", ".join(sorted(DISTRIBUTIONS))
    if not isinstance(raw, Mapping):
        raise ValueError(
            f"expected a distribution mapping such as {{uniform: [low, high]}}, "
            f"found {describe_value(raw)}"
        )
    keys = [k for k in raw if k != "truncate"]
    known = [k for k in keys if isinstance(k, str) and k in DISTRIBUTIONS]
    unknown = [k for k in keys if not (isinstance(k, str) and k in DISTRIBUTIONS)]
    if unknown:
        key = unknown[0]
        if not known:
            hint = closest(str(key), DISTRIBUTIONS)
            did = f" (did you mean {hint!r}?)" if hint else ""
            raise ValueError(f"unknown distribution {key!r}{did}; expected one of: {names}")
        hint = closest(str(key), ["truncate"])
        did = f" (did you mean {hint!r}?)" if hint else ""
        raise ValueError(
            f"{known[0]}: unexpected key {key!r}{did}; only 'truncate' may accompany the "
            "distribution name"
        )
    if not known:
        raise ValueError(
            f"expected exactly one distribution name (one of: {names}), found none"
            + (" (only 'truncate')" if "truncate" in raw else "")
        )
    if len(known) > 1:
        raise ValueError(
            f"expected exactly one distribution name, found {len(known)}: {', '.join(known)}"
        )
    name = known[0]
    cls = DISTRIBUTIONS[name]
    params = cls.parse(raw[name])
    truncate: tuple[Any, Any] | None = None
    if "truncate" in raw:
        if not issubclass(cls, _Numeric):
            raise ValueError(
                f"{name}: truncate is not allowed here (only continuous and integer "
                f"distributions can be truncated), found truncate {describe_value(raw['truncate'])}"
            )
        t = raw["truncate"]
        if not isinstance(t, list | tuple) or len(t) != 2:
            raise ValueError(
                f"{name}: truncate: expected [lo, hi] (either may be null), "
                f"found {describe_value(t)}"
            )
        lo, hi = _parse_bound(name, t[0]), _parse_bound(name, t[1])
        if isinstance(lo, float) and isinstance(hi, float) and not lo < hi:
            raise ValueError(
                f"{name}: truncate: expected [lo, hi] with lo < hi, found [{_fmt(lo)}, {_fmt(hi)}]"
            )
        truncate = (lo, hi)
    return cls, params, truncate


def _find_ref(obj: Any) -> str | None:
    if _is_ref(obj):
        return obj
    if isinstance(obj, Mapping):
        obj = list(obj.values())
    if isinstance(obj, list | tuple):
        for x in obj:
            found = _find_ref(x)
            if found:
                return found
    return None


def make_distribution(raw: Mapping[str, Any]) -> Distribution:
    """:func:`parse_distribution` and construct; for raw specs without references."""
    cls, params, truncate = parse_distribution(raw)
    ref = _find_ref(params) or _find_ref(truncate)
    if ref is not None:
        raise ValueError(
            f"{cls.name}: the reference {ref!r} must be resolved before the distribution is built"
        )
    return cls(truncate=truncate, **params)
