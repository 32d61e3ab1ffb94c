"""Objects: connected components per class (``scan --objects``, the ``objects`` extra).

Pixel counts hide a second imbalance: a class of many small objects (poles, lesions) and a
class of a few large ones can cover the same pixels. With ``--objects`` every image is also
split into connected components of equal class with ``connected-components-3d`` (cc3d,
multi-label labelling in one pass): 8-connected in 2-D and 26-connected in 3-D volumes by
default, or ``--connectivity 4|8`` (2-D) / ``6|18|26`` (3-D). Each component gives its class
and its size in pixels (:class:`Objects`).

Labelling needs the label array, so with ``--objects`` a mask is decoded to an array once
(:func:`maskstats.readers.decode.label_images`) and both its histogram and its components come from that array; the
histograms equal those of the plain readers (tests check it), so the pixel statistics do not
change. cc3d treats 0 as background; values are shifted by one first, so class 0 has
components like any other class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.core.histogram import ImageHist
from maskstats.core.extras import OBJECT_COUNTS

CONNECTIVITY_2D = (4, 8)
CONNECTIVITY_3D = (6, 18, 26)
_I64 = np.int64


@dataclass(frozen=True)
class Objects:
    """The connected components of one image: ``classes[i]`` and ``sizes[i]`` (pixels) of
    component i, sorted by class (int64)."""

    classes: np.ndarray
    sizes: np.ndarray


def check_connectivity(connectivity: int | None) -> int | None:
    if connectivity is not None and connectivity not in CONNECTIVITY_2D + CONNECTIVITY_3D:
        raise UsageProblem(f"connectivity must be 4 or 8 (2-D) or 6, 18 or 26 (3-D), not "
                           f"{connectivity}")
    return connectivity


def cc3d_module():
    try:
        import cc3d
    except ImportError:
        raise UsageProblem("--objects needs the 'objects' extra: pip install "
                           "'maskstats[objects]' (connected-components-3d)") from None
    return cc3d


#: an 8-bit value masks rarely hold: XORed with it, an 8-bit image has no 0 (cc3d's background)
XOR_GUESS = 0xA7


def _cc_input(label: np.ndarray, xor: int | None = XOR_GUESS
              ) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels for cc3d, where 0 is background: every class, 0 included, must be non-zero.

    Returns the array to label and a table ``values[l]`` = class of cc3d label l (None when
    the labels are the classes). An 8-bit image stays 8-bit: it is XORed with a value x
    (``v ^ x`` is 0 only for v = x, and XOR undoes itself); x is first a guess, checked after
    labelling (:func:`components`), else a value the image's histogram shows is absent.
    """
    if label.dtype == np.bool_:
        label = label.view(np.uint8)
    if label.dtype == np.uint8:
        if xor is None:
            from PIL import Image

            bins = Image.fromarray(label).histogram() if label.ndim == 2 else \
                np.bincount(label.reshape(-1), minlength=256).tolist()
            xor = next((v for v in range(1, 256) if bins[v] == 0), None)
            if bins[0] == 0:
                return label, None
            if xor is None:  # all 256 values present: widen
                return label.astype(np.uint16) + np.uint16(1), np.arange(-1, 256, dtype=_I64)
        return label ^ np.uint8(xor), np.arange(256, dtype=_I64) ^ xor
    if label.dtype == np.uint16 and int(label.max()) < 65535:
        return label + np.uint16(1), np.arange(-1, 65535, dtype=_I64)
    values, inverse = np.unique(label, return_inverse=True)  # wide or signed ids: compress
    return ((inverse.reshape(label.shape) + 1).astype(np.uint32),
            np.concatenate([[-1], values.astype(_I64)]))


def _writable(a: np.ndarray) -> np.ndarray:
    """``a``, or a copy when it is read-only (a view of libspng's buffer, a memory map): some
    cc3d releases refuse read-only buffers ("buffer source array is read-only")."""
    return a if a.flags.writeable else a.copy()


