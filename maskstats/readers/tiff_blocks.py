"""Large TIFF / BigTIFF / GeoTIFF label rasters, read block by block (the ``tiff`` extra).

Pillow decodes an image whole, so a 32768 x 32768 raster would need its full size in memory
(and Pillow's decompression-bomb guard refuses it). A tiled or striped TIFF is stored in
independently compressed blocks (tiles, or strips of rows): here each block is read from the
file, decoded by tifffile's page decoder (deflate, LZW, zstd, PackBits, none; imagecodecs
provides the codecs) and handed on at once, so memory stays at a few blocks whatever the
raster's size. Blocks can also be split between workers (:func:`block_count`, ``part``).

Which TIFFs take this path (:func:`use_blocks`): with tifffile installed, every page of one
integer sample per pixel (grey or palette: palette indices are the classes) whose pages hold
more than :data:`BLOCK_PIXELS` pixels in all. Smaller TIFFs and the others go through Pillow
as before. A block that lies outside the file, or decodes to the wrong size, is an error.

``GDAL_NODATA`` (tag 42113), the nodata value GeoTIFF writers store, is returned with each
page (:attr:`Page.nodata`); what counting does with it is up to the caller.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from maskstats.errors import UnreadableMask
from maskstats.readers.tiff import NODATA_TAG, nodata_value

#: TIFFs holding more pixels than this are read block by block (when tifffile is installed)
BLOCK_PIXELS = 1 << 24
_INTEGER_FORMATS = (1, 2)  # SampleFormat: unsigned, signed
_JPEG = (6, 7, 33007, 34892)


def tifffile_module():
    """tifffile, or None when the ``tiff`` extra is not installed."""
    try:
        import tifffile
    except ImportError:
        return None
    return tifffile


@dataclass(frozen=True)
class Page:
    """One page of a block TIFF: its size, blocks and nodata value (None without one)."""

    index: int
    height: int
    width: int
    blocks: int
    nodata: int | None


def _open(path: str):
    """The open ``tifffile.TiffFile``; tifffile's log of damaged tags is kept quiet (the
    file's problem is reported once, by this reader or by Pillow's)."""
    tifffile = tifffile_module()
    log = logging.getLogger("tifffile")
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    tf = None
    try:
        tf = tifffile.TiffFile(path)
        for page in tf.pages:  # parse every page header now, while quiet
            page.shape  # noqa: B018
        return tf
    except Exception as exc:
        if tf is not None:
            tf.close()
        raise UnreadableMask(path, f"not a TIFF tifffile can read ({exc})") from None
    finally:
        log.setLevel(level)


def _nodata(path: str, page) -> int | None:
    tag = page.tags.get(NODATA_TAG)
    return nodata_value(path, tag.value) if tag is not None else None


def _check_page(path: str, page) -> None:
    if page.samplesperpixel != 1:
        raise UnreadableMask(path, f"page {page.index} has {page.samplesperpixel} bands "
                             "(samples per pixel); a label raster has one: extract the "
                             "label band first (e.g. gdal_translate -b 1 in.tif labels.tif)")
    if page.sampleformat not in _INTEGER_FORMATS or page.bitspersample not in (8, 16, 32):
        raise UnreadableMask(path, f"page {page.index} holds {page.bitspersample}-bit "
                             f"{page.dtype} samples; label rasters hold 8/16/32-bit integers")
    if page.compression in _JPEG:
        raise UnreadableMask(path, "JPEG-compressed TIFF: lossy compression changes label "
                             "values; store labels with deflate, LZW, zstd or no compression")
    if page.imagedepth != 1:
        raise UnreadableMask(path, f"page {page.index} is a 3-D (SGI depth) image")


def pages(path: str) -> list[Page]:
    """The pages of the TIFF at ``path``, checked to be single-band integer label rasters."""
    with _open(path) as tf:
        out = []
        for i, page in enumerate(tf.pages):
            page = tf.pages[i]
            _check_page(path, page)
            out.append(Page(i, int(page.imagelength), int(page.imagewidth),
                            len(page.dataoffsets), _nodata(path, page)))
        return out


def use_blocks(path: str) -> bool:
    """True when ``path`` is a TIFF to read block by block (see the module docstring)."""
    if tifffile_module() is None or not path.lower().endswith((".tif", ".tiff")):
        return False
    try:
        with _open(path) as tf:
            total = 0
            for page in tf.pages:
                if (page.samplesperpixel != 1 or page.sampleformat not in _INTEGER_FORMATS
                        or page.bitspersample not in (8, 16, 32) or page.compression in _JPEG
                        or page.imagedepth != 1):
                    return False
                total += int(page.imagelength) * int(page.imagewidth)
            return total > BLOCK_PIXELS
    except UnreadableMask:
        return False  # Pillow's path says what is wrong with it


def read_blocks(path: str, index: int, part: tuple[int, int] = (0, 1)
                ) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(y, x, block)`` for the blocks of page ``index``: all of them, or with ``part``
    ``(i, n)`` the i-th of n contiguous shares (for workers sharing one raster)."""
    size = os.path.getsize(path)
    with _open(path) as tf:
        page = tf.pages[index]
        offsets, counts = page.dataoffsets, page.databytecounts
        n = len(offsets)
        first, last = n * part[0] // part[1], n * (part[0] + 1) // part[1]
        height, width = int(page.imagelength), int(page.imagewidth)
        fh = tf.filehandle
        fill = _nodata(path, page) or 0
        for i in range(first, last):
            yield _block(path, page, fh, i, offsets[i], counts[i], size, height, width, fill)


def _block(path: str, page, fh, i: int, offset: int, count: int, size: int, height: int,
           width: int, fill: int) -> tuple[int, int, np.ndarray]:
    """Block ``i`` of ``page`` decoded and cropped to the raster."""
    kind = "tile" if page.is_tiled else "strip"
    if offset + count > size or offset < 0:
        raise UnreadableMask(path, f"{kind} {i} lies outside the file (bytes {offset:,}.."
                             f"{offset + count:,} of {size:,}); the file is truncated or "
                             "damaged")
    data = None
    if count:
        fh.seek(offset)
        data = fh.read(count)
    try:
        arr, where, shape = page.decode(data, i)
    except Exception as exc:
        raise UnreadableMask(path, f"{kind} {i} does not decode ({type(exc).__name__}: "
                             f"{exc}); the file is damaged") from None
    y, x = int(where[2]), int(where[3])
    h, w = min(int(shape[1]), height - y), min(int(shape[2]), width - x)
    if arr is None:  # a sparse block: GDAL reads it as nodata (or 0)
        return y, x, np.full((h, w), fill, dtype=page.dtype)
    expected = int(shape[0]) * int(shape[1]) * int(shape[2]) * int(shape[3])
    if arr.size != expected:
        raise UnreadableMask(path, f"{kind} {i} decodes to {arr.size:,} samples, not "
                             f"{expected:,}; the file is damaged")
    return y, x, arr.reshape(shape[1], shape[2])[:h, :w]
