"""Runs of pixels: intervals ``[start, end)`` of pixel indices, as the COCO masks of
:mod:`maskstats.readers.polygons` give them; the pixels their union covers (per group, in one
sort) and the mask they draw."""

from __future__ import annotations

import numpy as np


def grouped_union(groups: np.ndarray, starts: np.ndarray, ends: np.ndarray, n: int,
                  size: int) -> np.ndarray:
    """Per group 0..size-1, the pixels covered by the union of its intervals (int64).

    Groups are moved apart by ``n + 1`` (intervals lie in [0, n]), so one sort and one
    running maximum serve every group.
    """
    out = np.zeros(size, dtype=np.int64)
    if starts.size == 0:
        return out
    s, e = groups * (n + 1) + starts, groups * (n + 1) + ends
    order = np.argsort(s, kind="stable")
    s, e, g = s[order], e[order], groups[order]
    reach = np.maximum.accumulate(e)
    before = np.concatenate([[s[0]], reach[:-1]])
    np.add.at(out, g, np.maximum(0, e - np.maximum(s, before)))
    return out


def union_pixels(starts: np.ndarray, ends: np.ndarray) -> int:
    """Pixels covered by the union of intervals ``[starts[i], ends[i])``: exact int."""
    n = int(ends.max()) if ends.size else 0
    return int(grouped_union(np.zeros(starts.size, dtype=np.int64), starts, ends, n, 1)[0])


def runs_to_mask(starts: np.ndarray, ends: np.ndarray, h: int, w: int) -> np.ndarray:
    """The (h, w) uint8 mask of runs (column-major indices), for tests and inspection."""
    flat = np.zeros(h * w + 1, dtype=np.int64)
    np.add.at(flat, starts, 1)
    np.add.at(flat, ends, -1)
    return (np.cumsum(flat[:-1]) > 0).astype(np.uint8).reshape(w, h).T
