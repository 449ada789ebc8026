"""The parameter space: maps to and from standard normals, the exact nominal log-density, the
Gaussian copula of correlated groups, per-name independence and per-run ``$ref`` arguments."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtri

from simengine.sampling.keys import Purpose, RunKeys, name_slot
from simengine.sampling.sampler import NominalSampler
from simengine.scenario.scenario import Scenario, load_scenario, load_scenario_text
from tests.conftest import APPROACH

N = 20_000


def _scenario(body: str) -> Scenario:
    head = "schema_version: 1\nname: space-test\ndomain: dummy\nduration_s: 2\n"
    return load_scenario_text(head + textwrap.dedent(body), file="space-test.yaml")


@pytest.fixture(scope="module")
def approach_scn() -> Scenario:
    return load_scenario(APPROACH)


@pytest.fixture(scope="module")
def approach_draws(approach_scn: Scenario) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    space = approach_scn.space
    z = space.nominal_normals(RunKeys.range(3, 0, N))
    return z, space.from_normal(z)


def test_approach_table(approach_scn: Scenario) -> None:
    space = approach_scn.space
    assert space.names == (
        "closing_speed_mps", "reaction_ttc_s", "brake_base_mps2",
        "weather.road", "weather.visibility_m", "world.gap_m",
    )
    assert space.dim == 6


def test_from_normal_to_normal_round_trip(approach_scn, approach_draws) -> None:
    space = approach_scn.space
    z, cols = approach_draws
    assert set(cols) == set(space.names)
    for name in space.names:
        assert len(cols[name]) == N
    back = space.to_normal(cols)
    assert back.shape == z.shape
    continuous = [j for j, n in enumerate(space.random_names) if not n.startswith("weather.")]
    np.testing.assert_allclose(back[:, continuous], z[:, continuous], rtol=0, atol=1e-8)
    # discrete dimensions map back to a z inside the same category, so x round-trips exactly
    again = space.from_normal(back)
    for name in space.names:
        if cols[name].dtype == object:
            assert np.array_equal(again[name], cols[name])
        else:
            np.testing.assert_allclose(again[name], cols[name], rtol=1e-12)
    # single rows go through the same map
    one = space.from_normal(z[7])
    assert all(len(v) == 1 for v in one.values())
    assert one["world.gap_m"][0] == pytest.approx(cols["world.gap_m"][7], rel=1e-14)


def _truncnorm(mean: float, std: float, lo: float, hi: float):
    return stats.truncnorm((lo - mean) / std, (hi - mean) / std, loc=mean, scale=std)


def _trunclognorm_logpdf(x: np.ndarray, median: float, sigma: float, lo: float, hi: float):
    base = stats.lognorm(s=sigma, scale=median)
    return base.logpdf(x) - np.log(base.cdf(hi) - base.cdf(lo))


def test_log_density_is_marginals_plus_copula(approach_scn, approach_draws) -> None:
    """Against an independent scipy computation of the approach scenario's nominal density."""
    space = approach_scn.space
    _, cols = approach_draws
    rows = slice(0, 2000)
    c = {k: v[rows] for k, v in cols.items()}
    speed, brake = c["closing_speed_mps"], c["brake_base_mps2"]
    u_speed = stats.uniform(6, 10)
    n_brake = _truncnorm(5, 1.5, 1, 9)
    marginals = (
        u_speed.logpdf(speed)
        + _trunclognorm_logpdf(c["reaction_ttc_s"], 1.2, 0.4, 0.3, 4)
        + n_brake.logpdf(brake)
        + np.log(np.select([c["weather.road"] == "dry", c["weather.road"] == "wet"],
                           [0.7, 0.25], 0.05))
        + np.log(np.select([np.isinf(c["weather.visibility_m"]), c["weather.visibility_m"] == 300],
                           [0.9, 0.07], 0.03))
        + stats.uniform(15, 30).logpdf(c["world.gap_m"])
    )
    zz = np.column_stack([ndtri(u_speed.cdf(speed)), ndtri(n_brake.cdf(brake))])
    corr = np.array([[1.0, -0.3], [-0.3, 1.0]])
    copula = stats.multivariate_normal(np.zeros(2), corr).logpdf(zz) - stats.norm.logpdf(zz).sum(1)
    got = space.log_density(c)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, marginals + copula, rtol=1e-9, atol=1e-9)


