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
import mmap
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from maskstats.readers.channels import count_channels
from maskstats.errors import UnreadableMask, UnsuitableMask, UsageProblem
from maskstats.core.histogram import ImageHist, hist_from_array
from maskstats.core.limits import BadLabelValue
from maskstats.core.notices import MISSING_CHANNELS as MISSING_CHANNELS_KIND, Notice
from maskstats.readers.options import ReadOptions, Warn, integral_or_fail

LAYOUTS = ("auto", "mask", "stack", "one-hot", "multi-label")
CHANNEL_LAYOUTS = ("one-hot", "multi-label")
#: when a file holds several arrays, the one with one of these names is picked by default
DEFAULT_KEYS = ("masks", "labels", "y", "y_train")
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


# ------------------------------------------------------------------------- file readers
def _checked(path: str, arr: Any, options: ReadOptions, warn: Warn,
             after_chunk: Callable[[], None] | None = None) -> Iterator[ImageHist]:
    """:func:`hists_of_array`, warning when the last channels of a file never occur."""
    top = -1
    for h in hists_of_array(path, arr, options, after_chunk):
        if h.values.size:
            top = max(top, int(h.values[-1]))
        yield h
    if options.layout in CHANNEL_LAYOUTS and top + 1 < arr.shape[-1]:
        warn(Notice(missing_channels(arr.shape[-1], top + 1), MISSING_CHANNELS_KIND,
                    (int(arr.shape[-1]), top + 1)))


MISSING_CHANNELS = "the arrays have"  # how missing_channels() messages start


def missing_channels(channels: int, classes: int) -> str:
    """The warning for one-hot/multi-label arrays whose last channels hold no pixel."""
    return (f"{MISSING_CHANNELS} {channels} channels but classes {classes}..{channels - 1} never "
            f"occur, so the class vector stops at {classes} classes; pass --num-classes "
            f"{channels} (num_classes={channels}) to keep them")


