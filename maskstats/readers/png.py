"""PNG masks: checksums checked, grey and palette images counted by the compiled kernel.

The file is read once. Its chunk list is walked first (:func:`check_png`): the signature,
every chunk's length and CRC-32 (``zlib.crc32``, a few microseconds per file), an IHDR first
and an IEND at the end. A damaged file (a flipped bit anywhere, a truncated download) is then
one :class:`~maskstats.errors.UnreadableMask` error instead of counts that are silently
wrong: neither Pillow nor libspng (as ``pyspng`` calls it) checks the CRCs.

The header picks the decoder. Grey (1-16 bit) and palette (1-8 bit) images, not
interlaced, are counted by the compiled kernel (:mod:`maskstats.readers.fastpng`: inflate,
unfilter and count in one pass, two rows held, the adler32 checked in the same pass under
``verify_checksums``). Without the kernel (not built), 8-bit grey and 8-bit palette images
go to libspng (:mod:`maskstats.readers.spng`, ~1.25x faster than Pillow; palette images
come back as their indices), counted in place by Pillow's C histogram (``Image.frombuffer``,
no copy). Every other PNG (grey+alpha, RGB, interlaced, and 16-bit or 1/2/4-bit ones
without the kernel) goes to the Pillow reader of :mod:`maskstats.readers.formats`, from the
same bytes. The counts are the same on every path.

The zlib adler32 of the image data is checked only with ``verify_checksums``: off the
kernel, both decoders stop inflating at the last pixel row, before the adler32, so the check
is a second inflate of the image data (+80% CPU time of a scan, see docs/speed.md). A
damaged file fails its CRCs first; a wrong adler32 under good CRCs needs a tool that rewrote
the chunks after the damage.

Pillow and libspng are loaded on the first decode, not on import: the walk imports this
module to find the reader of ``.png`` files, and a rescan served by the cache decodes none.

Decompression bombs: deflate expands at most 1032:1, so a header promising more pixel bytes
than its image data can hold is refused before anything is allocated; images over twice
Pillow's ``MAX_IMAGE_PIXELS`` are refused on both decoders, as Pillow does.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from maskstats.errors import UnreadableMask
from maskstats.core.histogram import ImageHist, hist_from_array, hist_from_bins
from maskstats.readers.fastpng import DAMAGED, count_png, count_png_blocks, handles
from maskstats.readers.options import ReadOptions, Warn
from maskstats.readers.formats import pil_labels, read_pil
from maskstats.readers.spng import SpngError, decoder

SIGNATURE = b"\x89PNG\r\n\x1a\n"
PIL_MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3  # Pillow's default MAX_IMAGE_PIXELS
MAX_INFLATE_RATIO = 1032  # deflate's largest expansion: 258 bytes from a 2-bit code
#: colour type -> allowed bit depths (PNG spec, table 11.1) and samples per pixel
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_CHUNK = struct.Struct(">I4s")
_IHDR = struct.Struct(">IIBBBBB")


@dataclass(frozen=True)
class PngHeader:
    """What :func:`check_png` learnt: the IHDR fields and where the image data lies."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    interlaced: bool
    idat: tuple[tuple[int, int], ...]  # (start, end) byte ranges of the IDAT payloads

    @property
    def idat_bytes(self) -> int:
        return sum(end - start for start, end in self.idat)

    @property
    def stream_bytes(self) -> int:
        """Bytes of the inflated image data of a non-interlaced image (a lower bound)."""
        row = (self.width * self.bit_depth * _SAMPLES[self.color_type] + 7) // 8
        return self.height * (row + 1)


