"""Counting kernels and the mergeable accumulators.

Two levels:

* :class:`ImageHist` is the exact histogram of ONE image (or volume): the distinct stored
  values, the pixels of each, and the image size. Readers produce these.
* :class:`Counts` accumulates image histograms per stored value: pixels, images containing
  the value, and total pixels of those images. ``Counts.merge`` is exact integer addition,
  so it is associative and commutative: one worker, many workers, a cache or a cluster all
  reduce the same way.

Ignore values and ``num_classes`` are applied only when a :class:`~maskstats.core.stats.Stats` is
built from a :class:`Counts` (they select rows of the per-value table), so one pass of counting
serves any of those options. Value remaps must act per image (two values mapped to one class
in the same image count that image once), so they are applied to each ImageHist before
``Counts.add`` (see :func:`remap_hist`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np

from maskstats.core.limits import BadLabelValue

#: stored values in [0, DENSE_LIMIT) live in dense arrays; others (negative, huge) in a dict
DENSE_LIMIT = 1 << 16

_I64 = np.int64
_INT64_MAX = (1 << 63) - 1


@dataclass(frozen=True)
class ImageHist:
    """Exact histogram of one image: sorted distinct ``values``, their pixel ``counts``.

    ``pixels`` is the image size (all pixels, including ignored or unexpected values; for
    one-hot arrays it also includes pixels that carry no label). ``extra`` holds
    layout-specific anomaly counters (e.g. one-hot ``unlabelled_pixels``) that are summed.
    """

    values: np.ndarray
    counts: np.ndarray
    pixels: int
    extra: Mapping[str, int] | None = None


def hist_from_bins(bins: Iterable[int], pixels: int | None = None, offset: int = 0) -> ImageHist:
    """Build an :class:`ImageHist` from a dense bin list (``bins[i]`` pixels of value i+offset)."""
    arr = np.asarray(bins, dtype=_I64)
    nz = np.flatnonzero(arr)
    total = int(arr.sum()) if pixels is None else int(pixels)
    return ImageHist(nz.astype(_I64) + offset, arr[nz], total)


def hist_from_array(a: np.ndarray) -> ImageHist:
    """Exact histogram of an integer (or bool) array of any shape, without float maths.

    8- and 16-bit arrays use ``np.bincount``; wider integer arrays use bincount when their
    range is small and ``np.unique`` otherwise (negative values, instance ids).
    """
    a = np.asarray(a)
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    if not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"label arrays must hold integers, not {a.dtype}")
    flat = a.reshape(-1)
    n = flat.size
    if n == 0:
        return ImageHist(np.zeros(0, _I64), np.zeros(0, _I64), 0)
    if a.dtype.itemsize <= 2 and not np.issubdtype(a.dtype, np.signedinteger):
        return hist_from_bins(bincount_blocks(flat), n)
    lo, hi = int(flat.min()), int(flat.max())
    if hi > _INT64_MAX:  # uint64 values >= 2**63 would wrap to negative int64
        raise BadLabelValue(f"{a.dtype} value {hi:,} does not fit a 64-bit signed class id; "
                            "label masks hold class ids")
    if hi - lo < DENSE_LIMIT:
        return hist_from_bins(bincount_blocks(flat, lo), n, offset=lo)
    values, counts = np.unique(flat, return_counts=True)
    return ImageHist(values.astype(_I64), counts.astype(_I64), n)


#: values per np.bincount call: bincount casts its input to intp (8 bytes a value), so a
#: whole 1 GB uint8 raster would need 8 GB at once; blocks keep that at 32 MiB
BINCOUNT_BLOCK = 1 << 22


def bincount_blocks(flat: np.ndarray, lo: int = 0) -> np.ndarray:
    """``np.bincount(flat - lo)`` of a 1-D integer array, in blocks of bounded memory."""
    total: np.ndarray | None = None
    for start in range(0, flat.size, BINCOUNT_BLOCK):
        part = flat[start:start + BINCOUNT_BLOCK]
        # subtract in intp: int16 values -32768..32767 minus lo overflow in int16
        part = np.subtract(part, lo, dtype=np.intp) if lo != 0 else part.astype(np.intp, copy=False)
        bins = np.bincount(part)
        if total is None:
            total = bins
        else:
            total = _grow(total, bins.size)
            total[: bins.size] += bins
    return total if total is not None else np.zeros(0, _I64)


def add_hists(parts: Sequence[ImageHist]) -> ImageHist:
    """One image's histogram from the histograms of its parts (strips, tiles, windows)."""
    if len(parts) == 1:
        return parts[0]
    values, inverse = np.unique(np.concatenate([p.values for p in parts]), return_inverse=True)
    counts = np.zeros(values.size, dtype=_I64)
    np.add.at(counts, inverse, np.concatenate([p.counts for p in parts]))
    return ImageHist(values.astype(_I64), counts, sum(p.pixels for p in parts))


