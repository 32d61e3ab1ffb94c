"""Merging the layout-specific entries of two stats (``extra``), exactly or not at all.

Every entry a producer writes has its own rule: counters add (``one_hot``, ``multi_label``,
``panoptic``, ``nodata``, and in ``coco`` / ``yolo`` with the names of both sources kept),
crop statistics of one crop size add per class, the ``unknown_colors`` report is re-ranked
from both sides, object statistics add their counts and size tables and recompute the
quantiles (:mod:`maskstats.core.object_sizes`), and ``per_image``, ``selection`` and
``windows`` are dropped (they name the table, the globs and the window grid of one scan, not
of the merged data). An
entry that cannot be merged exactly is refused with :class:`UsageProblem`, never kept from
one side as if it described both.
"""

from __future__ import annotations

from typing import Any, Mapping

from maskstats.errors import BadStats, UsageProblem
from maskstats.core.extras import (ANNOTATION_SOURCES, CROP, DROPPED, MAX_COLORS, MAX_FILES,
                                   OBJECT_COUNTS, OBJECT_KEYS, OBJECT_PIXELS_QUANTILES,
                                   OBJECT_SIZES, OBJECTS, PANOPTIC, UNKNOWN_COLORS)
from maskstats.core.object_sizes import (NO_SIZES_NOTE, NO_TABLE_NOTE, SIZE_TABLE_LIMIT,
                                         merged_bounds, object_entries, read_size_tables)



def merge_extra(a: Mapping[str, Any], b: Mapping[str, Any], k: int) -> dict[str, Any]:
    """The ``extra`` of the merge of two stats with ``k`` classes (both sides padded).

    Raises :class:`UsageProblem` for entries that cannot be merged exactly and
    :class:`BadStats` for malformed ones.
    """
    current = ["object statistics"]  # the entry being merged, for the error message
    try:
        return _merge_extra(a, b, k, current)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise BadStats(f"cannot merge: malformed {current[0]!r} entry ({type(exc).__name__}: "
                       f"{str(exc)[:80]})") from None


