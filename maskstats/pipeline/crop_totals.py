"""The crop-statistics sink of ``scan --crop H[xW]``: the stats' ``crop`` entry.

Each image gives exact integer numerators over its number of crop positions
(:class:`maskstats.windows.crops.CropCounts`). They are summed per denominator as Python
integers (images of one size share it), and divided only once, when the entry is written:
``counts[c]`` is the sum over images of the expected class-c pixels in one random crop,
``presence[c]`` the sum over images of the probability that the crop holds class c (divide
by ``num_images`` for the mean). Ignored values and nodata are in neither; values outside
[0, K) neither.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable, Sequence

from maskstats.pipeline.records import FileRecord


class CropTotals:
    """Sums the crop statistics of every image, exactly."""

    def __init__(self, size: tuple[int, int]):
        self.size = size
        #: crop positions -> {value: [expected numerator, presence numerator]}
        self.sums: dict[int, dict[int, list[int]]] = {}

    def add(self, records: Sequence[FileRecord]) -> None:
        for r in records:
            for crop in r.crops or ():
                table = self.sums.setdefault(int(crop.positions), {})
                for v, e, p in zip(crop.values.tolist(), crop.expected.tolist(),
                                   crop.presence.tolist()):
                    row = table.setdefault(v, [0, 0])
                    row[0] += e
                    row[1] += p

    def entry(self, num_classes: int, ignore_index: Iterable[int] = ()) -> dict:
        """``{"size": [h, w], "counts": [...], "presence": [...]}`` for classes 0..K-1."""
        ignore = {int(v) for v in ignore_index}
        counts = [Fraction(0)] * num_classes
        presence = [Fraction(0)] * num_classes
        for positions, table in self.sums.items():
            for v, (e, p) in table.items():
                if 0 <= v < num_classes and v not in ignore:
                    counts[v] += Fraction(e, positions)
                    presence[v] += Fraction(p, positions)
        return {"size": list(self.size), "counts": [float(c) for c in counts],
                "presence": [float(p) for p in presence]}


def crops_as_counts(stats, source: str = "stats"):
    """A copy of ``stats`` whose counts are its ``crop.counts`` (``weights --unit crops``):
    every scheme then weights classes by the pixels one random crop per image holds.

    ``image_pixels`` is dropped (median-frequency falls back to n_c / N) and the totals are
    those of the crops (the class counts' sum), so shares are shares of crop pixels.
    """
    import dataclasses
    import math

    from maskstats.errors import BadStats

    from maskstats.core.extras import CROP

    crop = stats.extra.get(CROP)
    counts = crop.get("counts") if isinstance(crop, dict) else None
    if not isinstance(counts, list) or len(counts) != stats.num_classes or not all(
            isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n)
            and n >= 0 for n in counts):
        raise BadStats(f"{source}: no crop statistics (scan with --crop H[xW] to weight by "
                       "crops)")
    return dataclasses.replace(stats, pixel_counts=list(counts), image_pixels=[],
                               total_pixels=0, ignored_pixels=0, unexpected={}, unit="crops")
