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
    return CropCounts(values, expected, _presence(index, m, h, w), positions)


def _presence(index: np.ndarray, m: int, h: int, w: int) -> np.ndarray:
    """How many h x w crop positions hold a pixel of each value index 0..m-1.

    Each pixel sets bit j of a 64-bit word for its value index j (64 values at a time); the
    OR over every crop is a sliding OR along rows, then along columns (van Herk / Gil-Werman:
    prefix and suffix ORs per block of the window length, three passes whatever the crop
    size), and each bit counts the crops holding its value.
    """
    out = np.zeros(m, _I64)
    for group in range(0, m, 64):
        shifted = index - group
        inside = (shifted >= 0) & (shifted < 64)
        bits = np.where(inside, np.left_shift(np.uint64(1), np.clip(shifted, 0, 63)
                                              .astype(np.uint64)), np.uint64(0))
        held = _sliding_or(_sliding_or(bits, w, 1), h, 0)
        for j in range(min(64, m - group)):
            out[group + j] = np.count_nonzero(held & np.uint64(1 << j))
    return out


def _sliding_or(a: np.ndarray, k: int, axis: int) -> np.ndarray:
    """The OR of every run of ``k`` consecutive entries along ``axis`` (n - k + 1 of them)."""
    a = np.moveaxis(a, axis, -1)
    n = a.shape[-1]
    blocks = -(-n // k)
    padded = np.zeros(a.shape[:-1] + (blocks * k,), a.dtype)
    padded[..., :n] = a
    shaped = padded.reshape(a.shape[:-1] + (blocks, k))
    prefix = np.bitwise_or.accumulate(shaped, axis=-1).reshape(padded.shape)
    suffix = np.bitwise_or.accumulate(shaped[..., ::-1], axis=-1)[..., ::-1].reshape(
        padded.shape)
    return np.moveaxis(suffix[..., :n - k + 1] | prefix[..., k - 1:n], -1, axis)
