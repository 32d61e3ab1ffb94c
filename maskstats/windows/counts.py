"""Exact per-window counts of one raster, from its pixels seen once (block by block).

:class:`CellCounts` keeps one histogram per *cell* of the window grid (see
:mod:`maskstats.windows.grid`: the axes cut at every window start and end). Blocks of the
raster (a whole decoded image, or the tiles/strips of a huge TIFF read one at a time) are
added as they come; a block is cut along the cell boundaries and each piece is counted with
the exact integer kernels of :mod:`maskstats.core.histogram`. The whole-image histogram is
the sum of the cells; a window's histogram is the sum of the cells it spans, taken from 2-D
prefix sums, so overlapping windows never cost a second pass over the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from maskstats.core.histogram import ImageHist, hist_from_array, hist_from_bins
from maskstats.windows.grid import Windows

_I64 = np.int64
#: up to this many cells, 8-bit pieces are counted into dense 256-bin rows (16 MiB)
DENSE_CELLS = 1 << 13


@dataclass(frozen=True)
class WindowHists:
    """Exact histograms of the windows of one image, sparse.

    ``positions`` (n, 4): ``y, x, height, width`` per window (row-major); ``rows``,
    ``values``, ``counts``: the non-zero (window, value, pixels) triples, sorted by window.
    """

    positions: np.ndarray
    rows: np.ndarray
    values: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def map_values(self, mapping: Callable[[np.ndarray], np.ndarray]) -> "WindowHists":
        """The histograms with every value v counted under ``mapping(values)`` (vectorised;
        values mapped together add up within each window)."""
        if self.values.size == 0:
            return self
        new = np.asarray(mapping(self.values), dtype=_I64)
        order = np.lexsort((new, self.rows))
        rows, new, counts = self.rows[order], new[order], self.counts[order]
        starts = np.flatnonzero(np.r_[True, (rows[1:] != rows[:-1]) | (new[1:] != new[:-1])])
        return WindowHists(self.positions, rows[starts], new[starts],
                           np.add.reduceat(counts, starts))

    def window(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(values, counts) of window ``i``."""
        a, b = np.searchsorted(self.rows, [i, i + 1])
        return self.values[a:b], self.counts[a:b]


