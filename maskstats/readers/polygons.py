"""COCO masks as runs of pixels, by pycocotools' own rules, in NumPy (no pycocotools needed).

pycocotools (``maskApi.c``) stores a mask as a run-length encoding over the pixels in
column-major order (index ``x * h + y``): alternating runs of 0s and 1s, starting with 0s.
Counting pixels needs only the runs of 1s, so every segmentation here becomes *intervals*
``[start, end)`` of those indices, and the union of several masks is the union of their
intervals (:func:`union_pixels`): no h x w array is ever built.

* Polygons follow ``rleFrPoly``: vertices scaled by 5 and rounded (``(int)(5 v + .5)``), the
  closed boundary walked in integer steps (``(int)(a + s t + .5)``), the x-crossings of the
  boundary downsampled back to pixel columns, and the crossings' indices sorted; the mask
  switches between 0 and 1 at each of them (two crossings at one index cancel). The
  polygons of one annotation are merged (union), as ``annToRLE`` does.
* Compressed RLE (``counts`` a string) is decoded as ``rleFrString`` does (6-bit groups
  with a continuation bit, from the fourth count on relative to the count two before).
* Uncompressed RLE (``counts`` a list) is used as given.

Every rule is checked against pycocotools in the tests (``pip install pycocotools``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_I64 = np.int64
SCALE = 5.0
#: |5 v| beyond int32: pycocotools' (int) conversion is undefined there
_COORD_LIMIT = (2 ** 31 - 1) / SCALE - 1


class BadSegmentation(ValueError):
    """A segmentation pycocotools could not rasterise (the message says why)."""


def _trunc(a: np.ndarray) -> np.ndarray:
    """C's ``(int)`` of doubles: toward zero."""
    return np.trunc(a).astype(_I64)


def polygon_crossings(xy: np.ndarray, h: int, w: int) -> np.ndarray:
    """The sorted pixel indices where one polygon's mask switches (``rleFrPoly``), int64."""
    x = _trunc(SCALE * xy[0::2] + 0.5)
    y = _trunc(SCALE * xy[1::2] + 0.5)
    xs, xe = x, np.roll(x, -1)
    ys, ye = y, np.roll(y, -1)
    dx, dy = np.abs(xe - xs), np.abs(ys - ye)
    along_x = dx >= dy
    flip = (along_x & (xs > xe)) | (~along_x & (ys > ye))
    xs, xe = np.where(flip, xe, xs), np.where(flip, xs, xe)
    ys, ye = np.where(flip, ye, ys), np.where(flip, ys, ye)
    steps = np.where(along_x, dx, dy)
    with np.errstate(divide="ignore", invalid="ignore"):  # dx = dy = 0: a repeated vertex
        s = np.where(along_x, (ye - ys) / np.where(dx > 0, dx, 1),
                     (xe - xs) / np.where(dy > 0, dy, 1)).astype(np.float64)
    n = steps + 1
    edge = np.repeat(np.arange(steps.size), n)
    d = np.arange(edge.size, dtype=_I64) - np.repeat(np.cumsum(n) - n, n)
    t = np.where(flip[edge], steps[edge] - d, d)
    ax = along_x[edge]
    tf = t.astype(np.float64)
    u = np.where(ax, t + xs[edge], _trunc(xs[edge] + s[edge] * tf + 0.5))
    v = np.where(ax, _trunc(ys[edge] + s[edge] * tf + 0.5), t + ys[edge])
    # a repeated vertex gives one point whose v is undefined in C; its u equals both
    # neighbours' u, so the next step never reads it
    moved = np.flatnonzero(u[1:] != u[:-1]) + 1
    uj, up = u[moved], u[moved - 1]
    xd = (np.where(uj < up, uj, uj - 1).astype(np.float64) + 0.5) / SCALE - 0.5
    keep = (np.floor(xd) == xd) & (xd >= 0) & (xd <= w - 1)
    yd = (np.minimum(v[moved], v[moved - 1]).astype(np.float64) + 0.5) / SCALE - 0.5
    yd = np.ceil(np.clip(yd, 0, h))
    return np.sort(xd[keep].astype(_I64) * h + yd[keep].astype(_I64))


