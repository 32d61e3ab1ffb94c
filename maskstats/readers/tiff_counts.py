"""TIFF masks: histograms of huge rasters block by block, nodata, then Pillow for the rest.

:func:`read_tiff` is the reader of ``.tif``/``.tiff`` files. Rasters that
:func:`maskstats.readers.tiff_blocks.use_blocks` picks are counted block by block
(:func:`count_page`: memory bounded by a block whatever the raster's size); the others are
decoded whole by Pillow (:func:`maskstats.readers.pil.read_pil`, whose decompression-bomb
guard then applies). Either way a page's ``GDAL_NODATA`` value is counted as nodata
(:mod:`maskstats.core.nodata`), never as a class.
"""

from __future__ import annotations

from typing import Iterator

from maskstats.core.histogram import ImageHist
from maskstats.core.nodata import nodata_hist
from maskstats.readers.options import ReadOptions, Warn
from maskstats.readers.tiff_blocks import Page, pages, read_blocks, use_blocks
from maskstats.windows.counts import CellCounts
from maskstats.windows.grid import Windows


def count_page(path: str, page: Page, windows: Windows | None = None,
               part: tuple[int, int] = (0, 1)) -> CellCounts:
    """The cell counts of one page (of its ``part`` share of blocks), read block by block."""
    cells = CellCounts(page.height, page.width, windows)
    for y, x, block in read_blocks(path, page.index, part):
        cells.add(y, x, block)
    return cells


def read_tiff(path, options: ReadOptions, warn: Warn, source=None) -> Iterator[ImageHist]:
    """Histograms of every page of a TIFF mask (block by block when it is huge; of the
    ``options.part`` share of its blocks only). ``path`` may be a file object (a fetched
    remote object), read through Pillow."""
    local = isinstance(path, str) and source is None
    if local and options.layout not in ("one-hot", "multi-label") and use_blocks(path):
        for page in pages(path):
            yield nodata_hist(count_page(path, page, part=options.part).total(), page.nodata)
        return
    from maskstats.readers.pil import read_pil
    from maskstats.readers.tiff import page_nodata

    hists = list(read_pil(path, options, warn, source))
    if options.layout in ("one-hot", "multi-label"):  # bands are channels: no nodata value
        yield from hists
        return
    data = source if source is not None else (None if isinstance(path, str) else path)
    if data is not None:
        data.seek(0)
    for h, value in zip(hists, page_nodata(str(path), data)):  # GDAL_NODATA of each page
        yield nodata_hist(h, value)
