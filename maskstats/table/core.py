"""The per-image table's data model: :class:`Table`, its columns, :class:`BadTable`.

Readers (:mod:`maskstats.table.csv`, :mod:`maskstats.table.parquet`) build a :class:`Table`;
:func:`maskstats.table.load.load_table` picks the reader by extension.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from maskstats.errors import MaskstatsError, UsageProblem

FIXED_COLUMNS = ("path", "frame", "pixels", "ignored", "unexpected")
#: the columns of a window table (``scan --window``), after ``frame``
WINDOW_COLUMNS = ("y", "x", "height", "width")


class BadTable(MaskstatsError):
    """A file that is not a maskstats per-image table, or one with bad values."""


class EmptyTable(BadTable, UsageProblem):
    """A table with a header and no rows: nothing to select, weight or split (exit 2)."""


class Table:
    """Per-image counts: ``counts[i, k]`` pixels of class k in row i (int64, exact).

    ``paths`` is a list of str (n); arrays: ``frames``/``pixels``/``ignored``/``unexpected`` (n,)
    int64, ``counts`` (n, K) int64, ``objects`` (n, K) int64 or None. A table loaded from
    CSV keeps its counts sparse (:meth:`nonzero`: most cells of a wide table are 0) and
    builds the dense ``counts`` only when it is first asked for.
    """

    def __init__(self, paths, frames, pixels, ignored, unexpected, counts=None, objects=None,
                 source: str | None = None, sha256: str | None = None, *,
                 nonzero: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 num_classes: int | None = None, windows: np.ndarray | None = None):
        if counts is None and (nonzero is None or num_classes is None):
            raise ValueError("Table needs counts, or nonzero and num_classes")
        self.paths = list(paths)
        self.frames, self.pixels = np.asarray(frames), np.asarray(pixels)
        self.ignored, self.unexpected = np.asarray(ignored), np.asarray(unexpected)
        self._counts = None if counts is None else np.asarray(counts)
        self._nonzero = nonzero
        self._k = self._counts.shape[1] if self._counts is not None else int(num_classes)
        self.objects, self.source, self.sha256 = objects, source, sha256
        #: a window table's (n, 4) int64 ``y, x, height, width`` per row, else None
        self.windows = None if windows is None else np.asarray(windows)

    @property
    def counts(self) -> np.ndarray:
        if self._counts is None:
            rows, cols, vals = self._nonzero
            dense = np.zeros((self.num_images, self._k), dtype=np.int64)
            dense[rows, cols] = vals
            self._counts = dense
        return self._counts

    def nonzero(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero counts as (rows, cols, values), row-major (rows sorted)."""
        if self._nonzero is None:
            rows, cols = np.nonzero(self._counts)
            self._nonzero = (rows, cols, self._counts[rows, cols])
        return self._nonzero

    def column(self, k: int) -> np.ndarray:
        """Pixels of class ``k`` per row, (n,) int64."""
        if self._counts is not None:
            return self._counts[:, k]
        rows, cols, vals = self._nonzero
        out = np.zeros(self.num_images, dtype=np.int64)
        pick = cols == k
        out[rows[pick]] = vals[pick]
        return out

    def row_sums(self, classes: Sequence[int] | None = None) -> np.ndarray:
        """Exact int64 sum per row of the given classes' pixels (all classes if None)."""
        rows, cols, vals = self.nonzero()
        if classes is not None:
            keep = np.zeros(self._k, dtype=bool)
            keep[list(classes)] = True
            pick = keep[cols]
            rows, vals = rows[pick], vals[pick]
        out = np.zeros(self.num_images, dtype=np.int64)
        if rows.size:
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            out[rows[starts]] = np.add.reduceat(vals, starts)
        return out

    def images_per_class(self) -> np.ndarray:
        """How many rows hold each class (non-zero count), (K,) int64."""
        return np.bincount(self.nonzero()[1], minlength=self._k).astype(np.int64)

    @property
    def num_images(self) -> int:
        return len(self.paths)

    @property
    def num_classes(self) -> int:
        return self._k

    def columns(self) -> list[str]:
        """The column names of this table, in file order."""
        return table_columns(self.num_classes, self.objects is not None,
                             self.windows is not None)

    def __repr__(self) -> str:
        return f"Table({self.source!r}, {self.num_images} rows, {self.num_classes} classes)"


def table_columns(num_classes: int, objects: bool = False, windows: bool = False) -> list[str]:
    """The header of a table with ``num_classes`` class columns (of windows: + y, x, ...)."""
    fixed = FIXED_COLUMNS[:2] + (WINDOW_COLUMNS if windows else ()) + FIXED_COLUMNS[2:]
    names = list(fixed) + [f"c{i}" for i in range(num_classes)]
    return names + ([f"o{i}" for i in range(num_classes)] if objects else [])


def check_header(header: Sequence[str], source: str) -> tuple[int, bool]:
    """Validate the column names; return (number of classes, has object columns)."""
    k, has_objects, _ = check_layout(header, source)
    return k, has_objects


def check_layout(header: Sequence[str], source: str) -> tuple[int, bool, bool]:
    """Validate the column names; return (number of classes, has object columns, is a
    window table: ``y, x, height, width`` after ``frame``)."""
    header = [h.strip() for h in header]
    windows = tuple(header[2:6]) == WINDOW_COLUMNS
    fixed = table_columns(0, windows=windows)
    missing = [c for c in FIXED_COLUMNS if c not in header]
    if missing or header[:len(fixed)] != fixed:
        what = f"missing the column(s) {', '.join(missing)}" if missing else \
            f"its columns start {', '.join(header[:5])}"
        raise BadTable(f"{source}: not a maskstats per-image table ({what}; expected "
                       f"{', '.join(FIXED_COLUMNS)}, c0, c1, ...)")
    rest = header[len(fixed):]
    k = sum(1 for h in rest if h.startswith("c"))
    has_objects = len(rest) == 2 * k and k > 0
    if k == 0 or rest != table_columns(k, has_objects)[5:]:
        found = ", ".join(rest[:8]) + (" ..." if len(rest) > 8 else "") if rest else "none"
        raise BadTable(f"{source}: not a maskstats per-image table (class columns must be "
                       f"c0..c<K-1>, then optionally o0..o<K-1>; found {found})")
    return k, has_objects, windows


def check_rows(table: Table) -> None:
    """Refuse a row whose class columns, ``ignored`` and ``unexpected`` add up to more than
    its ``pixels`` (an edited or corrupt table): one :class:`BadTable` naming the row.

    Vectorised over the non-zero cells. An int64 sum from 2**63 to 2**64 wraps negative; a
    larger one shows in the float64 sum (far above 2**63 whatever its rounding).
    """
    n = table.num_images
    rows, _, vals = table.nonzero()
    need = table.row_sums() + table.ignored + table.unexpected  # may wrap: see below
    approx = (np.bincount(rows, weights=vals.astype(np.float64), minlength=n)
              + table.ignored.astype(np.float64) + table.unexpected.astype(np.float64))
    wrapped = (need < 0) | (approx > 1.5 * 2.0**63)
    bad = (need > table.pixels) | wrapped
    if bad.any():
        i = int(np.argmax(bad))
        total = f"about {approx[i]:.3g}" if wrapped[i] else f"{int(need[i]):,}"
        raise BadTable(f"{table.source}: row {i + 1} ({table.paths[i]}): the class columns, "
                       f"ignored and unexpected add up to {total} pixels, more than its "
                       f"pixels ({int(table.pixels[i]):,}); the table was edited or is "
                       "corrupt, rescan with --per-image")
