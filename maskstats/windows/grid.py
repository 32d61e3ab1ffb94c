"""The window grid of a raster: where the windows of ``scan --window H[xW] --stride S[xT]`` lie.

Along each axis windows start at multiples of the stride; when the last one does not reach the
edge, one more window is added, shifted to end flush with it, so every pixel is covered and
every window has the full size. An axis shorter than the window holds one window of the
axis's own length. A stride larger than the window leaves gaps between windows and is refused
unless asked for (``gaps=True``).

Counting works on *cells*: the axis is cut at every window start and end, so each window is a
rectangle of whole cells and each pixel lies in exactly one cell. Cells are counted once
(:mod:`maskstats.windows.counts`); window counts are sums of cells, so overlapping windows
cost no second pass over the pixels and the whole-image totals never count a pixel twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from maskstats.errors import UsageProblem

_SIZE = re.compile(r"^\s*([+-]?\d+)\s*(?:[xX*]\s*([+-]?\d+)\s*)?$")


def parse_size(text: "str | int | tuple[int, int]", what: str = "--window") -> tuple[int, int]:
    """``"512"`` -> (512, 512), ``"512x1024"`` -> (512, 1024) (height x width); sizes >= 1."""
    if isinstance(text, (tuple, list)):
        if len(text) != 2:
            raise UsageProblem(f"{what} takes H or HxW, not {text!r}")
        h, w = (int(v) for v in text)
    elif isinstance(text, int):
        h = w = text
    else:
        m = _SIZE.match(str(text))
        if m is None:
            raise UsageProblem(f"{what} takes H or HxW (e.g. 512 or 512x1024), not {text!r}")
        h = int(m.group(1))
        w = int(m.group(2)) if m.group(2) is not None else h
    if h < 1 or w < 1:
        raise UsageProblem(f"{what} sizes must be at least 1 pixel, not {h}x{w}")
    return h, w


def axis_starts(length: int, size: int, stride: int) -> tuple[np.ndarray, int]:
    """The window starts along one axis of ``length`` pixels, and the window length there."""
    if length <= size:
        return np.zeros(1, np.int64), int(length)
    starts = np.arange(0, length - size + 1, stride, dtype=np.int64)
    if starts[-1] + size < length:  # the flush last window
        starts = np.append(starts, length - size)
    return starts, int(size)


@dataclass(frozen=True)
class WindowGrid:
    """Window size and stride, (height, width) each; ``gaps`` allows stride > size."""

    size: tuple[int, int]
    stride: tuple[int, int]
    gaps: bool = False

    @classmethod
    def of(cls, window, stride=None, gaps: bool = False) -> "WindowGrid":
        """Parse and check ``window`` and ``stride`` (default: the window, no overlap)."""
        size = parse_size(window, "--window")
        step = parse_size(stride, "--stride") if stride is not None else size
        if not gaps and (step[0] > size[0] or step[1] > size[1]):
            raise UsageProblem(f"--stride {step[0]}x{step[1]} is larger than --window "
                               f"{size[0]}x{size[1]}: pixels between windows would be in no "
                               "window; pass --allow-gaps if that is meant")
        return cls(size, step, gaps)

    def windows(self, height: int, width: int) -> "Windows":
        """The windows of a ``height`` x ``width`` raster."""
        ys, wh = axis_starts(height, self.size[0], self.stride[0])
        xs, ww = axis_starts(width, self.size[1], self.stride[1])
        return Windows(ys, xs, wh, ww, height, width)

    def record(self) -> dict:
        """The stats entry: ``{"size": [H, W], "stride": [S, T]}`` (+ ``gaps``)."""
        out = {"size": list(self.size), "stride": list(self.stride)}
        return {**out, "gaps": True} if self.gaps else out


@dataclass(frozen=True)
class Windows:
    """The windows of one raster: every start ``ys`` x every start ``xs``, row-major."""

    ys: np.ndarray
    xs: np.ndarray
    height: int  # of each window
    width: int
    raster_height: int
    raster_width: int

    def __len__(self) -> int:
        return self.ys.size * self.xs.size

    def cuts(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell boundaries along y and x: 0, every window start and end, the raster edge."""
        return (_cuts(self.ys, self.height, self.raster_height),
                _cuts(self.xs, self.width, self.raster_width))

    def positions(self) -> np.ndarray:
        """(n, 4) int64 rows ``y, x, height, width`` of the windows, row-major."""
        y = np.repeat(self.ys, self.xs.size)
        x = np.tile(self.xs, self.ys.size)
        n = y.size
        return np.stack([y, x, np.full(n, self.height, np.int64),
                         np.full(n, self.width, np.int64)], axis=1)


def _cuts(starts: np.ndarray, size: int, length: int) -> np.ndarray:
    return np.unique(np.concatenate([[0, length], starts, starts + size])).astype(np.int64)
