"""Objects: connected components per class (``scan --objects``, the ``objects`` extra).

Pixel counts hide a second imbalance: a class of many small objects (poles, lesions) and a
class of a few large ones can cover the same pixels. With ``--objects`` every image is also
split into connected components of equal class with ``connected-components-3d`` (cc3d,
multi-label labelling in one pass): 8-connected in 2-D and 26-connected in 3-D volumes by
default, or ``--connectivity 4|8`` (2-D) / ``6|18|26`` (3-D). Each component gives its class
and its size in pixels (:class:`Objects`).

Labelling needs the label array, so with ``--objects`` a mask is decoded to an array once
(:func:`label_images`) and both its histogram and its components come from that array; the
histograms equal those of the plain readers (tests check it), so the pixel statistics do not
change. cc3d treats 0 as background; values are shifted by one first, so class 0 has
components like any other class.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.histogram import ImageHist
from maskstats.options import ReadOptions, Warn, integral_or_fail

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


def _cc_input(label: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels for cc3d, where 0 is background: every class, 0 included, must be non-zero.

    Returns the array to label and a table ``values[l]`` = class of cc3d label l (None when
    the labels are the classes). An 8-bit image stays 8-bit: it is XORed with a value x it
    does not hold (one SIMD pass; ``v ^ x`` is 0 only for v = x, and XOR undoes itself).
    """
    if label.dtype == np.bool_:
        label = label.view(np.uint8)
    if label.dtype == np.uint8:
        from PIL import Image

        bins = Image.fromarray(label).histogram() if label.ndim == 2 else \
            np.bincount(label.reshape(-1), minlength=256).tolist()
        if bins[0] == 0:
            return label, None
        free = next((v for v in range(1, 256) if bins[v] == 0), None)
        if free is not None:
            return label ^ np.uint8(free), np.arange(256, dtype=_I64) ^ free
        return label.astype(np.uint16) + np.uint16(1), np.arange(-1, 256, dtype=_I64)
    if label.dtype == np.uint16 and int(label.max()) < 65535:
        return label + np.uint16(1), np.arange(-1, 65535, dtype=_I64)
    values, inverse = np.unique(label, return_inverse=True)  # wide or signed ids: compress
    return ((inverse.reshape(label.shape) + 1).astype(np.uint32),
            np.concatenate([[-1], values.astype(_I64)]))


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
    data, values = _cc_input(np.ascontiguousarray(label))
    cc, n = cc3d.connected_components(data, connectivity=conn, return_N=True)
    if data.dtype == np.uint8 and n < 1 << 24:  # one bincount of (component << 8 | label)
        key = np.left_shift(cc.reshape(-1), 8, dtype=np.uint32)
        np.bitwise_or(key, data.reshape(-1), out=key)
        table = np.bincount(key)
        pairs = np.flatnonzero(table)
        sizes, classes = table[pairs].astype(_I64), (pairs & 0xFF).astype(_I64)
    else:
        flat = cc.reshape(-1)
        sizes = np.bincount(flat, minlength=n + 1)[1:].astype(_I64)
        of = np.zeros(n + 1, data.dtype)
        of[flat] = data.reshape(-1)
        classes = of[1:].astype(_I64)
    if values is not None:
        classes = values[classes]
    order = np.argsort(classes, kind="stable")
    classes, sizes = classes[order], sizes[order]
    present, first = np.unique(classes, return_index=True)
    pixels = np.add.reduceat(sizes, first) if sizes.size else empty
    return Objects(classes, sizes), ImageHist(present, pixels.astype(_I64), int(label.size))


def remap_array(label: np.ndarray, remap: Mapping[int, int]) -> np.ndarray:
    """``label`` with every value v replaced by ``remap.get(v, v)`` (a table for 8/16 bits)."""
    if label.dtype in (np.uint8, np.uint16):
        lut = np.array([remap.get(v, v) for v in range(np.iinfo(label.dtype).max + 1)],
                       dtype=_I64)
        return lut[label]
    values, inverse = np.unique(label, return_inverse=True)
    mapped = np.array([remap.get(int(v), int(v)) for v in values], dtype=_I64)
    return mapped[inverse].reshape(label.shape)


# ------------------------------------------------------------------ label arrays per format
def label_images(path: str, options: ReadOptions, warn: Warn,
                 data: bytes | None = None) -> Iterator[np.ndarray]:
    """The label array of every image of a mask file (``data``: its bytes, if fetched).

    Values are what the readers count (palette indices, stored low-bit values, class ids
    of colour tables); files the readers refuse raise the readers' errors.
    """
    name = os.path.basename(path).lower()
    if name.endswith((".nii", ".nii.gz")):
        yield from _nifti_volume(path)
    elif name.endswith((".npy", ".npz", ".h5", ".hdf5")):
        yield from _array_images(path, options, data)
    else:
        yield from _pil_images(path, options, warn, data)


