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

from typing import Any, Sequence

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


def _ragged(first: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, value): for each i, the values first[i], first[i] + 1, ... (count[i] of them)."""
    count = np.maximum(count, 0)
    owner = np.repeat(np.arange(count.size), count)
    start = np.cumsum(count) - count
    return owner, first[owner] + (np.arange(owner.size, dtype=_I64) - start[owner])


def _columns(lo: np.ndarray, hi: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(edge, c) for every pixel column c in [0, w) with 5 c + 3 in [lo, hi] (per edge)."""
    c_lo = np.maximum(-((3 - lo) // 5), 0)  # ceil((lo - 3) / 5)
    c_hi = np.minimum((hi - 3) // 5, w - 1)
    return _ragged(c_lo, c_hi - c_lo + 1)


def _along_x(xs, ys, ye, dx, w) -> tuple[np.ndarray, ...]:
    """Edges with dx >= dy (xs <= xe): u = xs + t steps by one; the step from u = 5c+2 to
    5c+3 is at t = 5c + 3 - xs; v(t) = (int)(ys + s t + .5)."""
    edge, c = _columns(xs + 1, xs + dx, w)
    s = (ye - ys)[edge] / np.maximum(dx, 1)[edge]
    t = (5 * c + 3 - xs[edge]).astype(np.float64)
    y0 = ys[edge].astype(np.float64)
    v = np.minimum(_trunc(y0 + s * t + 0.5), _trunc(y0 + s * (t - 1) + 0.5))
    return edge, c, v


def _along_y(xs, xe, ys, dy, w) -> tuple[np.ndarray, ...]:
    """Edges with dy > dx (ys <= ye): v = ys + t, u(t) = (int)(xs + s t + .5) moves by at
    most one per step; for each column boundary b = 5c + 3 it crosses, the first t past it
    (estimated, then settled by evaluating u exactly as C does)."""
    moving = np.flatnonzero(xs != xe)
    xs, xe, ys, dy = xs[moving], xe[moving], ys[moving], dy[moving]
    edge, c = _columns(np.minimum(xs, xe) - 1, np.maximum(xs, xe) + 1, w)
    x0 = xs[edge].astype(np.float64)
    s = (xe - xs)[edge] / dy[edge]
    up = s > 0
    b = (5 * c + 3).astype(np.float64)
    top = dy[edge]

    def past(t: np.ndarray) -> np.ndarray:  # u(t) is on the far side of b
        u = _trunc(x0 + s * t.astype(np.float64) + 0.5)
        return np.where(up, u >= b, u < b)

    guess = (b - 0.5 - x0) / s
    t = np.clip(np.where(up, np.ceil(guess), np.floor(guess) + 1), 0, top + 1).astype(_I64)
    for _ in range(64):  # the guess is off by at most a step or two of rounding
        fwd = (t <= top) & ~past(np.minimum(t, top))
        back = (t >= 1) & past(np.maximum(t - 1, 0))
        if not (fwd.any() or back.any()):
            break
        t = t + fwd - back
    found = (t >= 1) & (t <= top)
    return moving[edge[found]], c[found], (ys[edge] + t - 1)[found]


def polygon_crossings(xy: np.ndarray, nxt: np.ndarray, h: int, w: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Where polygons' masks switch (``rleFrPoly``): ``(edge, pixel index)`` pairs, int64.

    ``xy``: (n, 2) vertices of one or more polygons; ``nxt[i]``: the vertex after i in its
    polygon (edge i runs from vertex i to ``nxt[i]``). ``rleFrPoly`` walks every edge in
    steps of 1/5 pixel and keeps the steps whose x moves from 5c+2 to 5c+3 (a pixel column
    c); only those steps are computed here, with the C code's own arithmetic
    (``(int)(a + s t + .5)``), so the result is the same.
    """
    x = _trunc(SCALE * xy[:, 0] + 0.5)
    y = _trunc(SCALE * xy[:, 1] + 0.5)
    xs, xe, ys, ye = x, x[nxt], y, y[nxt]
    dx, dy = np.abs(xe - xs), np.abs(ys - ye)
    along_x = dx >= dy
    flip = (along_x & (xs > xe)) | (~along_x & (ys > ye))
    xs, xe = np.where(flip, xe, xs), np.where(flip, xs, xe)
    ys, ye = np.where(flip, ye, ys), np.where(flip, ys, ye)
    ia, ib = np.flatnonzero(along_x), np.flatnonzero(~along_x)
    ea, ca, va = _along_x(xs[ia], ys[ia], ye[ia], dx[ia], w)
    eb, cb, vb = _along_y(xs[ib], xe[ib], ys[ib], dy[ib], w)
    yd = (np.concatenate([va, vb]).astype(np.float64) + 0.5) / SCALE - 0.5
    rows = np.ceil(np.clip(yd, 0, h)).astype(_I64)
    return np.concatenate([ia[ea], ib[eb]]), np.concatenate([ca, cb]) * h + rows


def polygon_runs(polygons: Sequence[np.ndarray], h: int, w: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of 1s of each polygon's mask: ``(polygon, starts, ends)``, int64.

    The end of the mask (index h w) is one more switch, as ``rleFrPoly`` appends it; a
    switch repeated an even number of times cancels (its runs of length 0 merge).
    """
    n = h * w
    sizes = np.array([len(p) for p in polygons], dtype=_I64)
    first = np.cumsum(sizes) - sizes
    owner = np.repeat(np.arange(sizes.size), sizes)
    nxt = np.arange(owner.size, dtype=_I64) + 1
    nxt[first + sizes - 1] = first
    edge, where = polygon_crossings(np.concatenate(polygons), nxt, h, w)
    keys = np.concatenate([owner[edge] * (n + 1) + where, np.arange(sizes.size) * (n + 1) + n])
    values, times = np.unique(keys, return_counts=True)
    odd = values[times % 2 == 1]
    counts = np.bincount(odd // (n + 1), minlength=sizes.size)
    unpaired = np.flatnonzero(counts % 2)  # the last run of 1s reaches the end
    odd = np.sort(np.concatenate([odd, unpaired * (n + 1) + n]))
    return odd[0::2] // (n + 1), odd[0::2] % (n + 1), odd[1::2] % (n + 1)


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


def check_polygons(segm: list) -> list[np.ndarray]:
    """The polygons of one annotation as (k, 2) float64 arrays, checked."""
    if not segm:
        raise BadSegmentation("segmentation is an empty list of polygons")
    out = []
    for i, poly in enumerate(segm):
        where = f"polygon {i}" if len(segm) > 1 else "polygon"
        try:
            xy = np.asarray(poly, dtype=np.float64)
        except (TypeError, ValueError):
            xy = np.zeros((0, 0))
        if xy.ndim != 1:
            raise BadSegmentation(f"{where} is not a list of numbers")
        if xy.size % 2:
            raise BadSegmentation(f"{where} has an odd number of coordinates ({xy.size})")
        if xy.size < 6:
            raise BadSegmentation(f"{where} has {xy.size // 2} point(s); a polygon needs at "
                                  "least 3")
        if not np.all(np.abs(xy) < _COORD_LIMIT):
            raise BadSegmentation(f"{where} has a coordinate that is not a finite number "
                                  f"below {_COORD_LIMIT:.0f}")
        out.append(xy.reshape(-1, 2))
    return out


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


class BadAnnotation(BadSegmentation):
    """A bad segmentation among several: ``index`` says which."""

    def __init__(self, index: int, problem: str):
        super().__init__(problem)
        self.index = index


def segmentation_runs(segms: Sequence[Any], h: int, w: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of 1s of each annotation's mask (``annToMask``): ``(annotation, starts, ends)``.

    ``segms``: the ``segmentation`` of each annotation of one h x w image. The polygons of
    all of them are rasterised together (one pass of array operations per image). Raises
    :class:`BadAnnotation` (with the index) for what pycocotools would refuse or misread.
    """
    polygons, poly_owner, parts = [], [], []
    for i, segm in enumerate(segms):
        try:
            if isinstance(segm, list):
                found = check_polygons(segm)
                polygons += found
                poly_owner += [i] * len(found)
            elif isinstance(segm, dict):
                s, e = _rle_runs(segm, h, w)
                parts.append((np.full(s.size, i, dtype=_I64), s, e))
            else:
                raise BadSegmentation("segmentation must be a list of polygons or an RLE "
                                      f"object, not {type(segm).__name__}")
        except BadSegmentation as exc:
            raise BadAnnotation(i, str(exc)) from None
    if polygons:
        poly, s, e = polygon_runs(polygons, h, w)
        parts.append((np.array(poly_owner, dtype=_I64)[poly], s, e))
    if not parts:
        empty = np.zeros(0, _I64)
        return empty, empty, empty
    owner, starts, ends = (np.concatenate(p) for p in zip(*parts))
    return owner, starts, ends


def grouped_union(groups: np.ndarray, starts: np.ndarray, ends: np.ndarray, n: int,
                  size: int) -> np.ndarray:
    """Per group 0..size-1, the pixels covered by the union of its intervals (int64).

    Groups are moved apart by ``n + 1`` (intervals lie in [0, n]), so one sort and one
    running maximum serve every group.
    """
    out = np.zeros(size, dtype=_I64)
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
    return int(grouped_union(np.zeros(starts.size, dtype=_I64), starts, ends, n, 1)[0])


def runs_to_mask(starts: np.ndarray, ends: np.ndarray, h: int, w: int) -> np.ndarray:
    """The (h, w) uint8 mask of runs (column-major indices), for tests and inspection."""
    flat = np.zeros(h * w + 1, dtype=np.int64)
    np.add.at(flat, starts, 1)
    np.add.at(flat, ends, -1)
    return (np.cumsum(flat[:-1]) > 0).astype(np.uint8).reshape(w, h).T
