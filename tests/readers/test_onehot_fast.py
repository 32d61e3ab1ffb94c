"""The streaming one-hot check for many float channels: exact, or it hands over the batch."""

from __future__ import annotations

import numpy as np
import pytest

from maskstats.readers.channels import FAST_CHANNELS, _one_hot_floats, count_channels
from maskstats.errors import UnreadableMask


def one_hot(rng, b: int, p: int, c: int, dtype=np.float32, unlabelled: float = 0.1):
    """(b, p, c) one-hot floats with some all-zero pixels, and the class of each pixel."""
    cls = rng.integers(0, c, (b, p))
    a = np.eye(c, dtype=dtype)[cls]
    empty = rng.random((b, p)) < unlabelled
    a[empty] = 0
    cls[empty] = -1
    return a, cls


def expected(cls: np.ndarray, c: int):
    """Per-image class counts and unlabelled pixels straight from the class map."""
    per_class = np.stack([np.bincount(row[row >= 0], minlength=c) for row in cls])
    return per_class, (cls < 0).sum(axis=1)


@pytest.mark.parametrize("c", [FAST_CHANNELS, 64, 150, 256])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_counts_exactly(c, dtype):
    """Clean one-hot floats take the streaming path and count exactly per image."""
    rng = np.random.default_rng(c)
    a, cls = one_hot(rng, 3, 500, c, dtype)
    fast = _one_hot_floats(a)
    assert fast is not None
    per_class, unlabelled = expected(cls, c)
    np.testing.assert_array_equal(fast[0], per_class)
    np.testing.assert_array_equal(fast[1], unlabelled)
    np.testing.assert_array_equal(fast[2], 0)
    hists = count_channels("x.npy", a, one_hot=True)
    assert [h.extra["unlabelled_pixels"] for h in hists] == unlabelled.tolist()


BAD_VALUES = {
    "half": 0.5, "tiny power of two": 2.0 ** -30, "smallest subnormal": 2.0 ** -149,
    "two": 2.0, "just above one": float(np.nextafter(np.float32(1), np.float32(2))),
    "just below one": float(np.nextafter(np.float32(1), np.float32(0))), "minus one": -1.0,
    "nan": float("nan"), "infinity": float("inf"),
}


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
@pytest.mark.parametrize("where", ["on a zero", "on the one", "pixel of halves"])
def test_any_other_value_is_refused(name, where):
    """One value other than 0/1 anywhere (added to a one, a zero, or two halves) is an error."""
    rng = np.random.default_rng(1)
    a, _ = one_hot(rng, 2, 300, 40)
    value = np.float32(BAD_VALUES[name])
    if where == "on a zero":
        a[1, 17, (np.argmax(a[1, 17]) + 1) % 40] = value
    elif where == "on the one":
        a[1, 17] = 0
        a[1, 17, 3] = value
    else:  # the pixel sums to 1 with two values
        a[1, 17] = 0
        a[1, 17, 3] = value
        a[1, 17, 5] = np.float32(1) - value if np.isfinite(value) else value
    if where == "pixel of halves" and name == "half":  # 0.5 + 0.5: sums to one, still bad
        assert a[1, 17].sum() == 1
    assert _one_hot_floats(a) is None
    with pytest.raises(UnreadableMask, match="one-hot values must be 0 or 1"):
        count_channels("x.npy", a, one_hot=True)


def test_minus_zero_is_zero_and_overlaps_go_to_the_general_path():
    """-0.0 and pixels with two classes are handed over, and counted as the general path does."""
    rng = np.random.default_rng(2)
    a, cls = one_hot(rng, 2, 300, 40)
    a[0, 5] = -0.0
    cls[0, 5] = -1
    assert _one_hot_floats(a) is None
    hists = count_channels("x.npy", a, one_hot=True)
    per_class, unlabelled = expected(cls, 40)
    assert [h.extra["unlabelled_pixels"] for h in hists] == unlabelled.tolist()
    a[1, 7, :2] = 1  # an overlap pixel: left out of the class counts
    cls[1, 7] = -2
    assert _one_hot_floats(a) is None
    hists = count_channels("x.npy", a, one_hot=True)
    assert [h.extra["overlap_pixels"] for h in hists] == [0, 1]
    for h, row in zip(hists, cls):
        want = np.bincount(row[row >= 0], minlength=40)
        assert dict(zip(h.values.tolist(), h.counts.tolist())) == {
            i: int(n) for i, n in enumerate(want) if n}


@pytest.mark.parametrize("c", [9, FAST_CHANNELS - 1, 257])
def test_other_channel_counts_take_the_general_path(c):
    """Below 32 or above 256 channels the packed-code path counts, with the same results."""
    rng = np.random.default_rng(c)
    a, cls = one_hot(rng, 2, 200, c)
    assert _one_hot_floats(a) is None
    per_class, unlabelled = expected(cls, c)
    hists = count_channels("x.npy", a, one_hot=True)
    assert [h.extra["unlabelled_pixels"] for h in hists] == unlabelled.tolist()
    for h, want in zip(hists, per_class):
        assert dict(zip(h.values.tolist(), h.counts.tolist())) == {
            i: int(n) for i, n in enumerate(want) if n}
