"""Label arrays: ``.npy``/``.npz``/HDF5 files and in-memory arrays -> per-image histograms.

An array's *layout* says what its axes mean:

* ``mask``: the whole array is one mask (a 2-D image or a 3-D volume);
* ``stack``: the first axis indexes images, e.g. Keras ``y_train`` of shape (N,H,W) or
  (N,H,W,1); each image counts as an image (``image_counts``/``image_pixels`` per image);
* ``one-hot``: the last axis holds C classes with exactly one 1 per pixel (the
  ``to_categorical`` form). Pixels whose channels sum to 0 or to more than 1 are left out
  of the class counts and reported as ``unlabelled_pixels``/``overlap_pixels``;
* ``multi-label``: the last axis holds C channels counted independently (a pixel may count
  for several classes, e.g. SpaceNet footprint/boundary/contact);
* ``auto``: 2-D -> mask, 3-D -> stack, 4-D with a last axis of 1 -> stack, else an error.

For ``one-hot``/``multi-label`` an (H,W,C) array is one image and (N,H,W,C) N images.

Memory stays bounded whatever the array size: arrays are read in pieces of about
``CHUNK_ELEMENTS`` values (whole images when they fit, rows of one image otherwise), every
piece is reduced with NumPy, and ``.npy`` pages already counted are handed back to the
kernel. No full-size int64 copy of a stack is ever made.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from maskstats.readers.channels import count_channels
from maskstats.errors import UnreadableMask, UnsuitableMask, UsageProblem
from maskstats.core.histogram import ImageHist, hist_from_array
from maskstats.core.limits import BadLabelValue
from maskstats.readers.options import ReadOptions, integral_or_fail

LAYOUTS = ("auto", "mask", "stack", "one-hot", "multi-label")
CHANNEL_LAYOUTS = ("one-hot", "multi-label")
#: values read and reduced at a time (a uint8 piece of 4 MiB; bincount widens it to 32 MiB)
CHUNK_ELEMENTS = 1 << 22


def check_layout(layout: str) -> str:
    """Return ``layout`` when it is one of :data:`LAYOUTS`, else raise :class:`UsageProblem`."""
    if layout not in LAYOUTS:
        raise UsageProblem(f"unknown layout {layout!r} (choose from {', '.join(LAYOUTS)})")
    return layout


def resolve_layout(path: str, shape: Sequence[int], layout: str) -> str:
    """The concrete layout of an array of ``shape``; ``auto``: 2-D is a mask, 3-D or
    (N,H,W,1) a stack, anything else needs an explicit layout."""
    check_layout(layout)
    ndim = len(shape)
    if layout == "auto":
        if ndim == 2:
            return "mask"
        if ndim == 3 or (ndim == 4 and shape[-1] == 1):
            return "stack"
        raise UnsuitableMask(
            path, f"array of shape {tuple(shape)} has no default layout (2-D is a mask, "
            "3-D or (N,H,W,1) a stack); choose --layout mask, stack, one-hot or multi-label")
    if ndim == 0:
        raise UnsuitableMask(path, "a 0-d array (a single number) is not a mask")
    if layout in CHANNEL_LAYOUTS and ndim < 2:
        raise UnsuitableMask(path, f"--layout {layout} needs a last axis of channels, but "
                             f"the array has shape {tuple(shape)}")
    return layout


def _check_dtype(path: str, dtype: np.dtype) -> None:
    if not (dtype == np.bool_ or np.issubdtype(dtype, np.integer)
            or np.issubdtype(dtype, np.floating)):
        raise UnreadableMask(path, f"array of {dtype}: label arrays must hold integers, "
                             "booleans or whole-number floats")


# ------------------------------------------------------------------------------ counting
def hists_of_array(path: str, arr: Any, options: ReadOptions = ReadOptions(),
                   after_chunk: Callable[[], None] | None = None) -> Iterator[ImageHist]:
    """Yield one :class:`ImageHist` per image of ``arr`` under ``options.layout``.

    ``arr`` is anything with ``shape``, ``dtype`` and NumPy basic slicing: an ndarray, a
    memory map, an h5py dataset. It is read in pieces of about :data:`CHUNK_ELEMENTS`
    values; ``after_chunk`` runs after each piece (used to drop mapped pages).
    """
    shape = tuple(arr.shape)
    layout = resolve_layout(path, shape, options.layout)
    _check_dtype(path, np.dtype(arr.dtype))
    channels = layout in CHANNEL_LAYOUTS
    per_image = layout == "stack" or (channels and len(shape) >= 4)
    done = after_chunk or (lambda: None)

    def count(piece: np.ndarray, first: int) -> list[ImageHist]:
        piece = np.asarray(piece)
        if channels:
            flat = piece.reshape(piece.shape[0], -1, shape[-1])
            return count_channels(path, flat, one_hot=layout == "one-hot", first=first)
        return [_label_hist(path, img) for img in piece.reshape(piece.shape[0], -1)]

    if not per_image:  # the whole array is one image, read in pieces of rows
        yield _merge(count(part[None], 0)[0] for part in _pieces(arr, (), done))
        return
    n = shape[0]
    image_size = math.prod(shape[1:])
    if image_size <= CHUNK_ELEMENTS:
        step = _aligned_step(arr, max(1, CHUNK_ELEMENTS // max(image_size, 1)))
        for start in range(0, n, step):
            yield from count(arr[start:start + step], start)
            done()
    else:  # images larger than a piece: each one is read in pieces of rows
        for i in range(n):
            yield _merge(count(part[None], i)[0] for part in _pieces(arr, (i,), done))


def _label_hist(path: str, img: np.ndarray) -> ImageHist:
    if img.dtype.kind == "f":
        img = integral_or_fail(path, img)
    try:
        return hist_from_array(img)
    except BadLabelValue as exc:
        raise UnreadableMask(path, str(exc)) from None


def _aligned_step(arr: Any, step: int) -> int:
    """Round a step along axis 0 to whole HDF5 chunks, so each chunk is decoded once."""
    chunks = getattr(arr, "chunks", None)
    if isinstance(chunks, tuple) and chunks and chunks[0] > 1:
        return max(chunks[0], step // chunks[0] * chunks[0])
    return step


def _pieces(arr: Any, prefix: tuple, done: Callable[[], None]) -> Iterator[np.ndarray]:
    """``arr[prefix]`` in slices along its next axis of about CHUNK_ELEMENTS values each."""
    sub = tuple(arr.shape)[len(prefix):]
    if not sub:  # a single value
        yield np.asarray(arr[prefix]).reshape(1)
        return
    row = math.prod(sub[1:])
    step = max(1, CHUNK_ELEMENTS // max(row, 1))
    for start in range(0, sub[0], step):
        yield np.asarray(arr[prefix + (slice(start, start + step),)])
        done()


def _merge(parts: Iterable[ImageHist]) -> ImageHist:
    """Add the histograms of the pieces of one image into the image's histogram."""
    parts = list(parts)
    if not parts:  # an image with no pixels
        return ImageHist(np.zeros(0, np.int64), np.zeros(0, np.int64), 0)
    if len(parts) == 1:
        return parts[0]
    values, inverse = np.unique(np.concatenate([p.values for p in parts]), return_inverse=True)
    counts = np.zeros(values.size, dtype=np.int64)
    np.add.at(counts, inverse, np.concatenate([p.counts for p in parts]))
    extra: dict[str, int] | None = None
    for p in parts:
        if p.extra:
            extra = extra or {}
            for key, val in p.extra.items():
                extra[key] = extra.get(key, 0) + int(val)
    return ImageHist(values, counts, sum(int(p.pixels) for p in parts), extra)


def label_arrays(path: str, arr: Any, layout: str) -> Iterator[np.ndarray]:
    """The label array of every image of ``arr`` under ``layout`` (``mask`` or ``stack``;
    ``auto`` resolved as for counting), for connected components (``scan --objects``)."""
    layout = resolve_layout(path, tuple(arr.shape), layout)
    _check_dtype(path, np.dtype(arr.dtype))
    # basic slices in increasing order: what a streamed .npz member (or an h5py dataset) reads
    images = [arr[0:arr.shape[0]]] if layout == "mask" else (arr[i] for i in range(arr.shape[0]))
    for img in images:
        img = np.asarray(img)
        if layout == "stack" and img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        yield integral_or_fail(path, img) if img.dtype.kind == "f" else img


MISSING_CHANNELS = "the arrays have"  # how missing_channels() messages start


def missing_channels(channels: int, classes: int) -> str:
    """The warning for one-hot/multi-label arrays whose last channels hold no pixel."""
    return (f"{MISSING_CHANNELS} {channels} channels but classes {classes}..{channels - 1} never "
            f"occur, so the class vector stops at {classes} classes; pass --num-classes "
            f"{channels} (num_classes={channels}) to keep them")