def _merge_extra(a: Mapping[str, Any], b: Mapping[str, Any], k: int,
                 current: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if OBJECT_COUNTS in a or OBJECT_COUNTS in b:
        out.update(_merge_objects(a, b, k))
    for key in dict.fromkeys([*a, *b]):
        if key in DROPPED or key in OBJECT_KEYS:
            continue
        current[0] = key
        va, vb = a.get(key), b.get(key)
        if key == UNKNOWN_COLORS:
            out[key] = _merge_unknown(va, vb)
        elif key == PANOPTIC and va is not None and vb is not None:
            out[key] = _merge_panoptic(va, vb)
        elif key == CROP and va is not None and vb is not None:
            out[key] = _merge_crop(va, vb, k)
        elif key in ANNOTATION_SOURCES and va is not None and vb is not None:
            out[key] = _merge_source(key, va, vb)
        elif _is_counter(va) and _is_counter(vb):
            out[key] = _add_counters(va, vb)
        elif key in a and key in b and va == vb:
            out[key] = va
        else:
            raise UsageProblem(f"cannot merge the {key!r} entries of the two stats (not "
                               "counters, and not equal)")
    if out.get(UNKNOWN_COLORS) is None:
        out.pop(UNKNOWN_COLORS, None)
    return out


def _merge_crop(a: Mapping[str, Any], b: Mapping[str, Any], k: int) -> dict[str, Any]:
    """Crop statistics of the same crop size add per class (both sides padded to k)."""
    if list(a["size"]) != list(b["size"]):
        raise UsageProblem(f"cannot merge crop statistics of {a['size']} and {b['size']} "
                           "crops; scan both with the same --crop")

    def padded(side: Mapping[str, Any], name: str) -> list[float]:
        values = [float(v) for v in side[name]]
        return values + [0.0] * (k - len(values))

    return {"size": list(a["size"]),
            **{name: [x + y for x, y in zip(padded(a, name), padded(b, name))]
               for name in ("counts", "presence")}}


def _is_counter(value: Any) -> bool:
    """None (absent), an int, or a dict whose leaves are all counters."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return True
    return isinstance(value, Mapping) and all(_is_counter(v) and v is not None
                                              for v in value.values())


def _add_counters(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return b if a is None else a
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return {key: _add_counters(a.get(key), b.get(key)) for key in dict.fromkeys([*a, *b])}
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        raise UsageProblem("cannot merge a counter with a table of counters")
    return a + b


def _merge_panoptic(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    if a.get("category_ids") != b.get("category_ids"):
        raise UsageProblem("cannot merge panoptic stats with different category ids")
    sources = [s for side in (a, b) for s in (side.get("annotations") if isinstance(
        side.get("annotations"), list) else [side.get("annotations")])]
    sources = list(dict.fromkeys(s for s in sources if s is not None))
    out = _add_counters({k: v for k, v in a.items() if k not in ("annotations", "category_ids")},
                        {k: v for k, v in b.items() if k not in ("annotations", "category_ids")})
    return {"annotations": sources[0] if len(sources) == 1 else sources,
            "category_ids": a.get("category_ids"), **out}


def _merge_source(kind: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """``coco`` / ``yolo`` of two scans: the same categories; counts and per-class lists of
    counts add; the text naming each source is kept (a list when they differ)."""
    if a.get("category_ids") != b.get("category_ids"):
        raise UsageProblem(f"cannot merge {kind} stats with different category ids")
    out: dict[str, Any] = {}
    for key in dict.fromkeys([*a, *b]):
        va, vb = a.get(key), b.get(key)
        if key == "category_ids":
            out[key] = va
        elif isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb) and all(
                isinstance(x, int) and not isinstance(x, bool) for x in va + vb):
            out[key] = [x + y for x, y in zip(va, vb)]
        elif _is_counter(va) and _is_counter(vb) and not isinstance(va or vb, str):
            out[key] = _add_counters(va, vb)
        else:
            found = [x for v in (va, vb) for x in (v if isinstance(v, list) else [v])]
            found = list(dict.fromkeys(found))
            out[key] = found[0] if len(found) == 1 else found
    return out


def _merge_unknown(a: Any, b: Any) -> dict[str, Any] | None:
    """The unknown-colour report of both sides, exact when each lists all of its colours."""
    if not a or not b:
        return a or b
    for side in (a, b):
        if side["colors"] > len(side["top"]):
            raise UsageProblem(f"cannot merge unknown_colors reports that list only the "
                               f"{len(side['top'])} largest of {side['colors']} unknown "
                               "colours: the merged ranking would be a guess; rescan the "
                               "masks together")
    rows: dict[str, dict[str, Any]] = {}
    for side in (a, b):
        for colour, row in side["top"].items():
            have = rows.setdefault(colour, {"pixels": 0, "images": 0, "files": []})
            have["pixels"] += row["pixels"]
            have["images"] += row["images"]
            have["files"] = sorted(have["files"] + list(row["files"]))[:MAX_FILES]
    ranked = sorted(rows.items(), key=lambda kv: (-kv[1]["pixels"], kv[0]))
    return {"pixels": a["pixels"] + b["pixels"], "colors": len(rows),
            "top": dict(ranked[:MAX_COLORS])}


def _merge_objects(a: Mapping[str, Any], b: Mapping[str, Any], k: int) -> dict[str, Any]:
    """Object statistics of both sides: counts and size tables add, quantiles recomputed."""
    for side in (a, b):
        if OBJECT_COUNTS not in side:
            raise UsageProblem("only one of the stats has object statistics (scan "
                               "--objects): merging would leave object_counts of part of "
                               "the data; scan both with --objects or neither")
    info_a, info_b = a.get(OBJECTS) or {}, b.get(OBJECTS) or {}
    conn_a, conn_b = info_a.get("connectivity"), info_b.get("connectivity")
    if conn_a != conn_b:
        raise UsageProblem(f"cannot merge object statistics counted with connectivity "
                           f"{conn_a!r} and {conn_b!r}")

    def padded(value: Any, name: str) -> list:
        if not isinstance(value, list) or len(value) > k:
            raise UsageProblem(f"{name} must be a list of at most {k} classes")
        return list(value) + [None] * (k - len(value))

    pairs = zip(padded(a[OBJECT_COUNTS], OBJECT_COUNTS), padded(b[OBJECT_COUNTS], OBJECT_COUNTS))
    counts = [int(_count(x)) + int(_count(y)) for x, y in pairs]
    if OBJECT_SIZES in a and OBJECT_SIZES in b:
        tables = read_size_tables(a[OBJECT_SIZES], k, OBJECT_SIZES)
        for c, table in enumerate(read_size_tables(b[OBJECT_SIZES], k, OBJECT_SIZES)):
            for size, n in table.items():
                tables[c][size] = tables[c].get(size, 0) + n
        if [sum(t.values()) for t in tables] != counts:
            raise UsageProblem("object_sizes do not add up to object_counts")
        return object_entries(tables, conn_a)
    info = {key: val for key, val in info_a.items() if key != "quantiles_note"}
    out: dict[str, Any] = {OBJECT_COUNTS: counts}
    if OBJECT_PIXELS_QUANTILES in a and OBJECT_PIXELS_QUANTILES in b:
        qa = [_quantiles(q) for q in padded(a[OBJECT_PIXELS_QUANTILES], OBJECT_PIXELS_QUANTILES)]
        qb = [_quantiles(q) for q in padded(b[OBJECT_PIXELS_QUANTILES], OBJECT_PIXELS_QUANTILES)]
        out[OBJECT_PIXELS_QUANTILES] = [merged_bounds(x, y) for x, y in zip(qa, qb)]
        info["quantiles_note"] = NO_TABLE_NOTE.format(limit=SIZE_TABLE_LIMIT)
    else:
        info["quantiles_note"] = NO_SIZES_NOTE
    out[OBJECTS] = info
    return out


def _count(value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadStats(f"object_counts must hold non-negative integers, not {value!r:.40}")
    return value


def _quantiles(value: Any) -> Any:
    """A quantiles row as written by a scan (None or a dict with integer min and max)."""
    if value is None:
        return None
    if not (isinstance(value, Mapping) and all(
            isinstance(value.get(key), int) and not isinstance(value.get(key), bool)
            for key in ("min", "max"))):
        raise BadStats(f"object_pixels_quantiles rows must be null or hold min and max, not "
                       f"{value!r:.40}")
    return value
