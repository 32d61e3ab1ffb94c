"""One huge raster shared between workers: parts out, one record back.

With several workers, a TIFF read block by block (:mod:`maskstats.readers.tiff_blocks`) is
cut into :class:`Part` items, each a contiguous share of its blocks (of every page), and the
executor spreads them like files. :func:`join_parts` then adds the parts' records into the
record of the file (exact integer sums of per-page histograms and window histograms), in
walk order, before any sink sees them, so the result is the one a single worker gives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np

from maskstats.core.histogram import ImageHist
from maskstats.errors import UnreadableMask
from maskstats.pipeline.records import FileRecord
from maskstats.windows.counts import WindowHists

#: parts per worker (uneven blocks still finish together) and the smallest file to split
PARTS_PER_JOB = 4
MIN_PART_BYTES = 1 << 16


@dataclass(frozen=True)
class Part:
    """The ``index``-th of ``count`` shares of the blocks of the raster at ``path``."""

    path: str
    index: int
    count: int


def expand_parts(files: Sequence[str], workers: int) -> list:
    """``files`` with each huge block TIFF replaced by its parts (unchanged for 1 worker)."""
    if workers < 2:
        return list(files)
    from maskstats.readers.tiff_blocks import use_blocks

    out: list = []
    for path in files:
        if ("://" not in path and path.lower().endswith((".tif", ".tiff"))
                and _size(path) >= MIN_PART_BYTES and use_blocks(path)):
            n = workers * PARTS_PER_JOB
            out.extend(Part(path, i, n) for i in range(n))
        else:
            out.append(path)
    return out


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def join_parts(stream: Iterable[list[FileRecord]], items: Sequence,
               on_error: str = "fail") -> Iterator[list[FileRecord]]:
    """The record batches of ``stream`` (read from ``items``) with the records of each
    file's parts added into one record. Parts are read with ``on_error="skip"`` (a worker
    never raises for a share of a file); a failed part is raised here under ``"fail"``."""
    sizes = iter([i.count if isinstance(i, Part) and i.index == 0 else 1 for i in items
                  if not isinstance(i, Part) or i.index == 0])
    pending: list[FileRecord] = []
    need = 0
    for records in stream:
        out = []
        for record in records:
            if not pending:
                need = next(sizes)
            pending.append(record)
            if len(pending) == need:
                out.append(pending[0] if need == 1 else merge_records(pending, on_error))
                pending = []
        if out:
            yield out


def merge_records(parts: list[FileRecord], on_error: str = "fail") -> FileRecord:
    """One file's record from the records of its parts (a failed part fails or skips the
    file)."""
    first = parts[0]
    for p in parts:
        if p.skipped is not None:
            if on_error != "skip":
                raise UnreadableMask(p.skipped["path"], p.skipped["reason"])
            return FileRecord(first.path, key=first.key, skipped=p.skipped)
    notices = tuple(sorted({n for p in parts for n in p.notices}))
    hists = [add_hists([p.hists[f] for p in parts]) for f in range(len(first.hists))]
    windows = None
    if first.windows is not None:
        windows = [add_windows([p.windows[f] for p in parts]) for f in range(len(hists))]
    return FileRecord(first.path, hists, notices, first.key, windows=windows)


def add_hists(hists: Sequence[ImageHist]) -> ImageHist:
    """The exact sum of histograms of disjoint parts of one image."""
    values = np.concatenate([h.values for h in hists])
    counts = np.concatenate([h.counts for h in hists])
    uniq, inverse = np.unique(values, return_inverse=True)
    total = np.zeros(uniq.size, np.int64)
    np.add.at(total, inverse, counts)
    return ImageHist(uniq, total, sum(int(h.pixels) for h in hists))


def add_windows(parts: Sequence[WindowHists]) -> WindowHists:
    """The exact sum of the window histograms of disjoint parts of one image."""
    joined = WindowHists(parts[0].positions, np.concatenate([w.rows for w in parts]),
                         np.concatenate([w.values for w in parts]),
                         np.concatenate([w.counts for w in parts]))
    return joined.map_values(lambda values: values)
