"""Array files (``.npy``, ``.npz``, ``.h5``/``.hdf5``): opened once, then counted or decoded.

Each format has one opener, used both to count (:func:`read_npy`, :func:`read_npz`,
:func:`read_hdf5`, through :func:`maskstats.readers.arrays.hists_of_array`) and to decode
label arrays for connected components (:func:`array_labels`). ``.npy`` files are memory-mapped
and counted pages dropped; an ``.npz`` member is streamed, never inflated whole
(:mod:`maskstats.readers.npz`); HDF5 datasets are read chunk by chunk, and refused when their
data lives outside the file. A file holding several arrays is read at ``--key``, else at the
only array, else at the one named masks, labels, y or y_train.
"""

from __future__ import annotations

import io
import math
import mmap
import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from maskstats.core.histogram import ImageHist
from maskstats.core.notices import MISSING_CHANNELS as MISSING_CHANNELS_KIND, Notice
from maskstats.core.text import listing
from maskstats.errors import UnreadableMask, UnsuitableMask, UsageProblem
from maskstats.readers.arrays import (CHANNEL_LAYOUTS, hists_of_array, label_arrays,
                                      missing_channels)
from maskstats.readers.options import ReadOptions, Warn

#: when a file holds several arrays, the one with one of these names is picked by default
DEFAULT_KEYS = ("masks", "labels", "y", "y_train")


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


def read_npy(path: str, options: ReadOptions, warn: Warn) -> Iterator[ImageHist]:
    """``.npy``: memory-mapped, read in pieces; counted pages are dropped from memory."""
    arr, drop_pages = map_npy(path)
    yield from _checked(path, arr, options, warn, drop_pages)


def map_npy(path: str) -> tuple[np.ndarray, Callable[[], None]]:
    """A local ``.npy`` file as a memory-mapped array, and a function that drops the pages
    read so far from the process's memory (they stay in the page cache)."""
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

    def drop_pages() -> None:
        if hasattr(mm, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
            mm.madvise(mmap.MADV_DONTNEED)

    return arr, drop_pages


def load_npy(path: str, data: bytes) -> np.ndarray:
    """A fetched ``.npy`` object (its bytes in memory: nothing to map)."""
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UnreadableMask(path, f"not a valid .npy array ({exc})") from None


def pick_key(path: str, names: Sequence[str], key: str | None) -> str:
    """The array to read from a file holding ``names`` (``--key``, else the only one, else
    the one array named as one of :data:`DEFAULT_KEYS`)."""
    shown = listing(names)
    if key is not None:
        if key in names:
            return key
        raise UnsuitableMask(path, f"no array named {key!r} (arrays: {shown})")
    if not names:
        raise UnreadableMask(path, "holds no arrays")
    if len(names) == 1:
        return names[0]
    found = [n for n in names if n.rsplit("/", 1)[-1] in DEFAULT_KEYS]
    if len(found) == 1:
        return found[0]
    raise UnsuitableMask(path, f"cannot tell which array holds the masks (arrays: {shown}; "
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
    with open_hdf5_dataset(path, options.key) as ds:
        yield from _checked(path, ds, options, warn)


@contextmanager
def open_hdf5_dataset(path: Any, key: str | None, source: Any = None) -> Iterator[Any]:
    """The chosen dataset of an HDF5 file (``source``: its bytes as a file object)."""
    try:
        import h5py
    except ImportError:
        raise UnreadableMask(path, "reading HDF5 needs h5py: pip install 'maskstats[hdf5]'"
                             ) from None
    try:
        fh = h5py.File(source if source is not None else path, "r")
    except OSError as exc:
        raise UnreadableMask(path, f"not a readable HDF5 file ({exc})") from None
    with fh:
        names: list[str] = []
        fh.visititems(lambda name, obj: names.append(name)
                      if isinstance(obj, h5py.Dataset) else None)
        name = pick_key(path, names, key)
        yield own_dataset(path, fh, name, h5py)


@contextmanager
def open_array(path: str, key: str | None, data: bytes | None = None) -> Iterator[Any]:
    """The array a ``.npy``/``.npz``/HDF5 file holds, opened as the counting readers open it
    (``data``: the bytes of a fetched object, else ``path`` is read)."""
    name = path.lower()
    source = io.BytesIO(data) if data is not None else None
    if name.endswith(".npy"):
        yield load_npy(path, data) if data is not None else map_npy(path)[0]
    elif name.endswith(".npz"):
        with open_npz_member(path, key, source) as arr:
            yield arr
    else:
        with open_hdf5_dataset(path, key, source) as ds:
            yield ds


def array_labels(path: str, options: ReadOptions, warn: Warn,
                 data: bytes | None = None) -> Iterator[np.ndarray]:
    """The label array of every image of an array file, for ``scan --objects``."""
    if options.layout in CHANNEL_LAYOUTS:
        raise UsageProblem(f"--objects counts components of label masks; --layout "
                           f"{options.layout} arrays hold channels ({path})")
    with open_array(path, options.key, data) as arr:
        yield from label_arrays(path, arr, options.layout)


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