def components(path: str, label: np.ndarray, connectivity: int | None = None
               ) -> tuple[Objects, ImageHist]:
    """The connected components of one 2-D image or 3-D volume by class, and its histogram
    (the pixels of each class are the sizes of its components, summed)."""
    cc3d = cc3d_module()
    if label.ndim == 3 and label.shape[-1] == 1:
        label = label[..., 0]
    if label.ndim not in (2, 3):
        raise UnreadableMask(path, f"objects need a 2-D image or a 3-D volume, not shape "
                             f"{label.shape}")
    allowed = CONNECTIVITY_2D if label.ndim == 2 else CONNECTIVITY_3D
    conn = connectivity if connectivity is not None else allowed[-1]
    if conn not in allowed:
        raise UsageProblem(f"{path}: a {label.ndim}-D mask takes --connectivity "
                           f"{' or '.join(map(str, allowed))}, not {conn}")
    empty = np.zeros(0, _I64)
    if label.size == 0:
        return Objects(empty, empty), ImageHist(empty, empty, 0)
    label = np.ascontiguousarray(label)
    data, values = _cc_input(label)
    cc, n = cc3d.connected_components(_writable(data), connectivity=conn, return_N=True)
    sizes, classes = _sizes_and_classes(cc.reshape(-1), data.reshape(-1), n)
    del cc, data  # the labelling is the largest array: free it before anything else
    if int(sizes.sum()) != label.size:  # the guessed XOR value was in the image: redo
        data, values = _cc_input(label, None)
        cc, n = cc3d.connected_components(_writable(data), connectivity=conn, return_N=True)
        sizes, classes = _sizes_and_classes(cc.reshape(-1), data.reshape(-1), n)
    if values is not None:
        classes = values[classes]
    order = np.argsort(classes, kind="stable")
    classes, sizes = classes[order], sizes[order]
    present, first = np.unique(classes, return_index=True)
    pixels = np.add.reduceat(sizes, first) if sizes.size else empty
    return Objects(classes, sizes), ImageHist(present, pixels.astype(_I64), int(label.size))


def _sizes_and_classes(flat: np.ndarray, data: np.ndarray, n: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Pixels and class (cc3d input value) of components 1..n of a flat cc3d labelling.

    8-bit inputs: one bincount of ``component << 8 | value`` (uint32) gives both; pixels left
    as background (component 0) are not counted, so their total tells the caller.
    """
    if n == 0:
        return np.zeros(0, _I64), np.zeros(0, _I64)
    if data.dtype == np.uint8 and n < 1 << 24:
        key = np.left_shift(flat, 8, dtype=np.uint32)
        np.bitwise_or(key, data, out=key)
        table = np.bincount(key)
        table[:256] = 0  # component 0: background, not an object
        pairs = np.flatnonzero(table)
        return table[pairs].astype(_I64), (pairs & 0xFF).astype(_I64)
    sizes = np.bincount(flat, minlength=n + 1)
    sizes[0] = 0
    of = np.zeros(n + 1, data.dtype)
    of[flat] = data
    return sizes[1:].astype(_I64), of[1:].astype(_I64)


def remap_array(label: np.ndarray, remap: Mapping[int, int]) -> np.ndarray:
    """``label`` with every value v replaced by ``remap.get(v, v)`` (a table for 8/16 bits)."""
    if label.dtype in (np.uint8, np.uint16):
        lut = np.array([remap.get(v, v) for v in range(np.iinfo(label.dtype).max + 1)],
                       dtype=_I64)
        return lut[label]
    values, inverse = np.unique(label, return_inverse=True)
    mapped = np.array([remap.get(int(v), int(v)) for v in values], dtype=_I64)
    return mapped[inverse].reshape(label.shape)


# -------------------------------------------------------------------- weights by objects
def objects_as_counts(stats, source: str = "stats"):
    """A copy of ``stats`` whose counts are its ``object_counts`` (``weights --unit objects``).

    Every scheme then weights classes by their number of objects instead of pixels;
    ``image_pixels`` is dropped (median-frequency falls back to n_c / N).
    """
    import dataclasses

    from maskstats.errors import BadStats

    counts = stats.extra.get(OBJECT_COUNTS)
    if not isinstance(counts, list) or len(counts) != stats.num_classes or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        raise BadStats(f"{source}: no object statistics (scan with --objects to weight by "
                       "objects)")
    return dataclasses.replace(stats, pixel_counts=list(counts), image_pixels=[],
                               unit="objects")
