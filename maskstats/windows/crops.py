"""Crop-aware statistics: what one uniformly random H x W crop of an image holds, exactly.

Training samples crops, so the class balance a loss sees is the one inside crops, where
pixels near the border are rarer than in the whole image (a pixel in a corner is in one crop
position, one in the middle in up to H x W). For an image of ``Hi x Wi`` pixels and a crop of
``h x w`` (an axis shorter than the crop is taken whole: ``h = min(H, Hi)``), all
``Py x Px`` positions (``Py = Hi - h + 1``) are equally likely and

* the expected number of class-c pixels in the crop is ``sum over c-pixels (y, x) of
  a(y) b(x) / (Py Px)``, where ``a(y)`` (``b(x)``) is the number of crop rows (columns)
  covering row y (column x): coverage weights are *separable*, so the numerator is an exact
  integer computed from one weighted histogram per row;
* the probability that the crop holds class c is the number of positions whose crop holds a
  c-pixel over ``Py Px``, counted exactly with running sums over the class's bounding box.

Both come back as exact integer numerators over the integer ``Py Px`` (:class:`CropCounts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_I64 = np.int64
#: float64 carries the per-row weighted sums exactly below this (checked, never rounded)
_EXACT = 1 << 53


@dataclass(frozen=True)
class CropCounts:
    """One image under one crop size: for each stored value, ``expected[i] / positions``
    pixels in a random crop and ``presence[i] / positions`` the chance a crop holds it."""

    values: np.ndarray
    expected: np.ndarray
    presence: np.ndarray
    positions: int


def coverage(length: int, size: int) -> np.ndarray:
    """``a(y)``: how many of the crop positions along an axis cover each of its pixels."""
    size = min(size, length)
    places = length - size + 1
    y = np.arange(length, dtype=_I64)
    return np.minimum(y, places - 1) - np.maximum(0, y - size + 1) + 1


def compact(label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each pixel's value in them) of a 2-D label."""
    if label.dtype in (np.uint8, np.uint16, np.bool_):
        flat = label.reshape(-1).view(np.uint8) if label.dtype == np.bool_ else label.reshape(-1)
        found = np.flatnonzero(np.bincount(flat))
        lut = np.zeros(int(found[-1]) + 1 if found.size else 1, np.intp)
        lut[found] = np.arange(found.size)
        return found.astype(_I64), lut[label.view(np.uint8) if label.dtype == np.bool_
                                         else label]
    values, inverse = np.unique(label, return_inverse=True)
    return values.astype(_I64), inverse.reshape(label.shape)


def crop_counts(label: np.ndarray, size: tuple[int, int]) -> CropCounts:
    """The exact crop statistics of one 2-D label image for crops of ``size`` (h, w)."""
    height, width = label.shape
    h, w = min(size[0], height), min(size[1], width)
    a, b = coverage(height, h), coverage(width, w)
    positions = (height - h + 1) * (width - w + 1)
    values, index = compact(label)
    m = values.size
    if label.size == 0:
        empty = np.zeros(0, _I64)
        return CropCounts(empty, empty, empty, positions)
    if int(b.sum()) >= _EXACT:
        raise ValueError("image too wide for exact crop weights")
    keys = (np.arange(height, dtype=np.intp)[:, None] * m + index).reshape(-1)
    weighted = np.bincount(keys, weights=np.broadcast_to(b.astype(np.float64),
                                                         label.shape).reshape(-1),
                           minlength=height * m).reshape(height, m)
    per_row = np.rint(weighted).astype(_I64)  # integers below 2**53: carried exactly
    expected = a @ per_row
    rows = per_row > 0
    presence = np.array([_positions_holding(index, j, rows[:, j], h, w) for j in range(m)],
                        dtype=_I64)
    return CropCounts(values, expected, presence, positions)


def _span(present: np.ndarray, size: int, length: int) -> tuple[int, int]:
    """The first and last crop start (along one axis) whose crop meets a present line."""
    where = np.flatnonzero(present)
    return max(0, int(where[0]) - size + 1), min(length - size, int(where[-1]))


def _positions_holding(index: np.ndarray, j: int, rows: np.ndarray, h: int, w: int) -> int:
    """How many h x w crop positions hold at least one pixel of value index ``j`` (the
    rows holding it given; only crops around its bounding box are looked at)."""
    y0, y1 = _span(rows, h, index.shape[0])
    band = index[y0:y1 + h] == j
    x0, x1 = _span(band.any(axis=0), w, index.shape[1])
    part = band[:, x0:x1 + w]
    run = np.zeros((part.shape[0], part.shape[1] + 1), np.int32)
    np.cumsum(part, axis=1, dtype=np.int32, out=run[:, 1:])
    row_any = (run[:, w:] - run[:, :-w]) > 0  # (rows, x starts): the row's w-run holds j
    run = np.zeros((row_any.shape[0] + 1, row_any.shape[1]), np.int32)
    np.cumsum(row_any, axis=0, dtype=np.int32, out=run[1:])
    return int(np.count_nonzero(run[h:] - run[:-h]))
