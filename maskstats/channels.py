"""Counting one-hot and multi-label arrays: a last axis of C channels, one per class.

A batch arrives as an array of shape (B, P, C): B images of P pixels and C channels. The
channels of a pixel are first turned into booleans (one-hot: the value is 1; multi-label:
the value is not 0), after checking the values (SPEC "Arrays": one-hot values are 0 or 1,
non-integral values are an error, nothing is guessed).

With C <= 16 the C booleans of a pixel are packed into one small integer code and each image
is counted with one ``np.bincount`` of the codes: code 0 is an unlabelled pixel, a code with
one bit set is a pixel of that class, a code with several bits an overlap. That is one pass
over 1-2 bytes per pixel, no float sums (a float32 ``arr.sum(axis=(0,1,2))`` is slower, and
float sums are not exact counts). With more channels, booleans are summed per image in
uint16/int64, and overlap pixels (rare) are subtracted from the class counts.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from maskstats.errors import UnreadableMask
from maskstats.histogram import ImageHist

#: up to this many channels a pixel's channels are packed into one integer code
MAX_CODE_CHANNELS = 16


def count_channels(path: str, batch: np.ndarray, *, one_hot: bool,
                   first: int = 0) -> list[ImageHist]:
    """One :class:`ImageHist` per image of a (B, P, C) batch; values are class ids.

    One-hot histograms carry ``extra = {"unlabelled_pixels": n, "overlap_pixels": n}``:
    pixels whose channels sum to 0 or to more than 1. They are left out of the class counts
    but stay in ``pixels``. ``first`` is the index of the batch's first image (for errors).
    """
    on = _booleans(path, batch, one_hot, first)
    b, p, c = on.shape
    if c <= MAX_CODE_CHANNELS:
        per_class, unlabelled, overlap = _by_codes(on, one_hot)
    else:
        per_class, unlabelled, overlap = _by_sums(on, one_hot)
    out = []
    for i in range(b):
        classes = np.flatnonzero(per_class[i])
        extra = None
        if one_hot:
            extra = {"unlabelled_pixels": int(unlabelled[i]), "overlap_pixels": int(overlap[i])}
        out.append(ImageHist(classes.astype(np.int64), per_class[i][classes], p, extra))
    return out


def _booleans(path: str, batch: np.ndarray, one_hot: bool, first: int) -> np.ndarray:
    """Channel on/off as booleans, after checking the values (error names file and image)."""
    if batch.dtype == np.bool_:
        return batch
    if one_hot:
        on = batch == 1
        if np.count_nonzero(batch) != np.count_nonzero(on):  # some value is not 0 or 1
            bad = ~(on | (batch == 0))
            _fail(path, batch, bad, first, "one-hot values must be 0 or 1")
        return on
    if batch.dtype.kind == "f":
        bad = ~np.isfinite(batch)
        bad[~bad] = batch[~bad] != np.trunc(batch[~bad])
        if bad.any():
            _fail(path, batch, bad, first, "multi-label channels must hold whole numbers "
                  "(0 = off, anything else = on)")
    return batch != 0


def _fail(path: str, batch: np.ndarray, bad: np.ndarray, first: int, rule: str) -> None:
    i, pixel, channel = np.unravel_index(int(np.flatnonzero(bad)[0]), bad.shape)
    value = batch[i, pixel, channel].item()
    kind = "non-integral value" if isinstance(value, float) and not float(value).is_integer() \
        else "value"
    raise UnreadableMask(path, f"{rule}: {kind} {value!r} in image {first + int(i)}, "
                         f"channel {int(channel)}")


@lru_cache(maxsize=None)
def _code_tables(c: int) -> tuple[np.ndarray, np.ndarray]:
    """For every code of c bits: its bits as a (2^c, c) int64 matrix, and its popcount."""
    codes = np.arange(1 << c, dtype=np.int64)
    bits = (codes[:, None] >> np.arange(c)) & 1
    return bits, bits.sum(axis=1)


def _by_codes(on: np.ndarray, one_hot: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b, p, c = on.shape
    dtype = np.uint8 if c <= 8 else np.uint16
    code = np.zeros((b, p), dtype)
    for ch in range(c):
        code |= on[:, :, ch].view(np.uint8).astype(dtype) << dtype(ch)
    bits, popcount = _code_tables(c)
    table = np.stack([np.bincount(code[i], minlength=1 << c) for i in range(b)])
    if one_hot:  # only pixels with exactly one channel on count for their class
        single = popcount == 1
        per_class = table[:, single] @ bits[single]
    else:  # every channel that is on counts
        per_class = table @ bits
    return per_class, table[:, 0], table[:, popcount > 1].sum(axis=1)


def _by_sums(on: np.ndarray, one_hot: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = on.shape[2]
    k = on.sum(axis=2, dtype=np.uint16 if c < (1 << 16) else np.int64)
    per_class = on.sum(axis=1, dtype=np.int64)
    many = k > 1
    if one_hot:
        for i in np.flatnonzero(many.any(axis=1)):
            per_class[i] -= on[i][many[i]].sum(axis=0, dtype=np.int64)
    return per_class, np.count_nonzero(k == 0, axis=1), np.count_nonzero(many, axis=1)
