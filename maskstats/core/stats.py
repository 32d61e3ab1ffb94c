"""The class-level statistics a scan produces, and their JSON form (``maskstats-stats`` v1)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Mapping

from maskstats.version import __version__
from maskstats.errors import BadStats, MaskstatsError, UsageProblem
from maskstats.core.histogram import Counts
from maskstats.core.limits import CLASS_LIMIT, beyond_limit_message, check_num_classes
from maskstats.core.extras import (SELECTION, extras_from_json, extras_to_json, nodata_entry,
                                   one_hot_entry)
from maskstats.core.schema import COLUMNS, KINDS, FieldReader
from maskstats.core.jsonio import STATS_FORMAT, STATS_VERSION, load_stats_dict, write_json
from maskstats.core.merge import merge_extra
from maskstats.core.nodata import NODATA_VALUE
from maskstats.core.sums import check_sums



def _key(kind: str, at: int, **default: Any) -> Any:
    """A field of the stats JSON: its :data:`KINDS` entry (how it is written, read and merged)
    and its position ``at`` among the document's keys."""
    return field(metadata={"kind": kind, "at": at}, **default)


@dataclass
class Stats:
    """Per-class totals over a dataset, as written to the stats JSON.

    ``pixel_counts[c]``: pixels (voxels, samples) of class c; ``image_counts[c]``: images that
    contain c; ``image_pixels[c]``: total pixels of the images that contain c (all of their
    pixels, ignored ones included), the denominator of median-frequency balancing.

    Every field is one key of the JSON document; its metadata says how it is written, read
    back (checked) and merged, so :meth:`to_dict`, :meth:`from_dict` and :meth:`merge` follow
    the fields. ``extra`` holds the entries of particular scans (:mod:`maskstats.core.extras`).
    """

    pixel_counts: list[int] = _key("counts", 7)
    image_counts: list[int] = _key("counts", 8)
    image_pixels: list[int] = _key("counts", 9)
    num_images: int = _key("count", 4, default=0)
    total_pixels: int = _key("count", 5, default=0)
    ignore_index: list[int] = _key("same", 10, default_factory=list)
    ignored_pixels: int = _key("count", 11, default=0)
    unexpected: dict[str, int] = _key("unexpected", 12, default_factory=dict)
    class_names: list[str] | None = _key("names", 13, default=None)
    unit: str = _key("unit", 14, default="pixels")
    paths: list[str] = _key("strings", 3, default_factory=list)
    skipped: list[dict[str, str]] = _key("records", 15, default_factory=list)
    non_mask_files: int = _key("count", 16, default=0)
    options: dict[str, Any] = _key("options", 17, default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.pixel_counts)

    @classmethod
    def from_counts(
        cls,
        counts: Counts,
        *,
        ignore_index: Iterable[int] = (),
        num_classes: int | None = None,
        class_names: list[str] | None = None,
        unit: str = "pixels",
        paths: Iterable[str] = (),
        skipped: Iterable[Mapping[str, str]] = (),
        non_mask_files: int = 0,
        options: Mapping[str, Any] | None = None,
    ) -> "Stats":
        """Turn a per-value accumulator into per-class statistics.

        Ignored values go to ``ignored_pixels``. With ``num_classes`` K, values outside
        [0, K) are reported in ``unexpected`` (never dropped or counted as a class); without
        it, K is the largest non-ignored value + 1 and only negative values are unexpected.
        """
        ignore = sorted({int(v) for v in ignore_index})
        check_num_classes(num_classes)
        table = counts.table()
        nodata = table.pop(NODATA_VALUE, (0,))[0]  # GeoTIFF nodata pixels: ignored
        kept = {v: row for v, row in table.items() if v not in ignore}
        if num_classes is None:
            non_negative = [v for v in kept if v >= 0]
            num_classes = (max(non_negative) + 1) if non_negative else 0
            if num_classes > CLASS_LIMIT:  # never a dense vector sized by one stray value
                raise MaskstatsError(beyond_limit_message(num_classes - 1))
        columns = {name: [0] * num_classes for name in COLUMNS}
        unexpected: dict[str, int] = {}
        for v, row in kept.items():
            if 0 <= v < num_classes:
                for name, value in zip(COLUMNS, row):
                    columns[name][v] = value
            else:
                unexpected[str(v)] = row[0]
        opts = dict(options or {})
        opts.setdefault("num_classes", None)
        return cls(
            **columns,
            class_names=list(class_names) if class_names is not None else None,
            unit=unit,
            paths=list(paths),
            skipped=[dict(s) for s in skipped],
            non_mask_files=non_mask_files,
            num_images=counts.num_images,
            total_pixels=counts.total_pixels,
            ignore_index=ignore,
            ignored_pixels=sum(table[v][0] for v in ignore if v in table) + nodata,
            unexpected=unexpected,
            options=opts,
            extra={**one_hot_entry(counts.extra), **nodata_entry(nodata)},
        )

    # -- JSON -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The stats JSON document (every key of the v1 format), with Python ints only."""
        d: dict[str, Any] = {"format": STATS_FORMAT, "version": STATS_VERSION,
                             "maskstats_version": __version__, "num_classes": self.num_classes}
        for f in _FIELDS:
            d[f.name] = KINDS[f.metadata["kind"]].dump(getattr(self, f.name))
        d = dict(sorted(d.items(), key=lambda kv: _POSITION[kv[0]]))
        d.update(extras_to_json(self.extra))
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "stats") -> "Stats":
        """Build from a parsed stats JSON document, checking its keys and value types, and
        the entries of ``extra`` that maskstats knows (:func:`maskstats.core.extras.check`)."""
        reader = FieldReader(d, source)
        values: dict[str, Any] = {}
        try:
            for f in _READ_ORDER:
                values[f.name] = reader.read(f.name, f.metadata["kind"])
                if f.name == COLUMNS[-1]:
                    reader.check_columns(*(values[name] for name in COLUMNS))
        except (TypeError, ValueError, AttributeError) as exc:
            raise BadStats(f"{source}: malformed stats ({exc})") from None
        extra = {key: val for key, val in d.items() if key not in _POSITION}
        return cls(**values, extra=extras_from_json(extra, source))

    def save(self, path: str | os.PathLike) -> None:
        """Write the stats JSON atomically (``-`` writes to stdout)."""
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Stats":
        """Read a stats JSON file (``-`` = stdin), raising :class:`BadStats` when invalid."""
        d, _ = load_stats_dict(path)
        return cls.from_dict(d, "<stdin>" if str(path) == "-" else str(path))

    # -- merging ----------------------------------------------------------------------------
    def merge(self, other: "Stats") -> "Stats":
        """Combine the stats of two disjoint scans exactly.

        Refuses (:class:`UsageProblem`) when the two were counted differently: other unit,
        ignore values or count-changing options, or two different fixed ``num_classes``.
        Scans without a fixed ``num_classes`` are padded to the longer class vector. Each
        field merges by the rule of its kind (counts add, lists concatenate); entries of
        ``extra`` merge by their own rules (:mod:`maskstats.core.merge`): exactly, or
        refused; ``per_image`` is dropped.
        """
        fixed = _check_mergeable(self, other)
        k = max(self.num_classes, other.num_classes)
        names = self.class_names if self.class_names is not None else other.class_names
        if names is not None and len(names) != k:
            names = None
        merged = {f.name: KINDS[f.metadata["kind"]].merge(getattr(self, f.name),
                                                          getattr(other, f.name), k)
                  for f in _FIELDS if f.metadata["kind"] not in ("names", "options")}
        # a count beyond int64 is refused before anything is written
        return check_sums(Stats(**merged, class_names=names,
                                options={**self.options, "num_classes": fixed},
                                extra=merge_extra(self.extra, other.extra, k)))