def test_log_density_of_correlated_normals_is_the_bivariate_normal() -> None:
    scn = _scenario("""
        params:
          a: {normal: {mean: 1, std: 2}}
          b: {normal: {mean: -1, std: 0.5}}
          c: {uniform: [0, 4]}
        correlated:
          - params: [a, b]
            correlation: [[1, 0.6], [0.6, 1]]
    """)
    space = scn.space
    cols = space.from_normal(space.nominal_normals(RunKeys.range(0, 0, 500)))
    cov = np.array([[4.0, 0.6 * 2 * 0.5], [0.6 * 2 * 0.5, 0.25]])
    pairs = np.column_stack([cols["a"], cols["b"]])
    ref = stats.multivariate_normal([1.0, -1.0], cov).logpdf(pairs) + np.log(0.25)
    np.testing.assert_allclose(space.log_density(cols), ref, rtol=1e-10, atol=1e-10)
    # and off the sample: any point has the same density
    grid = {"a": np.array([-3.0, 0.0, 5.0]), "b": np.array([0.5, -1.0, -2.0]),
            "c": np.array([1.0, 2.0, 3.0])}
    ref = stats.multivariate_normal([1.0, -1.0], cov).logpdf(
        np.column_stack([grid["a"], grid["b"]])) + np.log(0.25)
    np.testing.assert_allclose(space.log_density(grid), ref, rtol=1e-10)


def test_log_density_outside_support_is_minus_inf(approach_scn, approach_draws) -> None:
    _, cols = approach_draws
    c = {k: v[:3].copy() for k, v in cols.items()}
    c["world.gap_m"][0] = 50.0  # uniform [15, 45]
    c["reaction_ttc_s"][1] = 5.0  # truncated to [0.3, 4]
    ld = approach_scn.space.log_density(c)
    assert ld[0] == -np.inf and ld[1] == -np.inf and np.isfinite(ld[2])


def test_correlated_group_has_the_declared_correlation(approach_draws) -> None:
    z, cols = approach_draws
    # in the marginals' own z space (Φ⁻¹ of each marginal CDF): the copula's correlation
    zz = np.column_stack([
        ndtri(stats.uniform(6, 10).cdf(cols["closing_speed_mps"])),
        ndtri(_truncnorm(5, 1.5, 1, 9).cdf(cols["brake_base_mps2"])),
    ])
    r = np.corrcoef(zz.T)[0, 1]
    assert r == pytest.approx(-0.3, abs=0.03)
    # the independent normals behind them are uncorrelated
    assert abs(np.corrcoef(z[:, 0], z[:, 2])[0, 1]) < 0.03
    # and params outside the group stay independent of it
    assert abs(np.corrcoef(cols["world.gap_m"], cols["closing_speed_mps"])[0, 1]) < 0.03


def test_strong_correlation_matrix_of_three() -> None:
    corr = np.array([[1.0, 0.8, 0.5], [0.8, 1.0, 0.3], [0.5, 0.3, 1.0]])
    scn = _scenario(f"""
        params:
          x: {{normal: {{mean: 0, std: 1}}}}
          y: {{normal: {{mean: 0, std: 1}}}}
          w: {{normal: {{mean: 0, std: 1}}}}
        correlated:
          - params: [x, y, w]
            correlation: {corr.tolist()}
    """)
    cols = scn.space.from_normal(scn.space.nominal_normals(RunKeys.range(1, 0, N)))
    got = np.corrcoef(np.column_stack([cols["x"], cols["y"], cols["w"]]).T)
    np.testing.assert_allclose(got, corr, atol=0.03)


