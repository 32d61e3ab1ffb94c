"""Nodata: pixels a raster marks as holding no label (GeoTIFF's ``GDAL_NODATA`` tag).

Readers that find a nodata value count its pixels under :data:`NODATA_VALUE`, a value no
class or stored label can take, so they travel through histograms, caches and merges like any
other value; :meth:`maskstats.core.stats.Stats.from_counts` counts them as ignored (never as a
class) and the per-image and window tables put them in their ``ignored`` column.
"""

from __future__ import annotations

import numpy as np

from maskstats.core.histogram import ImageHist

#: the value nodata pixels are counted under (far below any colour-table sentinel)
NODATA_VALUE = -(1 << 62)


def relabel_values(values: np.ndarray, nodata: int | None) -> np.ndarray:
    """``values`` with ``nodata`` replaced by :data:`NODATA_VALUE` (a copy when it changes)."""
    if nodata is None or not (values == nodata).any():
        return values
    out = values.astype(np.int64, copy=True)
    out[values == nodata] = NODATA_VALUE
    return out


def nodata_hist(h: ImageHist, nodata: int | None) -> ImageHist:
    """``h`` with the pixels of ``nodata`` counted under :data:`NODATA_VALUE` (sorted)."""
    values = relabel_values(h.values, nodata)
    if values is h.values:
        return h
    order = np.argsort(values, kind="stable")
    return ImageHist(values[order], h.counts[order], h.pixels, h.extra)
