"""libspng, the fast PNG decoder, called through its C API (``spng.h``) with :mod:`ctypes`.

The library comes with the ``pyspng`` package (a dependency), whose extension module exports
libspng's C functions. ``pyspng.load`` itself is not used because it expands palette images to
RGB; called directly with ``SPNG_FMT_PNG``, libspng returns palette images as their indices.

Checksums are switched off in libspng (``SPNG_CRC_USE``, as pyspng does), because the caller
(:mod:`maskstats.readers.png`) has verified every chunk CRC already, and libspng's own zlib adler32
check is not reliable: it stops inflating at the last pixel row, so an adler32 stored in a
last, separate IDAT chunk is never read (tests/test_png.py shows it). Computing the adler32
costs libspng ~10% of its decode time; the opt-in check is a separate inflate instead.

When pyspng is missing, fails to import, or its library lacks a symbol, :func:`decoder`
returns None and callers use Pillow; the counts are the same.
"""

from __future__ import annotations

import ctypes
import threading
from functools import lru_cache
from typing import Callable

import numpy as np

SPNG_FMT_PNG = 256  # the PNG's own format: 8-bit grey as is, palette images as indices
SPNG_CRC_USE = 2  # neither compute nor check chunk CRCs (and so no adler32 either)
_CHUNK_LIMIT = 64 << 20  # bytes of ancillary chunk data libspng may keep (as pyspng)
_REUSE_LIMIT = 16 << 20  # output buffers up to this size are reused per thread

Decode = Callable[[bytes, int], np.ndarray]


class SpngError(Exception):
    """libspng refused the data; the message is libspng's own (e.g. 'IDAT stream error')."""

    def problem(self, damaged: str) -> str:
        """What to tell the user: a limit that was reached, or ``damaged`` (data errors)."""
        if "limits" in str(self):  # SPNG_ECHUNK_LIMITS: too much ancillary chunk data
            return (f"the PNG holds more ancillary chunk data (text and other metadata "
                    f"chunks) than the decoder keeps, {_CHUNK_LIMIT >> 20} MiB "
                    f"(libspng: {self}); the image data may be fine: re-save the mask "
                    "without its metadata")
        return f"corrupt PNG image data (libspng: {self}); {damaged}"


@lru_cache(maxsize=1)
def decoder() -> Decode | None:
    """``decode(data, size) -> uint8 array`` through libspng, or None when unavailable."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("pyspng._pyspng_c")
        if spec is None or not spec.origin:
            return None
        lib = ctypes.CDLL(spec.origin)
        return _bind(lib)
    except (ImportError, OSError, AttributeError, ValueError):
        return None


def _bind(lib: ctypes.CDLL) -> Decode:
    ptr, size_t, c_int = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int
    signatures = {
        "spng_ctx_new": ([c_int], ptr),
        "spng_ctx_free": ([ptr], None),
        "spng_set_png_buffer": ([ptr, ctypes.c_char_p, size_t], c_int),
        "spng_set_crc_action": ([ptr, c_int, c_int], c_int),
        "spng_set_chunk_limits": ([ptr, size_t, size_t], c_int),
        "spng_decoded_image_size": ([ptr, c_int, ctypes.POINTER(size_t)], c_int),
        "spng_decode_image": ([ptr, ptr, size_t, c_int, c_int], c_int),
        "spng_strerror": ([c_int], ctypes.c_char_p),
    }
    for name, (args, result) in signatures.items():
        func = getattr(lib, name)
        func.argtypes, func.restype = args, result
    local = threading.local()

    def fail(code: int) -> SpngError:
        return SpngError((lib.spng_strerror(code) or b"error %d" % code).decode("ascii",
                                                                             "replace"))

    def buffer(size: int) -> np.ndarray:
        if size > _REUSE_LIMIT:
            return np.empty(size, np.uint8)
        buf = getattr(local, "buf", None)
        if buf is None or buf.size < size:
            buf = local.buf = np.empty(max(size, 1 << 20), np.uint8)
        return buf[:size]

    def decode(data: bytes, expected: int) -> np.ndarray:
        """The decoded pixels (one byte each; valid until the next call on this thread)."""
        ctx = lib.spng_ctx_new(0)
        if not ctx:
            raise MemoryError("libspng could not allocate a context")
        try:
            lib.spng_set_chunk_limits(ctx, _CHUNK_LIMIT, _CHUNK_LIMIT)
            lib.spng_set_crc_action(ctx, SPNG_CRC_USE, SPNG_CRC_USE)  # checked by the caller
            code = lib.spng_set_png_buffer(ctx, data, len(data))
            if code:
                raise fail(code)
            size = size_t()
            code = lib.spng_decoded_image_size(ctx, SPNG_FMT_PNG, ctypes.byref(size))
            if code:
                raise fail(code)
            if size.value != expected:
                raise SpngError(f"decoded size {size.value} bytes, expected {expected}")
            out = buffer(expected)
            code = lib.spng_decode_image(ctx, out.ctypes.data, expected, SPNG_FMT_PNG, 0)
            if code:
                raise fail(code)
            return out
        finally:
            lib.spng_ctx_free(ctx)

    return decode
