"""The window table sink: one row per window (``scan --window H[xW] --per-image FILE``).

The per-image table (:mod:`maskstats.pipeline.per_image`) with the window's place after
``frame``: columns ``path, frame, y, x, height, width`` then ``pixels, ignored, unexpected,
c0, c1, ...``. ``y, x`` is the window's top-left pixel and ``height, width`` its size (the
window size, or the image's own size along an axis shorter than the window). Rows come in
walk order, frame by frame, windows row-major. Counts are exact; summed over the windows of a
grid without overlap they give the stats' totals (with overlap a pixel is in several rows,
while the stats count it once).
"""

from __future__ import annotations

import os

from maskstats.core.extras import CROP, WINDOWS
from maskstats.errors import UsageProblem
from maskstats.pipeline.per_image import PerImageTable, spool_line
from maskstats.pipeline.records import FileRecord
from maskstats.windows.grid import WindowGrid, parse_size


class WindowTable(PerImageTable):
    """A sink writing the window table to ``path`` (CSV or Parquet by extension)."""

    POSITION = ("frame", "y", "x", "height", "width")

    def lines(self, name: str, r: FileRecord) -> list[str]:
        lines = []
        for frame, wins in enumerate(r.windows or ()):
            places = wins.positions.tolist()
            for i, place in enumerate(places):
                values, counts = wins.window(i)
                pixels = place[2] * place[3]
                lines.append(spool_line(name, f"{frame},{place[0]},{place[1]},{place[2]},"
                                        f"{place[3]}", pixels, values, counts) + "\n")
        return lines


def window_grid(window, stride, allow_gaps: bool, per_image: str | os.PathLike | None, *,
                cache, objects: bool, panoptic: bool) -> WindowGrid | None:
    """The grid of ``scan(window=..., stride=...)``, or None; impossible combinations are
    usage errors, raised before any mask is read."""
    if window is None:
        if stride is not None or allow_gaps:
            raise UsageProblem("--stride and --allow-gaps apply to --window; pass --window "
                               "as well")
        return None
    grid = WindowGrid.of(window, stride, allow_gaps)
    if per_image is None:
        raise UsageProblem("--window writes one row per window: pass --per-image FILE "
                           "(.csv or .parquet) for the window table")
    for given, name in ((panoptic, "--panoptic"), (cache is not None, "--cache"),
                        (objects, "--objects")):
        if given:
            raise UsageProblem(f"--window cannot be combined with {name} (yet)")
    return grid


def crop_option(crop, *, cache, objects: bool, panoptic: bool) -> tuple[int, int] | None:
    """The (h, w) of ``scan(crop=...)``, or None; impossible combinations are usage errors."""
    if crop is None:
        return None
    size = parse_size(crop, "--crop")
    for given, name in ((panoptic, "--panoptic"), (cache is not None, "--cache"),
                        (objects, "--objects")):
        if given:
            raise UsageProblem(f"--crop cannot be combined with {name} (yet)")
    return size


def window_plan(request) -> tuple[WindowGrid | None, tuple[int, int] | None]:
    """The window grid and crop size of a scan request (its ``window``, ``stride``,
    ``allow_gaps``, ``crop``), checked before any mask is read."""
    panoptic = request.panoptic is not None or request.verify
    grid = window_grid(request.window, request.stride, request.allow_gaps, request.per_image,
                       cache=request.cache, objects=request.objects, panoptic=panoptic)
    crop = crop_option(request.crop, cache=request.cache, objects=request.objects,
                       panoptic=panoptic)
    return grid, crop


def window_entries(stats, grid: WindowGrid | None, sinks) -> None:
    """Record the crop statistics and the window grid in ``stats.extra``."""
    if sinks.crops is not None:
        stats.extra[CROP] = sinks.crops.entry(stats.num_classes, stats.ignore_index)
    if grid is not None:
        stats.extra[WINDOWS] = {**grid.record(), "rows": sinks.table.rows}
