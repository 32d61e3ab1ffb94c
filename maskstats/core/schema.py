"""The fields of the stats JSON by kind: how each kind is written, read back (checked, with
one-line errors) and merged. :class:`maskstats.core.stats.Stats` tags each field with its kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from maskstats.errors import BadStats
from maskstats.core.limits import MAX_NUM_CLASSES

UNITS = ("pixels", "voxels", "samples")
#: the per-class columns, in the order of a :class:`~maskstats.core.histogram.Counts` row
COLUMNS = ("pixel_counts", "image_counts", "image_pixels")


@dataclass(frozen=True)
class Kind:
    """How one kind of stats field is written to JSON, copied and merged."""

    dump: Callable[[Any], Any]
    copy: Callable[[Any], Any]
    merge: Callable[[Any, Any, int], Any]


def _add_columns(a: list[int], b: list[int], k: int) -> list[int]:
    return [x + y for x, y in zip(a + [0] * (k - len(a)), b + [0] * (k - len(b)))]


def _add_unexpected(a: dict[str, int], b: dict[str, int], k: int) -> dict[str, int]:
    out = dict(a)
    for key, val in b.items():
        out[key] = out.get(key, 0) + val
    return dict(sorted(out.items(), key=lambda kv: int(kv[0])))


def _ints(v: Any) -> list[int]:
    return [int(x) for x in v]


def _names(v: Any) -> list[str] | None:
    return [str(n) for n in v] if v is not None else None


def _first(a: Any, b: Any, k: int) -> Any:
    return list(a) if isinstance(a, list) else a


#: per kind: JSON form, copy (as read back) and merge rule (the merge checks that ``same``
#: and ``unit`` agree on both sides before); ``names`` and ``options`` merge in Stats.merge
KINDS = {
    "counts": Kind(_ints, _ints, _add_columns),
    "count": Kind(int, int, lambda a, b, k: a + b),
    "same": Kind(_ints, _ints, _first),
    "unexpected": Kind(lambda v: {str(k): int(x) for k, x in v.items()},
                       lambda v: {str(k): int(x) for k, x in v.items()}, _add_unexpected),
    "names": Kind(_names, _names, _first),
    "unit": Kind(str, str, _first),
    "strings": Kind(list, lambda v: [str(p) for p in v], lambda a, b, k: a + b),
    "records": Kind(lambda v: [dict(s) for s in v], lambda v: [dict(s) for s in v],
                    lambda a, b, k: a + b),
    "options": Kind(dict, dict, _first),
}


class FieldReader:
    """Reads the fields of a parsed stats document, with the one-line errors of each."""

    def __init__(self, d: Mapping[str, Any], source: str) -> None:
        self.d, self.source, self.k = d, source, 0

    def read(self, key: str, kind: str) -> Any:
        d, source = self.d, self.source
        if kind == "counts":
            return self.column(key)
        if kind == "count":
            default = sum(self.d["pixel_counts"]) if key == "total_pixels" else 0
            val = d.get(key, default)
            if not is_count(val):
                raise BadStats(f"{source}: {key!r} must be a non-negative integer below 2**63, "
                               f"not {short(val)}")
            return int(val)
        if kind == "names":
            names = d.get(key)
            if names is not None and (not isinstance(names, list) or len(names) != self.k):
                raise BadStats(f"{source}: class_names must be a list of {self.k} names or null")
            return _names(names)
        if kind == "unit":
            unit = d.get(key, "pixels")
            if unit not in UNITS:
                raise BadStats(f"{source}: unknown unit {unit!r}")
            return unit
        empty = {"same": [], "unexpected": {}, "strings": [], "records": [], "options": {}}
        return KINDS[kind].copy(d.get(key, empty[kind]))

    def column(self, key: str) -> list[int]:
        if key == "pixel_counts" and key not in self.d:
            raise BadStats(f"{self.source}: missing key {key!r}")
        val = self.d.get(key)
        if val is None and key != "pixel_counts":
            return [0] * self.k
        # type(x) is int: exact ints, not bools (one pass without a call per class)
        if not isinstance(val, list) or not all(type(x) is int and 0 <= x < _COUNT_LIMIT
                                                for x in val):
            raise BadStats(f"{self.source}: {key!r} must be a list of non-negative integers "
                           "below 2**63")
        if key == "pixel_counts":
            self.k = len(val)
            if self.k > MAX_NUM_CLASSES:
                raise BadStats(f"{self.source}: {self.k:,} classes, above the maximum of "
                               f"{MAX_NUM_CLASSES:,}")
        return [int(x) for x in val]

    def check_columns(self, pixel_counts: list, image_counts: list, image_pixels: list) -> None:
        d, k = self.d, self.k
        if "num_classes" in d and d["num_classes"] != k:
            raise BadStats(f"{self.source}: num_classes is {d['num_classes']} but pixel_counts "
                           f"has {k} entries")
        if len(image_counts) != k or len(image_pixels) != k:
            raise BadStats(f"{self.source}: pixel_counts, image_counts and image_pixels differ "
                           "in length")


#: counts are exact int64 everywhere (NumPy accumulators, NPY outputs)
_COUNT_LIMIT = 1 << 63


def is_count(x: Any) -> bool:
    """A count: an int (not a bool) in [0, 2**63)."""
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < _COUNT_LIMIT


def short(value: Any) -> str:
    """``repr(value)`` cut to 40 characters, for error messages."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
