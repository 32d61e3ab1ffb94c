"""The compiled PNG counting kernel: inflate, unfilter and count in one pass, two rows held.

:mod:`maskstats.readers.pngkernel` (C, ``maskstats/readers/pngkernel.c``, built by
``pip install`` when a C compiler and zlib's header are there) counts the pixels of a
non-interlaced PNG of colour type 0 (grey: 1, 2, 4, 8 or 16 bits) or 3 (palette indices:
1, 2, 4 or 8 bits) straight from its IDAT payloads. The image data is inflated through a
256 KiB buffer; each row is unfiltered (None, Sub, Up, Average, Paeth) against the row
before it and added to an exact 64-bit histogram at once, so no image is ever built. The
inflate is zlib-ng's when the ``zlib-ng`` package is installed (its extension module
exports zlib-ng's native API, which the kernel loads by path, without importing the Python
module), otherwise the system zlib the kernel was linked with. ``maskstats --version``
tells which (:func:`describe`).

The caller (:mod:`maskstats.readers.png`) has walked the chunks and checked every CRC and
the size limits before; the kernel checks the rest: a filter type above 4, a zlib stream
that is damaged, ends before the last row or lacks data all raise :class:`UnreadableMask`.
With ``verify`` (``--verify-checksums``) it inflates on to the end of the stream, where
zlib checks the adler32, in the same pass (no second inflate).

When the extension is missing or fails to load, :func:`kernel` returns None and PNGs are
read by libspng or Pillow as before; the counts are identical (tests run both paths).

Entry points for readers of parts of an image (``--window``). For a mask file,
:func:`maskstats.readers.png.png_window_hists` is the one to call: it checks the file as
the reader does and uses these when the kernel applies, else decodes and cuts the window.

* :func:`count_png` (``rows=(r0, r1)``, ``cols=(c0, c1)``): one :class:`ImageHist` of the
  rows ``r0 <= y < r1`` and columns ``c0 <= x < c1``. Rows above ``r0`` are inflated and
  unfiltered (PNG filters chain rows) but not counted; the inflate stops after row
  ``r1 - 1`` unless ``verify``.
* :func:`count_png_blocks`: one histogram per block of ``block`` rows (the last may be
  shorter) in one pass over the file, e.g. every 256-row band of a large mask.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from maskstats.errors import UnreadableMask

if TYPE_CHECKING:
    from maskstats.core.histogram import ImageHist

#: colour type -> the bit depths the kernel counts (grey; palette indices)
KERNEL_KINDS = {0: (1, 2, 4, 8, 16), 3: (1, 2, 4, 8)}
DAMAGED = "the file is damaged (an interrupted download or copy?); re-download or re-export it"


@lru_cache(maxsize=1)
def kernel() -> ModuleType | None:
    """The compiled kernel module (zlib-ng switched on when installed), or None."""
    try:
        from maskstats.readers import pngkernel
    except ImportError:
        return None
    library = zlib_ng_library()
    if library:
        pngkernel.use_zlib_ng(library)
    return pngkernel


def zlib_ng_library() -> str | None:
    """The path of the ``zlib-ng`` package's extension module, found without importing it."""
    try:
        spec = importlib.util.find_spec("zlib_ng")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "zlib_ng" + suffix)
            if os.path.isfile(path):
                return path
    return None


def describe() -> str:
    """Which PNG counting path this installation uses, for ``--version`` and ``--debug``."""
    k = kernel()
    if k is None:
        return "PNG masks: Python readers (libspng/Pillow); the compiled kernel is not built"
    return f"PNG masks: compiled kernel, inflate by {k.inflater()}"


def handles(header: Any) -> bool:
    """True when the kernel counts this PNG kind (and is available).

    ``header``: a :class:`maskstats.readers.png.PngHeader` (width, height, bit_depth,
    color_type, interlaced, idat byte ranges).
    """
    return (not header.interlaced and header.bit_depth in KERNEL_KINDS.get(header.color_type, ())
            and kernel() is not None)


def count_png(path: str, data: bytes, header: Any, verify: bool = False,
              rows: tuple[int, int] | None = None,
              cols: tuple[int, int] | None = None) -> "ImageHist":
    """The exact histogram of ``data`` (checked by ``check_png``) or of a window of it."""
    return count_png_blocks(path, data, header, verify, rows, cols, block=0)[0]


def count_png_blocks(path: str, data: bytes, header: Any, verify: bool = False,
                     rows: tuple[int, int] | None = None, cols: tuple[int, int] | None = None,
                     block: int = 0) -> "list[ImageHist]":
    """One histogram per ``block`` rows of the window (``block=0``: the whole window)."""
    import numpy as np  # here: describe() (maskstats --version) stays free of NumPy

    from maskstats.core.histogram import ImageHist

    k = kernel()
    if k is None or not handles(header):
        raise ValueError("the compiled PNG kernel does not count this file (check handles())")
    r0, r1 = rows if rows is not None else (0, header.height)
    c0, c1 = cols if cols is not None else (0, header.width)
    if not (0 <= r0 < r1 <= header.height and 0 <= c0 < c1 <= header.width and block >= 0):
        raise ValueError(f"window rows {r0}:{r1}, columns {c0}:{c1} outside the "
                         f"{header.width}x{header.height} image")
    try:
        blocks = k.count(data, header.idat, header.width, header.height, header.bit_depth,
                         header.color_type, verify, r0, r1, c0, c1, block)
    except k.KernelError as exc:
        raise UnreadableMask(path, f"corrupt PNG image data ({exc}); " + DAMAGED) from None
    out, width, step = [], c1 - c0, block or (r1 - r0)
    for i, (values, counts) in enumerate(blocks):
        height = min(step, r1 - r0 - i * step)
        out.append(ImageHist(np.frombuffer(values, np.int64), np.frombuffer(counts, np.int64),
                             height * width))
    return out