def _array_images(path: str, options: ReadOptions, data: bytes | None) -> Iterator[np.ndarray]:
    from maskstats.arrays import CHANNEL_LAYOUTS, pick_key, resolve_layout

    if options.layout in CHANNEL_LAYOUTS:
        raise UsageProblem(f"--objects counts components of label masks; --layout "
                           f"{options.layout} arrays hold channels ({path})")
    source: Any = io.BytesIO(data) if data is not None else path
    try:
        if path.lower().endswith(".npy"):
            arr = np.load(source, mmap_mode=None if data is not None else "r",
                          allow_pickle=False)
            yield from _layout_images(path, arr, options, resolve_layout)
        elif path.lower().endswith(".npz"):
            with np.load(source, allow_pickle=False) as npz:
                arr = npz[pick_key(path, list(npz.files), options.key)]
            yield from _layout_images(path, arr, options, resolve_layout)
        else:
            import h5py

            with h5py.File(source, "r") as fh:
                names: list[str] = []
                fh.visititems(lambda n, obj: names.append(n)
                              if isinstance(obj, h5py.Dataset) else None)
                yield from _layout_images(path, fh[pick_key(path, names, options.key)],
                                          options, resolve_layout)
    except (ValueError, OSError, EOFError) as exc:
        raise UnreadableMask(path, f"not a readable array file ({exc})") from None


def _layout_images(path: str, arr: Any, options: ReadOptions, resolve) -> Iterator[np.ndarray]:
    layout = resolve(path, tuple(arr.shape), options.layout)
    images = [arr] if layout == "mask" else (arr[i] for i in range(arr.shape[0]))
    for img in images:
        img = np.asarray(img)
        if layout == "stack" and img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        yield _integers(path, img)


def _integers(path: str, img: np.ndarray) -> np.ndarray:
    if img.dtype.kind == "f":
        return integral_or_fail(path, img)
    if img.dtype.kind not in "iub":
        raise UnreadableMask(path, f"array of {img.dtype}: label arrays must hold integers")
    return img


def _nifti_volume(path: str) -> Iterator[np.ndarray]:
    from maskstats.nifti import read_nifti

    try:
        import nibabel
        img = nibabel.load(path)
        vol = np.asarray(img.dataobj)
    except ImportError:
        list(read_nifti(path))  # the reader's error for a missing extra
        return
    except Exception:
        list(read_nifti(path))  # the reader's error for this file
        raise
    while vol.ndim > 3 and vol.shape[-1] == 1:
        vol = vol[..., 0]
    if vol.ndim > 3:
        list(read_nifti(path))  # refuses 4-D volumes with its message
    yield _integers(path, vol)


def _pil_images(path: str, options: ReadOptions, warn: Warn,
                data: bytes | None) -> Iterator[np.ndarray]:
    from PIL import Image

    from maskstats.readers import JPEG_WARNING, LOW_BIT_SCALE, raw_mode, read_pil

    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise UnreadableMask(path, f"cannot read ({exc.strerror or exc})") from None
    if not data:
        raise UnreadableMask(path, "empty file (0 bytes)")
    from maskstats.png import (DAMAGED, SIGNATURE, check_adler32, check_png, check_size,
                               uses_libspng)

    if data.startswith(SIGNATURE):  # checksums as the PNG reader checks them
        header = check_png(path, data)
        check_size(path, header)
        if options.verify_checksums:
            check_adler32(path, data, header)
        if uses_libspng(header, options):  # 8-bit grey or palette: libspng, as the reader
            from maskstats.spng import SpngError, decoder

            try:
                buf = decoder()(data, header.width * header.height)
            except SpngError as exc:
                raise UnreadableMask(path, f"corrupt PNG image data (libspng: {exc}); "
                                     + DAMAGED) from None
            # a view of libspng's reused buffer: valid until the next decode on this thread
            yield np.frombuffer(buf, np.uint8).reshape(header.height, header.width)
            return
    try:
        im = Image.open(io.BytesIO(data))
    except Exception:
        list(read_pil(path, options, warn, source=io.BytesIO(data)))  # its error
        raise
    with im:
        if im.format == "JPEG":
            warn(JPEG_WARNING)
        for frame in range(getattr(im, "n_frames", 1)):
            try:
                if frame:
                    im.seek(frame)
                mode = im.mode
                scale = LOW_BIT_SCALE.get(raw_mode(im) or "", 1) if mode == "L" else 1
                if mode == "1":  # stored bits 0/1 (Pillow may hand them out as 0/255)
                    yield (np.asarray(im) != 0).astype(np.uint8)
                elif mode in ("L", "P", "I", "F") or mode.startswith("I;16"):
                    arr = np.asarray(im)
                    yield _integers(path, arr // scale if scale != 1 else arr)
                elif mode in ("RGB", "RGBA") and options.colors:
                    from maskstats.colors import class_ids

                    yield class_ids(np.asarray(im), options.colors)
                else:
                    list(read_pil(path, options, warn, source=io.BytesIO(data)))  # its error
                    raise UnreadableMask(path, f"unsupported image mode {mode!r} for objects")
            except UnreadableMask:
                raise
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise UnreadableMask(path, f"truncated or corrupt image data ({exc})") from None


# -------------------------------------------------------------------- weights by objects
def objects_as_counts(stats, source: str = "stats"):
    """A copy of ``stats`` whose counts are its ``object_counts`` (``weights --unit objects``).

    Every scheme then weights classes by their number of objects instead of pixels;
    ``image_pixels`` is dropped (median-frequency falls back to n_c / N).
    """
    import dataclasses

    from maskstats.errors import BadStats

    counts = stats.extra.get("object_counts")
    if not isinstance(counts, list) or len(counts) != stats.num_classes or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        raise BadStats(f"{source}: no object statistics (scan with --objects to weight by "
                       "objects)")
    return dataclasses.replace(stats, pixel_counts=list(counts), image_pixels=[],
                               unit="objects")
