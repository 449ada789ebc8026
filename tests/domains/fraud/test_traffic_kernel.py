"""The legitimate-traffic kernel's choices against their NumPy definitions: the branch-free pick
is ``searchsorted`` (side right, capped at the last entry) and the branch-free merchant choice
is :meth:`Population.merchant_index`."""

from __future__ import annotations

import numpy as np

from simengine.domains.fraud.population import build_population
from simengine.domains.fraud.traffic_kernel import _merchant, _pick
from tests.domains.fraud.helpers import SMALL, scenario


def test_pick_is_searchsorted_right_capped_at_the_last_entry() -> None:
    rng = np.random.default_rng(5)
    # zero weights repeat a cumulative value; draws land on every edge, inside and beyond
    cum = np.cumsum([0.0, 0.3, 0.0, 0.0, 0.25, 0.45, 0.0])
    xs = np.concatenate([cum, np.nextafter(cum, -np.inf), rng.random(500) * 1.2, [0.0, 5.0]])
    for x in xs:
        expected = min(int(np.searchsorted(cum, x, side="right")), cum.size - 1)
        assert _pick(cum, x) == expected, x


def test_kernel_merchant_choice_is_the_population_lookup() -> None:
    world = scenario(SMALL).spec.world
    pop = build_population(world, np.random.default_rng(11))
    rng = np.random.default_rng(12)
    n = 4000
    cat = rng.integers(0, pop.key_start.shape[0], n)
    online = rng.random(n) < 0.5
    region = rng.integers(0, pop.key_start.shape[2], n)
    local = rng.random(n) < 0.7
    u = rng.random(n)
    expected = pop.merchant_index(cat, online, region, local, u)
    got = np.array([_merchant(cat[i], np.int64(online[i]), region[i], local[i], u[i],
                              pop.key_start, pop.key_count, pop.any_start, pop.any_count,
                              pop.by_key, pop.customers) for i in range(n)])
    assert np.array_equal(got, expected)
    # the draws reach both branches: local merchants, and the fallback to any region
    in_region = local & (pop.key_count[cat, online.astype(np.int64), region] > 0)
    assert in_region.any() and (~in_region).any()