def _columns(text: str, keys: RunKeys) -> dict[str, np.ndarray]:
    scn = load_scenario_text(text, file="approach.yaml", base_dir=APPROACH.parent)
    return scn.space.from_normal(scn.space.nominal_normals(keys))


@pytest.mark.parametrize(
    ("where", "insert"),
    [
        ("params:\n", "params:\n  aaa_extra: {normal: {mean: 0, std: 1}}\n"),
        ("params:\n", "params:\n  zz_rate: {exponential: {rate: 2}}\n"),
        ("weather:\n", "weather:\n  rain_mm_h: {uniform: [0, 5]}\n"),
    ],
    ids=["param-first", "param-other", "weather"],
)
def test_adding_a_param_leaves_existing_columns_unchanged(where: str, insert: str) -> None:
    text = Path(APPROACH).read_text()
    assert where in text
    keys = RunKeys.range(5, 100, 400)
    before = _columns(text, keys)
    after = _columns(text.replace(where, insert, 1), keys)
    assert set(after) - set(before)
    for name, col in before.items():
        assert np.array_equal(after[name], col), name


def test_param_depends_only_on_its_name_seed_and_run() -> None:
    scn = _scenario("""
        params:
          speed: {normal: {mean: 10, std: 2}}
    """)
    keys = RunKeys.range(8, 0, 50)
    z = keys.normals(Purpose.PARAMS, 1, slot=name_slot("speed"))[:, 0]
    np.testing.assert_allclose(scn.space.from_normal(scn.space.nominal_normals(keys))["speed"],
                               10 + 2 * z, rtol=1e-13)


def test_refs_are_resolved_per_run() -> None:
    # declared before the param it refers to: evaluation follows the references, not the file
    scn = _scenario("""
        params:
          x: {normal: {mean: $base, std: 1}}
          y: {uniform: [$base, 200]}
          t: {normal: {mean: 0, std: 50}, truncate: [$base, .inf]}
          same: $base
          base: {uniform: [0, 100]}
    """)
    space = scn.space
    keys = RunKeys.range(4, 0, 5000)
    z = space.nominal_normals(keys)
    cols = space.from_normal(z)
    base = cols["base"]
    assert np.ptp(base) > 90  # many different bases
    zx = z[:, space.random_names.index("x")]
    np.testing.assert_allclose(cols["x"] - base, zx, atol=1e-9)
    assert np.all(cols["y"] >= base) and np.all(cols["y"] <= 200)
    uy = stats.norm.cdf(z[:, space.random_names.index("y")])
    np.testing.assert_allclose(cols["y"], base + (200 - base) * uy, rtol=1e-9)
    assert np.all(cols["t"] >= base)
    assert np.array_equal(cols["same"], base)
    # the density uses each run's own arguments
    t_ref = np.log(stats.norm.sf(base / 50)) * -1 + stats.norm.logpdf(cols["t"], 0, 50)
    ref = (stats.uniform(0, 100).logpdf(base) + stats.norm.logpdf(cols["x"], base, 1)
           + stats.uniform.logpdf(cols["y"], base, 200 - base) + t_ref)
    np.testing.assert_allclose(space.log_density(cols), ref, rtol=1e-8)
    back = space.to_normal(cols)
    np.testing.assert_allclose(back, z, atol=1e-6)


def test_nominal_sampler_is_batch_independent(approach_scn: Scenario) -> None:
    sampler = NominalSampler()
    full, lw = sampler.sample(approach_scn.space, RunKeys.range(2, 0, 100))
    part, lw_part = sampler.sample(approach_scn.space, RunKeys.range(2, 5, 10))
    assert np.array_equal(lw, np.zeros(100)) and lw.dtype == np.float64
    assert len(lw_part) == 5
    for name, col in full.items():
        assert np.array_equal(part[name], col[5:10]), name
    other, _ = sampler.sample(approach_scn.space, RunKeys.range(3, 0, 100))
    assert not np.array_equal(other["world.gap_m"], full["world.gap_m"])
