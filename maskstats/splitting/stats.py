"""The stats JSON of a subset of a per-image table's rows (one split), exact and mergeable.

The counts come from the table rows: ``pixel_counts``, ``image_counts``, ``image_pixels``,
``num_images``, ``total_pixels`` and ``ignored_pixels`` are sums of integers, so merging the
stats of disjoint splits gives the whole table's totals exactly. Class names, ignore values,
unit and count options are not in the table: they come from the whole dataset's stats
(``base``), checked against the table first.

Unexpected pixels (values >= num_classes) are only a per-row total in the table. A split can
say which value they hold only when there is a single one (known from ``base``); otherwise
the split stats are refused rather than guessed, so a merge can never come out different.

A table with ``o<k>`` columns (``scan --objects``) gives the split its ``object_counts``
(their sums), so the splits' object counts merge back too; the table has no component sizes,
so split stats have no ``object_pixels_quantiles``.

The rows of a window table (``scan --window``) are windows: the split stats then count the
pixels of the split's windows (a pixel in two overlapping windows counts in both), the class
balance the split trains on; the base stats (whole images) give names and ignore values only.
"""

from __future__ import annotations

import numpy as np

from maskstats.errors import UsageProblem
from maskstats.core.object_sizes import NO_SIZES_NOTE
from maskstats.core.stats import Stats
from maskstats.table.load import Table
from maskstats.core.extras import OBJECTS, OBJECT_COUNTS, PER_IMAGE


def check_base(table: Table, base: Stats, base_name: str = "stats") -> None:
    """Refuse a stats file that does not describe this table (classes, rows, totals)."""
    src = table.source or "table"
    if base.num_classes != table.num_classes:
        raise UsageProblem(f"{base_name} has {base.num_classes} classes but {src} has "
                           f"{table.num_classes} class columns")
    record = base.extra.get(PER_IMAGE)
    if isinstance(record, dict):
        if "rows" in record and record["rows"] != table.num_images:
            raise UsageProblem(f"{base_name} records a per-image table of {record['rows']} "
                               f"rows, {src} has {table.num_images}")
        if record.get("sha256") and table.sha256 and record["sha256"] != table.sha256:
            raise UsageProblem(f"{base_name} records another per-image table (sha256 "
                               f"{record['sha256'][:12]}..., {src} is {table.sha256[:12]}...)")
    if table.windows is not None:  # window rows overlap: the base counts whole images
        return
    sums = table.counts.sum(axis=0).tolist()
    if sums != list(base.pixel_counts):
        diff = next(c for c, (a, b) in enumerate(zip(sums, base.pixel_counts)) if a != b)
        raise UsageProblem(f"{base_name} is not the stats of {src}: class {diff} has "
                           f"{base.pixel_counts[diff]} pixels there, {sums[diff]} in the table")
    objects = base.extra.get(OBJECT_COUNTS)
    if table.objects is not None and objects is not None and \
            table.objects.sum(axis=0).tolist() != list(objects):
        raise UsageProblem(f"{base_name} is not the stats of {src}: its object_counts differ "
                           "from the sums of the table's o<k> columns")
    if base.num_images != table.num_images:
        raise UsageProblem(f"{base_name} counts {base.num_images} images, {src} has "
                           f"{table.num_images} rows")


def unexpected_key(table: Table, base: Stats | None) -> str | None:
    """The one value the table's unexpected pixels hold, or None when there are none."""
    total = int(table.unexpected.sum())
    if total == 0:
        return None
    src = table.source or "table"
    if base is None:
        raise UsageProblem(f"{src}: {total} pixels have values >= {table.num_classes} "
                           "(unexpected) and the table does not say which values: give the "
                           "dataset's stats file (--stats) so the split stats can carry them")
    if len(base.unexpected) != 1:
        raise UsageProblem(f"{src}: the unexpected pixels hold {len(base.unexpected)} "
                           f"different values ({', '.join(base.unexpected)}) and the table "
                           "keeps only their total per image, so the split stats cannot "
                           "count them exactly; rescan with --num-classes or --remap")
    (key, count), = base.unexpected.items()
    if count != total:
        raise UsageProblem(f"{src}: {total} unexpected pixels in the table, {count} in the "
                           "stats file: they describe different scans")
    return key


def split_stats(table: Table, rows: np.ndarray, base: Stats | None = None) -> Stats:
    """The stats of ``table``'s ``rows``.

    ``paths`` lists the split's own files (table path form, each file once), so the splits'
    paths are disjoint and ``maskstats merge`` accepts them; their counts merge back to
    ``base`` exactly.
    """
    if base is not None:
        check_base(table, base)
    key = unexpected_key(table, base)
    counts = table.counts[rows]
    present = counts > 0
    pixels = table.pixels[rows]
    unexpected = {key: int(table.unexpected[rows].sum())} if key is not None else {}
    if key is not None and not unexpected[key]:
        unexpected = {}
    options = dict(base.options) if base is not None else {"num_classes": table.num_classes}
    stats = Stats(
        pixel_counts=counts.sum(axis=0).tolist(),
        image_counts=present.sum(axis=0).tolist(),
        image_pixels=(pixels @ present.astype(np.int64)).tolist() if len(rows) else
        [0] * table.num_classes,
        num_images=int(len(rows)),
        total_pixels=int(pixels.sum()),
        ignore_index=list(base.ignore_index) if base is not None else [],
        ignored_pixels=int(table.ignored[rows].sum()),
        unexpected=unexpected,
        class_names=list(base.class_names) if base is not None and base.class_names else None,
        unit=base.unit if base is not None else "pixels",
        paths=list(dict.fromkeys(table.paths[i] for i in rows.tolist())),
        options=options,
    )
    if table.objects is not None:
        stats.extra.update(split_objects(table, rows, base))
    if base is not None and "multi_label" in base.extra:  # pixels may count for two classes
        stats.extra["multi_label"] = {"samples": stats.total_pixels}
    return stats


def split_objects(table: Table, rows: np.ndarray, base: Stats | None) -> dict:
    """``object_counts`` of the rows (sums of the ``o<k>`` columns) and the ``objects`` note.

    The table holds no component sizes, so there are no quantiles; the connectivity is the
    base stats' (what a merge with other stats checks).
    """
    info = dict((base.extra.get(OBJECTS) or {}) if base is not None else {})
    info.setdefault("connectivity", "unknown (split without the dataset's stats)")
    info = {key: val for key, val in info.items() if key in ("connectivity",)}
    info["quantiles_note"] = NO_SIZES_NOTE
    return {OBJECT_COUNTS: table.objects[rows].sum(axis=0).astype(np.int64).tolist()
            if len(rows) else [0] * table.num_classes, OBJECTS: info}
