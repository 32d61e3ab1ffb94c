"""``out-of-range`` and ``empty``: what a mask's values say under the scan's conventions.

* ``out-of-range``: with a known number of classes K (``--num-classes``, a preset, class
  names), stored values that are neither a class 0..K-1 nor ignored once remapped;
* ``empty``: every pixel of an image is an ignore value (nothing to learn from).
"""

from __future__ import annotations

from typing import Mapping

from maskstats.checking.findings import Finding
from maskstats.core.histogram import ImageHist, remap_hist


def value_findings(path: str, h: ImageHist, remap: Mapping[int, int] | None,
                   num_classes: int | None, ignore: frozenset) -> list[Finding]:
    """The value findings of one image of ``path`` (``h``: its stored values' histogram)."""
    if remap:
        h = remap_hist(h, remap)
    values = h.values.tolist()
    counts = h.counts.tolist()
    found: list[Finding] = []
    if values and all(v in ignore for v in values):
        found.append(Finding("empty", f"every pixel is ignored (values "
                             f"{', '.join(map(str, values))})", path))
    if num_classes is not None:
        bad = [(v, n) for v, n in zip(values, counts)
               if v not in ignore and not 0 <= v < num_classes]
        if bad:
            shown = ", ".join(f"{v}: {n:,}" for v, n in bad[:6])
            more = f", ... ({len(bad)} values)" if len(bad) > 6 else ""
            found.append(Finding("out-of-range", f"values outside the classes 0-"
                                 f"{num_classes - 1} (value: pixels): {shown}{more}", path))
    return found
