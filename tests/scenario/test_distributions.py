"""Scenario distributions: moments, densities, the standard-normal map, parsing and errors.

Every entry of ``DISTRIBUTIONS`` is exercised through the examples below (a distribution added
without an example fails ``test_every_distribution_has_examples`` and shows up as a failing
``<name>-no-example`` case everywhere else). Each numeric example carries an independent scipy
reference (frozen scipy.stats distribution, truncated by hand) to check against.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from simengine.scenario.distributions import (
    DISTRIBUTIONS,
    Choice,
    Distribution,
    Gamma,
    Normal,
    Poisson,
    Uniform,
    make_distribution,
    parse_distribution,
)

N_MOMENTS = 200_000


@dataclass(frozen=True)
class Ref:
    """An independent reference: a frozen scipy distribution, optionally truncated to [lo, hi]."""

    frozen: Any
    lo: float | None = None
    hi: float | None = None
    discrete: bool = False

    @property
    def _cuts(self) -> tuple[float, float]:
        lo = -np.inf if self.lo is None else self.lo
        hi = np.inf if self.hi is None else self.hi
        if self.discrete:
            return float(np.ceil(lo) - 1), float(np.floor(hi))
        return lo, hi

    @property
    def mass(self) -> float:
        a, b = self._cuts
        return float(self.frozen.cdf(b) - self.frozen.cdf(a))

    def inside(self, x: np.ndarray) -> np.ndarray:
        a, b = self._cuts
        return (x > a) & (x <= b) if self.discrete else (x >= a) & (x <= b)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        base = self.frozen.logpmf(x) if self.discrete else self.frozen.logpdf(x)
        return np.where(self.inside(x), base - np.log(self.mass), -np.inf)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        a, b = self._cuts
        xc = np.clip(x, a, b)
        return (self.frozen.cdf(xc) - self.frozen.cdf(a)) / self.mass

    def moments(self) -> tuple[float, float]:
        if self.lo is None and self.hi is None:
            m, v = self.frozen.stats(moments="mv")
            return float(m), float(v)
        a, b = self._cuts
        if self.discrete:
            top = b if np.isfinite(b) else self.frozen.isf(1e-16) + 50
            k = np.arange(max(a + 1, self.frozen.support()[0]), top + 1)
            p = self.frozen.pmf(k) / self.mass
            m = float(np.sum(k * p))
            return m, float(np.sum((k - m) ** 2 * p))
        m = self.frozen.expect(lambda x: x, lb=a, ub=b, conditional=True)
        v = self.frozen.expect(lambda x: (x - m) ** 2, lb=a, ub=b, conditional=True)
        return float(m), float(v)


# name -> [(raw YAML spec, independent reference or None)]
EXAMPLES: dict[str, list[tuple[dict[str, Any], Ref | None]]] = {
    "const": [({"const": 5}, None), ({"const": "wet"}, None)],
    "uniform": [({"uniform": [22, 33]}, Ref(stats.uniform(22, 11)))],
    "normal": [
        ({"normal": {"mean": 18, "std": 6}}, Ref(stats.norm(18, 6))),
        ({"normal": {"mean": 18, "std": 6}, "truncate": [3, 60]}, Ref(stats.norm(18, 6), 3, 60)),
        ({"normal": {"mean": 0, "std": 1}, "truncate": [2.5, None]}, Ref(stats.norm(), 2.5)),
    ],
    "lognormal": [
        ({"lognormal": {"median": 1.0, "sigma": 0.3}}, Ref(stats.lognorm(0.3, scale=1.0))),
        (
            {"lognormal": {"mu": 1.0, "sigma": 0.5}, "truncate": [1, 5]},
            Ref(stats.lognorm(0.5, scale=math.e), 1, 5),
        ),
    ],
    "exponential": [
        ({"exponential": {"mean": 2}}, Ref(stats.expon(scale=2))),
        (
            {"exponential": {"rate": 0.5}, "truncate": [1, 4]},
            Ref(stats.expon(scale=2), 1, 4),
        ),
    ],
    "gamma": [
        ({"gamma": {"shape": 2, "scale": 3}}, Ref(stats.gamma(2, scale=3))),
        (
            {"gamma": {"shape": 0.7, "rate": 2}, "truncate": [0.1, None]},
            Ref(stats.gamma(0.7, scale=0.5), 0.1),
        ),
    ],
    "beta": [
        ({"beta": {"a": 2, "b": 5}}, Ref(stats.beta(2, 5))),
        ({"beta": {"a": 2, "b": 5}, "truncate": [0.3, None]}, Ref(stats.beta(2, 5), 0.3)),
    ],
    "weibull": [
        ({"weibull": {"shape": 1.5, "scale": 2}}, Ref(stats.weibull_min(1.5, scale=2))),
        (
            {"weibull": {"shape": 1.5, "scale": 2}, "truncate": [None, 3]},
            Ref(stats.weibull_min(1.5, scale=2), None, 3),
        ),
    ],
    "poisson": [
        ({"poisson": 12}, Ref(stats.poisson(12), discrete=True)),
        ({"poisson": {"mean": 12}, "truncate": [10, 20]}, Ref(stats.poisson(12), 10, 20, True)),
        ({"poisson": 3.5, "truncate": [4.5, None]}, Ref(stats.poisson(3.5), 4.5, None, True)),
    ],
    "integers": [
        ({"integers": [3, 8]}, Ref(stats.randint(3, 9), discrete=True)),
        ({"integers": [-5, 5], "truncate": [-2.5, 3]}, Ref(stats.randint(-5, 6), -2.5, 3, True)),
    ],
    "choice": [
        ({"choice": {"values": [1, 2.5, 10], "p": [0.5, 0.3, 0.2]}}, None),
        ({"choice": {"values": [math.inf, 300, 100], "p": [0.9, 0.07, 0.03]}}, None),
        ({"choice": {"dry": 0.7, "wet": 0.25, "ice": 0.05}}, None),
        ({"choice": ["a", "b", "c"]}, None),
    ],
}


def _cases() -> list[Any]:
    cases = []
    for name in sorted(DISTRIBUTIONS):
        examples = EXAMPLES.get(name)
        if not examples:
            cases.append(pytest.param(name, None, None, id=f"{name}-no-example"))
            continue
        for i, (raw, ref) in enumerate(examples):
            tag = "trunc" if "truncate" in raw else str(i)
            cases.append(pytest.param(name, raw, ref, id=f"{name}-{tag}"))
    return cases


CASES = _cases()
REF_CASES = [c for c in CASES if c.values[2] is not None]


def _build(name: str, raw: dict[str, Any] | None) -> Distribution:
    if raw is None:
        pytest.fail(f"distribution {name!r} has no example in EXAMPLES; add one")
    dist = make_distribution(raw)
    assert isinstance(dist, DISTRIBUTIONS[name])
    return dist


def _is_numeric_valued(dist: Distribution) -> bool:
    return dist.dtype != np.dtype(object)


def test_every_distribution_has_examples() -> None:
    assert set(DISTRIBUTIONS) <= set(EXAMPLES), set(DISTRIBUTIONS) - set(EXAMPLES)
    for name, cls in DISTRIBUTIONS.items():
        assert cls.name == name
        assert cls.kind in ("continuous", "integer", "categorical")
        assert cls.__doc__ and "Parameters" in cls.__doc__, name


# --------------------------------------------------------------------------------------------
# moments


@pytest.mark.parametrize(("name", "raw", "ref"), CASES)
def test_sample_moments_match_theory(name: str, raw: Any, ref: Ref | None) -> None:
    dist = _build(name, raw)
    if not _is_numeric_valued(dist):
        with pytest.raises(TypeError):
            dist.mean()
        return
    x = dist.sample(np.random.default_rng(20240607), N_MOMENTS).astype(float)
    mean, var = dist.mean(), dist.var()
    assert isinstance(mean, float) and isinstance(var, float)
    if not math.isfinite(mean):  # a choice with an .inf value
        assert mean == np.inf and np.mean(x) == np.inf
        return
    if var == 0.0:
        assert np.all(x == mean)
        return
    se_mean = math.sqrt(var / N_MOMENTS)
    centred = x - x.mean()
    m4 = float(np.mean(centred**4))
    se_var = math.sqrt(max(m4 - var**2, 0.0) / N_MOMENTS)
    assert abs(x.mean() - mean) < 5 * se_mean, (x.mean(), mean, se_mean)
    assert abs(x.var() - var) < 5 * se_var, (x.var(), var, se_var)


@pytest.mark.parametrize(("name", "raw", "ref"), REF_CASES)
def test_moments_match_reference(name: str, raw: Any, ref: Ref) -> None:
    dist = _build(name, raw)
    m, v = ref.moments()
    assert dist.mean() == pytest.approx(m, rel=1e-8)
    assert dist.var() == pytest.approx(v, rel=1e-7)


@pytest.mark.parametrize(
    ("raw", "mean", "var"),
    [
        ({"normal": {"mean": 18, "std": 6}}, 18.0, 36.0),
        ({"uniform": [22, 33]}, 27.5, 11.0**2 / 12),
        ({"exponential": {"mean": 2}}, 2.0, 4.0),
        ({"exponential": {"rate": 4}}, 0.25, 1 / 16),
        ({"poisson": 12}, 12.0, 12.0),
        ({"integers": [3, 8]}, 5.5, (6**2 - 1) / 12),
        ({"lognormal": {"median": 2.0, "sigma": 0.5}}, 2 * math.exp(0.125), None),
        ({"gamma": {"shape": 3, "rate": 2}}, 1.5, 0.75),
        ({"beta": {"a": 2, "b": 2}}, 0.5, 0.05),
        ({"choice": {"values": [1, 2, 3], "p": [0.2, 0.3, 0.5]}}, 2.3, 0.61),
        ({"const": 7}, 7.0, 0.0),
        # truncation included: exponential is memoryless, so truncating below shifts the mean
        ({"exponential": {"mean": 2}, "truncate": [5, None]}, 7.0, 4.0),
        ({"integers": [3, 8], "truncate": [4, 6]}, 5.0, 2 / 3),
        ({"uniform": [0, 10], "truncate": [2, None]}, 6.0, 64 / 12),
    ],
)
def test_closed_form_moments(raw: dict[str, Any], mean: float, var: float | None) -> None:
    dist = make_distribution(raw)
    assert dist.mean() == pytest.approx(mean, rel=1e-12)
    if var is not None:
        assert dist.var() == pytest.approx(var, rel=1e-12, abs=1e-15)


def test_truncated_normal_moments_far_in_the_tail() -> None:
    dist = make_distribution({"normal": {"mean": 0, "std": 1}, "truncate": [60, None]})
    # Mills ratio asymptotics: E[X | X > t] = t + 1/t - 2/t^3 + ..., Var = 1/t^2 - 6/t^4 + ...
    t = 60.0
    assert dist.mean() == pytest.approx(t + 1 / t - 2 / t**3, rel=1e-9)
    assert dist.var() == pytest.approx(1 / t**2 - 6 / t**4, rel=1e-4)


# --------------------------------------------------------------------------------------------
# densities


@pytest.mark.parametrize(("name", "raw", "ref"), CASES)
def test_density_integrates_to_one(name: str, raw: Any, ref: Ref | None) -> None:
    dist = _build(name, raw)
    if dist.kind == "categorical" or name == "const":
        values = dist.values  # type: ignore[attr-defined]
        assert np.sum(np.exp(dist.log_pdf(values))) == pytest.approx(1.0, abs=1e-12)
        assert np.all(dist.log_pdf(np.array(["not-a-value"], dtype=object)) == -np.inf)
        return
    a, b = dist.bounds  # type: ignore[attr-defined]
    if dist.kind == "integer":
        top = b if np.isfinite(b) else a + 5000
        k = np.arange(a, top + 1)
        assert np.sum(np.exp(dist.log_pdf(k))) == pytest.approx(1.0, abs=1e-12)
        outside = np.array([a - 1, a + 0.5, b + 1])
        assert np.all(dist.log_pdf(outside) == -np.inf)
        return
    knots = [a, *dist.ppf(np.array([0.01, 0.25, 0.5, 0.75, 0.99])), b]

    def pdf(x: float) -> float:
        return float(np.exp(dist.log_pdf(x)))

    total = sum(
        integrate.quad(pdf, lo, hi, limit=200, epsabs=1e-13)[0]
        for lo, hi in itertools.pairwise(knots)
    )
    assert total == pytest.approx(1.0, abs=1e-8)
    below = np.nextafter(a, -np.inf) if np.isfinite(a) else None
    above = np.nextafter(b, np.inf) if np.isfinite(b) else None
    for x in (below, above):
        if x is not None and (raw.get("truncate") or name in ("uniform", "beta")):
            assert dist.log_pdf(x) == -np.inf


@pytest.mark.parametrize(("name", "raw", "ref"), REF_CASES)
def test_log_pdf_and_cdf_match_reference(name: str, raw: Any, ref: Ref) -> None:
    dist = _build(name, raw)
    x = dist.sample(np.random.default_rng(3), 2000).astype(float)
    x = np.concatenate([x, x + 0.37, x - 1.1])
    np.testing.assert_allclose(dist.log_pdf(x), ref.logpdf(x), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(dist.cdf(x), ref.cdf(x), rtol=1e-8, atol=1e-13)
    assert dist.log_pdf(x).dtype == np.float64


# --------------------------------------------------------------------------------------------
# the standard-normal map


@pytest.mark.parametrize(("name", "raw", "ref"), CASES)
def test_normal_map_round_trips(name: str, raw: Any, ref: Ref | None) -> None:
    dist = _build(name, raw)
    x = dist.sample(np.random.default_rng(11), 5000)
    back = dist.from_normal(dist.to_normal(x))
    if name == "const":
        assert np.all(dist.to_normal(x) == 0.0)
    if dist.kind == "continuous" and name != "const":
        np.testing.assert_allclose(back, x, rtol=1e-9, atol=1e-300)
        z = np.linspace(-5, 5, 101)
        np.testing.assert_allclose(dist.to_normal(dist.from_normal(z)), z, rtol=0, atol=1e-6)
    else:
        assert back.dtype == x.dtype
        assert np.array_equal(back, x)  # discrete and categorical: exactly


@pytest.mark.parametrize(("name", "raw", "ref"), CASES)
def test_tails_are_finite_monotone_and_inside_bounds(name: str, raw: Any, ref: Any) -> None:
    dist = _build(name, raw)
    z = np.linspace(-8.5, 8.5, 341)
    x = dist.from_normal(z)
    if not _is_numeric_valued(dist):
        assert set(x) <= set(dist.values)  # type: ignore[attr-defined]
        return
    x = x.astype(float)
    if name == "choice":
        assert set(x) <= set(dist.values)  # type: ignore[attr-defined]
        return
    assert np.all(np.isfinite(x))
    # non-decreasing, up to the last few ulps of the special-function inversions
    assert np.all(np.diff(x) >= -1e-14 * np.abs(x[1:]))
    if name != "const":
        a, b = dist.bounds  # type: ignore[attr-defined]
        assert np.all((x >= a) & (x <= b))


def test_far_tail_truncation_samples_inside_bounds() -> None:
    dist = make_distribution({"normal": {"mean": 0, "std": 1}, "truncate": [60, None]})
    x = dist.sample(np.random.default_rng(5), 10_000)
    assert np.all(np.isfinite(x)) and np.all(x >= 60) and x.max() < 61
    assert np.isfinite(dist.log_pdf(x)).all()
    z = dist.to_normal(x)
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(dist.from_normal(z), x, rtol=1e-12)
    upper = make_distribution({"normal": {"mean": 0, "std": 1}, "truncate": [None, -40]})
    y = upper.from_normal(np.array([-8.0, 0.0, 8.0]))
    assert np.all(np.isfinite(y)) and np.all(y <= -40) and y[0] < y[1] < y[2]


def test_upper_tail_of_untruncated_distributions_is_accurate() -> None:
    z = np.array([8.0, 10.0, -8.0, -10.0])
    np.testing.assert_allclose(
        make_distribution({"exponential": {"mean": 2}}).from_normal(z[:2]),
        stats.expon(scale=2).isf(stats.norm.sf(z[:2])),
        rtol=1e-12,
    )
    gamma = stats.gamma(2, scale=3)
    np.testing.assert_allclose(
        make_distribution({"gamma": {"shape": 2, "scale": 3}}).from_normal(z),
        np.where(z > 0, gamma.isf(stats.norm.sf(z)), gamma.ppf(stats.norm.cdf(z))),
        rtol=1e-10,
    )
    k = make_distribution({"poisson": 12}).from_normal(np.array([8.0]))
    assert stats.poisson(12).sf(k - 1) > stats.norm.sf(8.0) >= stats.poisson(12).sf(k)


@pytest.mark.parametrize(("name", "raw", "ref"), CASES)
def test_sample_equals_from_normal(name: str, raw: Any, ref: Ref | None) -> None:
    dist = _build(name, raw)
    drawn = dist.sample(np.random.default_rng(99), 1000)
    expected = dist.from_normal(np.random.default_rng(99).standard_normal(1000))
    assert drawn.dtype == expected.dtype == dist.dtype
    assert np.array_equal(drawn, expected)


@pytest.mark.parametrize(("name", "raw", "ref"), CASES)
def test_ppf_inverts_cdf(name: str, raw: Any, ref: Ref | None) -> None:
    dist = _build(name, raw)
    if dist.kind == "categorical":
        with pytest.raises(TypeError):
            dist.cdf(0.0)
        return
    if name == "const":
        assert dist.cdf(4.9) == 0.0 and dist.cdf(5.0) == 1.0
        return
    u = np.linspace(0.001, 0.999, 97)
    if dist.kind == "integer":
        k = dist.ppf(u)
        assert np.all(dist.cdf(k) >= u) and np.all(dist.cdf(k - 1) < u)
        support = np.unique(dist.sample(np.random.default_rng(1), 3000))
        assert np.array_equal(dist.ppf(dist.cdf(support)), support)
    else:
        np.testing.assert_allclose(dist.cdf(dist.ppf(u)), u, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(0.05, 500),
    lo=st.one_of(st.none(), st.integers(0, 60)),
    width=st.one_of(st.none(), st.integers(1, 40)),
)
def test_poisson_round_trip_is_exact(mean: float, lo: int | None, width: int | None) -> None:
    hi = None if width is None else (lo or 0) + width
    try:
        dist = Poisson(mean=mean, truncate=None if lo is None and hi is None else (lo, hi))
    except ValueError as exc:  # truncation too far out for double precision
        assert "zero probability mass" in str(exc)
        return
    k = np.unique(dist.from_normal(np.linspace(-7, 7, 301)))
    assert np.array_equal(dist.from_normal(dist.to_normal(k)), k)


# --------------------------------------------------------------------------------------------
# array parameters


def test_array_parameters_broadcast() -> None:
    means = np.array([0.0, 100.0, 1000.0])
    dist = Normal(mean=means, std=1.0)
    assert dist.n_runs == 3
    draws = np.stack([dist.sample(np.random.default_rng(s), 3) for s in range(200)])
    assert draws.shape == (200, 3)
    assert np.all(np.abs(draws - means) < 6)
    np.testing.assert_allclose(draws.mean(axis=0), means, atol=0.4)
    np.testing.assert_array_equal(dist.from_normal(np.zeros(3)), means)
    np.testing.assert_array_equal(dist.mean(), means)
    np.testing.assert_allclose(dist.log_pdf(means), np.full(3, -0.5 * math.log(2 * math.pi)))
    with pytest.raises(ValueError, match=re.escape("3 values (one per run) but 5 draws")):
        dist.sample(np.random.default_rng(0), 5)


def test_array_parameters_agree_with_scalar_ones() -> None:
    shapes = np.array([0.7, 2.0, 5.0])
    his = np.array([1.0, 4.0, 9.0])
    arr = Gamma(shape=shapes, scale=2.0, truncate=(0.2, his))
    z = np.array([-1.5, 0.3, 2.0])
    x = arr.from_normal(z)
    for i in range(3):
        one = Gamma(shape=shapes[i], scale=2.0, truncate=(0.2, his[i]))
        assert arr.mean()[i] == pytest.approx(one.mean(), rel=1e-12)  # type: ignore[index]
        assert arr.var()[i] == pytest.approx(one.var(), rel=1e-12)  # type: ignore[index]
        assert x[i] == pytest.approx(one.from_normal(z[i]), rel=1e-12)
        assert arr.log_pdf(x)[i] == pytest.approx(one.log_pdf(x[i]), rel=1e-12)
    pois = Poisson(mean=np.array([1.0, 50.0]), truncate=(2, None))
    assert pois.sample(np.random.default_rng(0), 2).dtype == np.int64
    choice = Choice(values=["a", "b"], p=[np.array([1.0, 0.0]), np.array([0.0, 1.0])])
    assert list(choice.sample(np.random.default_rng(0), 2)) == ["a", "b"]
    np.testing.assert_array_equal(choice.log_pdf(np.array(["a", "a"])), [0.0, -np.inf])


# --------------------------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Normal(mean=0, std=-1), "normal: std must be > 0, found -1.0"),
        (
            lambda: Normal(mean=0, std=np.array([1.0, -2.0])),
            "normal: std must be > 0, found -2.0 (run 1)",
        ),
        (
            lambda: make_distribution({"normal": {"mean": 0, "std": 0}}),
            "std must be > 0, found 0.0",
        ),
        (lambda: Uniform(low=5, high=3), "uniform: expected low < high, found low=5.0, high=3.0"),
        (
            lambda: make_distribution({"uniform": [1, 2, 3]}),
            "uniform: expected [low, high] or {low, high}, found a list [1, 2, 3]",
        ),
        (
            lambda: make_distribution({"normal": {"mean": 0, "std": 1}, "truncate": [5, 3]}),
            "truncate: expected [lo, hi] with lo < hi, found [5.0, 3.0]",
        ),
        (
            lambda: Normal(mean=0, std=1, truncate=(2.0, 2.0)),
            "truncate: expected [lo, hi] with lo < hi, found [2.0, 2.0]",
        ),
        (
            lambda: make_distribution({"gamma": {"shape": 2, "scale": 1}, "truncate": [-5, -1]}),
            "gamma: truncate [-5.0, -1.0] leaves zero probability mass",
        ),
        (
            lambda: make_distribution({"integers": [1, 3], "truncate": [3.2, 3.8]}),
            "leaves zero probability mass",
        ),
        (
            lambda: make_distribution({"choice": {"dry": 0.7, "wet": 0.2}}),
            "choice: probabilities must sum to 1 (within 1e-6), found sum 0.9",
        ),
        (
            lambda: Choice(values=[1, 2], p=[-0.5, 1.5]),
            "choice: probability of 1 must be >= 0, found -0.5",
        ),
        (
            lambda: make_distribution({"unifrom": [1, 2]}),
            "unknown distribution 'unifrom' (did you mean 'uniform'?); expected one of: beta,",
        ),
        (
            lambda: make_distribution({"normal": {"mean": 0, "stdev": 1}}),
            "normal: unknown parameter 'stdev' (did you mean 'std'?); expected {mean, std}",
        ),
        (
            lambda: make_distribution({"normal": {"mean": 0}}),
            "normal: missing parameter 'std'; expected {mean, std}",
        ),
        (
            lambda: make_distribution({"lognormal": {"median": 1, "mu": 0, "sigma": 1}}),
            "lognormal: give either 'median' or 'mu', not both",
        ),
        (
            lambda: make_distribution({"choice": {"a": 0.5, "b": 0.5}, "truncate": [0, 1]}),
            "choice: truncate is not allowed here",
        ),
        (
            lambda: Choice(values=["a", "b"], truncate=(0, 1)),
            "choice: truncate is not allowed here",
        ),
        (
            lambda: make_distribution({"const": 3, "truncate": [0, 5]}),
            "const: truncate is not allowed here",
        ),
        (
            lambda: make_distribution({"normal": {"mean": 0, "std": 1}, "trunc": [0, 1]}),
            "unexpected key 'trunc' (did you mean 'truncate'?)",
        ),
        (
            lambda: make_distribution({"normal": {"mean": 0, "std": 1}, "uniform": [0, 1]}),
            "expected exactly one distribution name, found 2",
        ),
        (
            lambda: make_distribution({"choice": {"values": [1, "a"]}}),
            "choice: values must be all numbers or all strings",
        ),
        (
            lambda: make_distribution({"choice": {"values": [1, 2], "p": [1.0]}}),
            "choice: expected p to have 2 entries (one per value), found 1",
        ),
        (lambda: make_distribution({"integers": [2.5, 8]}), "integers: low must be an integer"),
        (lambda: make_distribution({"poisson": -1}), "poisson: mean must be >= 0, found -1.0"),
        (
            lambda: make_distribution({"normal": {"mean": "$m", "std": 1}}),
            "the reference '$m' must be resolved",
        ),
        (
            lambda: make_distribution({"normal": {"mean": "fast", "std": 1}}),
            "normal: mean must be a number or a $reference, found a string 'fast'",
        ),
    ],
)
def test_invalid_specs_raise_value_errors(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


# --------------------------------------------------------------------------------------------
# parsing and dumping


@pytest.mark.parametrize(("name", "raw", "ref"), CASES)
def test_to_raw_round_trips_through_parse(name: str, raw: Any, ref: Ref | None) -> None:
    dist = _build(name, raw)
    dumped = dist.to_raw()
    cls, params, truncate = parse_distribution(dumped)
    assert cls is type(dist)
    assert cls.parse(dumped[name]) == params == parse_distribution(raw)[1]
    assert truncate == parse_distribution(raw)[2]
    again = make_distribution(dumped)
    z = np.linspace(-3, 3, 13)
    assert np.array_equal(again.from_normal(z), dist.from_normal(z))


def test_parse_forms_and_references() -> None:
    assert parse_distribution({"uniform": [22, 33]})[1] == {"low": 22.0, "high": 33.0}
    assert parse_distribution({"uniform": {"low": "$a", "high": 3}})[1] == {
        "low": "$a",
        "high": 3.0,
    }
    assert parse_distribution({"poisson": 12})[1] == {"mean": 12.0}
    assert parse_distribution({"poisson": "$rate"})[1] == {"mean": "$rate"}
    assert parse_distribution({"lognormal": {"mu": 0, "sigma": 1}})[1] == {"mu": 0.0, "sigma": 1.0}
    cls, params, truncate = parse_distribution(
        {"normal": {"mean": "$m", "std": -1}, "truncate": ["$lo", None]}
    )
    assert cls is Normal and params == {"mean": "$m", "std": -1.0}  # refs kept, no range check
    assert truncate == ("$lo", None)
    assert parse_distribution({"choice": ["x", "y"]})[1] == {"values": ["x", "y"], "p": [0.5, 0.5]}
    assert parse_distribution({"choice": {"values": [math.inf, 300], "p": ["$p", 0.1]}})[1] == {
        "values": [math.inf, 300],
        "p": ["$p", 0.1],
    }
    # resolved references arrive as per-run arrays
    dist = Normal(mean=np.array([1.0, 2.0]), std=1.0, truncate=(np.array([0.0, 1.5]), None))
    assert np.all(dist.sample(np.random.default_rng(0), 2) >= [0.0, 1.5])


def test_const_and_string_choice_behaviour() -> None:
    wet = make_distribution({"const": "wet"})
    assert wet.kind == "categorical" and wet.dtype == np.dtype(object)
    assert list(wet.sample(np.random.default_rng(0), 3)) == ["wet"] * 3
    np.testing.assert_array_equal(wet.log_pdf(np.array(["wet", "dry"], dtype=object)), [0, -np.inf])
    five = make_distribution({"const": 5})
    assert five.kind == "continuous" and five.dtype == np.float64
    np.testing.assert_array_equal(five.log_pdf(np.array([5.0, 5.1])), [0.0, -np.inf])
    road = make_distribution({"choice": {"dry": 0.7, "wet": 0.25, "ice": 0.05}})
    assert road.kind == "categorical"
    draws = road.sample(np.random.default_rng(1), 100_000)
    assert all(isinstance(v, str) for v in draws[:10])
    freq = {v: np.mean(draws == v) for v in ("dry", "wet", "ice")}
    assert freq == pytest.approx({"dry": 0.7, "wet": 0.25, "ice": 0.05}, abs=0.005)
    # declared order: z below Phi^-1(0.7) is dry, the top 5 % is ice
    assert list(road.from_normal(np.array([-8.0, 0.5, 0.6, 1.7, 8.0]))) == [
        "dry",
        "dry",
        "wet",
        "ice",
        "ice",
    ]
    assert np.isnan(road.to_normal(np.array(["snow"], dtype=object))[0])
    vis = make_distribution({"choice": {"values": [math.inf, 300, 100], "p": [0.9, 0.07, 0.03]}})
    assert vis.log_pdf(np.array([math.inf]))[0] == pytest.approx(math.log(0.9))
    assert vis.log_pdf(np.array([200.0]))[0] == -np.inf


def test_no_global_random_state_is_used() -> None:
    np.random.seed(1234)
    before = np.random.get_state()[1].copy()
    for name, raw, _ in (c.values for c in CASES):
        if raw is not None:
            _build(name, raw).sample(np.random.default_rng(0), 100)
    assert np.array_equal(np.random.get_state()[1], before)
