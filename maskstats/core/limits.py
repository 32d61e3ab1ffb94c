"""Class-id limits: what a stored value may be, and how long a class vector may get.

A class vector has one entry per class, so one stray huge value (an instance id, a colour
code, a corrupt pixel) must never size it. Without a fixed ``num_classes`` a scan refuses
values at or above :data:`CLASS_LIMIT` image by image (:class:`ClassBound`); a fixed
``num_classes`` may not exceed :data:`MAX_NUM_CLASSES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from maskstats.errors import UsageProblem

#: without a fixed ``num_classes``, class ids must be below this (every 16-bit value fits);
#: a larger value is refused (an instance id, a colour or a corrupt file, not a class)
CLASS_LIMIT = 1 << 16
#: the largest ``num_classes`` accepted (a class vector of this length is already ~20 MB of
#: JSON per count list)
MAX_NUM_CLASSES = 1 << 20


class BadLabelValue(ValueError):
    """A stored value that cannot be a class id (the reader adds the file name)."""


def check_num_classes(num_classes: int | None, what: str = "num_classes") -> None:
    """Refuse a ``num_classes`` below 1 or above :data:`MAX_NUM_CLASSES` (a usage error)."""
    if num_classes is None:
        return
    if num_classes < 1:
        raise UsageProblem(f"{what} must be at least 1, not {num_classes}")
    if num_classes > MAX_NUM_CLASSES:
        raise UsageProblem(f"{what} {num_classes:,} is above the maximum of "
                           f"{MAX_NUM_CLASSES:,} classes")


def beyond_limit_message(value: int, limit: int = CLASS_LIMIT) -> str:
    """What to say about a stored value at or above the class limit."""
    return (f"value {value:,} is not a plausible class id (without --num-classes, classes "
            f"are 0..{limit - 1:,}): instance ids or colour codes? see --remap / --preset, "
            f"or pass --num-classes K to report such values as unexpected")


@dataclass(frozen=True)
class ClassBound:
    """The class-id limit a scan without ``num_classes`` enforces on every image.

    Checked per image as it is read, so a mask full of 32-bit instance ids fails at its
    first image, before any memory is spent on its values. ``ignore`` values are exempt.
    """

    limit: int = CLASS_LIMIT
    ignore: frozenset = frozenset()

    def first_beyond(self, h: Any) -> int | None:
        """The smallest value of ``h`` (an :class:`~maskstats.core.histogram.ImageHist`) at or
        above the limit that is not ignored, or None."""
        if h.values.size == 0 or int(h.values[-1]) < self.limit:  # values are sorted
            return None
        for v in h.values[h.values >= self.limit].tolist():
            if v not in self.ignore:
                return int(v)
        return None
