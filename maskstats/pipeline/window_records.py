"""Window counts of one mask file, for ``scan --window`` (the records' ``windows``).

A mask is decoded to its label arrays (:func:`maskstats.readers.decode.label_images`, the
values the plain readers count), each image is counted once cell by cell
(:mod:`maskstats.windows.counts`) and gives both its whole-image histogram, equal to the plain
reader's, and the exact histogram of every window.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from maskstats.core.histogram import ImageHist
from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.readers.options import ReadOptions, Warn
from maskstats.windows.counts import WindowHists, count_windows

_I64 = np.int64


def read_windows(path: str, options: ReadOptions, remap: Mapping[int, int] | None,
                 warn: Warn) -> tuple[list[ImageHist], list[WindowHists]]:
    """Histograms of every image of ``path`` and of every window of each."""
    from maskstats.pipeline.objects import remap_array
    from maskstats.readers.arrays import CHANNEL_LAYOUTS
    from maskstats.readers.decode import label_images

    if options.layout in CHANNEL_LAYOUTS:
        raise UsageProblem(f"--window counts label masks; --layout {options.layout} arrays "
                           f"hold channels ({path})")
    data = None
    if "://" in path:
        from maskstats.readers.remote import object_bytes

        data = object_bytes(path)
    hists, windows = [], []
    for label in label_images(path, options, warn, data):
        if label.ndim != 2:
            raise UnreadableMask(path, f"windows need 2-D images, not an array of shape "
                                 f"{label.shape} (a 3-D volume?)")
        if remap:
            label = remap_array(label, remap)
        total, wins = count_windows(label, options.window.windows(*label.shape))
        hists.append(total)
        windows.append(wins)
        del label  # one image in memory at a time
    return hists, windows


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