def check_png(path: str, data: bytes) -> PngHeader:
    """Walk the chunks of the PNG ``data``, verify their CRCs, and return its header.

    Raises :class:`UnreadableMask` for a truncated file, a CRC mismatch, a missing or invalid
    IHDR, no IDAT or no IEND. Bytes after IEND are ignored (as every decoder does).
    """
    if not data.startswith(SIGNATURE):
        raise UnreadableMask(path, "not a PNG file (no PNG signature)")
    view = memoryview(data)
    pos, header, idat = len(SIGNATURE), None, []
    while True:
        if pos + 12 > len(data):
            where = "before its IEND chunk" if header else "in its header"
            raise UnreadableMask(path, "truncated or corrupt PNG: the file ends at byte "
                                 f"{len(data)} {where}; " + DAMAGED)
        length, kind = _CHUNK.unpack_from(data, pos)
        name = kind.decode("latin-1")
        if length > 0x7FFFFFFF or not kind.isalpha():
            raise UnreadableMask(path, f"corrupt PNG: invalid chunk at byte {pos}; " + DAMAGED)
        end = pos + 12 + length
        if end > len(data):
            raise UnreadableMask(path, f"truncated or corrupt PNG: chunk {name!r} at byte {pos} "
                                 f"runs past the end of the file ({len(data)} bytes); " + DAMAGED)
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(view[pos + 4:end - 4]) != crc:
            raise UnreadableMask(path, f"corrupt PNG: CRC mismatch in chunk {name!r} at byte "
                                 f"{pos}; " + DAMAGED)
        if header is None:
            if kind != b"IHDR" or length != 13:
                raise UnreadableMask(path, "corrupt PNG: the first chunk is not IHDR")
            header = _ihdr(path, data, pos + 8)
        elif kind == b"IDAT":
            idat.append((pos + 8, end - 4))
        elif kind == b"IEND":
            break
        pos = end
    if not idat:
        raise UnreadableMask(path, "corrupt PNG: no image data (IDAT chunk)")
    return PngHeader(*header, idat=tuple(idat))


def _ihdr(path: str, data: bytes, at: int) -> tuple[int, int, int, int, bool]:
    width, height, depth, color, compression, filtering, interlace = _IHDR.unpack_from(data, at)
    if not (0 < width <= 0x7FFFFFFF and 0 < height <= 0x7FFFFFFF) or \
            depth not in _DEPTHS.get(color, ()) or compression or filtering or interlace > 1:
        raise UnreadableMask(path, f"corrupt PNG: invalid IHDR (size {width}x{height}, colour "
                             f"type {color}, bit depth {depth}, interlace {interlace})")
    return width, height, depth, color, bool(interlace)


def check_size(path: str, header: PngHeader) -> None:
    """Refuse headers whose pixels the file cannot hold, and decompression bombs."""
    limit = MAX_INFLATE_RATIO * header.idat_bytes + 64
    if header.stream_bytes > limit:
        raise UnreadableMask(path, f"corrupt PNG: its header says {header.width}x"
                             f"{header.height} pixels, more than its {header.idat_bytes} bytes "
                             "of image data can hold (truncated, or a decompression bomb)")
    # Pillow's limit as set in this process; its default when Pillow is not loaded (the
    # compiled kernel counts without it, and importing it would cost every scan ~30 ms)
    image = sys.modules.get("PIL.Image")
    most = image.MAX_IMAGE_PIXELS if image is not None else PIL_MAX_IMAGE_PIXELS
    if most and header.width * header.height > 2 * most:
        raise UnreadableMask(path, "refused as a possible decompression bomb "
                             f"({header.width * header.height} pixels, over twice Pillow's "
                             f"MAX_IMAGE_PIXELS of {most})")


def check_adler32(path: str, data: bytes, header: PngHeader) -> None:
    """Inflate the image data (in pieces, output dropped) so zlib verifies its adler32."""
    inflater = zlib.decompressobj()
    view = memoryview(data)
    try:
        for start, end in header.idat:
            piece = view[start:end]
            while piece:
                inflater.decompress(piece, 1 << 20)
                piece = inflater.unconsumed_tail
            if inflater.eof:
                break
        inflater.flush()
    except zlib.error as exc:
        raise UnreadableMask(path, f"corrupt PNG image data (zlib: {_zlib_reason(exc)}); "
                             + DAMAGED) from None
    if not inflater.eof:
        raise UnreadableMask(path, "corrupt PNG image data (the zlib stream is incomplete); "
                             + DAMAGED)


def _zlib_reason(exc: zlib.error) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def uses_libspng(header: PngHeader, options: ReadOptions) -> bool:
    """8-bit grey or palette, not interlaced, counted as one label image, libspng present."""
    return (header.bit_depth == 8 and header.color_type in (0, 3) and not header.interlaced
            and options.layout in ("auto", "mask", "stack") and decoder() is not None)


