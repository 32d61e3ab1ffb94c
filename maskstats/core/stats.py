"""The class-level statistics a scan produces, and their JSON form (``maskstats-stats`` v1)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from maskstats import __version__
from maskstats.errors import BadStats, MaskstatsError, UsageProblem
from maskstats.core.histogram import Counts
from maskstats.core.limits import CLASS_LIMIT, MAX_NUM_CLASSES, beyond_limit_message, check_num_classes
from maskstats.core.files import STATS_FORMAT, STATS_VERSION, load_stats_dict, write_json
from maskstats.core.merge import merge_extra
from maskstats.core.nodata import NODATA_VALUE

UNITS = ("pixels", "voxels", "samples")


@dataclass
class Stats:
    """Per-class totals over a dataset, as written to the stats JSON.

    ``pixel_counts[c]``: pixels (voxels, samples) of class c; ``image_counts[c]``: images that
    contain c; ``image_pixels[c]``: total pixels of the images that contain c (all of their
    pixels, ignored ones included), the denominator of median-frequency balancing.
    """

    pixel_counts: list[int]
    image_counts: list[int]
    image_pixels: list[int]
    num_images: int = 0
    total_pixels: int = 0
    ignore_index: list[int] = field(default_factory=list)
    ignored_pixels: int = 0
    unexpected: dict[str, int] = field(default_factory=dict)
    class_names: list[str] | None = None
    unit: str = "pixels"
    paths: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    non_mask_files: int = 0
    options: dict[str, Any] = field(default_factory=dict)
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
        pixel_counts = [0] * num_classes
        image_counts = [0] * num_classes
        image_pixels = [0] * num_classes
        unexpected: dict[str, int] = {}
        for v, (pix, imgs, ipix) in kept.items():
            if 0 <= v < num_classes:
                pixel_counts[v], image_counts[v], image_pixels[v] = pix, imgs, ipix
            else:
                unexpected[str(v)] = pix
        opts = dict(options or {})
        opts.setdefault("num_classes", None)
        extra = {"one_hot": dict(counts.extra)} if counts.extra else {}
        if nodata:
            extra["nodata"] = {"pixels": nodata}
        return cls(
            pixel_counts=pixel_counts,
            image_counts=image_counts,
            image_pixels=image_pixels,
            num_images=counts.num_images,
            total_pixels=counts.total_pixels,
            ignore_index=ignore,
            ignored_pixels=sum(table[v][0] for v in ignore if v in table) + nodata,
            unexpected=unexpected,
            class_names=list(class_names) if class_names is not None else None,
            unit=unit,
            paths=list(paths),
            skipped=[dict(s) for s in skipped],
            non_mask_files=non_mask_files,
            options=opts,
            extra=extra,
        )

    # -- JSON -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The stats JSON document (every key of the v1 format), with Python ints only."""
        d: dict[str, Any] = {
            "format": STATS_FORMAT,
            "version": STATS_VERSION,
            "maskstats_version": __version__,
            "paths": list(self.paths),
            "num_images": int(self.num_images),
            "total_pixels": int(self.total_pixels),
            "num_classes": self.num_classes,
            "pixel_counts": [int(x) for x in self.pixel_counts],
            "image_counts": [int(x) for x in self.image_counts],
            "image_pixels": [int(x) for x in self.image_pixels],
            "ignore_index": [int(x) for x in self.ignore_index],
            "ignored_pixels": int(self.ignored_pixels),
            "unexpected": {str(k): int(v) for k, v in self.unexpected.items()},
            "class_names": list(self.class_names) if self.class_names is not None else None,
            "unit": self.unit,
            "skipped": [dict(s) for s in self.skipped],
            "non_mask_files": int(self.non_mask_files),
            "options": dict(self.options),
        }
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "stats") -> "Stats":
        """Build from a parsed stats JSON document, checking its keys and value types."""
        def need(key: str):
            if key not in d:
                raise BadStats(f"{source}: missing key {key!r}")
            return d[key]

        def int_list(key: str) -> list[int]:
            val = need(key)
            if not isinstance(val, list) or not all(_is_count(x) for x in val):
                raise BadStats(f"{source}: {key!r} must be a list of non-negative integers "
                               "below 2**63")
            return [int(x) for x in val]

        def count(key: str, default: int = 0) -> int:
            val = d.get(key, default)
            if not _is_count(val):
                raise BadStats(f"{source}: {key!r} must be a non-negative integer below 2**63, "
                               f"not {_short(val)}")
            return int(val)

        pixel_counts = int_list("pixel_counts")
        k = len(pixel_counts)
        if k > MAX_NUM_CLASSES:
            raise BadStats(f"{source}: {k:,} classes, above the maximum of {MAX_NUM_CLASSES:,}")
        image_counts = d.get("image_counts")
        image_counts = int_list("image_counts") if image_counts is not None else [0] * k
        image_pixels = d.get("image_pixels")
        image_pixels = int_list("image_pixels") if image_pixels is not None else [0] * k
        if "num_classes" in d and d["num_classes"] != k:
            raise BadStats(f"{source}: num_classes is {d['num_classes']} but pixel_counts "
                           f"has {k} entries")
        if len(image_counts) != k or len(image_pixels) != k:
            raise BadStats(f"{source}: pixel_counts, image_counts and image_pixels differ "
                           "in length")
        names = d.get("class_names")
        if names is not None and (not isinstance(names, list) or len(names) != k):
            raise BadStats(f"{source}: class_names must be a list of {k} names or null")
        unit = d.get("unit", "pixels")
        if unit not in UNITS:
            raise BadStats(f"{source}: unknown unit {unit!r}")
        known = {"format", "version", "maskstats_version", "paths", "num_images",
                 "total_pixels", "num_classes", "pixel_counts", "image_counts",
                 "image_pixels", "ignore_index", "ignored_pixels", "unexpected",
                 "class_names", "unit", "skipped", "non_mask_files", "options"}
        try:
            return cls(
                pixel_counts=pixel_counts,
                image_counts=image_counts,
                image_pixels=image_pixels,
                num_images=count("num_images"),
                total_pixels=count("total_pixels", sum(pixel_counts)),
                ignore_index=[int(x) for x in d.get("ignore_index", [])],
                ignored_pixels=count("ignored_pixels"),
                unexpected={str(k_): int(v) for k_, v in d.get("unexpected", {}).items()},
                class_names=[str(n) for n in names] if names is not None else None,
                unit=unit,
                paths=[str(p) for p in d.get("paths", [])],
                skipped=[dict(s) for s in d.get("skipped", [])],
                non_mask_files=count("non_mask_files"),
                options=dict(d.get("options", {})),
                extra={key: val for key, val in d.items() if key not in known},
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise BadStats(f"{source}: malformed stats ({exc})") from None

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
        Scans without a fixed ``num_classes`` are padded to the longer class vector. Entries
        of ``extra`` merge by their own rules (:mod:`maskstats.core.merge`): exactly, or
        refused; ``per_image`` is dropped.
        """
        if self.unit != other.unit:
            raise UsageProblem(f"cannot merge stats in {self.unit} with stats in {other.unit}")
        if self.ignore_index != other.ignore_index:
            raise UsageProblem(f"cannot merge stats with different ignore values "
                               f"({self.ignore_index} vs {other.ignore_index})")
        mine = {k: v for k, v in self.options.items() if k != "num_classes"}
        theirs = {k: v for k, v in other.options.items() if k != "num_classes"}
        if mine != theirs:
            raise UsageProblem(f"cannot merge stats counted with different options "
                               f"({mine} vs {theirs})")
        fixed_a, fixed_b = self.options.get("num_classes"), other.options.get("num_classes")
        if fixed_a is not None and fixed_b is not None and fixed_a != fixed_b:
            raise UsageProblem(f"cannot merge stats with num_classes {fixed_a} and {fixed_b}")
        if (fixed_a is not None and other.num_classes > fixed_a) or (
                fixed_b is not None and self.num_classes > fixed_b):
            raise UsageProblem("cannot merge: one side has more classes than the other's "
                               "fixed num_classes")
        k = max(self.num_classes, other.num_classes)
        names = self.class_names if self.class_names is not None else other.class_names
        if (self.class_names is not None and other.class_names is not None
                and self.class_names != other.class_names):
            raise UsageProblem("cannot merge stats with different class names")
        if names is not None and len(names) != k:
            names = None
        mine = set(self.paths)
        overlap = [p for p in other.paths if p in mine]
        # the same folder with different --include/--exclude globs: shards, meant to be merged
        if overlap and self.extra.get("selection") == other.extra.get("selection"):
            raise UsageProblem(f"both stats were counted from {overlap[0]!r}; merging them would "
                               "count those masks twice (merge disjoint scans only)")

        def add(a: list[int], b: list[int]) -> list[int]:
            return [x + y for x, y in zip(a + [0] * (k - len(a)), b + [0] * (k - len(b)))]

        unexpected = dict(self.unexpected)
        for key, val in other.unexpected.items():
            unexpected[key] = unexpected.get(key, 0) + val
        extra = merge_extra(self.extra, other.extra, k)
        return Stats(
            pixel_counts=add(self.pixel_counts, other.pixel_counts),
            image_counts=add(self.image_counts, other.image_counts),
            image_pixels=add(self.image_pixels, other.image_pixels),
            num_images=self.num_images + other.num_images,
            total_pixels=self.total_pixels + other.total_pixels,
            ignore_index=list(self.ignore_index),
            ignored_pixels=self.ignored_pixels + other.ignored_pixels,
            unexpected=dict(sorted(unexpected.items(), key=lambda kv: int(kv[0]))),
            class_names=names,
            unit=self.unit,
            paths=self.paths + other.paths,
            skipped=self.skipped + other.skipped,
            non_mask_files=self.non_mask_files + other.non_mask_files,
            options={**self.options, "num_classes": fixed_a if fixed_a is not None else fixed_b},
            extra=extra,
        )


#: counts are exact int64 everywhere (NumPy accumulators, NPY outputs)
_COUNT_LIMIT = 1 << 63


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < _COUNT_LIMIT


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def id_ranges(ids: Iterable[int]) -> str:
    """Class ids as ranges, for people: [1, 2, 3, 7] -> '1-3, 7'."""
    parts: list[list[int]] = []
    for i in ids:
        if parts and parts[-1][1] == i - 1:
            parts[-1][1] = i
        else:
            parts.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)
