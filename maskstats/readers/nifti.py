"""NIfTI label volumes (``.nii``, ``.nii.gz``), streamed slab by slab.

Medical segmentation labels (nnU-Net ``labelsTr/``, MSD, mmsegmentation's biomedical data)
are 3-D NIfTI volumes whose voxel values are label ids. They need the optional
``nifti`` extra (``pip install 'maskstats[nifti]'``, nibabel), imported only when a NIfTI file
is read.

Memory: the volume is never loaded whole. nibabel's ``ArrayProxy`` reads only the bytes of a
slice ``dataobj[..., z0:z1]`` (the last axis varies slowest on disk, so a slab is one
contiguous byte range), and each slab of at most ``SLAB_BYTES`` is counted and dropped before
the next is read. Scaled volumes (``scl_slope``/``scl_inter``) come out as floats: whole
numbers are accepted, anything else is an error. One file is one image; a scan whose files
are all NIfTI reports its counts in ``"unit": "voxels"``.
"""

from __future__ import annotations

import math
import os
from typing import Iterable, Iterator

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.core.histogram import Counts, ImageHist, hist_from_array
from maskstats.readers.options import integral_or_fail

#: largest slab read at once (bytes of the decoded array). Counting a slab briefly needs
#: about 8 bytes per voxel more (np.bincount works on intp), so the peak is ~10x this for
#: 8-bit volumes, whatever the volume size.
SLAB_BYTES = 1 << 23
NIFTI_EXTENSIONS = (".nii", ".nii.gz")


def _nibabel():
    try:
        import nibabel
    except ImportError:
        raise UsageProblem("reading NIfTI masks needs nibabel: pip install "
                           "'maskstats[nifti]'") from None
    return nibabel


def is_nifti(path: str) -> bool:
    return os.path.basename(path).lower().endswith(NIFTI_EXTENSIONS)


def volume_unit(files: Iterable[str]) -> str:
    """``"voxels"`` when every file is a NIfTI volume, else ``"pixels"``."""
    files = list(files)
    return "voxels" if files and all(is_nifti(f) for f in files) else "pixels"


def read_nifti(path: str, options=None, warn=None) -> Iterator[ImageHist]:
    """One histogram for the whole volume, counted slab by slab along the last axis."""
    img, proxy, shape = _open_volume(path)
    spatial = shape[:3]
    tail = (0,) * (len(shape) - len(spatial))
    counts = Counts()
    for index in _slabs(spatial, _itemsize(img)):
        slab = _label_ids(path, proxy, index + tail)
        counts.add(hist_from_array(slab))
        del slab
    table = counts.table()
    values = np.fromiter(table, dtype=np.int64, count=len(table))
    voxels = np.array([row[0] for row in table.values()], dtype=np.int64)
    yield ImageHist(values, voxels, math.prod(spatial))


def nifti_labels(path: str, options=None, warn=None, data=None) -> Iterator[np.ndarray]:
    """The label volume of a NIfTI file, whole (for its connected components); the same
    checks and values as :func:`read_nifti`."""
    _img, proxy, shape = _open_volume(path)
    spatial = shape[:3]
    yield _label_ids(path, proxy, tuple(slice(None) for _ in spatial)
                     + (0,) * (len(shape) - len(spatial)))


def _open_volume(path: str):
    """The image, its data proxy and its shape; a volume of more than 3 axes is refused."""
    nib = _nibabel()
    try:
        img = _load(nib, path)
        proxy = img.dataobj
        shape = tuple(int(s) for s in proxy.shape)
    except Exception as exc:  # nibabel raises ImageFileError, OSError, EOFError, zlib errors
        raise UnreadableMask(path, f"not a readable NIfTI file ({type(exc).__name__}: "
                             f"{exc})") from None
    if len(shape) > 3 and any(s != 1 for s in shape[3:]):
        raise UnreadableMask(path, f"NIfTI volume of shape {shape}: a label volume has 2 or 3 "
                             "axes (a 4th axis of channels or time is not a label map)")
    return img, proxy, shape


def _label_ids(path: str, proxy, index: tuple) -> np.ndarray:
    """``proxy[index]`` as integer label ids (whole-number floats become int64)."""
    try:
        slab = np.asarray(proxy[index])
    except Exception as exc:
        raise UnreadableMask(path, f"truncated or corrupt NIfTI data ({type(exc).__name__}: "
                             f"{exc})") from None
    if slab.dtype.kind == "f":
        return integral_or_fail(path, slab)
    if slab.dtype.kind not in "iub":
        raise UnreadableMask(path, f"NIfTI voxels of type {slab.dtype}: label volumes "
                             "must hold integer ids")
    return slab


def _load(nib, path):
    """``nib.load`` for a path; for a file object (a remote object in memory) the same image,
    read through a file map so that slabs are still decoded one at a time."""
    if not hasattr(path, "read"):
        return nib.load(path)
    import gzip

    fileobj = gzip.GzipFile(fileobj=path, mode="rb") if str(path).lower().endswith(".gz") else path
    head = fileobj.read(4)
    fileobj.seek(0)
    # sizeof_hdr is 348 for NIfTI-1 and 540 for NIfTI-2, in either byte order
    klass = nib.Nifti2Image if head in (b"\x1c\x02\x00\x00", b"\x00\x00\x02\x1c") else nib.Nifti1Image
    holder = nib.fileholders.FileHolder(fileobj=fileobj)
    return klass.from_file_map({"header": holder, "image": holder})


def _itemsize(img) -> int:
    """Bytes per decoded voxel (scaled volumes decode to float64)."""
    slope, inter = getattr(img.dataobj, "slope", 1.0), getattr(img.dataobj, "inter", 0.0)
    if slope != 1 or inter != 0:
        return 8
    return int(np.dtype(img.get_data_dtype()).itemsize)


def _slabs(spatial: tuple[int, ...], itemsize: int) -> Iterator[tuple[slice, ...]]:
    """Index tuples covering the volume in slabs of at most ``SLAB_BYTES`` (>= one slice)."""
    if len(spatial) < 3:
        yield tuple(slice(None) for _ in spatial)
        return
    per_slice = max(1, spatial[0] * spatial[1] * itemsize)
    step = max(1, SLAB_BYTES // per_slice)
    for z0 in range(0, spatial[2], step):
        yield (slice(None), slice(None), slice(z0, min(z0 + step, spatial[2])))