class CellCounts:
    """Histograms of the cells of a ``height`` x ``width`` raster, fed with :meth:`add`.

    ``windows=None`` keeps a single cell: the whole-image histogram of a raster read in
    blocks.
    """

    def __init__(self, height: int, width: int, windows: Windows | None = None):
        self.height, self.width, self.grid = int(height), int(width), windows
        if windows is not None:
            self.cy, self.cx = windows.cuts()
        else:
            self.cy = np.array([0, self.height], _I64)
            self.cx = np.array([0, self.width], _I64)
        self.values = np.zeros(0, _I64)  # sorted stored values seen so far
        self.cells = np.zeros((self.cy.size - 1, self.cx.size - 1, 0), _I64)
        self.seen = 0
        #: 8-bit pieces add their 256 bins to dense per-cell bins (when those stay small),
        #: folded into the sparse cells by :meth:`fold`
        self.cells8: np.ndarray | None = None

    def add(self, y0: int, x0: int, block: np.ndarray) -> None:
        """Count the 2-D ``block`` whose top-left pixel is (``y0``, ``x0``)."""
        h, w = block.shape
        dense = block.dtype == np.uint8 and self.cells.shape[0] * self.cells.shape[1] <= \
            DENSE_CELLS
        if dense and self.cells8 is None:
            self.cells8 = np.zeros(self.cells.shape[:2] + (256,), _I64)
        for iy, a, b in _pieces(self.cy, y0, h):
            for ix, c, d in _pieces(self.cx, x0, w):
                if dense and b > a and d > c:
                    self.cells8[iy, ix] += pil_bins(block[a:b, c:d])
                    continue
                hist = piece_hist(block[a:b, c:d])
                self._put(iy, ix, hist.values, hist.counts)
        self.seen += h * w

    def fold(self) -> None:
        """Move the dense 8-bit bins into the sparse cells (before reading them)."""
        if self.cells8 is None:
            return
        found = np.flatnonzero(self.cells8.any(axis=(0, 1)))
        if found.size:
            self._grow(found.astype(_I64))
            cols = np.searchsorted(self.values, found)
            self.cells[:, :, cols] += self.cells8[:, :, found]
        self.cells8 = None

    def _put(self, iy: int, ix: int, values: np.ndarray, counts: np.ndarray) -> None:
        if values.size == 0:
            return
        cols = np.searchsorted(self.values, values)
        if (cols >= self.values.size).any() or (self.values[np.minimum(
                cols, self.values.size - 1)] != values).any():
            self._grow(values)
            cols = np.searchsorted(self.values, values)
        self.cells[iy, ix, cols] += counts

    def _grow(self, values: np.ndarray) -> None:
        merged = np.union1d(self.values, values).astype(_I64)
        cells = np.zeros(self.cells.shape[:2] + (merged.size,), _I64)
        cells[:, :, np.searchsorted(merged, self.values)] = self.cells
        self.values, self.cells = merged, cells

    def total(self) -> ImageHist:
        """The exact histogram of the pixels added (every pixel once)."""
        self.fold()
        counts = self.cells.sum(axis=(0, 1), dtype=_I64)
        keep = counts > 0
        return ImageHist(self.values[keep], counts[keep], self.seen)

    def window_hists(self) -> WindowHists:
        """The exact histograms of the windows (sums of the cells each one spans)."""
        win = self.grid
        if win is None:
            raise ValueError("CellCounts without windows")
        self.fold()
        prefix = np.zeros((self.cy.size, self.cx.size, self.values.size), _I64)
        np.cumsum(np.cumsum(self.cells, axis=0, dtype=_I64), axis=1, dtype=_I64,
                  out=prefix[1:, 1:])
        y0 = np.searchsorted(self.cy, win.ys)
        y1 = np.searchsorted(self.cy, win.ys + win.height)
        x0 = np.searchsorted(self.cx, win.xs)
        x1 = np.searchsorted(self.cx, win.xs + win.width)
        dense = (prefix[y1][:, x1] - prefix[y0][:, x1] - prefix[y1][:, x0]
                 + prefix[y0][:, x0]).reshape(len(win), self.values.size)
        rows, cols = np.nonzero(dense)
        return WindowHists(win.positions(), rows.astype(_I64), self.values[cols],
                           dense[rows, cols])


def piece_hist(piece: np.ndarray) -> ImageHist:
    """Exact histogram of a 2-D piece; 8-bit pieces through Pillow's C histogram (about
    twice as fast as ``np.bincount``, which widens every pixel to 64 bits first)."""
    if piece.dtype != np.uint8 or piece.size == 0:
        return hist_from_array(piece)
    return hist_from_bins(pil_bins(piece), piece.size)


def pil_bins(piece: np.ndarray) -> list[int]:
    """The 256 bins of a non-empty 2-D uint8 array, by Pillow's C histogram."""
    from PIL import Image

    piece = np.ascontiguousarray(piece)
    h, w = piece.shape
    return Image.frombuffer("L", (w, h), piece, "raw", "L", 0, 1).histogram()


def _pieces(cuts: np.ndarray, start: int, length: int):
    """(cell index, begin, end) of the parts of [start, start + length) in each cell,
    begin/end relative to ``start``."""
    first = int(np.searchsorted(cuts, start, side="right")) - 1
    end = start + length
    i = first
    while i < cuts.size - 1 and cuts[i] < end:
        yield i, int(max(cuts[i], start) - start), int(min(cuts[i + 1], end) - start)
        i += 1


def count_windows(label: np.ndarray, windows: Windows) -> tuple[ImageHist, WindowHists]:
    """Whole-image histogram and window histograms of one decoded 2-D label image."""
    cells = CellCounts(label.shape[0], label.shape[1], windows)
    cells.add(0, 0, label)
    return cells.total(), cells.window_hists()
