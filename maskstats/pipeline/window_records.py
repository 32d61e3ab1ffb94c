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
from maskstats.core.nodata import nodata_hist, relabel_values
from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.readers.options import ReadOptions, Warn
from maskstats.windows.counts import WindowHists, count_windows

_I64 = np.int64


def read_windows(path: str, options: ReadOptions, remap: Mapping[int, int] | None,
                 warn: Warn) -> tuple[list[ImageHist], list[WindowHists]]:
    """Histograms of every image of ``path`` and of every window of each (nodata counted
    as nodata, then ``remap`` applied); of a huge TIFF, of its ``options.part`` share."""
    from maskstats.readers.arrays import CHANNEL_LAYOUTS
    from maskstats.readers.tiff_blocks import use_blocks

    if options.layout in CHANNEL_LAYOUTS:
        raise UsageProblem(f"--window counts label masks; --layout {options.layout} arrays "
                           f"hold channels ({path})")
    if "://" not in path and use_blocks(path):
        source = _block_windows(path, options.window, options.part)
    else:
        source = _decoded_windows(path, options, warn)
    hists, windows = [], []
    for total, wins in source:
        if remap:
            total = remap_hist(total, remap)
            wins = wins.map_values(partial(_remapped, remap))
        hists.append(total)
        windows.append(wins)
    return hists, windows


def _remapped(remap: Mapping[int, int], values: np.ndarray) -> np.ndarray:
    return np.array([remap.get(v, v) for v in values.tolist()], dtype=_I64)


def _block_windows(path: str, grid, part: tuple[int, int]) -> Iterator[tuple]:
    """(total, windows) of every page of a huge TIFF, read block by block."""
    from maskstats.readers.tiff_blocks import pages
    from maskstats.readers.tiff_counts import count_page

    for page in pages(path):
        cells = count_page(path, page, grid.windows(page.height, page.width), part)
        yield (nodata_hist(cells.total(), page.nodata),
               cells.window_hists().map_values(partial(relabel_values, nodata=page.nodata)))


def _decoded_windows(path: str, options: ReadOptions, warn: Warn) -> Iterator[tuple]:
    """(total, windows) of every image of a mask decoded whole."""
    from maskstats.readers.decode import label_images

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
            raise UnreadableMask(path, f"windows need 2-D images, not an array of shape "
                                 f"{label.shape} (a 3-D volume?)")
        total, wins = count_windows(label, options.window.windows(*label.shape))
        del label  # one image in memory at a time
        value = nodata[frame] if frame < len(nodata) else None
        yield (nodata_hist(total, value),
               wins.map_values(partial(relabel_values, nodata=value)))


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