def runs_from_crossings(crossings: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of 1s ``(starts, ends)`` of a mask of ``n`` pixels switching at ``crossings``.

    The end of the mask (index n) is one more switch, as ``rleFrPoly`` appends it; a switch
    repeated an even number of times cancels (its runs of length 0 merge).
    """
    points = np.append(crossings, n)
    values, times = np.unique(points, return_counts=True)
    odd = values[times % 2 == 1]
    if odd.size % 2:
        odd = np.append(odd, n)
    return odd[0::2], odd[1::2]


def runs_from_counts(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of 1s ``(starts, ends)`` of RLE ``counts`` (0s first, then 1s, ...)."""
    bounds = np.concatenate([[0], np.cumsum(counts, dtype=_I64)])
    starts, ends = bounds[1::2], bounds[2::2]
    starts = starts[:ends.size]
    keep = ends > starts
    return starts[keep], ends[keep]


def decode_rle_string(text: str) -> np.ndarray:
    """The counts of a compressed RLE string (``rleFrString``), int64."""
    out: list[int] = []
    p, size = 0, len(text)
    while p < size:
        x, k, more = 0, 0, True
        while more:
            if p >= size:
                raise BadSegmentation("compressed RLE string ends inside a number")
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                raise BadSegmentation(f"compressed RLE holds the character {text[p]!r}, not "
                                      "one of '0'..'o'")
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return np.array(out, dtype=_I64)


def _polygon_runs(segm: list, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    if not segm:
        raise BadSegmentation("segmentation is an empty list of polygons")
    starts, ends = [], []
    for i, poly in enumerate(segm):
        where = f"polygon {i}" if len(segm) > 1 else "polygon"
        if not isinstance(poly, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in poly):
            raise BadSegmentation(f"{where} is not a list of numbers")
        if len(poly) % 2:
            raise BadSegmentation(f"{where} has an odd number of coordinates ({len(poly)})")
        if len(poly) < 6:
            raise BadSegmentation(f"{where} has {len(poly) // 2} point(s); a polygon needs "
                                  "at least 3")
        xy = np.array(poly, dtype=np.float64)
        if not np.all(np.abs(xy) < _COORD_LIMIT):
            raise BadSegmentation(f"{where} has a coordinate that is not a finite number "
                                  f"below {_COORD_LIMIT:.0f}")
        s, e = runs_from_crossings(polygon_crossings(xy, h, w), h * w)
        starts.append(s)
        ends.append(e)
    return np.concatenate(starts), np.concatenate(ends)


def _rle_runs(segm: dict, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    size = segm.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in size)):
        raise BadSegmentation(f"RLE 'size' must be [height, width], not {size!r}")
    if size != [h, w]:
        raise BadSegmentation(f"RLE size is {size[0]}x{size[1]} (height x width) but the "
                              f"image is {h}x{w}")
    counts = segm.get("counts")
    if isinstance(counts, str):
        values = decode_rle_string(counts)
    elif isinstance(counts, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in counts):
        values = np.array(counts, dtype=_I64) if counts else np.zeros(0, _I64)
    else:
        raise BadSegmentation("RLE 'counts' must be a string or a list of whole numbers")
    if values.size and (values.min() < 0 or values.max() >= 2 ** 32):
        raise BadSegmentation("RLE counts must lie in 0..2^32-1")
    total = int(values.sum())
    if total != h * w:
        raise BadSegmentation(f"RLE counts add up to {total} pixels, not height x width = "
                              f"{h * w}")
    return runs_from_counts(values)


def segmentation_runs(segm: Any, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of 1s of one annotation's mask (``annToMask``), as ``(starts, ends)`` int64.

    Raises :class:`BadSegmentation` for what pycocotools would refuse or misread.
    """
    if isinstance(segm, list):
        return _polygon_runs(segm, h, w)
    if isinstance(segm, dict):
        return _rle_runs(segm, h, w)
    raise BadSegmentation("segmentation must be a list of polygons or an RLE object, not "
                          f"{type(segm).__name__}")


def union_pixels(starts: np.ndarray, ends: np.ndarray) -> int:
    """Pixels covered by the union of intervals ``[starts[i], ends[i])``: exact int."""
    if starts.size == 0:
        return 0
    order = np.argsort(starts, kind="stable")
    s, e = starts[order], ends[order]
    reach = np.maximum.accumulate(e)
    before = np.concatenate([[s[0]], reach[:-1]])
    return int(np.maximum(0, e - np.maximum(s, before)).sum())


def runs_to_mask(starts: np.ndarray, ends: np.ndarray, h: int, w: int) -> np.ndarray:
    """The (h, w) uint8 mask of runs (column-major indices), for tests and inspection."""
    flat = np.zeros(h * w + 1, dtype=np.int64)
    np.add.at(flat, starts, 1)
    np.add.at(flat, ends, -1)
    return (np.cumsum(flat[:-1]) > 0).astype(np.uint8).reshape(w, h).T
