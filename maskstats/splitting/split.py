"""Stratified, group-aware splits of a per-image table (``maskstats split``).

:func:`split` turns a :class:`~maskstats.table.load.Table` into a :class:`SplitResult`: which rows
go to which split. Items are groups of rows: with ``group`` (a regex), the rows whose paths
give the same match (its first capture group if it has one, else the whole match) stay
together, e.g. one patient or one video sequence; without it, the frames of one file stay
together. The dealing itself is :func:`maskstats.splitting.stratify.stratify`.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from maskstats.errors import UsageProblem
from maskstats.splitting.stats import split_stats
from maskstats.core.stats import Stats
from maskstats.splitting.stratify import Groups, stratify
from maskstats.table.load import Table, load_table

DEFAULT_NAMES = ("train", "val", "test")
RATIO_TOLERANCE = 1e-6


@dataclass
class SplitResult:
    """The split of a table: ``assignment[i]`` is the split of row i."""

    table: Table
    names: list[str]
    ratios: list[float]
    assignment: np.ndarray
    group_keys: list[str]
    row_group: np.ndarray
    seed: int = 0
    group: str | None = None
    too_few_groups: dict[int, int] = field(default_factory=dict)
    unplaced: list[int] = field(default_factory=list)

    @property
    def num_splits(self) -> int:
        return len(self.names)

    @property
    def missing(self) -> dict[int, str]:
        """Classes present in the table but absent from some split, with the reason."""
        held = self.image_counts > 0

        def where(c: int) -> str:
            return ", ".join(n for n, h in zip(self.names, held[:, c]) if h)

        out = {c: f"present in only {n} group{'s' if n != 1 else ''} (in {where(c)}), fewer "
                  f"than the {self.num_splits} splits" for c, n in self.too_few_groups.items()}
        for c in self.unplaced:
            out[c] = (f"in {where(c)} only: its groups could not be put in every split without "
                      "breaking the split sizes or another class's placement")
        return dict(sorted(out.items()))

    def rows(self, j: int) -> np.ndarray:
        """Indices of the table rows in split ``j`` (table order)."""
        return np.flatnonzero(self.assignment == j)

    def paths(self, j: int) -> list[str]:
        """The files of split ``j``, each once, in table order."""
        seen: dict[str, None] = {}
        for i in self.rows(j):
            seen.setdefault(self.table.paths[i], None)
        return list(seen)

    def windows_csv(self, j: int) -> bytes:
        """The windows of split ``j`` of a window table: CSV ``path, frame, y, x, height,
        width``, one row per window in table order."""
        import csv
        import io

        t = self.table
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(["path", "frame", "y", "x", "height", "width"])
        rows = self.rows(j)
        out.writerows([t.paths[i], f, *where] for i, f, where in zip(
            rows.tolist(), t.frames[rows].tolist(), t.windows[rows].tolist()))
        return buf.getvalue().encode("utf-8")

    @property
    def sizes(self) -> list[int]:
        """Images (table rows) per split."""
        return np.bincount(self.assignment, minlength=self.num_splits).tolist()

    @property
    def image_counts(self) -> np.ndarray:
        """(splits, classes): images holding each class in each split."""
        out = np.zeros((self.num_splits, self.table.num_classes), dtype=np.int64)
        np.add.at(out, self.assignment, (self.table.counts > 0).astype(np.int64))
        return out

    @property
    def pixel_counts(self) -> np.ndarray:
        """(splits, classes): pixels of each class in each split (exact int64)."""
        out = np.zeros((self.num_splits, self.table.num_classes), dtype=np.int64)
        np.add.at(out, self.assignment, self.table.counts)
        return out

    def stats(self, j: int, base: Stats | None = None) -> Stats:
        """Split ``j``'s stats; ``base`` (the whole dataset's stats) gives names and options."""
        return split_stats(self.table, self.rows(j), base)


def check_ratios(ratios: Sequence[float], names: Sequence[str] | None) -> list[str]:
    """Validate ratios and names; return the names (defaults: train, val, test)."""
    ratios = [float(r) for r in ratios]
    if len(ratios) < 2:
        raise UsageProblem("give at least two ratios, e.g. 0.8,0.2")
    if any(not math.isfinite(r) or r <= 0 for r in ratios):
        raise UsageProblem(f"ratios must be positive numbers, got {_fmt(ratios)}")
    if abs(sum(ratios) - 1.0) > RATIO_TOLERANCE:
        raise UsageProblem(f"ratios must sum to 1, got {_fmt(ratios)} (sum {sum(ratios):g})")
    if names is None:
        names = (list(DEFAULT_NAMES[:len(ratios)]) if len(ratios) <= len(DEFAULT_NAMES)
                 else [f"split{i + 1}" for i in range(len(ratios))])
    names = [str(n) for n in names]
    if len(names) != len(ratios):
        raise UsageProblem(f"{len(names)} names ({', '.join(names)}) for {len(ratios)} ratios")
    if len(set(names)) != len(names):
        raise UsageProblem(f"split names must differ: {', '.join(names)}")
    for n in names:
        if not n or n in (".", "..") or "/" in n or os.sep in n or "\0" in n:
            raise UsageProblem(f"{n!r} cannot be a split name (it names a file)")
    return names


def _fmt(ratios: Sequence[float]) -> str:
    return ",".join(f"{r:g}" for r in ratios)


def group_keys(paths: Sequence[str], pattern: str | None) -> list[str]:
    """The group of each path: the regex's first capture group, or its whole match."""
    if pattern is None:
        return list(paths)
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise UsageProblem(f"group pattern {pattern!r} is not a valid regex ({exc})") from None
    keys, misses = [], []
    for p in paths:
        m = rx.search(p)
        key = None if m is None else (m.group(1) if rx.groups else m.group(0))
        if key is None:
            misses.append(p)
        keys.append(key)
    if misses and len(misses) == len(paths):
        raise UsageProblem(f"group pattern {pattern!r} matches no path (e.g. {paths[0]})")
    if misses:
        raise UsageProblem(f"group pattern {pattern!r} does not match {len(misses)} of "
                           f"{len(paths)} paths, e.g. {misses[0]}; every image needs a group")
    return keys


