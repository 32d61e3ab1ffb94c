"""The last step of every count: a value accumulator becomes :class:`~maskstats.core.stats.Stats`.

Shared by ``scan()`` (mask files) and ``count_arrays()`` (arrays in memory), so both record
the same options, the same ``multi_label`` entry and refuse class names the same way.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from maskstats.core.histogram import Counts
from maskstats.core.stats import Stats
from maskstats.errors import UsageProblem
from maskstats.core.extras import MULTI_LABEL


def finish_stats(counts: Counts, *, ignore_index: Iterable[int], num_classes: int | None,
                 class_names: Sequence[str] | None, layout: str,
                 options: Mapping[str, Any] | None = None,
                 extra: Mapping[str, Any] | None = None, what: str = "masks",
                 hint: str = "--num-classes", **fields: Any) -> Stats:
    """Stats of ``counts``: options recorded, ``extra`` entries added, class names checked.

    ``options``: the count-changing options besides ``num_classes`` (and ``layout`` when it
    is ``multi-label``, where a pixel may count for several classes); ``fields``: the other
    arguments of :meth:`Stats.from_counts` (paths, skipped, unit, ...). ``what`` and ``hint``
    word the error when the class names do not match the classes found.
    """
    multi_label = layout == "multi-label"
    stats = Stats.from_counts(
        counts, ignore_index=ignore_index, num_classes=num_classes,
        class_names=list(class_names) if class_names is not None else None,
        options={"num_classes": num_classes, **(options or {}),
                 **({"layout": layout} if multi_label else {})}, **fields)
    stats.extra.update(extra or {})
    if multi_label:  # a pixel may count for several classes (pos-weight's N)
        stats.extra[MULTI_LABEL] = {"samples": stats.total_pixels}
    if stats.class_names is not None and len(stats.class_names) != stats.num_classes:
        raise UsageProblem(f"{len(stats.class_names)} class names given but the {what} hold "
                           f"{stats.num_classes} classes; pass {hint}")
    return stats
