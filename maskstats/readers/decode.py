"""Mask files -> label arrays, one per image, for ``scan --objects`` (maskstats.pipeline.objects).

The plain readers (:mod:`maskstats.readers.formats`, :mod:`maskstats.readers.png`, ...) count pixels without
building an array; connected components need the array. These functions decode a mask to the
same values the readers count: palette indices, stored low-bit values, 16-bit values, class
ids of a colour table (unknown colours as ``UNKNOWN_BASE + packed``), images of an array
stack, a NIfTI volume. Files the readers refuse raise the readers' own errors. 8-bit grey and
palette PNGs are decoded by libspng, as the PNG reader does, after the same checksum checks.
"""

from __future__ import annotations

import io
import os
from typing import Any, Iterator

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.readers.options import ReadOptions, Warn, integral_or_fail


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
    from maskstats.readers.arrays import (CHANNEL_LAYOUTS, open_npz_member, own_dataset, pick_key,
                                  resolve_layout)

    if options.layout in CHANNEL_LAYOUTS:
        raise UsageProblem(f"--objects counts components of label masks; --layout "
                           f"{options.layout} arrays hold channels ({path})")
    source: Any = io.BytesIO(data) if data is not None else path
    try:
        if path.lower().endswith(".npy"):
            arr = np.load(source, mmap_mode=None if data is not None else "r",
                          allow_pickle=False)
            yield from _layout_images(path, arr, options, resolve_layout)
        elif path.lower().endswith(".npz"):  # streamed image by image, as the reader does
            fetched = source if data is not None else None
            with open_npz_member(path, options.key, fetched) as arr:
                yield from _layout_images(path, arr, options, resolve_layout)
        else:
            import h5py

            with h5py.File(source, "r") as fh:
                names: list[str] = []
                fh.visititems(lambda n, obj: names.append(n)
                              if isinstance(obj, h5py.Dataset) else None)
                name = pick_key(path, names, options.key)
                yield from _layout_images(path, own_dataset(path, fh, name, h5py), options,
                                          resolve_layout)
    except (ValueError, OSError, EOFError) as exc:
        raise UnreadableMask(path, f"not a readable array file ({exc})") from None


def _layout_images(path: str, arr: Any, options: ReadOptions, resolve) -> Iterator[np.ndarray]:
    layout = resolve(path, tuple(arr.shape), options.layout)
    # basic slices in increasing order: what a streamed .npz member (or an h5py dataset) reads
    images = [arr[0:arr.shape[0]]] if layout == "mask" else (arr[i] for i in range(arr.shape[0]))
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
    from maskstats.readers.nifti import read_nifti

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

    from maskstats.readers.formats import JPEG_WARNING, LOW_BIT_SCALE, raw_mode, read_pil

    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise UnreadableMask(path, f"cannot read ({exc.strerror or exc})") from None
    if not data:
        raise UnreadableMask(path, "empty file (0 bytes)")
    from maskstats.readers.png import (DAMAGED, SIGNATURE, check_adler32, check_png, check_size,
                               uses_libspng)

    if data.startswith(SIGNATURE):  # checksums as the PNG reader checks them
        header = check_png(path, data)
        check_size(path, header)
        if options.verify_checksums:
            check_adler32(path, data, header)
        if uses_libspng(header, options):  # 8-bit grey or palette: libspng, as the reader
            from maskstats.readers.spng import SpngError, decoder

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
                    from maskstats.readers.colors import class_ids

                    yield class_ids(np.asarray(im), options.colors)
                else:
                    list(read_pil(path, options, warn, source=io.BytesIO(data)))  # its error
                    raise UnreadableMask(path, f"unsupported image mode {mode!r} for objects")
            except UnreadableMask:
                raise
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise UnreadableMask(path, f"truncated or corrupt image data ({exc})") from None
