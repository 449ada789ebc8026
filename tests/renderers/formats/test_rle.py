"""Our COCO RLE against the reference implementation (pycocotools), on edge cases and at random."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as coco_mask

from simengine.renderers.formats import rle


def _reference(mask: np.ndarray) -> dict:
    return coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))


def _assert_matches_reference(mask: np.ndarray) -> None:
    h, w = mask.shape
    ref = _reference(mask)
    counts = rle.encode(mask)
    assert counts == ref["counts"].decode("ascii")
    np.testing.assert_array_equal(rle.decode(counts, h, w), mask)
    assert rle.area(counts) == int(coco_mask.area(ref)) == int(mask.sum())
    assert rle.to_bbox(counts, h, w) == tuple(float(v) for v in coco_mask.toBbox(ref))


def _edge_masks() -> dict[str, np.ndarray]:
    masks = {
        "empty": np.zeros((48, 64), bool),
        "full": np.ones((48, 64), bool),
        "first-pixel": np.zeros((48, 64), bool),
        "last-pixel": np.zeros((48, 64), bool),
        "one-by-one-set": np.ones((1, 1), bool),
        "one-by-one-clear": np.zeros((1, 1), bool),
        "single-row": np.array([[0, 1, 1, 0, 1, 0, 0, 1]], bool),
        "single-column": np.array([[1], [1], [0], [1], [0]], bool),
        "odd-checkerboard": (np.add.outer(np.arange(7), np.arange(13)) % 2).astype(bool),
        "columns-stripes": np.tile(np.arange(13) % 3 == 0, (7, 1)),
        "last-column": np.zeros((9, 11), bool),
        "large-single-pixel": np.zeros((480, 640), bool),
    }
    masks["first-pixel"][0, 0] = True
    masks["last-pixel"][-1, -1] = True
    masks["last-column"][:, -1] = True
    masks["large-single-pixel"][400, 600] = True  # long runs: multi-group, negative deltas
    return masks


EDGES = _edge_masks()


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases_match_pycocotools(name: str) -> None:
    _assert_matches_reference(EDGES[name])


def test_known_strings() -> None:
    # 3072 zeros = 5-bit groups 0, 0, 3 (low first), the first two flagged "more": "PP3"
    assert rle.encode(np.zeros((48, 64), bool)) == "PP3"
    assert rle.encode(np.ones((48, 64), bool)) == "0PP3"  # a zero-length run of 0s first
    centre = np.zeros((3, 3), bool)
    centre[1, 1] = True
    assert rle.encode(centre) == "414"
    assert rle.counts_of("414").tolist() == [4, 1, 4]
    assert rle.to_bbox("414", 3, 3) == (1.0, 1.0, 1.0, 1.0)
    assert rle.to_bbox("PP3", 48, 64) == (0.0, 0.0, 0.0, 0.0)


def test_random_masks_match_pycocotools() -> None:
    rng = np.random.default_rng(20240611)
    for _ in range(300):
        h, w = (int(v) for v in rng.integers(1, 50, size=2))
        mask = rng.random((h, w)) < rng.random()
        _assert_matches_reference(mask)


def test_random_shapes_match_pycocotools() -> None:
    """Compact blobs (what object masks look like), including ones touching the borders."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[:61, :83]
    for _ in range(100):
        cx, cy = rng.uniform(-10, 93), rng.uniform(-10, 71)
        rx, ry = rng.uniform(1, 40, size=2)
        mask = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
        mask[rng.integers(0, 61), :] &= rng.random() < 0.5  # an occluding horizontal cut
        _assert_matches_reference(mask)


def test_decodes_pycocotools_strings() -> None:
    rng = np.random.default_rng(3)
    mask = rng.random((37, 29)) < 0.3
    counts = _reference(mask)["counts"].decode()
    np.testing.assert_array_equal(rle.decode(counts, 37, 29), mask)


def test_accepts_nonzero_values_as_set() -> None:
    labels = np.array([[0, 3, 3], [7, 0, 1]], dtype=np.uint8)
    assert rle.encode(labels) == rle.encode(labels > 0)


def test_decode_rejects_wrong_size() -> None:
    counts = rle.encode(np.ones((4, 5), bool))
    with pytest.raises(ValueError, match="covers 20 pixels but the mask is 4×6 = 24"):
        rle.decode(counts, 4, 6)


def test_rejects_malformed_input() -> None:
    with pytest.raises(ValueError, match="must be 2-D"):
        rle.encode(np.zeros((2, 3, 4), bool))
    with pytest.raises(ValueError, match="outside"):
        rle.decode("ab~", 2, 2)
    with pytest.raises(ValueError, match="unfinished"):
        rle.decode("0P", 2, 2)  # 'P' = 48 + 0x20: a number that never ends


def test_pixel_totals_of_many_strings_at_once() -> None:
    rng = np.random.default_rng(11)
    masks = [rng.random((int(h), int(w))) < rng.random()
             for h, w in rng.integers(1, 40, size=(60, 2))]
    masks[5] = np.zeros_like(masks[5])
    masks[9] = np.ones_like(masks[9])
    strings = [rle.encode(m) for m in masks]
    strings.insert(17, "")  # an object without a mask
    covered, set_px = rle.pixel_totals(strings)
    expected = [(m.size, int(m.sum())) for m in masks]
    expected.insert(17, (0, 0))
    assert list(zip(covered.tolist(), set_px.tolist(), strict=True)) == expected
    with pytest.raises(ValueError, match="unfinished"):
        rle.pixel_totals(["0P", "1"])  # a number may not run into the next string
