"""The stats entries the report reads beyond the counts, checked before anything is drawn.

A stats file's entries are checked when it is read (:mod:`maskstats.core.extras`); a
:class:`Stats` built or changed in memory is not. The report reads its optional entries
(``per_image``, ``object_counts``, ``object_pixels_quantiles``) only through the functions
here, so whatever it is given, an entry of the wrong shape is one error
``<file>: <entry>: <problem>`` (:class:`BadEntry`), never an internal error halfway through
a plot.
"""

from __future__ import annotations

import math
from typing import Any

from maskstats.core.extras import OBJECT_COUNTS, OBJECT_PIXELS_QUANTILES, PER_IMAGE
from maskstats.core.stats import Stats
from maskstats.errors import BadStats, MaskstatsError

QUANTILE_KEYS = ("min", "p10", "p50", "p90", "max")
_MAX_COUNT = 2**63 - 1


class ReportMismatch(MaskstatsError):
    """A per-image table or a compared stats file that does not belong with the stats."""


class BadEntry(BadStats, ReportMismatch):
    """A stats entry of the wrong shape, found by the report."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _bad(source: str, entry: str, problem: str) -> BadEntry:
    return BadEntry(f"{source}: {entry}: {problem}")


def per_image_entry(stats: Stats, source: str) -> dict:
    """The ``per_image`` record ({} when absent): a dict whose path and sha256 are text."""
    entry = stats.extra.get(PER_IMAGE)
    if entry is None:
        return {}
    if not isinstance(entry, dict):
        raise _bad(source, "per_image", f"must be an object with path, sha256 and rows, not "
                                        f"{type(entry).__name__}")
    for key in ("path", "sha256"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise _bad(source, f"per_image.{key}", f"must be text, not "
                                                   f"{type(entry[key]).__name__}")
    return entry


def _per_class(stats: Stats, key: str, source: str) -> list | None:
    """The entry ``key``: a list of one item per class, or None when absent."""
    value = stats.extra.get(key)
    if value is None:
        return None
    k = stats.num_classes
    if not isinstance(value, list):
        raise _bad(source, key, f"must be a list of {k} entries (one per class), not "
                                f"{type(value).__name__}")
    if len(value) != k:
        raise _bad(source, key, f"has {len(value)} entries for {k} classes")
    return value


def _is_pixels(v: Any) -> bool:
    """A pixel count or a quantile of counts: a number from 0 to 2**63-1."""
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v) and 0 <= v <= _MAX_COUNT


def object_counts(stats: Stats, source: str) -> list[int | None] | None:
    """``object_counts``: per class a non-negative integer (or null: unknown)."""
    counts = _per_class(stats, OBJECT_COUNTS, source)
    for c, n in enumerate(counts or []):
        if n is not None and not (_is_int(n) and _is_pixels(n)):
            raise _bad(source, f"object_counts[{c}]", f"{n!r} is not a non-negative integer")
    return counts


def _quantile_row(q: Any, source: str, c: int) -> list[float] | None:
    """One class's (min, p10, p50, p90, max): numbers in [0, 2**63) or nulls."""
    if isinstance(q, dict):  # what scan --objects writes: {"min": .., "p10": .., ...}
        q = [q.get(key) for key in QUANTILE_KEYS]
    if q is None or q == []:
        return None
    if not (isinstance(q, list) and len(q) == 5 and all(v is None or _is_pixels(v) for v in q)):
        raise _bad(source, f"object_pixels_quantiles[{c}]", "must hold min, p10, p50, p90 and "
                   "max as pixel counts (numbers from 0 to 2**63-1) or be null, not "
                   f"{str(q)[:80]}")
    return [math.nan if v is None else float(v) for v in q]


def object_quantiles(stats: Stats, source: str) -> list[list[float] | None] | None:
    """``object_pixels_quantiles``: per class five numbers or None; None when absent."""
    quant = _per_class(stats, OBJECT_PIXELS_QUANTILES, source)
    return None if quant is None else [_quantile_row(q, source, c) for c, q in enumerate(quant)]


def checked_extra(stats: Stats, source: str) -> None:
    """Check every entry the report reads; the first bad one raises :class:`BadStats`."""
    per_image_entry(stats, source)
    object_counts(stats, source)
    object_quantiles(stats, source)
