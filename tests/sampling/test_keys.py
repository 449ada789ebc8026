"""Seeding keys (DESIGN §7.1): Philox4x32-10 against Random123, and the guarantees of RunKeys.

Every draw is a pure function of (seed, stage, run, purpose, slot): never of which other runs
share the batch, of the batch's order, or of the process that computes it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import ndtri

from simengine.sampling.keys import COUNTER_TAG, Purpose, RunKeys, Stage, name_slot
from simengine.sampling.philox import philox4x32, uniforms_from_words

# Known-answer vectors of Philox4x32-10 from Random123 (kat_vectors): counter, key -> output.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    (
        (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF),
        (0xFFFFFFFF, 0xFFFFFFFF),
        (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD),
    ),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT, ids=["zeros", "ones", "pi"])
def test_philox_known_answers(ctr, key, expected) -> None:
    out = philox4x32(np.array([ctr], dtype=np.uint32), key)
    assert out.dtype == np.uint32
    assert out.shape == (1, 4)
    assert tuple(int(w) for w in out[0]) == expected


def test_philox_is_vectorised_row_by_row() -> None:
    ctrs = np.array([k[0] for k in KAT[:1]] * 3 + [(1, 2, 3, 4)], dtype=np.uint32)
    batch = philox4x32(ctrs, (7, 9))
    for i, row in enumerate(ctrs):
        assert np.array_equal(batch[i], philox4x32(row[None, :], (7, 9))[0])
    assert not np.array_equal(batch[0], batch[3])


def test_uniforms_from_words_open_interval() -> None:
    zero = np.zeros(1, dtype=np.uint32)
    ones = np.full(1, 0xFFFFFFFF, dtype=np.uint32)
    lo = uniforms_from_words(zero, zero)[0]
    hi = uniforms_from_words(ones, ones)[0]
    # the extreme words must stay strictly inside (0, 1): ndtri(0) and ndtri(1) are infinite
    assert 0.0 < lo < 1e-15
    assert 1.0 - 1e-15 < hi < 1.0
    assert np.isfinite(ndtri(np.array([lo, hi]))).all()
    assert hi == 1.0 - lo  # a symmetric grid
    # 52 random bits: the lowest kept bit changes the value, the dropped ones do not
    kept = uniforms_from_words(zero, np.array([1 << 12], dtype=np.uint32))[0]
    dropped = uniforms_from_words(zero, np.array([(1 << 12) - 1], dtype=np.uint32))[0]
    assert kept > lo
    assert dropped == lo


# -- RunKeys -------------------------------------------------------------------------------


def test_uniforms_in_open_unit_interval_and_shape() -> None:
    keys = RunKeys.range(123, 0, 5000)
    for n in (1, 2, 3, 7):
        u = keys.uniforms(Purpose.PARAMS, n)
        assert u.shape == (5000, n)
        assert u.dtype == np.float64
        assert np.all(u > 0.0) and np.all(u < 1.0)
    z = keys.normals(Purpose.PARAMS, 3)
    assert z.shape == (5000, 3)
    assert np.all(np.isfinite(z))


@pytest.mark.parametrize("purpose", list(Purpose))
def test_uniforms_independent_of_batch_composition(purpose: Purpose) -> None:
    full = RunKeys.range(42, 0, 100)
    part = RunKeys.range(42, 5, 10)
    for slot in (0, 17, name_slot("ego_speed_mps")):
        u_full = full.uniforms(purpose, 3, slot=slot)
        assert np.array_equal(part.uniforms(purpose, 3, slot=slot), u_full[5:10])
        # any selection, in any order, alone or in a subset
        pick = np.array([97, 3, 50, 3], dtype=np.int64)
        assert np.array_equal(RunKeys(42, pick).uniforms(purpose, 3, slot=slot), u_full[pick])
        assert np.array_equal(full.subset(pick).uniforms(purpose, 3, slot=slot), u_full[pick])
        mask = np.zeros(100, dtype=bool)
        mask[[1, 8, 99]] = True
        assert np.array_equal(full.subset(mask).uniforms(purpose, 3, slot=slot), u_full[mask])
        single = RunKeys(42, np.array([77])).normals(purpose, 3, slot=slot)
        assert np.array_equal(single[0], full.normals(purpose, 3, slot=slot)[77])


def test_more_columns_extend_never_change_earlier_ones() -> None:
    keys = RunKeys.range(5, 0, 50)
    u1 = keys.uniforms(Purpose.SIMULATION, 1)
    u4 = keys.uniforms(Purpose.SIMULATION, 4)
    u9 = keys.uniforms(Purpose.SIMULATION, 9)
    assert np.array_equal(u4[:, :1], u1)
    assert np.array_equal(u9[:, :4], u4)


def test_large_run_indices_use_all_64_bits() -> None:
    lo = RunKeys(1, np.array([5], dtype=np.int64)).uniforms(Purpose.PARAMS, 2)
    hi = RunKeys(1, np.array([5 + 2**32], dtype=np.int64)).uniforms(Purpose.PARAMS, 2)
    assert not np.array_equal(lo, hi)


def _distinct(*arrays: np.ndarray) -> None:
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.any(a == b), "streams that must be independent share values"


def test_purposes_slots_stages_and_seeds_differ() -> None:
    keys = RunKeys.range(9, 0, 200)
    by_purpose = [keys.uniforms(p, 2) for p in Purpose]
    by_slot = [keys.uniforms(Purpose.PARAMS, 2, slot=s) for s in (1, 2, name_slot("a"))]
    by_stage = [
        RunKeys.range(9, 0, 200, stage=stage).uniforms(Purpose.PARAMS, 2)
        for stage in ((Stage.CROSS_ENTROPY, 0), (Stage.CROSS_ENTROPY, 1),
                      (Stage.SUBSET_SIMULATION, 0))
    ]
    by_seed = [RunKeys.range(s, 0, 200).uniforms(Purpose.PARAMS, 2) for s in (10, 2**40)]
    _distinct(*by_purpose, *by_slot[:-1], *by_stage, *by_seed)
    _distinct(by_purpose[0], *by_slot)
    # and the runs of one stream differ from each other
    assert len(np.unique(by_purpose[0])) == by_purpose[0].size


def test_documented_purpose_values() -> None:
    # The integers are part of the on-disk contract (DESIGN §7.1): changing them changes corpora.
    assert {p.name: int(p) for p in Purpose} == {
        "PARAMS": 0, "SIMULATION": 1, "RENDERING": 2, "SPLIT": 3,
    }
    assert COUNTER_TAG == 2**63 - 1


def test_name_slot_is_stable() -> None:
    # blake2b, not Python's randomised hash(): the same in every process
    assert name_slot("ego_speed_mps") == name_slot("ego_speed_mps")
    assert name_slot("a") != name_slot("b")
    assert 0 <= name_slot("weather.road") < 2**32


@pytest.mark.parametrize("stage", [(), (Stage.CROSS_ENTROPY, 3)])
@pytest.mark.parametrize("purpose", list(Purpose))
def test_generator_is_the_documented_seed_sequence(stage, purpose: Purpose) -> None:
    keys = RunKeys.range(2024, 10, 20, stage=stage)
    for run in (10, 13, 19):
        expected = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(2024, spawn_key=(*stage, run, int(purpose))))
        )
        got = keys.generator(run, purpose)
        assert np.array_equal(got.random(16), expected.random(16))
        assert keys.seed_sequence(run, purpose).spawn_key == (*stage, run, int(purpose))


def test_generators_differ_by_run_purpose_and_seed() -> None:
    keys = RunKeys.range(1, 0, 3)
    draws = [keys.generator(r, p).random(4) for r in range(3) for p in Purpose]
    draws.append(RunKeys.range(2, 0, 1).generator(0, Purpose.PARAMS).random(4))
    _distinct(*draws)


def test_uniforms_are_uniform_ks() -> None:
    keys = RunKeys.range(7, 0, 20_000)
    u = keys.uniforms(Purpose.PARAMS, 2, slot=name_slot("x"))
    for col in (u[:, 0], u[:, 1]):
        assert stats.kstest(col, "uniform").pvalue > 1e-3
    z = keys.normals(Purpose.SIMULATION, 1)[:, 0]
    assert stats.kstest(z, "norm").pvalue > 1e-3
    # neighbouring runs and the two words of a block are not correlated
    assert abs(np.corrcoef(u[:-1, 0], u[1:, 0])[0, 1]) < 0.03
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.03


def test_run_keys_validation() -> None:
    with pytest.raises(ValueError):
        RunKeys(0, np.array([-1]))
    with pytest.raises(ValueError):
        RunKeys(0, np.zeros((2, 2), dtype=np.int64))
    empty = RunKeys.range(0, 3, 3)
    assert len(empty) == 0
    assert empty.uniforms(Purpose.PARAMS, 2).shape == (0, 2)
