"""Reader settings shared by every reader module (the bottom of the reading layer)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from maskstats.errors import UnreadableMask
from maskstats.core.notices import Notice

#: a reader's warning callback: a plain message or a structured :class:`Notice`
Warn = Callable[["str | Notice"], None]


@dataclass(frozen=True)
class ReadOptions:
    """Reader settings that travel to worker processes (must stay picklable)."""

    layout: str = "auto"
    key: str | None = None
    #: colour table as sorted (packed RGB, class id) pairs: RGB/RGBA masks are then counted
    #: by colour (maskstats.readers.colors); None = colour-coded masks are refused
    colors: tuple[tuple[int, int], ...] | None = None
    #: also check the zlib adler32 of PNGs decoded by Pillow (a second inflate, maskstats.readers.png)
    verify_checksums: bool = False
    #: count connected components per class (maskstats.pipeline.objects)
    objects: bool = False
    #: their connectivity: 4 or 8 in 2-D, 6, 18 or 26 in 3-D; None = 8 / 26
    connectivity: int | None = None
    #: count every window of this grid too (a maskstats.windows.grid.WindowGrid; None = no)
    window: object = None
    #: crop statistics for crops of this (height, width) too (maskstats.windows.crops)
    crop: tuple[int, int] | None = None
    #: read only share ``part[0]`` of ``part[1]`` of a block TIFF's blocks (maskstats.pipeline.parts)
    part: tuple[int, int] = (0, 1)
    #: the decompression-bomb limit of images decoded whole (pixels); None = Pillow's, twice
    #: its ``MAX_IMAGE_PIXELS`` (178,956,970)
    max_pixels: int | None = None


def integral_or_fail(path: str, arr: np.ndarray) -> np.ndarray:
    """Float pixels that are whole numbers become int64; any other float is an error."""
    if not np.isfinite(arr).all() or not (arr == np.round(arr)).all():
        raise UnreadableMask(path, f"{arr.dtype} values that are not whole numbers; "
                             "label masks must hold integer class ids")
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if hi >= 2.0 ** 63 or lo < -(2.0 ** 63):  # astype would wrap them
            far = hi if abs(hi) >= abs(lo) else lo
            raise UnreadableMask(path, f"{arr.dtype} value {float(far):g} is beyond the 64-bit "
                                 "integer range; label masks must hold integer class ids")
    return arr.astype(np.int64)


@contextmanager
def pixel_limit(max_pixels: int | None) -> Iterator[None]:
    """Images decoded whole may hold up to ``max_pixels`` pixels inside this block (Pillow
    refuses images over twice its ``MAX_IMAGE_PIXELS``); None keeps Pillow's limit."""
    if max_pixels is None:
        yield
        return
    from PIL import Image

    before = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max(1, max_pixels // 2)  # an odd limit rounds down
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = before
