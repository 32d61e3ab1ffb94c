"""Deflate-compressed TIFF strips and tiles verified to their zlib checksum.

A TIFF has no checksum of its own, and libtiff's deflate decoder stops inflating once it has
the rows it needs, so it never reaches the adler32 at the end of a strip: a flipped bit in
the compressed pixel data decodes to other labels without a word (fuzzing showed it). For
deflate TIFFs (compression 8 and 32946) every strip or tile is inflated once more here, to
its end, so a damaged one is an error instead of wrong counts. Other compressions (none,
LZW, PackBits) carry no checksum: nothing can tell a flipped bit there.
"""

from __future__ import annotations

import zlib
from typing import IO

from maskstats.errors import UnreadableMask

DEFLATE = (8, 32946)
#: the GDAL_NODATA tag: the value of pixels that hold no data, as ASCII text
NODATA_TAG = 42113
_OFFSETS = (273, 324)      # StripOffsets, TileOffsets
_BYTE_COUNTS = (279, 325)  # StripByteCounts, TileByteCounts


def _tag(tags, keys: tuple[int, int]) -> tuple[int, ...]:
    for key in keys:
        value = tags.get(key)
        if value is not None:
            return tuple(value) if isinstance(value, (tuple, list)) else (value,)
    return ()


def verify_deflate_pages(path: str, im, fh: IO[bytes]) -> None:
    """Inflate every deflate strip/tile of every page of the open Pillow TIFF ``im``, whose
    bytes ``fh`` holds; a truncated or damaged one raises :class:`UnreadableMask`."""
    pages = getattr(im, "n_frames", 1)
    try:
        for page in range(pages):
            im.seek(page)
            tags = im.tag_v2
            if tags.get(259) not in DEFLATE:
                continue
            offsets, counts = _tag(tags, _OFFSETS), _tag(tags, _BYTE_COUNTS)
            for i, (offset, count) in enumerate(zip(offsets, counts)):
                fh.seek(offset)
                chunk = fh.read(count)
                try:
                    inflater = zlib.decompressobj()
                    while chunk:  # bounded output per step: a bomb costs no memory here
                        inflater.decompress(chunk, 1 << 20)
                        chunk = inflater.unconsumed_tail
                    if not inflater.eof:
                        raise zlib.error("incomplete or truncated stream")
                except zlib.error as exc:
                    where = f"page {page}, " if pages > 1 else ""
                    raise UnreadableMask(path, f"corrupt deflate data in TIFF {where}strip/tile "
                                         f"{i} (zlib: {exc}); the file is damaged") from None
    finally:
        im.seek(0)


def nodata_value(path: str, text) -> int | None:
    """The integer a ``GDAL_NODATA`` tag (ASCII) names, or None (no tag, or NaN/fraction:
    no integer pixel can hold it); a tag that is not a number is an error."""
    if text is None:
        return None
    text = str(text).strip().rstrip("\x00").strip()
    try:
        value = float(text)
    except ValueError:
        raise UnreadableMask(path, f"GDAL_NODATA tag {text!r} is not a number") from None
    return int(value) if value == value and value == int(value) else None


def page_nodata(path: str, source: "bytes | IO[bytes] | None" = None) -> list[int | None]:
    """The GDAL_NODATA value of every page of a TIFF (None where it has none); ``source``:
    the file's bytes (or a file object of them) when already read."""
    import io

    from PIL import Image

    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    with Image.open(source if source is not None else path) as im:
        out = []
        for page in range(getattr(im, "n_frames", 1)):
            im.seek(page)
            out.append(nodata_value(path, im.tag_v2.get(NODATA_TAG)))
        return out
