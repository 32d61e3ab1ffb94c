"""The per-file record, the unit every stage of a scan passes on.

A :class:`FileRecord` holds what one mask file gave: its path, the stat key taken before it was
read (for the cache), one :class:`~maskstats.core.histogram.ImageHist` per image (frame) it holds,
the :class:`~maskstats.core.notices.Notice` warnings it raised, and, for a file that could not be
read under ``on_error="skip"``, why. :func:`read_batch` turns a batch of paths (local files or
fsspec URLs) into records; it is the function executors run in worker processes.

Records are pickled between processes in a packed form (a few flat arrays per record, not
two small arrays per image), so a stack of 10,000 images costs one transfer, not 20,000.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np

from maskstats.errors import MaskstatsError, UnreadableMask
from maskstats.core.histogram import ImageHist, remap_hist
from maskstats.core.limits import BadLabelValue, ClassBound, beyond_limit_message
from maskstats.core.notices import Notice
from maskstats.pipeline.objects import Objects
from maskstats.readers.options import ReadOptions, pixel_limit
from maskstats.readers.formats import read_hists
from maskstats.pipeline.window_records import pack_windows, read_windows, unpack_windows

_I64 = np.int64


@dataclass
class FileRecord:
    """What one file gave: per-image histograms, warnings, stat key, or a skip reason."""

    path: str
    hists: list[ImageHist] = field(default_factory=list)
    notices: tuple[Notice, ...] = ()
    key: tuple[int, int, int] | None = None
    #: ``{"path": ..., "reason": ...}`` when the file was unreadable and skipped
    skipped: dict[str, str] | None = None
    #: with ``--objects``: the connected components of each image (aligned with ``hists``)
    objects: list[Objects] | None = None
    #: with ``--window``: the window histograms of each image (aligned with ``hists``)
    windows: list | None = None
    #: with ``--crop``: the crop statistics of each image (maskstats.windows.crops)
    crops: list | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "notices": self.notices, "key": self.key,
                "skipped": self.skipped, "hists": pack_hists(self.hists),
                "objects": pack_objects(self.objects),
                **({"windows": pack_windows(self.windows)} if self.windows is not None else {}),
                **({"crops": self.crops} if self.crops is not None else {})}

    def __setstate__(self, state: dict[str, Any]) -> None:
        hists = unpack_hists(*state.pop("hists"))
        objects = unpack_objects(state.pop("objects"))
        windows = unpack_windows(state.pop("windows", None))
        crops = state.pop("crops", None)
        self.__dict__.update(state, hists=hists, objects=objects, windows=windows, crops=crops)


def pack_hists(hists: Sequence[ImageHist]) -> tuple:
    """Histograms as (values, counts, lengths, pixels, extras): flat arrays, exact int64."""
    if not hists:
        empty = np.zeros(0, _I64)
        return empty, empty, empty, empty, None
    values = np.concatenate([h.values for h in hists]).astype(_I64, copy=False)
    counts = np.concatenate([h.counts for h in hists]).astype(_I64, copy=False)
    lengths = np.array([h.values.size for h in hists], dtype=_I64)
    pixels = np.array([int(h.pixels) for h in hists], dtype=_I64)
    extras = [dict(h.extra) for h in hists] if any(h.extra for h in hists) else None
    return values, counts, lengths, pixels, extras


def unpack_hists(values: np.ndarray, counts: np.ndarray, lengths: np.ndarray,
                 pixels: np.ndarray, extras: list | None) -> list[ImageHist]:
    """The inverse of :func:`pack_hists` (the histograms share the flat arrays' memory)."""
    ends = np.cumsum(lengths).tolist()
    starts = [0] + ends[:-1]
    px = pixels.tolist()
    if extras is None:
        return [ImageHist(values[a:b], counts[a:b], p) for a, b, p in zip(starts, ends, px)]
    return [ImageHist(values[a:b], counts[a:b], p, e or None)
            for a, b, p, e in zip(starts, ends, px, extras)]


def pack_objects(objects: Sequence[Objects] | None) -> tuple | None:
    """Components of many images as (classes, sizes, lengths) flat int64 arrays, or None."""
    if objects is None:
        return None
    if not objects:
        empty = np.zeros(0, _I64)
        return empty, empty, empty
    return (np.concatenate([o.classes for o in objects]).astype(_I64, copy=False),
            np.concatenate([o.sizes for o in objects]).astype(_I64, copy=False),
            np.array([o.classes.size for o in objects], dtype=_I64))


def unpack_objects(packed: tuple | None) -> list[Objects] | None:
    if packed is None:
        return None
    classes, sizes, lengths = packed
    ends = np.cumsum(lengths).tolist()
    return [Objects(classes[a:b], sizes[a:b]) for a, b in zip([0] + ends[:-1], ends)]


def stat_key(path: str) -> tuple[int, int, int] | None:
    """What says a file changed: (size, mtime_ns, ctime_ns); None when it cannot be stat'ed.

    ctime also moves when a tool restores an old mtime (``cp -p``, ``rsync -t``). Remote
    objects use (size, mtime, hash of the ETag), see :func:`maskstats.readers.remote.remote_stat_key`.
    """
    if "://" in path:
        from maskstats.readers.remote import remote_stat_key

        return remote_stat_key(path)
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def read_file(path: str, options: ReadOptions = ReadOptions(),
              remap: Mapping[int, int] | None = None, bound: ClassBound | None = None
              ) -> tuple[list[ImageHist], set[Notice], list[Objects] | None]:
    """Every image histogram of one mask file (remapped), the warnings it raised, and with
    ``options.objects`` the connected components of every image (with ``options.window``:
    the window histograms of every image).

    Either the whole file is read or :class:`UnreadableMask` is raised: a file that fails
    half-way gives nothing. ``bound`` (a scan without ``num_classes``): a class id beyond
    its limit is refused at the first image that holds it, before more is read.
    """
    notices: set[Notice] = set()

    def warn(message: "str | Notice") -> None:
        notices.add(Notice.of(message))

    with warnings.catch_warnings(record=True) as caught, pixel_limit(options.max_pixels):
        warnings.simplefilter("always")  # library warnings (Pillow, ...) are caught
        try:
            decoded = options.objects or options.window is not None or options.crop is not None
            if options.window is not None or options.crop is not None:
                # the third result is then (window histograms, crop statistics)
                hists, objects = read_windows(path, options, remap, warn)
            elif options.objects:
                hists, objects = read_objects(path, options, remap, warn)
            elif "://" in path:  # an fsspec URL such as s3://bucket/m.png (maskstats/readers/remote.py)
                from maskstats.readers.remote import read_remote

                source = read_remote(path, options, warn)
            else:
                source = read_hists(path, options, warn)
            if not decoded:
                hists, objects = [], None
                for h in source:  # the first image beyond the bound stops the read
                    hists.append(check_bound(path, remap_hist(h, remap) if remap else h, bound))
            else:
                hists = [check_bound(path, h, bound) for h in hists]
        except MaskstatsError:
            raise
        except BadLabelValue as exc:
            raise UnreadableMask(path, str(exc)) from None
        except MemoryError:
            raise UnreadableMask(path, "out of memory while reading") from None
        except RecursionError:
            raise UnreadableMask(path, "structure nested too deeply to read") from None
        except Exception as exc:  # a reader bug or an exotic file must not kill a long scan
            raise UnreadableMask(path, f"unexpected {type(exc).__name__}: {exc}") from None
    for w in caught:  # become maskstats' own one-line warnings
        warn(f"{path}: {w.message}")
    return hists, notices, objects


def check_bound(path: str, h: ImageHist, bound: ClassBound | None) -> ImageHist:
    """``h``, or :class:`UnreadableMask` when it holds a class id beyond ``bound``."""
    beyond = bound.first_beyond(h) if bound is not None else None
    if beyond is not None:
        raise UnreadableMask(path, beyond_limit_message(beyond, bound.limit))
    return h


def read_objects(path: str, options: ReadOptions, remap: Mapping[int, int] | None,
                 warn) -> tuple[list[ImageHist], list[Objects]]:
    """Histograms and objects of every image, from one decoded label array: connected
    components, or one object per instance id where the encoding holds instance ids
    (:mod:`maskstats.pipeline.instances`)."""
    from maskstats.readers.decode import label_images
    from maskstats.pipeline.instances import instance_mask, instance_objects
    from maskstats.pipeline.objects import components, remap_array

    data = None
    if "://" in path:
        from maskstats.readers.remote import object_bytes

        data = object_bytes(path)
    hists, objects = [], []
    for label in label_images(path, options, warn, data):
        instances = instance_mask(label, remap) if remap else None
        if instances is not None:
            found, hist = instance_objects(path, label, instances, remap, options.connectivity)
        else:
            if remap:
                label = remap_array(label, remap)
            found, hist = components(path, label, options.connectivity)
        hists.append(hist)
        objects.append(found)
        del label  # before the next image is decoded: one image in memory at a time
    return hists, objects


def read_record(path: str, options: ReadOptions = ReadOptions(),
                remap: Mapping[int, int] | None = None, on_error: str = "fail",
                keys: bool = False, bound: ClassBound | None = None) -> FileRecord:
    """The record of one file; an unreadable file raises, or is a skipped record."""
    key = stat_key(path) if keys else None  # taken BEFORE reading: a change while reading shows
    try:
        hists, notices, objects = read_file(path, options, remap, bound)
    except UnreadableMask as exc:
        if on_error != "skip":
            raise
        return FileRecord(path, key=key, skipped={"path": exc.path, "reason": exc.problem})
    if options.window is not None or options.crop is not None:
        windows, crops = objects
        return FileRecord(path, hists, tuple(sorted(notices)), key, windows=windows,
                          crops=crops)
    return FileRecord(path, hists, tuple(sorted(notices)), key, objects=objects)


def read_batch(paths: Sequence[str], options: ReadOptions = ReadOptions(),
               remap: Mapping[int, int] | None = None, on_error: str = "fail",
               keys: bool = False, bound: ClassBound | None = None) -> list[FileRecord]:
    """The records of a batch of files, in order (runs in a worker process).

    Remote objects of the batch are fetched on threads while the others are read.
    """
    if any(not isinstance(p, str) for p in paths):  # shares of a huge raster (pipeline.parts)
        return [read_record(p, options, remap, on_error, keys, bound) if isinstance(p, str) else
                read_record(p.path, replace(options, part=(p.index, p.count)), remap, "skip",
                            keys, bound) for p in paths]  # a bad part: raised when joined
    if any("://" in p for p in paths):
        from maskstats.readers.remote import prefetch

        with prefetch(paths):
            return [read_record(p, options, remap, on_error, keys, bound) for p in paths]
    return [read_record(p, options, remap, on_error, keys, bound) for p in paths]
