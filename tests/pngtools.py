"""A minimal PNG writer and chunk tools for the PNG tests, independent of maskstats.

Pillow cannot write every PNG kind a mask can come as (2/4-bit grey, interlaced), so the
tests write them with the PNG spec's rules directly: filter type 0 on every row (or the
filter types asked for, row by row), one IDAT (or several), Adam7 passes for interlaced images.
"""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: an AddressSanitizer build of the PNG kernel (.ci/run) needs its runtime in subprocesses too
SANITIZER_ENV = {k: v for k, v in os.environ.items()
                 if k in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


def chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(
        ">I", zlib.crc32(kind + payload))


def _rows(a: np.ndarray, depth: int) -> list[bytes]:
    """Raw scanlines of ``a`` (H, W) or (H, W, S) at ``depth`` bits per sample."""
    if depth == 16:
        return [row.astype(">u2").tobytes() for row in a]
    if depth == 8:
        return [row.astype(np.uint8).tobytes() for row in a]
    per = 8 // depth
    out = []
    for row in a.astype(np.uint8):
        pad = (-len(row)) % per
        row = np.concatenate([row, np.zeros(pad, np.uint8)]).reshape(-1, per)
        shifts = np.arange(per - 1, -1, -1, dtype=np.uint8) * depth
        out.append((row << shifts).sum(axis=1).astype(np.uint8).tobytes())
    return out


def _passes(a: np.ndarray):
    """The seven Adam7 sub-images of ``a`` (empty ones left out, as the spec says)."""
    starts = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2),
              (0, 1, 2, 2), (1, 0, 2, 1)]  # (row0, col0, row step, col step)
    for r0, c0, rs, cs in starts:
        sub = a[r0::rs, c0::cs]
        if sub.shape[0] and sub.shape[1]:
            yield sub


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def filter_rows(rows: list[bytes], bpp: int, filters) -> bytes:
    """The scanlines with a filter byte each: row i uses ``filters[i % len(filters)]``
    (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth), written from the PNG spec's formulas."""
    out, prev = [], None
    for i, row in enumerate(rows):
        x = np.frombuffer(row, np.uint8).astype(np.int32)
        b = np.zeros_like(x) if prev is None else prev
        a = np.concatenate([np.zeros(bpp, np.int32), x[:-bpp]])[:x.size]
        c = np.concatenate([np.zeros(bpp, np.int32), b[:-bpp]])[:x.size]
        kind = filters[i % len(filters)]
        pred = {0: 0 * x, 1: a, 2: b, 3: (a + b) // 2, 4: _paeth(a, b, c)}[kind]
        out.append(bytes([kind]) + ((x - pred) % 256).astype(np.uint8).tobytes())
        prev = x
    return b"".join(out)


def encode_png(a: np.ndarray, color_type: int, depth: int, *, interlace: bool = False,
               palette: bytes | None = None, idat_pieces: int = 1, level: int = 6,
               filters=(0,)) -> bytes:
    """PNG bytes of ``a`` (samples as stored) with the given colour type and bit depth."""
    h, w = a.shape[:2]
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace))
    parts = list(_passes(a)) if interlace else [a]
    samples = a.shape[2] if a.ndim == 3 else 1
    bpp = max(1, samples * depth // 8)
    raw = b"".join(filter_rows(_rows(part, depth), bpp, filters) for part in parts)
    stream = zlib.compress(raw, level)
    out = SIGNATURE + chunk(b"IHDR", ihdr)
    if color_type == 3:
        out += chunk(b"PLTE", palette or bytes((i * 97 + 31) % 256 for i in range(768)))
    step = -(-len(stream) // idat_pieces)
    for i in range(0, len(stream), step):
        out += chunk(b"IDAT", stream[i:i + step])
    return out + chunk(b"IEND", b"")


def chunks(data: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, payload length, type) of every chunk of a PNG."""
    pos, out = 8, []
    while pos + 8 <= len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        out.append((pos, n, data[pos + 4:pos + 8]))
        pos += 12 + n
    return out


def refix_crcs(data: bytes | bytearray) -> bytes:
    """The PNG with every chunk CRC recomputed (what a careless tool rewriting chunks does)."""
    d = bytearray(data)
    for pos, n, _ in chunks(bytes(d)):
        if pos + 12 + n <= len(d):
            d[pos + 8 + n:pos + 12 + n] = struct.pack(">I", zlib.crc32(d[pos + 4:pos + 8 + n]))
    return bytes(d)


def idat_ranges(data: bytes) -> list[tuple[int, int]]:
    """(start, end) offsets of the IDAT payloads."""
    return [(pos + 8, pos + 8 + n) for pos, n, kind in chunks(data) if kind == b"IDAT"]


def wrong_adler(data: bytes) -> bytes:
    """The PNG with the zlib adler32 (last 4 bytes of the image data) changed, CRCs re-fixed."""
    d = bytearray(data)
    start, end = idat_ranges(data)[-1]
    d[end - 1] ^= 0x5A
    return refix_crcs(d)