def build_groups(table: Table, keys: Sequence[str]) -> tuple[Groups, list[str], np.ndarray]:
    """Sparse per-group class presence; returns (groups, group names, group of each row)."""
    names, row_group = np.unique(np.asarray(keys, dtype=object).astype(str),
                                 return_inverse=True)
    k = table.num_classes
    rows, cls = np.nonzero(table.counts > 0)
    key = row_group[rows].astype(np.int64) * k + cls
    uniq, inv = np.unique(key, return_inverse=True)
    img = np.bincount(inv).astype(np.float64)
    pix = np.bincount(inv, weights=table.counts[rows, cls].astype(np.float64))
    grp = uniq // max(k, 1)
    indptr = np.searchsorted(grp, np.arange(len(names) + 1))
    sizes = np.bincount(row_group, minlength=len(names)).astype(np.int64)
    groups = Groups(sizes=sizes, indptr=indptr, cls=(uniq % max(k, 1)).astype(np.int64),
                    img=img, pix=pix, num_classes=k)
    return groups, [str(n) for n in names], row_group


def block_keys(table: Table, keys: list[str], block: int | None) -> list[str]:
    """``keys`` refined by the spatial block of each window (``block`` pixels a side)."""
    if block is None:
        return keys
    if table.windows is None:
        raise UsageProblem(f"--block groups the windows of a window table ('scan --window'); "
                           f"{table.source or 'the table'} has one row per image")
    if block < 1:
        raise UsageProblem(f"--block must be at least 1 pixel, not {block}")
    cells = (table.windows[:, :2] // block).tolist()
    return [f"{k}#block{y},{x}" for k, (y, x) in zip(keys, cells)]


def split(table: Table | str | os.PathLike, ratios: Sequence[float], group: str | None = None,
          seed: int = 0, names: Sequence[str] | None = None,
          block: int | None = None) -> SplitResult:
    """Split the images of a per-image table, stratified on class presence and pixel shares.

    ``table`` is a :class:`Table` or the path of one. ``ratios`` (positive, summing to 1) are
    the split sizes in images. Every class present in at least ``len(ratios)`` groups lands
    in every split; :attr:`SplitResult.missing` names the classes that could not. The rows
    of a window table (``scan --window``) are windows: by default all windows of one file
    stay in one split; ``block`` groups them by spatial blocks of ``block`` x ``block``
    pixels instead (a window belongs to the block holding its top-left pixel).
    """
    if not isinstance(table, Table):
        table = load_table(table)
    names = check_ratios(ratios, names)
    ratios = [float(r) for r in ratios]
    if table.num_images == 0:
        raise UsageProblem(f"{table.source or 'table'}: the table has no rows; nothing to split")
    keys = block_keys(table, group_keys(table.paths, group), block)
    groups, group_names, row_group = build_groups(table, keys)
    if groups.num_groups < len(ratios):
        what = "group" if group is not None else "file"
        n = groups.num_groups
        raise UsageProblem(f"{len(ratios)} splits but only {n} {what}{'s' if n != 1 else ''}:"
                           " every split needs at least one")
    group_split, unplaced = stratify(groups, ratios, seed)
    per_class = groups.groups_per_class()
    too_few = {int(c): int(per_class[c]) for c in np.flatnonzero(per_class > 0)
               if per_class[c] < len(ratios)}
    return SplitResult(table=table, names=names, ratios=ratios,
                       assignment=group_split[row_group], group_keys=group_names,
                       row_group=row_group, seed=seed, group=group, too_few_groups=too_few,
                       unplaced=unplaced)
