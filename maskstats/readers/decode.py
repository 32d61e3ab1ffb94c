"""Mask files -> label arrays, one per image, for ``scan --objects`` (maskstats.pipeline.objects).

The plain readers count pixels without building an array; connected components need the
array. Each format's reader module also decodes to arrays, through the same opening, checks
and decoder as its counting reader, so the arrays hold the values the readers count (palette
indices, stored low-bit values, 16-bit values, class ids of a colour table with unknown
colours as ``UNKNOWN_BASE + packed``, the images of an array stack, a NIfTI volume) and a
file the readers refuse fails with the readers' own error. This module only picks the
decoder by extension, as
:func:`maskstats.readers.formats.reader_for` picks the reader.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from maskstats.readers.formats import by_extension, check_mask_file, pil_labels, reader_for
from maskstats.readers.options import ReadOptions, Warn

#: extension -> 'module:function' decoding a file of that type to label arrays; every other
#: mask type is read by Pillow (:func:`maskstats.readers.formats.pil_labels`)
_DECODERS = {
    ".png": "maskstats.readers.png:png_labels",
    ".npy": "maskstats.readers.arrayfiles:array_labels",
    ".npz": "maskstats.readers.arrayfiles:array_labels",
    ".h5": "maskstats.readers.arrayfiles:array_labels",
    ".hdf5": "maskstats.readers.arrayfiles:array_labels",
    ".nii": "maskstats.readers.nifti:nifti_labels",
    ".nii.gz": "maskstats.readers.nifti:nifti_labels",
}


def label_images(path: str, options: ReadOptions, warn: Warn,
                 data: bytes | None = None) -> Iterator[np.ndarray]:
    """The label array of every image of a mask file (``data``: its bytes, if fetched).

    Values are what the readers count; files the readers refuse raise the readers' errors.
    """
    if data is None:  # a local file: refused as read_hists refuses it
        check_mask_file(path, reader_for(path))
    decode = by_extension(_DECODERS, path) or pil_labels
    yield from decode(path, options, warn, data)
