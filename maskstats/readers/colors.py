"""Colour-coded (RGB/RGBA) masks: colour tables, and exact counting by packed colour.

Many datasets store labels as colours (CamVid's ``class_dict.csv``, CVAT's ``labelmap.txt``,
ISPRS Potsdam, DeepGlobe). Counting them needs a colour -> class id table, and
anti-aliased or JPEG-compressed masks leave colours that are in no table: those are counted
per colour and reported, never mapped to the nearest class.

Colour tables are loaded by :mod:`maskstats.readers.colortable` (re-exported here).

Counting takes the distinct colours and their pixel counts (Pillow's C ``getcolors`` when an
image has at most ``GETCOLORS_LIMIT`` colours, else ``np.unique`` of every pixel packed to one
uint32, ``R + 256 G + 65536 B``, the COCO panoptic id formula; alpha is dropped) and looks the
distinct colours up in the table, so no Python code runs per pixel. A colour that is not in
the table is passed on as the histogram value ``UNKNOWN_BASE + packed`` (always negative, so
it can never collide with a class id); :func:`finish_unknown` pulls those values out of the
scan's :class:`~maskstats.core.histogram.Counts` before they reach the class statistics, and
reports them under ``unknown_colors`` (they still count in ``total_pixels``).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from maskstats.readers.colortable import (  # noqa: F401  (re-exported: the colour table API)
    ColorPairs,
    ColorTable,
    hex_color,
    load_color_table,
    pack_rgb,
)
from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.core.histogram import Counts, ImageHist

#: unknown colour ``packed`` travels as histogram value ``UNKNOWN_BASE + packed`` (< 0)
UNKNOWN_BASE = -(1 << 32)
#: files listed per unknown colour in the report (the first ones in path order)
MAX_FILES = 5
#: unknown colours listed by name in the report (the ones with the most pixels)
MAX_COLORS = 20
#: most distinct colours counted with Pillow's Image.getcolors before NumPy takes over
GETCOLORS_LIMIT = 1 << 16


# --------------------------------------------------------------------------- counting
def pack_pixels(arr: np.ndarray) -> np.ndarray:
    """(H, W, 3 or 4) uint8 pixels -> flat uint32 ``R + 256 G + 65536 B`` (alpha dropped)."""
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4) or arr.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3|4) uint8 pixels, got {arr.shape} {arr.dtype}")
    flat = arr.reshape(-1, arr.shape[-1])
    if arr.shape[-1] == 4:
        return np.ascontiguousarray(flat).view("<u4").reshape(-1) & np.uint32(0xFFFFFF)
    packed = flat[:, 2].astype(np.uint32)  # in-place shifts: ~3x faster than padding to 4
    packed <<= 8
    packed |= flat[:, 1]
    packed <<= 8
    packed |= flat[:, 0]
    return packed


def colour_counts(im) -> tuple[np.ndarray, np.ndarray]:
    """Distinct packed RGB colours of a Pillow RGB/RGBA image (sorted) and their pixels.

    Masks hold few colours, so Pillow's C ``Image.getcolors`` (exact counts, no array) is
    tried first; past ``GETCOLORS_LIMIT`` distinct colours (JPEG noise) every pixel is
    packed with :func:`pack_pixels` and counted with ``np.unique``.
    """
    found = im.getcolors(GETCOLORS_LIMIT)
    if found is None:
        colours, counts = np.unique(pack_pixels(np.asarray(im)), return_counts=True)
        return colours.astype(np.int64), counts.astype(np.int64)
    rgb = np.array([colour[:3] for _, colour in found], dtype=np.int64).reshape(-1, 3)
    colours, inverse = np.unique(rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16),
                                 return_inverse=True)  # RGBA: colours differing in alpha merge
    counts = np.zeros(colours.size, dtype=np.int64)
    np.add.at(counts, inverse, np.array([n for n, _ in found], dtype=np.int64))
    return colours, counts


def hist_of_image(path: str, im, pairs: ColorPairs) -> ImageHist:
    """Exact class histogram of one RGB/RGBA Pillow image; unknown colours as negative values."""
    colours, counts = colour_counts(im)
    return _lookup(colours, counts, pairs, im.size[0] * im.size[1])


def hist_of_colors(path: str, arr: np.ndarray, pairs: ColorPairs) -> ImageHist:
    """Exact class histogram of one colour-coded image; unknown colours as negative values."""
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        raise UnreadableMask(path, f"expected an RGB or RGBA image, got shape {arr.shape}")
    colours, counts = np.unique(pack_pixels(arr), return_counts=True)
    return _lookup(colours.astype(np.int64), counts.astype(np.int64), pairs,
                   int(arr.shape[0] * arr.shape[1]))


def class_ids(arr: np.ndarray, pairs: ColorPairs) -> np.ndarray:
    """Per-pixel class ids (int64, shape (H, W)) of a colour-coded image; a colour that is
    not in the table becomes ``UNKNOWN_BASE + packed`` as in :func:`hist_of_colors`."""
    packed = pack_pixels(np.ascontiguousarray(arr)).astype(np.int64)
    keys = np.array([p for p, _ in pairs], dtype=np.int64)
    ids = np.array([c for _, c in pairs], dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, packed), keys.size - 1)
    out = np.where(keys[pos] == packed, ids[pos], packed + UNKNOWN_BASE)
    return out.reshape(arr.shape[:2])


def _lookup(colours: np.ndarray, counts: np.ndarray, pairs: ColorPairs, pixels: int
            ) -> ImageHist:
    """Map distinct packed colours and their pixels to class ids (``pairs`` sorted)."""
    summed = counts
    keys = np.array([p for p, _ in pairs], dtype=np.int64)
    ids = np.array([c for _, c in pairs], dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, colours), keys.size - 1)
    known = keys[pos] == colours
    class_ids, inverse = np.unique(ids[pos[known]], return_inverse=True)
    class_counts = np.zeros(class_ids.size, dtype=np.int64)
    np.add.at(class_counts, inverse, summed[known])
    unknown = colours[~known] + UNKNOWN_BASE  # sorted, all negative
    return ImageHist(np.concatenate([unknown, class_ids]),
                     np.concatenate([summed[~known], class_counts]), int(pixels))


# ---------------------------------------------------------------- unknown colours report
# Unknown colours stay in the Counts as negative values, so their pixel and image totals are
# exact through worker processes, the cache and Dask. Which files they occur in is gathered
# from the per-file records by the scan's UnknownColors sink (maskstats.pipeline.sinks).


def take_unknown(counts: Counts) -> dict[int, tuple[int, int]]:
    """Remove unknown-colour values from ``counts``; return ``{packed: (pixels, images)}``."""
    out = {}
    for value in [v for v in counts.sparse if v < 0 and v - UNKNOWN_BASE >= 0]:
        pixels, images, _ = counts.sparse.pop(value)
        out[value - UNKNOWN_BASE] = (pixels, images)
    return out


def finish_unknown(counts: Counts, files: Mapping[int, Sequence[str]]
                   ) -> dict[str, Any] | None:
    """Take unknown colours out of ``counts``; the report (``files``: colour -> files).

    The report (the ``unknown_colors`` entry of the stats JSON, None when every colour was
    in the table) is ``{"pixels": total, "colors": distinct colours, "top": {"#rrggbb":
    {"pixels": n, "images": k, "files": [...]}}}``: ``top`` holds the ``MAX_COLORS`` colours
    with the most pixels; ``files`` the first ``MAX_FILES`` files (path order) where the
    colour is among that file's ``MAX_COLORS`` most common unknown colours.
    """
    store = take_unknown(counts)
    if not store:
        return None
    ranked = sorted(store.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return {
        "pixels": sum(row[0] for row in store.values()),
        "colors": len(store),
        "top": {hex_color(p): {"pixels": pix, "images": imgs,
                               "files": sorted(files.get(p, []))[:MAX_FILES]}
                for p, (pix, imgs) in ranked[:MAX_COLORS]},
    }


def check_unknown(report: Mapping[str, Any] | None, on_unknown_color: str, source: str) -> None:
    """Raise :func:`unknown_error` when unknown colours were found and the mode is "error"."""
    if on_unknown_color not in ("error", "report"):
        raise UsageProblem(f"on_unknown_color must be 'error' or 'report', not "
                           f"{on_unknown_color!r}")
    if report and on_unknown_color == "error":
        raise unknown_error(report, source)


def unknown_error(report: Mapping[str, Any], source: str) -> UnreadableMask:
    """The error raised by ``on_unknown_color="error"``, naming the worst colour's first file."""
    top = list(report["top"].items())
    colour, row = top[0]
    listed = ", ".join(f"{c} ({r['pixels']:,} px)" for c, r in top[:5])
    return UnreadableMask(
        row["files"][0] if row["files"] else source,
        f"colour {colour} is not in the colour table {source} ({row['pixels']:,} pixels in "
        f"{row['images']} image(s), this file first; {report['pixels']:,} pixels in "
        f"{report['colors']} unknown colour(s) in all, most common: {listed}); fix the table, "
        "or pass --on-unknown-color report to count them apart under 'unknown_colors'")
