"""Reference window grids and counts computed with plain loops and NumPy (test helpers)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def reference_starts(length: int, size: int, stride: int) -> tuple[list[int], int]:
    """Window starts along one axis by the documented rule, written as a loop."""
    if length <= size:
        return [0], length
    starts = []
    s = 0
    while s + size <= length:
        starts.append(s)
        s += stride
    if starts[-1] + size != length:
        starts.append(length - size)
    return starts, size


def reference_rows(name: str, frame: int, a: np.ndarray, window, stride, k: int,
                   ignore=()) -> list[list[int | str]]:
    """The window-table rows of one image: counts by np.count_nonzero per window."""
    ys, h = reference_starts(a.shape[0], window[0], stride[0])
    xs, w = reference_starts(a.shape[1], window[1], stride[1])
    rows = []
    for y in ys:
        for x in xs:
            part = a[y:y + h, x:x + w]
            found = dict(zip(*(v.tolist() for v in np.unique(part, return_counts=True))))
            classes = [found.get(c, 0) if c not in ignore else 0 for c in range(k)]
            ignored = sum(found.get(v, 0) for v in ignore)
            unexpected = part.size - ignored - sum(classes)
            rows.append([name, frame, y, x, h, w, part.size, ignored, unexpected, *classes])
    return rows


def read_rows(path: Path) -> tuple[list[str], list[list[int | str]]]:
    """Header and rows of a CSV table, numbers as int."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [[r[0], *map(int, r[1:])] for r in reader]
