"""COCO masks as runs: pycocotools' polygon and RLE rules, reproduced exactly in NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from annotationtools import blob, mask_counts, rle_string
from maskstats.readers.polygons import (BadSegmentation, grouped_union, runs_to_mask,
                                        segmentation_runs, union_pixels)


def _runs(segm, h, w):
    """Runs of one annotation's mask."""
    _owner, starts, ends = segmentation_runs([segm], h, w)
    return starts, ends


def _random_polygons(rng, h, w, mode):
    polys = []
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.integers(3, 10))
        if mode == 0:  # anywhere, partly outside the image
            pts = rng.uniform(-6, max(h, w) + 6, 2 * k)
        elif mode == 1:  # on the 0.1 grid COCO files often use, with a repeated vertex
            pts = np.round(rng.uniform(0, max(h, w), 2 * k), 1)
            pts[2:4] = pts[0:2]
        else:  # near pixel centres and edges, where rounding decides
            pts = rng.integers(0, max(h, w), 2 * k) + rng.choice([0, 0.5, 0.2, 0.7, 0.1], 2 * k)
        polys.append([float(v) for v in pts])
    return polys


#: pycocotools' own NumPy 2 deprecation warning, not ours
OLD_ARRAY_API = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@OLD_ARRAY_API
def test_polygons_match_pycocotools():
    """Every polygon set gives exactly pycocotools' annToMask mask (merge of frPyObjects)."""
    mask_api = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(7)
    for i in range(1500):
        h, w = int(rng.integers(1, 48)), int(rng.integers(1, 48))
        polys = _random_polygons(rng, h, w, i % 3)
        want = mask_api.decode(mask_api.merge(mask_api.frPyObjects(polys, h, w)))
        starts, ends = _runs(polys, h, w)
        assert np.array_equal(runs_to_mask(starts, ends, h, w), want), (h, w, polys)
        assert union_pixels(starts, ends) == int(want.sum())


@OLD_ARRAY_API
def test_compressed_rle_matches_pycocotools():
    """pycocotools' compressed strings decode to the masks it encoded."""
    mask_api = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(3)
    for _ in range(300):
        h, w = int(rng.integers(1, 64)), int(rng.integers(1, 64))
        m = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        rle = mask_api.encode(np.asfortranarray(m))
        segm = {"size": rle["size"], "counts": rle["counts"].decode()}
        assert np.array_equal(runs_to_mask(*_runs(segm, h, w), h, w), m)


def test_rle_forms_without_pycocotools():
    """Uncompressed counts and the compressed string of the same mask give that mask."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        m = blob(rng, h, w)
        counts = mask_counts(m)
        for form in (counts, rle_string(counts)):
            starts, ends = _runs({"size": [h, w], "counts": form}, h, w)
            assert np.array_equal(runs_to_mask(starts, ends, h, w), m)
            assert union_pixels(starts, ends) == int(m.sum())


def test_union_counts_overlaps_once():
    """Overlapping intervals count their common pixels once."""
    starts, ends = np.array([0, 5, 3, 20, 20]), np.array([10, 7, 12, 25, 21])
    covered = np.zeros(30, bool)
    for s, e in zip(starts, ends):
        covered[s:e] = True
    assert union_pixels(starts, ends) == int(covered.sum())


def test_many_annotations_at_once_match_one_by_one():
    """Rasterising an image's annotations together gives each one's own runs, and unions
    per group equal the pixels of the OR of the masks."""
    rng = np.random.default_rng(9)
    for _ in range(50):
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        segms = [_random_polygons(rng, h, w, i % 3) for i in range(int(rng.integers(1, 6)))]
        segms.append({"size": [h, w], "counts": mask_counts(blob(rng, h, w))})
        owner, starts, ends = segmentation_runs(segms, h, w)
        masks = [runs_to_mask(*_runs(s, h, w), h, w).astype(bool) for s in segms]
        for i, m in enumerate(masks):
            assert np.array_equal(runs_to_mask(starts[owner == i], ends[owner == i], h, w), m)
        groups = owner % 2
        want = [int(np.logical_or.reduce([m for i, m in enumerate(masks) if i % 2 == g]
                                         + [np.zeros((h, w), bool)]).sum()) for g in (0, 1)]
        assert grouped_union(groups, starts, ends, h * w, 2).tolist() == want


@pytest.mark.parametrize("segm, words", [
    ([[1, 2, 3, 4, 5, 6, 7]], "odd number of coordinates"),
    ([[1, 2, 3, 4]], "at least 3"),
    ([], "empty list"),
    ({"size": [5, 6], "counts": [30]}, "image is 4x6"),
    ({"size": [4, 6], "counts": [20]}, "add up to 20"),
    ({"size": [4, 6], "counts": "\x7f"}, "character"),
    ("x", "list of polygons or an RLE"),
])
def test_bad_segmentations_are_refused(segm, words):
    """What pycocotools would refuse or misread raises BadSegmentation saying why."""
    with pytest.raises(BadSegmentation, match=words):
        _runs(segm, 4, 6)
