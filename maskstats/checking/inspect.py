"""Per-file checks of ``maskstats check``, run in worker processes: one decode per file.

:func:`inspect_file` reads a mask once and returns :class:`FileFacts`: the findings about the
file itself (``lossy``, ``alpha``, ``photo``, ``interpolated``, ``out-of-range``, ``empty``,
``unreadable``) and what the folder-wide checks need (byte and pixel digests for
``duplicate``, the image size for ``size-mismatch``).
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from maskstats.checking.findings import Finding
from maskstats.checking.interpolated import interpolated_values
from maskstats.checking.values import value_findings
from maskstats.errors import MaskstatsError, UnreadableMask, UsageProblem
from maskstats.readers.options import ReadOptions

_ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
_COLOUR_MODES = ("RGB", "RGBA", "RGBa", "CMYK", "YCbCr", "LAB", "HSV")
_PIL_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg")
#: for the ``interpolated`` test, values of 1000 and more are read as instance ids in the
#: Cityscapes way (label id * 1000 + instance number): consecutive instance numbers are not
#: values "between" two classes
INSTANCE_DIVISOR = 1000


@dataclass
class FileFacts:
    """What one file gave: its own findings, digests and the size of its first image."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    byte_digest: str | None = None
    #: digest of the decoded values (None: unreadable, a colour image, or a single value)
    pixel_digest: str | None = None
    size: tuple[int, int] | None = None  # (width, height)


@dataclass(frozen=True)
class CheckOptions:
    """How values are read and judged: the scan's reading options and conventions."""

    read: ReadOptions = ReadOptions()
    remap: Mapping[int, int] | None = None
    num_classes: int | None = None
    ignore_index: frozenset = frozenset()


def inspect_batch(paths: Sequence[str], options: CheckOptions) -> list[FileFacts]:
    """:func:`inspect_file` of every path (what executors run in worker processes)."""
    return [inspect_file(p, options) for p in paths]


