"""Which images hold (or lack) given classes: a query over the per-image table.

:func:`select_images` keeps the rows that hold every ``classes`` class with at least
``min_pixels`` pixels and none of the ``absent`` classes, then sorts and cuts them. Its
:class:`Selection` writes the answer as paths (one per line, each file once), CSV
(``path,frame,pixels,share`` then one ``c<k>`` column per asked class) or JSON.

``pixels`` is the pixels of the asked classes in the image (all counted class pixels when no
class is asked) and ``share`` that over the image's counted class pixels (ignored and
unexpected pixels are not counted).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from maskstats.errors import UsageProblem
from maskstats.core.files import path_lines
from maskstats.core.jsonio import dumps_json
from maskstats.table.core import WINDOW_COLUMNS
from maskstats.table.load import Table
from maskstats.table.check import ClassInfo

SORTS = ("pixels", "share", "path")
FORMATS = ("paths", "csv", "json")
IMAGES_FORMAT = "maskstats-images"


@dataclass
class Selection:
    """The matching rows of a table, in output order."""

    table: Table
    info: ClassInfo
    rows: np.ndarray     # (m,) row indices into the table
    pixels: np.ndarray   # (m,) int64 pixels of the asked classes
    counted: np.ndarray  # (m,) int64 counted class pixels of the image
    classes: list[int]
    absent: list[int]
    min_pixels: int
    sort: str | None
    top: int | None

    @property
    def shares(self) -> np.ndarray:
        return np.divide(self.pixels, self.counted, out=np.zeros(len(self.rows)),
                         where=self.counted > 0)

    def paths(self) -> list[str]:
        """Matching paths in order, each file once (a stack's frames share one path)."""
        paths = self.table.paths
        return list(dict.fromkeys(paths[i] for i in self.rows.tolist()))

    def to_bytes(self, fmt: str = "paths") -> bytes:
        if fmt == "paths":
            return path_lines(self.paths(), "images", "use -f csv or -f json, which quote it")
        t = self.table
        per_class = (np.column_stack([t.column(c)[self.rows] for c in self.classes])
                     if self.classes else None)
        if fmt == "csv":
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            place = list(WINDOW_COLUMNS) if t.windows is not None else []
            w.writerow(["path", "frame", *place, "pixels", "share"]
                       + [f"c{c}" for c in self.classes])
            for j, i in enumerate(self.rows.tolist()):
                extra = per_class[j].tolist() if per_class is not None else []
                where = t.windows[i].tolist() if t.windows is not None else []
                w.writerow([t.paths[i], int(t.frames[i]), *where, int(self.pixels[j]),
                            repr(float(self.shares[j]))] + extra)
            return buf.getvalue().encode("utf-8")
        if fmt == "json":
            shares = self.shares.tolist()
            images = [{"path": t.paths[i], "frame": int(t.frames[i]),
                       **(dict(zip(WINDOW_COLUMNS, t.windows[i].tolist()))
                          if t.windows is not None else {}),
                       "pixels": int(self.pixels[j]), "share": shares[j],
                       "counts": ({str(c): int(v) for c, v in zip(self.classes, per_class[j])}
                                  if per_class is not None else {})}
                      for j, i in enumerate(self.rows.tolist())]
            names = self.info.names
            doc = {"format": IMAGES_FORMAT, "version": 1,
                   "query": {"classes": self.classes, "absent": self.absent,
                             "class_names": ([names[c] for c in self.classes]
                                             if names else None),
                             "min_pixels": self.min_pixels, "sort": self.sort,
                             "top": self.top},
                   "source": {"table": t.source, "sha256": t.sha256},
                   "num_images": len(images), "images": images}
            return dumps_json(doc).encode("utf-8")
        raise UsageProblem(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def select_images(table: Table, info: ClassInfo, classes: Sequence[str | int] = (),
                  absent: Sequence[str | int] = (), *, min_pixels: int = 1,
                  sort: str | None = None, top: int | None = None) -> Selection:
    """The rows holding every class of ``classes`` (>= ``min_pixels`` pixels each) and
    none of ``absent``; sorted by ``sort`` (pixels/share: largest first; path: by path
    then frame; None: table order) and cut to the first ``top`` rows."""
    if sort is not None and sort not in SORTS:
        raise UsageProblem(f"unknown sort {sort!r}; choose one of: {', '.join(SORTS)}")
    if min_pixels < 1:
        raise UsageProblem(f"--min-pixels must be at least 1, not {min_pixels}")
    if top is not None and top < 0:
        raise UsageProblem(f"--top must not be negative, not {top}")
    want, lack = info.resolve_all(classes), info.resolve_all(absent)
    both = sorted(set(want) & set(lack))
    if both:
        raise UsageProblem(f"class {info.label(both[0])} is both in --class and --absent: "
                           "no image can match")
    keep = np.ones(table.num_images, dtype=bool)
    for c in want:
        keep &= table.column(c) >= min_pixels
    for c in lack:
        keep &= table.column(c) == 0
    rows = np.flatnonzero(keep)
    live = [c for c in range(table.num_classes) if c not in set(info.ignore_index)]
    counted = table.row_sums(live if len(live) < table.num_classes else None)[rows]
    pixels = sum(table.column(c)[rows] for c in want) if want else counted
    order = None
    if sort == "pixels":
        order = np.argsort(-pixels, kind="stable")
    elif sort == "share":
        shares = np.divide(pixels, counted, out=np.zeros(len(rows)), where=counted > 0)
        order = np.argsort(-shares, kind="stable")
    elif sort == "path":
        names = np.array([table.paths[i] for i in rows.tolist()], dtype=str)
        order = np.lexsort((table.frames[rows], names))
    if order is not None:
        rows, pixels, counted = rows[order], pixels[order], counted[order]
    if top is not None:
        rows, pixels, counted = rows[:top], pixels[:top], counted[:top]
    return Selection(table, info, rows, pixels, counted, want, lack, min_pixels, sort, top)
