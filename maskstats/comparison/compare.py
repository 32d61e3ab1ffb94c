"""Compare the class distributions of several stats files (``maskstats compare``).

Per class: its share of the counted pixels (voxels, samples) and its share of the images in
each file, the ratio of each share to the first file's, and the classes present in some files
and absent in others. Overall: the Jensen-Shannon divergence, base 2 (0 = same distribution,
1 = disjoint), of each file's pixel shares against the first file's.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Sequence

from maskstats.errors import UsageProblem
from maskstats.core.stats import Stats


def jensen_shannon(p: Sequence[float], q: Sequence[float]) -> float:
    """JS divergence of two distributions with base-2 logs (0 log 0 = 0), in [0, 1]."""
    total = 0.0
    for a, b in zip(p, q):
        m = (a + b) / 2
        if a > 0:
            total += a * math.log2(a / m) / 2
        if b > 0:
            total += b * math.log2(b / m) / 2
    return min(max(total, 0.0), 1.0)


def _ratio(x: float, base: float) -> float | None:
    return x / base if base > 0 else None


@dataclass
class Comparison:
    """Shares per class and file (``pixel_share[f][c]``), divergences against the first file."""

    names: list[str]
    unit: str
    class_names: list[str] | None
    pixel_share: list[list[float]]
    image_share: list[list[float]]
    divergence: list[float]  # per file, against the first (0.0 for the first itself)

    @property
    def num_classes(self) -> int:
        return len(self.pixel_share[0])

    def pixel_ratio(self, f: int, c: int) -> float | None:
        """File f's pixel share of class c over the first file's (None if that is 0)."""
        return _ratio(self.pixel_share[f][c], self.pixel_share[0][c])

    def image_ratio(self, f: int, c: int) -> float | None:
        return _ratio(self.image_share[f][c], self.image_share[0][c])

    def absent(self) -> list[dict[str, Any]]:
        """Classes with pixels in some files and none in others."""
        out = []
        for c in range(self.num_classes):
            has = [self.pixel_share[f][c] > 0 for f in range(len(self.names))]
            if any(has) and not all(has):
                out.append({"class": c,
                            "name": self.class_names[c] if self.class_names else None,
                            "present_in": [n for n, h in zip(self.names, has) if h],
                            "absent_in": [n for n, h in zip(self.names, has) if not h]})
        return out

    def above(self, limit: float) -> list[tuple[str, float]]:
        """(file, divergence) for the files whose divergence is above ``limit``."""
        return [(n, d) for n, d in zip(self.names[1:], self.divergence[1:]) if d > limit]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready document (ratios are null where the first file's share is 0)."""
        files = len(self.names)
        classes = []
        for c in range(self.num_classes):
            classes.append({
                "class": c,
                "name": self.class_names[c] if self.class_names else None,
                "pixel_share": [self.pixel_share[f][c] for f in range(files)],
                "image_share": [self.image_share[f][c] for f in range(files)],
                "pixel_ratio": [self.pixel_ratio(f, c) for f in range(files)],
                "image_ratio": [self.image_ratio(f, c) for f in range(files)],
            })
        return {
            "files": list(self.names),
            "unit": self.unit,
            "divergence": [{"file": n, "against": self.names[0], "jensen_shannon": d}
                           for n, d in zip(self.names[1:], self.divergence[1:])],
            "absent": self.absent(),
            "classes": classes,
        }


def _load(item: Stats | str | os.PathLike, index: int) -> tuple[Stats, str]:
    if isinstance(item, Stats):
        return item, f"stats {index + 1}"
    return Stats.load(item), os.fspath(item)


def compare(*stats: Stats | str | os.PathLike, names: Sequence[str] | None = None
            ) -> Comparison:
    """Compare stats objects or stats files; the first is the reference.

    Refuses (:class:`UsageProblem`) fewer than two inputs, mixed units, different class
    counts or class names, and a file without any counted pixel.
    """
    if len(stats) == 1 and isinstance(stats[0], (list, tuple)):
        stats = tuple(stats[0])
    if len(stats) < 2:
        raise UsageProblem("compare needs at least two stats files")
    loaded = [_load(s, i) for i, s in enumerate(stats)]
    labels = list(names) if names is not None else [n for _, n in loaded]
    first, first_name = loaded[0]
    for s, name in loaded[1:]:
        if s.unit != first.unit:
            raise UsageProblem(f"{name} counts {s.unit} but {first_name} counts {first.unit}; "
                               "compare stats of one kind")
        if s.num_classes != first.num_classes:
            raise UsageProblem(f"{name} has {s.num_classes} classes but {first_name} has "
                               f"{first.num_classes}; compare stats of the same classes")
        if s.class_names and first.class_names and s.class_names != first.class_names:
            raise UsageProblem(f"{name} and {first_name} name their classes differently")
    for s, name in loaded:
        if sum(s.pixel_counts) == 0:
            raise UsageProblem(f"{name}: no counted {s.unit}; nothing to compare")
    pixel_share = [[n / sum(s.pixel_counts) for n in s.pixel_counts] for s, _ in loaded]
    image_share = [[(n / s.num_images if s.num_images else 0.0) for n in s.image_counts]
                   for s, _ in loaded]
    class_names = next((s.class_names for s, _ in loaded if s.class_names), None)
    divergence = [jensen_shannon(pixel_share[0], p) for p in pixel_share]
    return Comparison(names=labels, unit=first.unit, class_names=class_names,
                      pixel_share=pixel_share, image_share=image_share, divergence=divergence)
