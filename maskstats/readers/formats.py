"""Mask files -> exact per-image histograms (:class:`~maskstats.core.histogram.ImageHist`).

One small reader per format, chosen by file extension through ``_READERS``. Every reader
yields one histogram per image it holds (a PNG holds one; a multi-page TIFF or an image stack
holds several) and raises :class:`~maskstats.errors.UnreadableMask` with a message a user can
act on. Images Pillow reads (TIFF, BMP, JPEG, and PNGs the faster paths leave) go through
:mod:`maskstats.readers.pil`.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from maskstats.errors import UnreadableMask
from maskstats.core.histogram import ImageHist
from maskstats.readers.options import ReadOptions, Warn
from maskstats.readers.pil import read_pil

PIL_EXTENSIONS = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg")


def reader_for(path: str) -> Callable[..., Iterator[ImageHist]] | None:
    """The reader for ``path`` by its extension, or None when it is not a mask file.

    Double extensions such as ``.nii.gz`` are looked up before the last one.
    """
    return by_extension(_READERS, path)


def by_extension(table: Mapping[str, Any], path: str) -> Any:
    """The entry of ``table`` (extension -> function or 'module:function') for ``path``,
    double extensions first, the function loaded on first use; None when none fits."""
    entry = _entry(table, path)
    if not isinstance(entry, str):
        return entry
    import importlib

    module, func = entry.split(":")
    return getattr(importlib.import_module(module), func)


def _entry(table: Mapping[str, Any], path: str) -> Any:
    """The ``table`` entry for ``path`` as stored, or None (nothing is imported)."""
    parts = os.path.basename(path).lower().split(".")
    for i in range(1, len(parts)):
        entry = table.get("." + ".".join(parts[i:]))
        if entry is not None:
            return entry
    return None


def is_mask_file(path: str) -> bool:
    """True when ``path`` has a mask extension (no reader module is imported to tell)."""
    return _entry(_READERS, path) is not None


def mask_extensions() -> list[str]:
    return sorted(_READERS)


def read_hists(path: str, options: ReadOptions = ReadOptions(),
               warn: Warn | None = None) -> Iterator[ImageHist]:
    """Yield the histogram of every image in the local mask file at ``path``.

    fsspec URLs are read by :func:`maskstats.readers.remote.read_remote`.
    """
    reader = reader_for(path)
    check_mask_file(path, reader)
    yield from reader(path, options, warn or (lambda _msg: None))


def check_mask_file(path: str, reader: Any) -> None:
    """Refuse a local file without a reader (``reader`` None) or with no bytes."""
    if reader is None:
        raise UnreadableMask(path, "not a mask file type (known: "
                             f"{', '.join(mask_extensions())})")
    try:
        if os.path.getsize(path) == 0:
            raise UnreadableMask(path, "empty file (0 bytes)")
    except OSError as exc:
        raise UnreadableMask(path, f"cannot read ({exc.strerror or exc})") from None


# --------------------------------------------------------------------------------- NumPy
def hists_of_array(path: str, arr: np.ndarray, options: ReadOptions) -> Iterator[ImageHist]:
    """Histograms of a label array under ``options.layout`` (see :mod:`maskstats.readers.arrays`)."""
    from maskstats.readers.arrays import hists_of_array as _hists

    return _hists(path, arr, options)


#: extension -> reader function, or 'module:function' for readers living in other modules
#: (imported on first use, so optional dependencies stay lazy)
_READERS: dict[str, Callable[..., Iterator[ImageHist]] | str] = {
    **{ext: read_pil for ext in PIL_EXTENSIONS},
    ".tif": "maskstats.readers.tiff_counts:read_tiff",  # huge rasters block by block
    ".tiff": "maskstats.readers.tiff_counts:read_tiff",
    ".png": "maskstats.readers.png:read_png",  # chunk CRCs checked, libspng for 8-bit grey/palette
    ".npy": "maskstats.readers.arrayfiles:read_npy",
    ".npz": "maskstats.readers.arrayfiles:read_npz",
    ".h5": "maskstats.readers.arrayfiles:read_hdf5",
    ".hdf5": "maskstats.readers.arrayfiles:read_hdf5",
    ".nii": "maskstats.readers.nifti:read_nifti",
    ".nii.gz": "maskstats.readers.nifti:read_nifti",
}
