"""What :func:`maskstats.weights.compute.compute_weights` weighs: counts, checked, from any source.

Counts are non-negative integers (pixels, samples) or non-negative decimals
(sample-weighted counts, as scikit-learn's ``compute_class_weight(sample_weight=...)``
accepts). Integers stay exact Python ints end to end; sums are taken exactly (integers
and :class:`~fractions.Fraction` s) and converted to float once.
"""

from __future__ import annotations

import math
import operator
import os
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from maskstats.errors import UsageProblem
from maskstats.core.jsonio import STATS_FORMAT, STATS_VERSION, check_format
from maskstats.core.limits import check_num_classes
from maskstats.core.stats import Stats
from maskstats.core.extras import MULTI_LABEL

Count = int | float
#: a decimal number as --counts accepts it: digits, an optional fraction and exponent
_DECIMAL = re.compile(r"\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"\+?\d+")


@dataclass
class Source:
    """Counts and what else a stats file tells about them.

    ``total``: every counted pixel (the stats' ``total_pixels``: ignored and unexpected
    pixels included), or None for plain counts; ``samples``: the number of samples of
    multi-label stats (``"multi_label": {"samples": n}``), else None.
    """

    counts: list[Count]
    image_pixels: list[int] | None = None
    names: list | None = None
    ignore: list[int] | None = None
    total: int | None = None
    samples: int | None = None


def parse_counts(text: str) -> list[Count]:
    """``"198,436,710,272"`` or ``"1.5,2"`` as counts: ints stay ints, decimals floats.

    Raises :class:`UsageProblem` naming the bad item: not a number, NaN, infinite,
    negative, or empty.
    """
    out: list[Count] = []
    for i, item in enumerate(text.split(",")):
        item = item.strip()
        if item.startswith("-") and _DECIMAL.fullmatch(item[1:]):
            raise UsageProblem(f"--counts: item {i + 1} ({item}) is negative; counts must "
                               "not be negative")
        if not item:
            raise UsageProblem(f"--counts: item {i + 1} is empty (expected comma-separated "
                               "numbers, e.g. 198,436,710,272)")
        if _INTEGER.fullmatch(item):
            try:
                out.append(int(item))
            except ValueError:  # more digits than Python converts (sys.int_info)
                raise UsageProblem(f"--counts: item {i + 1} has {len(item)} digits, too "
                                   "many for a count") from None
        elif _DECIMAL.fullmatch(item):
            out.append(check_count(f"--counts: item {i + 1}", float(item)))
        else:
            raise UsageProblem(f"--counts: item {i + 1} ({item!r}) is not a non-negative "
                               "number (expected comma-separated counts such as 198,436 "
                               "or 1.5,2)")
    return out


def check_count(what: str, value: Any) -> Count:
    """``value`` as a count: a non-negative int, or a finite non-negative float."""
    if isinstance(value, (bool, np.bool_)):
        raise UsageProblem(f"{what} {value!r} is not a count (a non-negative number)")
    try:
        n: Count = operator.index(value)
    except TypeError:
        if not isinstance(value, (float, np.floating)):
            raise UsageProblem(f"{what} {value!r} is not a count (a non-negative "
                               "number)") from None
        n = float(value)
        if not math.isfinite(n):
            raise UsageProblem(f"{what} is {n}: counts must be finite numbers")
    if n < 0:
        raise UsageProblem(f"{what} is {n}: counts must not be negative")
    return n


def as_float(what: str, value: Count | Fraction) -> float:
    """A count or an exact sum as float64, with a usage error beyond its range."""
    try:
        out = float(value)
    except OverflowError:
        out = math.inf
    if not math.isfinite(out):
        digits = f" (a {len(str(value))}-digit number)" if isinstance(value, int) else ""
        raise UsageProblem(f"{what}{digits} is beyond the float64 range (about 1.8e308): "
                           "scale the counts down")
    return out


def exact_sum(values: Iterable[Count]) -> int | Fraction:
    """The exact sum of ints and floats (floats as the fractions they are)."""
    ints = 0
    fracs = Fraction(0)
    for v in values:
        if isinstance(v, int):
            ints += v
        else:
            fracs += Fraction(v)
    return ints if fracs == 0 else ints + fracs


def source_of(obj: Any) -> Source:
    """The counts of a :class:`Stats`, a stats JSON dict or a sequence of counts."""
    if isinstance(obj, Mapping):
        check_format(obj, "stats", STATS_FORMAT, STATS_VERSION)
        obj = Stats.from_dict(obj, "stats")
    if isinstance(obj, Stats):
        counts = _counts(obj.pixel_counts)
        ip = obj.image_pixels if len(obj.image_pixels) == len(counts) else None
        names = list(obj.class_names) if obj.class_names is not None else None
        samples = multi_label_samples(obj)
        # every counted pixel: total_pixels, but never less than the classes, ignored and
        # unexpected pixels together (stats written without total_pixels); multi-label
        # stats count a pixel in several classes, so there total_pixels is the number
        total = int(obj.total_pixels)
        if samples is None:
            total = max(total, sum(counts) + int(obj.ignored_pixels)
                        + sum(int(v) for v in obj.unexpected.values()))
        return Source(counts, ip, names, [int(v) for v in obj.ignore_index], total or None,
                      samples)
    if isinstance(obj, (str, bytes, os.PathLike)) or not isinstance(obj, Iterable):
        raise UsageProblem(f"expected Stats, a stats dict or a sequence of counts, not "
                           f"{type(obj).__name__} (read a file with maskstats.load_stats)")
    return Source(_counts(obj), ignore=[])


def multi_label_samples(stats: Stats) -> int | None:
    """The sample count of multi-label stats (``"multi_label": {"samples": n}``), or None.

    Old stats files have no such key and are single-label.
    """
    info = stats.extra.get(MULTI_LABEL)
    samples = info.get("samples") if isinstance(info, Mapping) else None
    if isinstance(samples, int) and not isinstance(samples, bool) and samples > 0:
        return samples
    return None


def _counts(values: Iterable[Any]) -> list[Count]:
    counts = [check_count(f"count {i}", v) for i, v in enumerate(values)]
    if not counts:
        raise UsageProblem("no counts given")
    return counts


def pad(src: Source, num_classes: int | None) -> Source:
    """``src`` with its class vector padded by zero counts to ``num_classes`` classes."""
    if num_classes is None:
        return src
    try:
        k = operator.index(num_classes)
    except TypeError:
        raise UsageProblem(f"num_classes {num_classes!r} is not an integer") from None
    check_num_classes(k)
    if k < len(src.counts):
        raise UsageProblem(f"num_classes is {k} but there are {len(src.counts)} class counts")
    extra = k - len(src.counts)
    return Source(
        list(src.counts) + [0] * extra,
        None if src.image_pixels is None else list(src.image_pixels) + [0] * extra,
        None if src.names is None else list(src.names) + [None] * extra,
        src.ignore, src.total, src.samples,
    )


def integers(what: str, values: Sequence[Any]) -> list[int]:
    """Each of ``values`` as an int (class ids), else a usage error."""
    out = []
    for v in values:
        try:
            if isinstance(v, (bool, np.bool_)):
                raise TypeError
            out.append(operator.index(v))
        except TypeError:
            raise UsageProblem(f"{what} {v!r} is not an integer") from None
    return out
