"""Sinks: consumers of the record stream of a scan.

Each sink takes the records of every batch in walk order (``sink.add(records)``) and holds
what it gathered: :class:`Totals` the dataset accumulator (:class:`~maskstats.core.histogram.Counts`,
skipped files, warnings), :class:`UnknownColors` which files hold colours missing from the
colour table. The per-image table (:mod:`maskstats.pipeline.per_image`) is one more sink. ``scan()``
wires them; a sink never reads a file and never knows which executor or cache fed it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from maskstats.readers.colors import UNKNOWN_BASE
from maskstats.core.histogram import DENSE_LIMIT, Counts, ImageHist
from maskstats.core.notices import Notice
from maskstats.core.object_sizes import object_entries
from maskstats.core.stats import Stats
from maskstats.pipeline.records import FileRecord
from maskstats.core.extras import MAX_COLORS, PER_IMAGE

if TYPE_CHECKING:
    from maskstats.pipeline.per_image import PerImageTable
    from maskstats.pipeline.crop_totals import CropTotals

_I64 = np.int64


def counts_of(hists: Sequence[ImageHist]) -> Counts:
    """The :class:`Counts` of many image histograms at once (exact int64 sums, vectorised).

    Equal to adding them one by one with ``Counts.add``: every value of an image counts its
    pixels, one image, and the image's size.
    """
    out = Counts()
    if not hists:
        return out
    out.num_images = len(hists)
    out.total_pixels = sum(int(h.pixels) for h in hists)
    for h in hists:
        if h.extra:
            for k, v in h.extra.items():
                out.extra[k] = out.extra.get(k, 0) + int(v)
    values = np.concatenate([h.values for h in hists])
    if values.size == 0:
        return out
    counts = np.concatenate([h.counts for h in hists]).astype(_I64, copy=False)
    sizes = np.repeat(np.array([int(h.pixels) for h in hists], dtype=_I64),
                      [h.values.size for h in hists])
    uniq, inverse = np.unique(values, return_inverse=True)
    pixels = np.zeros(uniq.size, _I64)
    images = np.zeros(uniq.size, _I64)
    image_pixels = np.zeros(uniq.size, _I64)
    np.add.at(pixels, inverse, counts)
    np.add.at(images, inverse, 1)
    np.add.at(image_pixels, inverse, sizes)
    dense = (uniq >= 0) & (uniq < DENSE_LIMIT)
    table = Counts()
    if dense.any():
        idx = uniq[dense]
        size = int(idx[-1]) + 1
        for name, col in (("pixels", pixels), ("images", images), ("image_pixels", image_pixels)):
            arr = np.zeros(size, _I64)
            arr[idx] = col[dense]
            setattr(table, name, arr)
    for v, p, i, ip in zip(uniq[~dense].tolist(), pixels[~dense].tolist(),
                           images[~dense].tolist(), image_pixels[~dense].tolist()):
        table.sparse[int(v)] = [p, i, ip]
    out.update(table)
    return out


class Totals:
    """The dataset totals: per-value counts, skipped files, warnings, files seen."""

    def __init__(self) -> None:
        self.counts = Counts()
        self.skipped: list[dict[str, str]] = []
        self.notices: set[Notice] = set()
        self.files = 0

    def add(self, records: Sequence[FileRecord]) -> None:
        self.counts.update(counts_of([h for r in records for h in r.hists]))
        for r in records:
            self.notices.update(r.notices)
            if r.skipped is not None:
                self.skipped.append(r.skipped)
        self.files += len(records)

    def finish(self) -> "Totals":
        self.skipped.sort(key=lambda s: s["path"])
        return self

    @property
    def warnings(self) -> set[str]:
        """The warning texts (for callers that only show them)."""
        return {n.text for n in self.notices}


class UnknownColors:
    """Which files hold colours that are not in the colour table (``--colors``).

    Per file, its ``MAX_COLORS`` most common unknown colours are noted; the report lists the
    first files (path order) per colour (:func:`maskstats.readers.colors.finish_unknown`).
    """

    def __init__(self) -> None:
        self.files: dict[int, list[str]] = {}

    def add(self, records: Sequence[FileRecord]) -> None:
        for r in records:
            found: dict[int, int] = {}
            for h in r.hists:
                for v, c in zip(h.values.tolist(), h.counts.tolist()):
                    if v < 0 and v - UNKNOWN_BASE >= 0:
                        found[v - UNKNOWN_BASE] = found.get(v - UNKNOWN_BASE, 0) + c
            top = sorted(found.items(), key=lambda t: (-t[1], t[0]))[:MAX_COLORS]
            for packed, _ in top:
                self.files.setdefault(packed, []).append(r.path)


class ObjectTotals:
    """Connected components over the dataset: per stored value, a size -> count table."""

    def __init__(self) -> None:
        self.sizes: dict[int, dict[int, int]] = {}

    def add(self, records: Sequence[FileRecord]) -> None:
        objs = [o for r in records if r.objects for o in r.objects]
        if not objs:
            return
        classes = np.concatenate([o.classes for o in objs])
        if classes.size == 0:
            return
        sizes = np.concatenate([o.sizes for o in objs])
        pairs, counts = np.unique(np.stack([classes, sizes], axis=1), axis=0,
                                  return_counts=True)
        for (c, s), n in zip(pairs.tolist(), counts.tolist()):
            table = self.sizes.setdefault(c, {})
            table[s] = table.get(s, 0) + n

    def stats(self, num_classes: int, ignore_index: Sequence[int] = (),
              connectivity: int | None = None) -> dict:
        """The ``object_counts`` / ``object_pixels_quantiles`` / ``object_sizes`` /
        ``objects`` stats entries (:func:`maskstats.core.object_sizes.object_entries`).

        Ignored values and values outside the class vector have no entry (as in
        ``pixel_counts``).
        """
        ignore = set(ignore_index)
        tables = [self.sizes.get(c, {}) if c not in ignore else {} for c in range(num_classes)]
        return object_entries(tables, connectivity if connectivity is not None
                              else "8 in 2-D, 26 in 3-D")


# ------------------------------------------------------------ the sinks of a scan
@dataclass
class FileSinks:
    """The sinks of a scan of mask files (those not asked for are None)."""

    totals: Totals
    colours: UnknownColors | None
    components: ObjectTotals | None
    table: "PerImageTable | None"
    crops: "CropTotals | None" = None  # scan --crop (maskstats.pipeline.crop_totals)

    def all(self) -> list:
        return with_table([s for s in (self.totals, self.colours, self.components, self.crops)
                           if s is not None], self.table)

    def close(self) -> None:
        if self.table is not None:  # a failed scan drops the spool: nothing is written
            self.table.close()


def open_table(path: "str | os.PathLike | None", names: Mapping[str, str] | None = None,
               windows: bool = False, **options) -> "PerImageTable | None":
    """The per-image (with ``windows``: window) table sink writing to ``path``, or None."""
    if path is None:
        return None
    from maskstats.pipeline.per_image import PerImageTable
    from maskstats.pipeline.window_table import WindowTable

    return (WindowTable if windows else PerImageTable)(path, names, **options)


def with_table(sinks: list, table: "PerImageTable | None") -> list:
    return sinks + ([table] if table is not None else [])


def finish_table(stats: Stats, table: "PerImageTable | None") -> Stats:
    """Write the per-image table (when there is one) and record it in the stats."""
    if table is not None:
        stats.extra[PER_IMAGE] = table.finish(stats.num_classes, stats.ignore_index)
    return stats
