"""Object sizes: exact quantiles of component sizes, and their mergeable size table.

``scan --objects`` keeps, per class, how many components have each size (a size -> count
table). The quantiles come from that table exactly (nearest rank), and because tables of
disjoint scans add exactly, ``Stats.merge`` recomputes the quantiles of the merged data from
the added tables: equal to one scan of everything. The table is written to the stats as
``object_sizes`` (per class, ``[size, count]`` pairs by size) while the whole dataset holds
at most :data:`SIZE_TABLE_LIMIT` distinct (class, size) pairs; beyond that the stats keep
only the quantiles, and a merge can then give min and max exactly but not p10/p50/p90 (they
become null, with the reason in ``objects["quantiles_note"]``).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from maskstats.errors import BadStats
from maskstats.core.extras import OBJECTS, OBJECT_COUNTS, OBJECT_PIXELS_QUANTILES, OBJECT_SIZES

#: the object size quantiles reported per class, and how they are defined
QUANTILES = (("min", 0.0), ("p10", 0.1), ("p50", 0.5), ("p90", 0.9), ("max", 1.0))
QUANTILE_METHOD = ("nearest rank: the smallest size s with at least ceil(p * n) of the n "
                   "components no larger than s (numpy method='inverted_cdf'); exact")
#: the most distinct (class, size) pairs the stats keep as ``object_sizes``
SIZE_TABLE_LIMIT = 20_000
NO_TABLE_NOTE = ("p10, p50 and p90 are null where a merged side had no object_sizes table "
                 "(more than {limit:,} distinct sizes, or split stats of a per-image table): "
                 "quantiles of parts do not give the quantiles of the whole; min and max "
                 "are exact")
NO_SIZES_NOTE = ("no object sizes: the per-image table holds object counts only, so these "
                 "stats have object_counts but no object_pixels_quantiles")


def size_quantiles(sizes: Mapping[int, int]) -> dict[str, int]:
    """min, p10, p50, p90, max of a size -> number of components table (nearest rank)."""
    order = sorted(sizes)
    cum = np.cumsum([sizes[s] for s in order])
    n = int(cum[-1])
    out = {}
    for name, p in QUANTILES:
        rank = max(1, -(-int(round(p * 1000)) * n // 1000))  # ceil(p * n), exact for p in 1/1000
        out[name] = int(order[int(np.searchsorted(cum, rank))])
    return out


def object_entries(tables: Sequence[Mapping[int, int]], connectivity: Any) -> dict[str, Any]:
    """The stats entries of per-class size tables: ``object_counts``,
    ``object_pixels_quantiles``, ``object_sizes`` (when small enough) and ``objects``."""
    counts = [int(sum(t.values())) for t in tables]
    entries: dict[str, Any] = {
        OBJECT_COUNTS: counts,
        OBJECT_PIXELS_QUANTILES: [size_quantiles(t) if n else None
                                    for t, n in zip(tables, counts)],
    }
    if sum(len(t) for t in tables) <= SIZE_TABLE_LIMIT:
        entries[OBJECT_SIZES] = [[[int(s), int(t[s])] for s in sorted(t)] for t in tables]
    entries[OBJECTS] = {"connectivity": connectivity,
                          "quantiles": [name for name, _ in QUANTILES],
                          "quantile_method": QUANTILE_METHOD}
    return entries


def read_size_tables(value: Any, k: int, source: str) -> list[dict[int, int]]:
    """The per-class size tables of an ``object_sizes`` entry (checked)."""
    if not isinstance(value, list) or len(value) > k:
        raise BadStats(f"{source}: object_sizes must be a list of at most {k} classes")
    tables: list[dict[int, int]] = []
    for c, pairs in enumerate(value + [[]] * (k - len(value))):
        table: dict[int, int] = {}
        for pair in pairs if isinstance(pairs, list) else [None]:
            if not (isinstance(pair, list) and len(pair) == 2 and all(
                    isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair)):
                raise BadStats(f"{source}: object_sizes[{c}] must hold [size, count] pairs "
                               f"of positive integers, not {pair!r}")
            table[pair[0]] = table.get(pair[0], 0) + pair[1]
        tables.append(table)
    return tables


def merged_bounds(qa: Any, qb: Any) -> dict[str, Any] | None:
    """The quantiles of two sides known only by their quantiles: exact min and max."""
    if qa is None or qb is None:  # a side without components of the class: the other's
        return qb if qa is None else qa
    out = {name: None for name, _ in QUANTILES}
    out["min"] = min(qa["min"], qb["min"])
    out["max"] = max(qa["max"], qb["max"])
    if out["min"] == out["max"]:  # every component has one size
        out = {name: out["min"] for name, _ in QUANTILES}
    return out
