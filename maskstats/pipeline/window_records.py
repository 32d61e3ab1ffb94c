"""Window counts of one mask file, for ``scan --window`` (the records' ``windows``).

A mask is decoded to its label arrays (:func:`maskstats.readers.decode.label_images`, the
values the plain readers count), each image is counted once cell by cell
(:mod:`maskstats.windows.counts`) and gives both its whole-image histogram, equal to the plain
reader's, and the exact histogram of every window.
"""

from __future__ import annotations

from functools import partial
from typing import Iterator, Mapping

import numpy as np

from maskstats.core.histogram import ImageHist, remap_hist
from maskstats.core.nodata import NODATA_VALUE, nodata_hist, relabel_values
from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.readers.options import ReadOptions, Warn
from maskstats.windows.counts import WindowHists, count_windows

_I64 = np.int64


def read_windows(path: str, options: ReadOptions, remap: Mapping[int, int] | None,
                 warn: Warn) -> tuple[list[ImageHist], tuple[list | None, list | None]]:
    """Histograms of every image of ``path``, and (per ``options``) the window histograms
    and the crop statistics of each (nodata counted as nodata, ``remap`` applied); of a
    huge TIFF, of its ``options.part`` share."""
    from maskstats.readers.arrays import CHANNEL_LAYOUTS
    from maskstats.readers.tiff_blocks import use_blocks

    what = "--window" if options.window is not None else "--crop"
    if options.layout in CHANNEL_LAYOUTS:
        raise UsageProblem(f"{what} counts label masks; --layout {options.layout} arrays "
                           f"hold channels ({path})")
    if "://" not in path and use_blocks(path):
        if options.crop is not None:
            raise UnreadableMask(path, "--crop needs whole images and this raster is read "
                                 "block by block (too large); use --window for it")
        source = _block_windows(path, options.window, options.part)
    else:
        source = _decoded(path, options, remap, warn)
    hists, windows, crops = [], [], []
    for total, wins, crop in source:
        if remap and crop is None:  # decoded images are remapped before counting
            total = remap_hist(total, remap)
            wins = wins.map_values(partial(_remapped, remap))
        hists.append(total)
        windows.append(wins)
        crops.append(crop)
    return hists, (windows if options.window is not None else None,
                   crops if options.crop is not None else None)


def _remapped(remap: Mapping[int, int], values: np.ndarray) -> np.ndarray:
    return np.array([remap.get(v, v) for v in values.tolist()], dtype=_I64)


def _block_windows(path: str, grid, part: tuple[int, int]) -> Iterator[tuple]:
    """(total, windows, None) of every page of a huge TIFF, read block by block."""
    from maskstats.readers.tiff_blocks import pages
    from maskstats.readers.tiff_counts import count_page

    for page in pages(path):
        cells = count_page(path, page, grid.windows(page.height, page.width), part)
        yield nodata_hist(cells.total(), page.nodata), _nodata_windows(cells.window_hists(),
                                                                       page.nodata), None


def _decoded(path: str, options: ReadOptions, remap: Mapping[int, int] | None,
             warn: Warn) -> Iterator[tuple]:
    """(total, windows, crop) of every image of a mask decoded whole; with a crop size the
    label is remapped first (a crop's presence is of classes, not of stored values)."""
    from maskstats.pipeline.objects import remap_array
    from maskstats.readers.decode import label_images
    from maskstats.windows.crops import crop_counts
    from maskstats.windows.grid import WindowGrid

    data = None
    if "://" in path:
        from maskstats.readers.remote import object_bytes

        data = object_bytes(path)
    nodata: list = []
    if path.lower().endswith((".tif", ".tiff")):
        from maskstats.readers.tiff import page_nodata

        nodata = page_nodata(path, data)
    for frame, label in enumerate(label_images(path, options, warn, data)):
        if label.ndim != 2:
            raise UnreadableMask(path, f"windows and crops need 2-D images, not an array of "
                                 f"shape {label.shape} (a 3-D volume?)")
        value = nodata[frame] if frame < len(nodata) else None
        crop = None
        if options.crop is not None:
            if value is not None:  # nodata pixels are never a class of the crop
                label = np.where(label == value, NODATA_VALUE, label.astype(_I64))
                value = None
            if remap:
                label = remap_array(label, remap)
            crop = crop_counts(label, options.crop)
        grid = options.window or WindowGrid(label.shape, label.shape)
        total, wins = count_windows(label, grid.windows(*label.shape))
        del label  # one image in memory at a time
        yield nodata_hist(total, value), _nodata_windows(wins, value), crop


def _nodata_windows(wins: WindowHists, nodata: int | None) -> WindowHists:
    """``wins`` with the pixels of ``nodata`` counted as nodata."""
    if nodata is None:
        return wins
    return wins.map_values(partial(relabel_values, nodata=nodata))


def pack_windows(windows: list[WindowHists] | None) -> tuple | None:
    """The window histograms of many images as flat int64 arrays (one transfer), or None."""
    if windows is None:
        return None
    if not windows:
        return (np.zeros((0, 4), _I64),) + (np.zeros(0, _I64),) * 5
    return (np.concatenate([w.positions for w in windows]).astype(_I64, copy=False),
            np.array([len(w) for w in windows], _I64),
            np.concatenate([w.rows for w in windows]).astype(_I64, copy=False),
            np.concatenate([w.values for w in windows]).astype(_I64, copy=False),
            np.concatenate([w.counts for w in windows]).astype(_I64, copy=False),
            np.array([w.rows.size for w in windows], _I64))


def unpack_windows(packed: tuple | None) -> list[WindowHists] | None:
    """The inverse of :func:`pack_windows`."""
    if packed is None:
        return None
    positions, sizes, rows, values, counts, lengths = packed
    out = []
    p = q = 0
    for n, m in zip(sizes.tolist(), lengths.tolist()):
        out.append(WindowHists(positions[p:p + n], rows[q:q + m], values[q:q + m],
                               counts[q:q + m]))
        p, q = p + n, q + m
    return out
