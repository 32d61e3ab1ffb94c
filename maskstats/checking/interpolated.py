"""``interpolated``: label values made by resizing a mask with a non-nearest filter.

A label mask resized with bilinear or bicubic interpolation gets new values on the boundary
between two classes a and b whenever |a - b| >= 2: values strictly between a and b, one or
two pixels wide, with no interior of their own. Nearest-neighbour resizing never makes them.

A value v is reported when, in one image,

* no pixel of v is interior (its four neighbours all v), and
* at least :data:`BETWEEN_SHARE` of its pixels lie *between* their neighbours: along a row,
  a column or a diagonal, one neighbour (at distance 1 or 2) is below v and the opposite one
  above v: a step a -> v -> b;

and the image is reported when such values hold :data:`MIN_PIXELS` pixels or more together.

A real thin class (a pole, a membrane) is usually flanked by the same class on both sides
(sky | pole | sky), or its value is not between its neighbours', so it is not reported; the
tests run this on the repository's real masks and on nearest-resized ones.
"""

from __future__ import annotations

import numpy as np

#: share of a value's pixels that must be a step between lower and higher neighbours
BETWEEN_SHARE = 0.9
#: the values found must hold at least this many pixels together for the image to be
#: reported (a tiny object, or one instance id between two others, is not a resized boundary)
MIN_PIXELS = 16
#: (dy, dx) of the four line directions
_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


def edge_counts(a: np.ndarray, size: int) -> np.ndarray:
    """Per value, how many of its pixels are not interior (a 4-neighbour differs, or on the
    image border). Only edge pixels are gathered: few, in any real mask."""
    edge = np.zeros(a.shape, dtype=bool)
    edge[0, :] = edge[-1, :] = True
    edge[:, 0] = edge[:, -1] = True
    dh = a[:, 1:] != a[:, :-1]
    edge[:, 1:] |= dh
    edge[:, :-1] |= dh
    dv = a[1:, :] != a[:-1, :]
    edge[1:, :] |= dv
    edge[:-1, :] |= dv
    return np.bincount(a[edge], minlength=size)


def _shifted(p: np.ndarray, dy: int, dx: int, r: int, h: int, w: int) -> np.ndarray:
    """The padded array ``p`` (pad 2) moved by (dy, dx) * r, cropped to the image."""
    return p[2 + dy * r: 2 + dy * r + h, 2 + dx * r: 2 + dx * r + w]


def between_mask(a: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Pixels of the candidate values that are a step between lower and higher neighbours."""
    h, w = a.shape
    p = np.pad(a, 2, mode="edge")
    mask = np.isin(a, candidates)
    hit = np.zeros_like(mask)
    for dy, dx in _DIRECTIONS:
        for r in (1, 2):
            lo = _shifted(p, -dy, -dx, r, h, w)
            hi = _shifted(p, dy, dx, r, h, w)
            hit |= ((lo < a) & (a < hi)) | ((lo > a) & (a > hi))
    return hit & mask


def interpolated_values(a: np.ndarray, values: np.ndarray | None = None,
                        counts: np.ndarray | None = None) -> dict[int, int]:
    """``{value: pixels}`` of the values of a 2-D label image that look interpolated.

    ``values``, ``counts``: the image's histogram (sorted distinct values and their pixels)
    when already known.
    """
    if a.ndim != 2 or min(a.shape) < 3 or a.dtype.kind not in "iu":
        return {}
    if values is None or counts is None:
        values, counts = np.unique(a, return_counts=True)
    if values.size < 3 or int(values[0]) < 0 or int(values[-1]) > (1 << 24):
        return {}
    by_value = np.zeros(int(values[-1]) + 1, dtype=np.int64)
    by_value[values] = counts
    inner = values[1:-1]  # the lowest and highest values are between nothing
    edges = edge_counts(a, by_value.size)
    candidates = inner[edges[inner] == by_value[inner]]  # no interior pixel at all
    if candidates.size == 0:
        return {}
    between = np.bincount(a[between_mask(a, candidates)], minlength=by_value.size)
    found = candidates[between[candidates] >= BETWEEN_SHARE * by_value[candidates]]
    if int(by_value[found].sum()) < MIN_PIXELS:
        return {}
    return {int(v): int(by_value[v]) for v in found}