def remap_hist(h: ImageHist, mapping: Mapping[int, int]) -> ImageHist:
    """Apply a value -> value mapping to one image's histogram (unmapped values stay).

    Values mapped onto the same target are added, so the image counts once for it.
    """
    if not mapping or h.values.size == 0:
        return h
    new = np.array([mapping.get(int(v), int(v)) for v in h.values], dtype=_I64)
    values, inverse = np.unique(new, return_inverse=True)
    counts = np.zeros(values.size, dtype=_I64)
    np.add.at(counts, inverse, h.counts)
    return ImageHist(values, counts, h.pixels, h.extra)


def _grow(arr: np.ndarray, size: int) -> np.ndarray:
    if arr.size >= size:
        return arr
    out = np.zeros(size, dtype=_I64)
    out[: arr.size] = arr
    return out


@dataclass
class Counts:
    """Per-stored-value accumulator: exact int64 pixel, image and image-pixel totals.

    ``pixels[v]``: pixels with value v; ``images[v]``: images containing v;
    ``image_pixels[v]``: summed size of the images containing v. Values outside
    ``[0, DENSE_LIMIT)`` are kept in ``sparse`` as ``{v: [pixels, images, image_pixels]}``.
    """

    pixels: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    images: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    image_pixels: np.ndarray = field(default_factory=lambda: np.zeros(0, _I64))
    sparse: dict[int, list[int]] = field(default_factory=dict)
    num_images: int = 0
    total_pixels: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def add(self, h: ImageHist) -> None:
        """Add one image's histogram."""
        self.num_images += 1
        self.total_pixels += int(h.pixels)
        if h.extra:
            for key, val in h.extra.items():
                self.extra[key] = self.extra.get(key, 0) + int(val)
        values, counts = h.values, h.counts
        if values.size == 0:
            return
        dense = (values >= 0) & (values < DENSE_LIMIT)
        if not dense.all():
            for v, c in zip(values[~dense].tolist(), counts[~dense].tolist()):
                row = self.sparse.setdefault(int(v), [0, 0, 0])
                row[0] += c
                row[1] += 1
                row[2] += int(h.pixels)
            values, counts = values[dense], counts[dense]
            if values.size == 0:
                return
        size = int(values[-1]) + 1  # values are sorted
        if size > self.pixels.size:
            self.pixels = _grow(self.pixels, size)
            self.images = _grow(self.images, size)
            self.image_pixels = _grow(self.image_pixels, size)
        self.pixels[values] += counts
        self.images[values] += 1
        self.image_pixels[values] += int(h.pixels)

    def merge(self, other: "Counts") -> "Counts":
        """Return a new accumulator holding both (exact, associative, commutative)."""
        out = Counts()
        out.update(self)
        out.update(other)
        return out

    def update(self, other: "Counts") -> None:
        """Add ``other`` into this accumulator in place."""
        size = max(self.pixels.size, other.pixels.size)
        self.pixels = _grow(self.pixels, size)
        self.images = _grow(self.images, size)
        self.image_pixels = _grow(self.image_pixels, size)
        n = other.pixels.size
        self.pixels[:n] += other.pixels
        self.images[:n] += other.images
        self.image_pixels[:n] += other.image_pixels
        for v, row in other.sparse.items():
            mine = self.sparse.setdefault(v, [0, 0, 0])
            for i in range(3):
                mine[i] += row[i]
        self.num_images += other.num_images
        self.total_pixels += other.total_pixels
        for key, val in other.extra.items():
            self.extra[key] = self.extra.get(key, 0) + val

    def table(self) -> dict[int, tuple[int, int, int]]:
        """All values seen: ``{value: (pixels, images, image_pixels)}`` as Python ints."""
        out: dict[int, tuple[int, int, int]] = {}
        for v in np.flatnonzero(self.images).tolist():
            out[v] = (int(self.pixels[v]), int(self.images[v]), int(self.image_pixels[v]))
        for v, row in self.sparse.items():
            out[int(v)] = (int(row[0]), int(row[1]), int(row[2]))
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        """A JSON-safe form (Python ints), for caches and transport."""
        table = self.table()
        return {
            "values": list(table),
            "pixels": [t[0] for t in table.values()],
            "images": [t[1] for t in table.values()],
            "image_pixels": [t[2] for t in table.values()],
            "num_images": self.num_images,
            "total_pixels": self.total_pixels,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "Counts":
        out = cls(num_images=int(d["num_images"]), total_pixels=int(d["total_pixels"]))
        out.extra = {k: int(v) for k, v in d.get("extra", {}).items()}
        for v, p, i, ip in zip(d["values"], d["pixels"], d["images"], d["image_pixels"]):
            v = int(v)
            if 0 <= v < DENSE_LIMIT:
                size = v + 1
                if size > out.pixels.size:
                    out.pixels = _grow(out.pixels, size)
                    out.images = _grow(out.images, size)
                    out.image_pixels = _grow(out.image_pixels, size)
                out.pixels[v] += int(p)
                out.images[v] += int(i)
                out.image_pixels[v] += int(ip)
            else:
                out.sparse[v] = [int(p), int(i), int(ip)]
        return out

    def __getstate__(self) -> dict:
        """Pickle only the values seen (a 16-bit scan's dense arrays are mostly zeros)."""
        idx = np.flatnonzero(self.images)
        state = dict(self.__dict__)
        state["pixels"], state["images"], state["image_pixels"] = (
            (idx, self.pixels[idx], self.images[idx], self.image_pixels[idx]), None, None)
        return state

    def __setstate__(self, state: dict) -> None:
        idx, pix, imgs, ipix = state["pixels"]
        size = int(idx[-1]) + 1 if idx.size else 0
        state["pixels"], state["images"], state["image_pixels"] = (
            np.zeros(size, _I64), np.zeros(size, _I64), np.zeros(size, _I64))
        self.__dict__.update(state)
        self.pixels[idx], self.images[idx], self.image_pixels[idx] = pix, imgs, ipix

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        return self.to_dict() == other.to_dict()


def suggest_ignore(table: Mapping[int, tuple], ignore: Iterable[int]) -> int | None:
    """Return 255 or 65535 when that value is present, not ignored, and far above the others.

    "Far above" means every other present value is below half of it and some other value
    is above 0: the usual sign of a void/ignore label (VOC, Cityscapes trainIds, COCO-Stuff)
    rather than a real class. Binary 0/255 masks get no hint.
    """
    ignore = set(ignore)
    for candidate in (255, 65535):
        if candidate in table and candidate not in ignore:
            others = [v for v in table if v != candidate and v not in ignore]
            # a 0/255 binary mask (255 = foreground) is not a sign of an ignore value
            if any(v > 0 for v in others) and max(others) < candidate // 2:
                return candidate
    return None