def inspect_file(path: str, options: CheckOptions) -> FileFacts:
    """Read ``path`` once and check it (an unreadable file is a finding, not an error)."""
    facts = FileFacts(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        facts.findings.append(Finding("unreadable", f"cannot read ({exc.strerror or exc})",
                                      path))
        return facts
    facts.byte_digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    try:
        for label in _labels(path, data, options, facts):
            _check_label(label, options, facts)
    except UnreadableMask as exc:
        facts.findings.append(Finding("unreadable", exc.problem, path))
    except UsageProblem:  # a missing extra, a wrong option: the call is wrong, not the file
        raise
    except MaskstatsError as exc:
        facts.findings.append(Finding("unreadable", str(exc), path))
    except Exception as exc:  # an exotic file must not stop the check of a folder
        facts.findings.append(Finding("unreadable", f"{type(exc).__name__}: {exc}", path))
    kinds: set[str] = set()  # one finding per kind and file (not one per frame)
    facts.findings = [f for f in facts.findings if not (f.kind in kinds or kinds.add(f.kind))]
    return facts


def _labels(path: str, data: bytes, options: CheckOptions, facts: FileFacts):
    """The label arrays of the file; format and mode findings are added on the way."""
    from maskstats.readers.decode import label_images

    if not data:
        raise MaskstatsError("empty file (0 bytes)")
    if not path.lower().endswith(_PIL_SUFFIXES):
        yield from label_images(path, options.read, lambda _m: None, data)
        return
    from PIL import Image

    from maskstats.readers.pil import looks_like_photo

    with Image.open(io.BytesIO(data)) as im:
        facts.size = im.size
        mode = im.mode
        if mode in _COLOUR_MODES and looks_like_photo(im):
            facts.findings.append(Finding("photo", f"{im.format} {mode} image with the "
                                          "colours of a photograph, not a label mask", path))
            return
        if im.format == "JPEG":
            facts.findings.append(Finding("lossy", "JPEG mask: compression leaves stray "
                                          "values along every edge; save masks as PNG", path))
        if mode in _ALPHA_MODES:
            facts.findings.append(Finding("alpha", f"mode {mode}: the labels carry an alpha "
                                          "channel, which many loaders read as a second "
                                          "channel; save the mask without alpha", path))
        if mode in ("LA", "La", "PA"):
            yield np.asarray(im.getchannel(0))
            return
        if mode in _COLOUR_MODES and not options.read.colors:
            arr = np.asarray(im)  # colours: duplicates only
            flat = arr.reshape(-1, arr.shape[-1]) if arr.ndim == 3 else arr.reshape(-1)
            facts.pixel_digest = pixel_key(arr, np.arange(2), np.array([flat.shape[0], 0]))
            return
    yield from label_images(path, options.read, lambda _m: None, data)


def pixel_key(a: np.ndarray, values: np.ndarray, counts: np.ndarray) -> str | None:
    """A cheap key of the values: shape, histogram and every 4th pixel of every 4th row.

    Identical pixels give identical keys; files that share a key are compared in full
    (:func:`pixel_digest`) before they are called duplicates. None for a single-valued image
    (empty tiles often repeat).
    """
    if values.size < 2:
        return None
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{a.shape}{a.dtype.str}".encode())
    h.update(np.ascontiguousarray(values, dtype=np.int64).data)
    h.update(np.ascontiguousarray(counts, dtype=np.int64).data)
    h.update(np.ascontiguousarray(a[::4, ::4] if a.ndim >= 2 else a[::16]).data)
    return h.hexdigest()


def pixel_digest(path: str, options: CheckOptions) -> str | None:
    """A digest of every decoded value of ``path`` (None when it cannot be read)."""
    h = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        for label in _labels(path, data, options, FileFacts(path)):
            h.update(f"{label.shape}{label.dtype.str}".encode())
            h.update(np.ascontiguousarray(label).data)
    except Exception:  # noqa: BLE001 - unreadable now: not a duplicate
        return None
    return h.hexdigest()


def _histogram(label: np.ndarray):
    """The exact histogram of one image; 8-bit 2-D images through Pillow's C histogram (no
    int64 copy of the pixels, as ``np.bincount`` makes)."""
    from maskstats.core.histogram import hist_from_array, hist_from_bins

    if label.dtype == np.uint8 and label.ndim == 2 and label.size:
        from PIL import Image

        a = np.ascontiguousarray(label)
        im = Image.frombuffer("L", (a.shape[1], a.shape[0]), a.data, "raw", "L", 0, 1)
        return hist_from_bins(im.histogram(), a.size)
    return hist_from_array(label)


def _check_label(label: np.ndarray, options: CheckOptions, facts: FileFacts) -> None:
    """Value findings of one image (frame); the size and pixel key come from the first."""
    hist = _histogram(label)
    if facts.size is None and label.ndim >= 2:
        facts.size = (int(label.shape[1]), int(label.shape[0]))
    if facts.pixel_digest is None:
        facts.pixel_digest = pixel_key(label, hist.values, hist.counts)
    stored, values, counts = label, hist.values, hist.counts
    divisor = getattr(options.remap, "instance_divisor", None) or INSTANCE_DIVISOR
    if values.size and int(values[-1]) >= divisor:  # instance ids -> label ids
        stored = np.where(label >= divisor, label // divisor, label)
        values, counts = np.unique(stored, return_counts=True)
    found = (interpolated_values(stored, values, counts) if not options.read.colors
             else {})
    if found:
        shown = ", ".join(str(v) for v in list(found)[:8])
        more = f" and {len(found) - 8} more" if len(found) > 8 else ""
        facts.findings.append(Finding(
            "interpolated", f"values {shown}{more} ({sum(found.values()):,} pixels) lie only "
            "on boundaries between lower and higher classes: resized with a non-nearest "
            "filter? resize masks with nearest neighbour", facts.path))
    facts.findings.extend(value_findings(facts.path, hist, options.remap,
                                         options.num_classes, options.ignore_index))
