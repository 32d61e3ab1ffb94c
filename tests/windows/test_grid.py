"""The window grid and exact window counts, against loops and NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from windowtools import reference_starts

from maskstats.errors import UsageProblem
from maskstats.windows.counts import CellCounts, count_windows
from maskstats.windows.grid import WindowGrid, axis_starts, parse_size


@given(st.integers(1, 300), st.integers(1, 80), st.integers(1, 80))
@settings(max_examples=300, deadline=None)
def test_axis_starts_follow_the_rule(length, size, stride):
    """Starts are the stride multiples plus one flush window; every pixel is covered."""
    stride = min(stride, size)
    starts, n = axis_starts(length, size, stride)
    want, want_n = reference_starts(length, size, stride)
    assert starts.tolist() == want and n == want_n
    covered = np.zeros(length, bool)
    for s in starts.tolist():
        assert 0 <= s and s + n <= length
        covered[s:s + n] = True
    assert covered.all()


@pytest.mark.parametrize("text, want", [("512", (512, 512)), ("512x1024", (512, 1024)),
                                        (" 7 X 3 ", (7, 3)), (16, (16, 16)), ((4, 9), (4, 9))])
def test_parse_size(text, want):
    """H means HxH; HxW is height by width."""
    assert parse_size(text) == want


@pytest.mark.parametrize("text", ["0", "-4", "4x0", "3x-1", "abc", "4x", "1.5", ""])
def test_bad_sizes_are_usage_errors(text):
    """Zero, negative or malformed sizes are refused."""
    with pytest.raises(UsageProblem):
        parse_size(text)


def test_stride_above_window_needs_gaps():
    """A stride larger than the window is refused unless gaps are allowed."""
    with pytest.raises(UsageProblem, match="allow-gaps"):
        WindowGrid.of("8", "9x4")
    grid = WindowGrid.of("8", "9x4", gaps=True)
    assert grid.record() == {"size": [8, 8], "stride": [9, 4], "gaps": True}


def brute(a, ys, xs, h, w):
    """{(y, x): {value: pixels}} by np.unique on every window."""
    out = {}
    for y in ys:
        for x in xs:
            v, c = np.unique(a[y:y + h, x:x + w], return_counts=True)
            out[(y, x)] = dict(zip(v.tolist(), c.tolist()))
    return out


@pytest.mark.parametrize("dtype, top", [(np.uint8, 6), (np.uint16, 65535), (np.int32, 10)])
@pytest.mark.parametrize("shape, window, stride", [((37, 53), (10, 16), (7, 5)),
                                                   ((31, 29), (31, 29), (31, 29)),
                                                   ((5, 70), (8, 9), (3, 9)),
                                                   ((64, 48), (16, 16), (16, 16))])
def test_window_counts_match_numpy(dtype, top, shape, window, stride):
    """Every window's histogram and the whole-image histogram equal np.unique's."""
    rng = np.random.default_rng(sum(shape) + top)
    a = rng.integers(0, 7, shape).astype(dtype) * (top // 6)
    if dtype == np.int32:
        a[::3, ::4] = -5
    wins = WindowGrid.of(window, stride).windows(*shape)
    total, hists = count_windows(a, wins)
    ys, h = reference_starts(shape[0], window[0], stride[0])
    xs, w = reference_starts(shape[1], window[1], stride[1])
    want = brute(a, ys, xs, h, w)
    assert [tuple(p) for p in hists.positions.tolist()] == [(y, x, h, w) for (y, x) in want]
    for i, key in enumerate(want):
        values, counts = hists.window(i)
        assert dict(zip(values.tolist(), counts.tolist())) == want[key]
    v, c = np.unique(a, return_counts=True)
    assert total.values.tolist() == v.tolist() and total.counts.tolist() == c.tolist()
    assert total.pixels == a.size


def test_blocks_in_any_order_give_the_same_cells():
    """Counting a raster in tiles (any order) equals counting it whole."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 300, (45, 61)).astype(np.uint16)
    wins = WindowGrid.of("12x20", "9x14").windows(*a.shape)
    whole = count_windows(a, wins)[1]
    cells = CellCounts(*a.shape, wins)
    tiles = [(y, x) for y in range(0, 45, 16) for x in range(0, 61, 16)]
    for y, x in reversed(tiles):
        cells.add(y, x, a[y:y + 16, x:x + 16])
    tiled = cells.window_hists()
    assert cells.seen == a.size
    for name in ("positions", "rows", "values", "counts"):
        assert getattr(tiled, name).tolist() == getattr(whole, name).tolist()
