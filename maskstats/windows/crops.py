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
  c-pixel over ``Py Px``, counted exactly with sliding bitwise ORs (64 classes at a time).

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
    if label.size == 0:
        empty = np.zeros(0, _I64)
        return CropCounts(empty, empty, empty, positions)
    if int(b.sum()) >= _EXACT:
        raise ValueError("image too wide for exact crop weights")
    if label.dtype == np.uint8:  # the stored values index the 256 bins directly
        values, index, m = np.arange(256, dtype=_I64), label, 256
    else:
        values, index = compact(label)
        m = values.size
    keys = (np.arange(height, dtype=np.intp)[:, None] * m + index).reshape(-1)
    weighted = np.bincount(keys, weights=np.broadcast_to(b.astype(np.float64),
                                                         label.shape).reshape(-1),
                           minlength=height * m).reshape(height, m)
    per_row = np.rint(weighted).astype(_I64)  # integers below 2**53: carried exactly
    expected = a @ per_row
    found = np.flatnonzero(expected)  # every present value is in some crop
    return CropCounts(values[found], expected[found], _presence(index, found, h, w),
                      positions)


def _presence(index: np.ndarray, found: np.ndarray, h: int, w: int) -> np.ndarray:
    """How many h x w crop positions hold a pixel of each value index in ``found``.

    Each pixel sets one bit of a word for its value (up to 64 values per pass, in the
    narrowest unsigned type that holds them); the OR over every crop is a sliding OR along
    rows, then along columns (van Herk / Gil-Werman: prefix and suffix ORs per block of the
    crop length, the same few passes whatever the crop size), and each bit counts the crops
    holding its value.
    """
    out = np.zeros(found.size, _I64)
    size = int(index.max()) + 1
    for group in range(0, found.size, 64):
        chosen = found[group:group + 64]
        dtype = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                     if np.iinfo(t).bits >= chosen.size)
        lut = np.zeros(size, dtype)
        lut[chosen] = np.left_shift(dtype(1), np.arange(chosen.size, dtype=dtype))
        held = _sliding_or(_sliding_or(lut[index], w, 1), h, 0)
        for j in range(chosen.size):
            out[group + j] = np.count_nonzero(held & dtype(1 << j))
    return out


def _sliding_or(a: np.ndarray, k: int, axis: int) -> np.ndarray:
    """The OR of every run of ``k`` consecutive entries along ``axis`` 0 or 1 of a 2-D array
    (n - k + 1 of them): prefix and suffix ORs within blocks of ``k``, no copy of views."""
    n = a.shape[axis]
    blocks = -(-n // k)
    shape = (blocks * k, a.shape[1]) if axis == 0 else (a.shape[0], blocks * k)
    padded = np.zeros(shape, a.dtype)
    if axis == 0:
        padded[:n] = a
        shaped = padded.reshape(blocks, k, a.shape[1])
        step = 1
    else:
        padded[:, :n] = a
        shaped = padded.reshape(a.shape[0], blocks, k)
        step = 2
    prefix = np.bitwise_or.accumulate(shaped, axis=step)
    suffix = np.empty_like(shaped)
    flip = (slice(None),) * step + (slice(None, None, -1),)
    np.bitwise_or.accumulate(shaped[flip], axis=step, out=suffix[flip])
    prefix, suffix = prefix.reshape(shape), suffix.reshape(shape)
    if axis == 0:
        return suffix[:n - k + 1] | prefix[k - 1:n]
    return suffix[:, :n - k + 1] | prefix[:, k - 1:n]
