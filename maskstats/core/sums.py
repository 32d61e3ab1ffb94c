"""Sums of counts that must stay within int64 (merging stats adds counts of two files).

Every maskstats file and tool reads counts as int64, so a merged count of 2**63 or more
would be written and then refused by every command: :func:`check_sums` refuses it before
anything is written.
"""

from __future__ import annotations

from typing import Any

from maskstats.errors import BadStats

#: counts are exact int64 everywhere (NumPy accumulators, NPY outputs, tables)
COUNT_LIMIT = 1 << 63
_TOTALS = ("num_images", "total_pixels", "ignored_pixels", "non_mask_files")
_VECTORS = ("pixel_counts", "image_counts", "image_pixels")


def _too_big(entry: str, value: int) -> BadStats:
    return BadStats(f"the merged {entry} would be {value:,}, beyond the 64-bit integer range "
                    "(2**63-1) that maskstats files hold; nothing was written")


def check_sums(stats: Any) -> Any:
    """``stats`` (the result of a merge), refused when it holds a count of 2**63 or more."""
    for key in _TOTALS:
        value = getattr(stats, key, 0)
        if isinstance(value, int) and value >= COUNT_LIMIT:
            raise _too_big(key, value)
    for key in _VECTORS:
        for c, value in enumerate(getattr(stats, key, None) or []):
            if isinstance(value, int) and value >= COUNT_LIMIT:
                raise _too_big(f"{key}[{c}]", value)
    for v, value in (getattr(stats, "unexpected", None) or {}).items():
        if isinstance(value, int) and value >= COUNT_LIMIT:
            raise _too_big(f"unexpected[{v}]", value)
    objects = (getattr(stats, "extra", None) or {}).get("object_counts")
    for c, value in enumerate(objects if isinstance(objects, list) else []):
        if isinstance(value, int) and value >= COUNT_LIMIT:
            raise _too_big(f"object_counts[{c}]", value)
    return stats