def read_png(path: str, options: ReadOptions, warn: Warn) -> Iterator[ImageHist]:
    """The one image of a PNG mask file, after its checksums (see the module docstring)."""
    data = _png_data(path)
    if hasattr(path, "read"):  # a file object (a fetched remote object, maskstats.readers.remote)
        path.seek(0)
    if not data.startswith(SIGNATURE):  # a mask of another format named .png: Pillow sniffs it
        yield from read_pil(path, options, warn)
        return
    yield from read_png_bytes(str(path), data, options, warn)


def read_png_bytes(path: str, data: bytes, options: ReadOptions,
                   warn: Warn) -> Iterator[ImageHist]:
    """:func:`read_png` for PNG bytes already in memory (``path`` names them in errors)."""
    header = check_png(path, data)
    check_size(path, header)
    if options.layout in ("auto", "mask", "stack") and handles(header):
        yield count_png(path, data, header, verify=options.verify_checksums)
        return
    decoded = spng_pixels(path, data, options, header)
    if decoded is None:
        yield from read_pil(path, options, warn, source=io.BytesIO(data))
        return
    from PIL import Image

    header, buf = decoded
    im = Image.frombuffer("L", (header.width, header.height), buf, "raw", "L", 0, 1)
    yield hist_from_bins(im.histogram(), header.width * header.height)


def png_window_hists(path: str, data: bytes, options: ReadOptions, warn: Warn,
                     rows: tuple[int, int], cols: tuple[int, int] | None = None,
                     block: int = 0) -> list[ImageHist]:
    """Histograms of the rows ``rows[0] <= y < rows[1]`` (and columns ``cols``) of a PNG
    mask, one per ``block`` rows (0: one), after the same checks as :func:`read_png`.

    The compiled kernel counts the window in one pass; without it (or for PNG kinds it does
    not count) the image is decoded as ``--objects`` decodes it and the window is cut out.
    """
    header = check_png(path, data)
    check_size(path, header)
    if options.layout in ("auto", "mask", "stack") and handles(header):
        return count_png_blocks(path, data, header, options.verify_checksums, rows, cols, block)
    (labels,) = png_labels(path, options, warn, data)
    r0, r1 = rows
    c0, c1 = cols if cols is not None else (0, labels.shape[1])
    if not (0 <= r0 < r1 <= labels.shape[0] and 0 <= c0 < c1 <= labels.shape[1]):
        raise ValueError(f"window rows {r0}:{r1}, columns {c0}:{c1} outside the "
                         f"{labels.shape[1]}x{labels.shape[0]} image")
    step = block or (r1 - r0)
    return [hist_from_array(labels[y:min(y + step, r1), c0:c1]) for y in range(r0, r1, step)]


def png_labels(path: str, options: ReadOptions, warn: Warn,
               data: bytes | None = None) -> Iterator[np.ndarray]:
    """The label array of a PNG mask (``data``: its bytes, if fetched), decoded as
    :func:`read_png` decodes it: same checks, libspng or Pillow."""
    if data is None:
        data = _png_data(path)
    decoded = spng_pixels(path, data, options) if data.startswith(SIGNATURE) else None
    if decoded is None:
        yield from pil_labels(path, options, warn, data)
        return
    header, buf = decoded
    # a view of libspng's reused buffer: valid until the next decode on this thread
    yield np.frombuffer(buf, np.uint8).reshape(header.height, header.width)


def _png_data(path) -> bytes:
    """The bytes of a PNG file (or of a file object, left at its end)."""
    if hasattr(path, "read"):
        return path.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise UnreadableMask(path, f"cannot read ({exc.strerror or exc})") from None


def spng_pixels(path: str, data: bytes, options: ReadOptions, header: PngHeader | None = None
                ) -> tuple[PngHeader, np.ndarray] | None:
    """Check the PNG ``data`` (chunk CRCs and size unless its ``header`` is given, adler32
    with ``verify_checksums``) and decode it with libspng (one uint8 per pixel) when it
    applies; None: use Pillow."""
    if header is None:
        header = check_png(path, data)
        check_size(path, header)
    if options.verify_checksums:
        check_adler32(path, data, header)
    if not uses_libspng(header, options):
        return None
    try:
        buf = decoder()(data, header.width * header.height)
    except SpngError as exc:
        raise UnreadableMask(path, exc.problem(DAMAGED)) from None
    return header, buf