def _check_mergeable(a: Stats, b: Stats) -> int | None:
    """Refuse the merge of stats counted differently; the fixed ``num_classes`` of both."""
    if a.unit != b.unit:
        raise UsageProblem(f"cannot merge stats in {a.unit} with stats in {b.unit}")
    if a.ignore_index != b.ignore_index:
        raise UsageProblem(f"cannot merge stats with different ignore values "
                           f"({a.ignore_index} vs {b.ignore_index})")
    mine = {k: v for k, v in a.options.items() if k != "num_classes"}
    theirs = {k: v for k, v in b.options.items() if k != "num_classes"}
    if mine != theirs:
        raise UsageProblem(f"cannot merge stats counted with different options "
                           f"({mine} vs {theirs})")
    fixed_a, fixed_b = a.options.get("num_classes"), b.options.get("num_classes")
    if fixed_a is not None and fixed_b is not None and fixed_a != fixed_b:
        raise UsageProblem(f"cannot merge stats with num_classes {fixed_a} and {fixed_b}")
    if (fixed_a is not None and b.num_classes > fixed_a) or (
            fixed_b is not None and a.num_classes > fixed_b):
        raise UsageProblem("cannot merge: one side has more classes than the other's "
                           "fixed num_classes")
    if (a.class_names is not None and b.class_names is not None
            and a.class_names != b.class_names):
        raise UsageProblem("cannot merge stats with different class names")
    mine_paths = set(a.paths)
    overlap = [p for p in b.paths if p in mine_paths]
    # the same folder with different --include/--exclude globs: shards, meant to be merged
    if overlap and a.extra.get(SELECTION) == b.extra.get(SELECTION):
        raise UsageProblem(f"both stats were counted from {overlap[0]!r}; merging them would "
                           "count those masks twice (merge disjoint scans only)")
    return fixed_a if fixed_a is not None else fixed_b


_FIELDS = [f for f in fields(Stats) if "kind" in f.metadata]
#: the keys of the JSON document and their order (``extra`` entries follow them)
_POSITION = {"format": 0, "version": 1, "maskstats_version": 2, "num_classes": 6,
             **{f.name: f.metadata["at"] for f in _FIELDS}}
#: the class columns first, then the checks of names and unit, then the rest in field order
_READ_ORDER = sorted(_FIELDS, key=lambda f: f.metadata["kind"] not in ("counts", "names", "unit"))


def id_ranges(ids: Iterable[int]) -> str:
    """Class ids as ranges, for people: [1, 2, 3, 7] -> '1-3, 7'."""
    parts: list[list[int]] = []
    for i in ids:
        if parts and parts[-1][1] == i - 1:
            parts[-1][1] = i
        else:
            parts.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)
