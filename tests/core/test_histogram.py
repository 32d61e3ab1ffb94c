"""Unit and property tests of the counting kernels and the mergeable accumulators."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maskstats.core.histogram import Counts, hist_from_array, remap_hist, suggest_ignore
from maskstats.core.stats import Stats

images = st.lists(
    st.tuples(st.integers(1, 6), st.integers(1, 6), st.sampled_from(
        ["uint8", "uint16", "int32", "int64"]), st.integers(0, 2 ** 31)),
    min_size=1, max_size=12,
)


def _array(h, w, dtype, seed):
    rng = np.random.default_rng(seed)
    lo = -3 if dtype.startswith("int") else 0
    hi = {"uint8": 256, "uint16": 65536, "int32": 200000, "int64": 2 ** 40}[dtype]
    vals = rng.integers(lo, 6, size=(h, w))
    big = rng.integers(lo, hi, size=(h, w))
    return np.where(rng.random((h, w)) < 0.2, big, vals).astype(dtype)


def _counts(arrays) -> Counts:
    c = Counts()
    for a in arrays:
        c.add(hist_from_array(a))
    return c


@settings(max_examples=60, deadline=None)
@given(images, st.randoms(use_true_random=False))
def test_merge_order_does_not_matter(specs, rnd):
    """Merging per-image accumulators in any order and grouping gives the same result."""
    arrays = [_array(*s) for s in specs]
    parts = [_counts([a]) for a in arrays]
    serial = _counts(arrays)
    rnd.shuffle(parts)
    merged = Counts()
    while parts:  # random tree: merge random neighbours
        if len(parts) == 1:
            merged = merged.merge(parts.pop())
            break
        i = rnd.randrange(len(parts) - 1)
        parts[i:i + 2] = [parts[i].merge(parts[i + 1])]
    assert merged == serial
    assert Counts.from_dict(serial.to_dict()) == serial
    assert pickle.loads(pickle.dumps(serial)) == serial  # what workers send back


@settings(max_examples=60, deadline=None)
@given(images)
def test_counts_match_numpy_unique(specs):
    """Per-value pixel and image counts equal an independent np.unique count; they sum up."""
    arrays = [_array(*s) for s in specs]
    table = _counts(arrays).table()
    expected: dict[int, list[int]] = {}
    for a in arrays:
        vals, cnts = np.unique(a, return_counts=True)
        for v, n in zip(vals.tolist(), cnts.tolist()):
            row = expected.setdefault(v, [0, 0, 0])
            row[0] += n
            row[1] += 1
            row[2] += a.size
    assert {v: list(r) for v, r in table.items()} == expected
    assert sum(r[0] for r in table.values()) == sum(a.size for a in arrays)


def test_no_overflow_beyond_2_32():
    """Counts stay exact far beyond 32-bit totals (int64 accumulators, Python ints in JSON)."""
    c = Counts()
    big = hist_from_array(np.zeros((10, 10), np.uint8))
    one = type(big)(big.values, np.array([3_000_000_000_000], dtype=np.int64), 3_000_000_000_000)
    for _ in range(1000):
        c.add(one)
    stats = Stats.from_counts(c)
    assert stats.pixel_counts == [3_000_000_000_000_000]
    assert stats.to_dict()["total_pixels"] == 3_000_000_000_000_000


def test_remap_merges_values_per_image():
    """Two values remapped onto one class count the image once, pixels added."""
    h = hist_from_array(np.array([[1, 1, 2], [3, 3, 3]], np.uint8))
    r = remap_hist(h, {1: 7, 2: 7})
    assert r.values.tolist() == [3, 7] and r.counts.tolist() == [3, 3]
    c = Counts()
    c.add(r)
    assert c.table()[7] == (3, 1, 6)


def test_stats_from_counts_ignore_and_unexpected():
    """Ignored values and out-of-range values are separated from the class vector."""
    c = Counts()
    c.add(hist_from_array(np.array([[0, 0, 1, 255], [9, 9, 9, -1]], np.int16)))
    s = Stats.from_counts(c, ignore_index=[255], num_classes=3)
    assert s.pixel_counts == [2, 1, 0]
    assert s.ignored_pixels == 1
    assert s.unexpected == {"-1": 1, "9": 3}
    derived = Stats.from_counts(c, ignore_index=[255])
    assert derived.num_classes == 10 and derived.unexpected == {"-1": 1}


def test_stats_merge_and_refusals():
    """Stats.merge adds exactly and refuses stats counted with other settings."""
    a = Stats([1, 2], [1, 1], [3, 3], num_images=1, total_pixels=3)
    b = Stats([0, 5, 7], [0, 1, 1], [0, 12, 12], num_images=1, total_pixels=12)
    m = a.merge(b)
    assert m.pixel_counts == [1, 7, 7] and m.image_counts == [1, 2, 1]
    assert m.total_pixels == 15 and m.num_images == 2
    with pytest.raises(Exception, match="ignore"):
        a.merge(Stats([1], [1], [1], ignore_index=[255]))
    with pytest.raises(Exception, match="num_classes"):
        Stats([1], [1], [1], options={"num_classes": 1}).merge(
            Stats([1, 1], [1, 1], [2, 2], options={"num_classes": 2}))


@pytest.mark.parametrize("values, ignore, hint", [
    ({0: 1, 3: 1, 255: 1}, [], 255),
    ({0: 1, 3: 1, 255: 1}, [255], None),
    ({0: 1, 255: 1}, [], None),  # binary 0/255 mask
    ({0: 1, 200: 1, 255: 1}, [], None),  # 255 not far above
    ({1: 1, 2: 1, 65535: 1}, [], 65535),
])
def test_suggest_ignore(values, ignore, hint):
    """The ignore hint fires only when 255/65535 stands far above real labels."""
    assert suggest_ignore(values, ignore) == hint


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(0, 600), min_size=0, max_size=300), st.integers(1, 40),
       st.integers(-5, 5))
def test_bincount_in_blocks_equals_one_bincount(values, block, lo):
    """Counting in blocks of any size gives np.bincount of the whole array exactly."""
    import maskstats.core.histogram as h

    flat = np.array(values, dtype=np.int64) + lo
    old = h.BINCOUNT_BLOCK
    h.BINCOUNT_BLOCK = block
    try:
        got = h.bincount_blocks(flat, lo)
    finally:
        h.BINCOUNT_BLOCK = old
    want = np.bincount(np.array(values, dtype=np.int64)) if values else np.zeros(0, np.int64)
    assert got.tolist() == want.tolist()
