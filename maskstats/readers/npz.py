"""``.npz`` members read as streams: bounded memory whatever the member decompresses to.

``np.load`` on an ``.npz`` inflates a whole member into memory: a 2 MB archive of zeros
can hold gigabytes (a zip bomb). Here a member is opened with :mod:`zipfile`, its ``.npy``
header parsed, and its data read front to back, a slice at a time, as
:func:`maskstats.readers.arrays.hists_of_array` asks for it. Nothing is kept once counted.
"""

from __future__ import annotations

import math
import zipfile
import zlib
from typing import IO, Any

import numpy as np

from maskstats.errors import UnreadableMask

#: bytes read and thrown away at a time when skipping forward
_SKIP = 1 << 20


def member_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """``{array name: member name}`` as ``np.load`` names them (``masks.npy`` -> ``masks``)."""
    out: dict[str, str] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        name = info.filename
        out[name[:-4] if name.endswith(".npy") else name] = name
    return out


class StreamedArray:
    """A C-order ``.npy`` member read front to back: ``shape``, ``dtype`` and the basic
    slices along the leading axes that the counting code takes, in increasing order."""

    def __init__(self, path: str, stream: IO[bytes]):
        self.path = path
        self._fh = stream
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unknown .npy format version {version}")
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise UnreadableMask(path, f"not a valid .npz array ({exc})") from None
        if dtype.hasobject:
            raise UnreadableMask(path, "array of Python objects (pickled): not a label array")
        self.shape = tuple(shape)
        self.dtype = dtype
        self.fortran = bool(fortran) and len(self.shape) > 1
        self._pos = 0  # elements read so far

    def _read(self, count: int) -> bytes:
        want = count * self.dtype.itemsize
        try:
            data = self._fh.read(want)
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise UnreadableMask(self.path, f"corrupt .npz member ({exc})") from None
        if len(data) != want:
            raise UnreadableMask(self.path, f"truncated .npz member: {len(data)} of {want} "
                                 "bytes of array data")
        return data

    def __getitem__(self, index: Any) -> np.ndarray:
        index = index if isinstance(index, tuple) else (index,)
        scalar = False
        if not index or not isinstance(index[-1], slice):  # integers only
            if len(index) < len(self.shape):
                index = index + (slice(None),)  # arr[i] is arr[i, :]
            elif index:  # one value: arr[i, j] is arr[i, j:j+1] without its axis
                scalar = True
                index = index[:-1] + (slice(index[-1], index[-1] + 1),)
            else:  # a 0-d array
                self._pos += 1
                return np.frombuffer(self._read(1), dtype=self.dtype).reshape(())
        *prefix, last = index
        if (len(index) > len(self.shape) or any(isinstance(i, slice) for i in prefix)
                or last.step not in (None, 1)):
            raise TypeError(f"unsupported streamed index {index!r}")
        axis = len(prefix)
        start, stop, _ = last.indices(self.shape[axis])
        stop = max(start, stop)
        inner = math.prod(self.shape[axis + 1:])
        first = sum(i * math.prod(self.shape[dim + 1:]) for dim, i in enumerate(prefix))
        first += start * inner
        if first < self._pos:
            raise TypeError("a streamed .npz member is read front to back only")
        while self._pos < first:  # skip forward
            step = min(first - self._pos, max(1, _SKIP // self.dtype.itemsize))
            self._read(step)
            self._pos += step
        count = (stop - start) * inner
        out = np.frombuffer(self._read(count), dtype=self.dtype)
        self._pos += count
        return out.reshape(() if scalar else (stop - start,) + self.shape[axis + 1:])

    def finish(self) -> None:
        """Read to the end of the member, so that zipfile checks its CRC-32."""
        total = math.prod(self.shape)
        while self._pos < total:
            step = min(total - self._pos, max(1, _SKIP // self.dtype.itemsize))
            self._read(step)
            self._pos += step
        try:
            self._fh.read(1)
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            raise UnreadableMask(self.path, f"corrupt .npz member ({exc})") from None
