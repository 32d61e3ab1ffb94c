"""Counting one-hot and multi-label arrays: a last axis of C channels, one per class.

A batch arrives as an array of shape (B, P, C): B images of P pixels and C channels. The
channels of a pixel are first turned into booleans (one-hot: the value is 1; multi-label:
the value is not 0), after checking the values (one-hot values are 0 or 1,
non-integral values are an error, nothing is guessed).

The booleans of up to 8 channels are packed into one byte per pixel (a *code*), and each
image is counted with one ``np.bincount`` of its codes: code 0 is a pixel with none of those
channels, a code with one bit set a pixel of that class, a code with several bits an
overlap. With more than 8 channels the codes of each group of 8 are counted the same way,
and the number of channels set per pixel (summed popcounts) decides which pixels are
unlabelled, single-class or overlapping. Per element that is a compare and a shift, with
no float sums: float sums are not exact counts, and a float32 ``arr.sum(axis=(0,1,2))`` is
slower.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from maskstats.errors import UnreadableMask
from maskstats.core.histogram import ImageHist

GROUP = 8  # channels packed into one uint8 code


def count_channels(path: str, batch: np.ndarray, *, one_hot: bool,
                   first: int = 0) -> list[ImageHist]:
    """One :class:`ImageHist` per image of a (B, P, C) batch; values are class ids.

    One-hot histograms carry ``extra = {"unlabelled_pixels": n, "overlap_pixels": n}``:
    pixels whose channels sum to 0 or to more than 1. They are left out of the class counts
    but stay in ``pixels``. ``first`` is the index of the batch's first image (for errors).
    """
    fast = _one_hot_floats(batch) if one_hot else None
    if fast is None:
        on = _booleans(path, batch, one_hot, first)
        fast = _count_codes(on, one_hot)
    per_class, unlabelled, overlap = fast
    b, p, _ = batch.shape
    out = []
    for i in range(b):
        classes = np.flatnonzero(per_class[i])
        extra = None
        if one_hot:
            extra = {"unlabelled_pixels": int(unlabelled[i]), "overlap_pixels": int(overlap[i])}
        out.append(ImageHist(classes.astype(np.int64), per_class[i][classes], p, extra))
    return out


#: float dtype -> (unsigned int of the same size, the bit pattern of 1.0)
_ONE_BITS = {np.dtype(np.float32): (np.uint32, 0x3F800000),
             np.dtype(np.float64): (np.uint64, 0x3FF0000000000000)}
FAST_CHANNELS = 32  # below, the packed-code path is as fast (benchmarks/arrays_speed.py)
_BLOCK_BYTES = 1 << 20  # the streaming one-hot check reads blocks of ~1 MB, four times each


def _one_hot_floats(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Counts of a float one-hot batch with 32-256 channels in four streaming passes, or None.

    None (the caller then takes the general path, which also names a bad value) unless the
    batch is proven to hold only 0.0 and 1.0 and no pixel has two channels on:

    1. OR of all bit patterns is a subset of 1.0's: every value is +0.0 or a power of two
       2^-j <= 1 (no sign, no mantissa bits, exponent at most 1.0's).
    2. Per-pixel sums k (``einsum``, float): a pixel of n non-zero values sums exactly to n
       if they are all 1.0, and to at most n - 1/2 otherwise; the rounding error of a sum of
       at most 256 values <= 1 is below 256 * 255 * 2^-24 < 0.004, so an integral computed k
       is n for a good pixel and at most n - 1 for a pixel holding another value.
    3. All k integral and their total equal to the count of non-zero bit patterns: so no
       pixel holds another value, i.e. every value is exactly 0.0 or 1.0.
    4. Per-image channel sums (``einsum``) are then exact counts (fewer than 2^24 pixels).

    The general path costs a compare, packs and popcounts per group of 8 channels; this one
    reads each block of ~1 MB four times (from the cache after the first) with no
    per-element temporaries (docs/speed.md).
    """
    b, p, c = batch.shape
    if batch.dtype not in _ONE_BITS or not FAST_CHANNELS <= c <= 256 or p >= 1 << 24 \
            or batch.strides[2] != batch.itemsize:
        return None
    uint, one = _ONE_BITS[batch.dtype]
    step = max(1, _BLOCK_BYTES // (c * batch.itemsize))  # blocks that stay in the cache
    per_class, unlabelled = np.zeros((b, c), np.int64), np.zeros(b, np.int64)
    for lo in range(0, p, step):
        block = batch[:, lo:lo + step]
        bits = block.view(uint)
        if int(np.bitwise_or.reduce(bits, axis=None)) & ~one:
            return None
        per_pixel = np.einsum("bpc->bp", block)
        if not np.array_equal(np.rint(per_pixel), per_pixel):
            return None
        on = per_pixel.astype(np.int64)
        if int(on.sum()) != np.count_nonzero(bits) or (on > 1).any():
            return None  # a value other than 0/1, or pixels of two classes: general path
        per_class += np.einsum("bpc->bc", block).astype(np.int64)
        unlabelled += np.count_nonzero(on == 0, axis=1)
    return per_class, unlabelled, np.zeros(b, np.int64)


def _booleans(path: str, batch: np.ndarray, one_hot: bool, first: int) -> np.ndarray:
    """Channel on/off as booleans, after checking the values (error names file and image)."""
    if batch.dtype == np.bool_:
        return batch
    if one_hot:
        on = batch == 1
        # every non-zero value must be a 1; a float32 is non-zero when its bits are (a fast
        # integer count), but -0.0 is zero with a bit set, so a mismatch is checked again
        bits = batch.view(np.uint32) if batch.dtype == np.float32 else batch
        if np.count_nonzero(bits) != np.count_nonzero(on) and \
                np.count_nonzero(batch) != np.count_nonzero(on):
            _fail(path, batch, ~(on | (batch == 0)), first, "one-hot values must be 0 or 1")
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
def _code_tables() -> tuple[np.ndarray, np.ndarray]:
    """For each of the 256 codes: its 8 bits as a (256, 8) int64 matrix, and its popcount."""
    codes = np.arange(1 << GROUP, dtype=np.int64)
    bits = (codes[:, None] >> np.arange(GROUP)) & 1
    return bits, bits.sum(axis=1).astype(np.uint8)


#: (bytes b0..b7, each 0 or 1, read as one little-endian uint64) * _GATHER >> 56 is the byte
#: b0 + 2 b1 + 4 b2 + ... + 128 b7: the multiply moves byte i's bit to bit 56 + i, and the
#: other partial products land outside bits 56..63 without carrying into them
_GATHER = np.uint64(0x0102040810204080)


def _code(on: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Channels lo..hi-1 (at most 8) of every pixel packed into one uint8 per pixel."""
    b, p, c = on.shape
    start = hi - GROUP if c >= GROUP else -1  # 8 channels ending at hi, read as one uint64
    if start >= 0 and on.strides[2] == 1 and np.little_endian:
        eight = on[:, :, start:hi].view(np.uint64)[:, :, 0]
        return ((eight * _GATHER) >> np.uint64(56 + lo - start)).astype(np.uint8)
    code = np.zeros((b, p), np.uint8)
    for bit, ch in enumerate(range(lo, hi)):
        code |= on[:, :, ch].view(np.uint8) << np.uint8(bit)
    return code


def _popcount(code: np.ndarray) -> np.ndarray:
    """Bits set in each uint8 (NumPy 2's SIMD bitwise_count when there is one)."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(code)
    return _code_tables()[1][code]


def _tables(code: np.ndarray) -> np.ndarray:
    """(B, 256) pixel counts of each code, per image."""
    return np.stack([np.bincount(row, minlength=1 << GROUP) for row in code])


def _count_codes(on: np.ndarray, one_hot: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per image: pixels of each class, unlabelled pixels, overlapping pixels."""
    _, _, c = on.shape
    bits, popcount = _code_tables()
    if c <= GROUP:  # one code holds every channel: the table says everything
        table = _tables(_code(on, 0, c))
        # one-hot: only pixels with exactly one channel on count; multi-label: every channel
        weight = bits * (popcount == 1)[:, None] if one_hot else bits
        return (table @ weight)[:, :c], table[:, 0], table[:, popcount > 1].sum(axis=1)
    codes = [(lo, _code(on, lo, min(lo + GROUP, c))) for lo in range(0, c, GROUP)]
    k = np.zeros(on.shape[:2], np.uint16)  # channels on per pixel
    for _, code in codes:
        k += _popcount(code)
    single = k == 1
    per_class = np.zeros((on.shape[0], c), np.int64)
    for lo, code in codes:
        if one_hot:  # keep the pixels that are on in exactly one channel
            code = code * single
        hi = min(lo + GROUP, c)
        per_class[:, lo:hi] = (_tables(code) @ bits)[:, :hi - lo]
    return per_class, np.count_nonzero(k == 0, axis=1), np.count_nonzero(k > 1, axis=1)