def read_npy(path: str, options: ReadOptions, warn: Warn) -> Iterator[ImageHist]:
    """``.npy``: memory-mapped, read in pieces; counted pages are dropped from memory."""
    try:
        header = np.load(path, mmap_mode="r", allow_pickle=False)  # parses the header only
    except (ValueError, OSError, EOFError) as exc:
        raise UnreadableMask(path, f"not a valid .npy array ({exc})") from None
    shape, dtype, offset = header.shape, header.dtype, int(header.offset)
    fortran = not header.flags.c_contiguous and header.flags.f_contiguous
    del header
    if math.prod(shape) == 0:
        raise UnreadableMask(path, f"empty array of shape {shape}")
    with open(path, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    arr = np.ndarray(shape, dtype, buffer=mm, offset=offset, order="F" if fortran else "C")

    def drop_pages() -> None:  # counted pages stay in the page cache but leave our RSS
        if hasattr(mm, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
            mm.madvise(mmap.MADV_DONTNEED)

    yield from _checked(path, arr, options, warn, drop_pages)


def pick_key(path: str, names: Sequence[str], key: str | None) -> str:
    """The array to read from a file holding ``names`` (``--key``, else the only one, else
    the one array named as one of :data:`DEFAULT_KEYS`)."""
    listing = ", ".join(names)
    if key is not None:
        if key in names:
            return key
        raise UnsuitableMask(path, f"no array named {key!r} (arrays: {listing})")
    if not names:
        raise UnreadableMask(path, "holds no arrays")
    if len(names) == 1:
        return names[0]
    found = [n for n in names if n.rsplit("/", 1)[-1] in DEFAULT_KEYS]
    if len(found) == 1:
        return found[0]
    raise UnsuitableMask(path, f"cannot tell which array holds the masks (arrays: {listing}; "
                         f"none or several named {', '.join(DEFAULT_KEYS)}); pick one with --key")


@contextmanager
def open_npz_member(path: str, key: str | None, source: Any = None) -> Iterator[Any]:
    """The chosen ``.npz`` member as a :class:`~maskstats.readers.npz.StreamedArray` (C order) or a
    bounded NumPy array (Fortran order): never inflated whole from an untrusted file.
    ``source``: the file's bytes as a file object (fetched objects), else ``path`` is read."""
    import zipfile

    from maskstats.readers.npz import StreamedArray, member_names

    try:
        zf = zipfile.ZipFile(source if source is not None else path)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise UnreadableMask(path, f"not a valid .npz archive ({exc})") from None
    with zf:
        names = member_names(zf)
        name = pick_key(path, list(names), key)
        if not names[name].endswith(".npy"):
            raise UnreadableMask(path, f"member {names[name]!r} is not an .npy array")
        try:
            stream = zf.open(names[name])
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
            raise UnreadableMask(path, f"cannot open member {name!r} ({exc})") from None
        with stream:
            arr = StreamedArray(path, stream)
            if math.prod(arr.shape) == 0:
                raise UnreadableMask(path, f"empty array of shape {arr.shape}")
            if arr.fortran:  # rare; column-major data cannot be read in C-order rows
                yield _fortran_member(path, arr)
                return
            yield arr
            arr.finish()  # to the end of the member, so that zipfile checks its CRC-32


def read_npz(path: str, options: ReadOptions, warn: Warn) -> Iterator[ImageHist]:
    """``.npz``: the chosen member is streamed (:mod:`maskstats.readers.npz`), never inflated whole."""
    with open_npz_member(path, options.key) as arr:
        yield from _checked(path, arr, options, warn)


def _fortran_member(path: str, arr: Any) -> np.ndarray:
    """A Fortran-order member, read whole (bounded: refused above 1 GiB of data)."""
    size = math.prod(arr.shape) * arr.dtype.itemsize
    if size > 1 << 30:
        raise UnreadableMask(path, f"Fortran-order .npz member of {size:,} bytes; save it in "
                             "C order (np.ascontiguousarray) or as .npy")
    flat = arr[0:arr.shape[0]].reshape(-1)  # the raw bytes, in file order
    return flat.reshape(arr.shape[::-1]).T


def read_hdf5(path: str, options: ReadOptions, warn: Warn) -> Iterator[ImageHist]:
    """``.h5``/``.hdf5`` through h5py (the ``hdf5`` extra), read chunk by chunk."""
    try:
        import h5py
    except ImportError:
        raise UnreadableMask(path, "reading HDF5 needs h5py: pip install 'maskstats[hdf5]'"
                             ) from None
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise UnreadableMask(path, f"not a readable HDF5 file ({exc})") from None
    with fh:
        names: list[str] = []
        fh.visititems(lambda name, obj: names.append(name)
                      if isinstance(obj, h5py.Dataset) else None)
        name = pick_key(path, names, options.key)
        yield from _checked(path, own_dataset(path, fh, name, h5py), options, warn)


def own_dataset(path: str, fh: Any, name: str, h5py: Any) -> Any:
    """The dataset ``name``, refused when its data lives outside the file.

    A downloaded HDF5 file is untrusted input: external storage can point at any file on
    the machine (its bytes would be published in the stats; a FIFO would hang the scan),
    a virtual dataset or an external link at other files. All are refused before reading.
    """
    if isinstance(fh.get(name, getlink=True), h5py.ExternalLink):
        raise UnreadableMask(path, f"dataset {name!r} is an external link to another file; "
                             "refused (copy the data into the file)")
    ds = fh[name]
    if ds.external:
        targets = ", ".join(repr(os.fsdecode(e[0])) for e in ds.external[:3])
        raise UnreadableMask(path, f"dataset {name!r} uses external storage ({targets}); "
                             "refused: its data is not in this file")
    if ds.is_virtual:
        raise UnreadableMask(path, f"dataset {name!r} is a virtual dataset (data in other "
                             "files); refused: copy the data into the file")
    return ds
