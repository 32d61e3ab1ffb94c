"""The entries of a stats file beyond the class columns (``Stats.extra``), one owner each.

Each entry a scan may write has a key constant here and a shape check run when a stats file
is read, so a malformed entry stops the load with one line ``<file>: <entry>: <problem>``
instead of failing later in whatever reads it. How each merges is :mod:`maskstats.core.merge`
(counters add, ``per_image`` and ``selection`` are dropped). Keys not listed here (written by
another version) are kept as they are.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from maskstats.errors import BadStats

ONE_HOT = "one_hot"  #: one-hot masks: pixels with no class / several classes
MULTI_LABEL = "multi_label"  #: multi-label stats: ``{"samples": n}``
PANOPTIC = "panoptic"  #: COCO panoptic: annotations, category ids, counters
COCO = "coco"  #: COCO/LVIS instances: annotations, sha256, category ids, counters, LVIS lists
YOLO = "yolo"  #: Ultralytics YOLO: data.yaml, root, split, label files
#: annotation sources (``scan --coco`` / ``--yolo``): what names the source is text, the rest
#: are counts or per-class lists of counts
ANNOTATION_SOURCES = (COCO, YOLO)
#: the text entries (path, hash, split name) of an annotation source
SOURCE_TEXT = ("annotations", "sha256", "data", "root", "split")
UNKNOWN_COLORS = "unknown_colors"  #: colours outside the colour table, largest first
PER_IMAGE = "per_image"  #: the per-image table written beside the stats: path, sha256, rows
SELECTION = "selection"  #: the --include/--exclude globs of the scan
OBJECT_COUNTS = "object_counts"  #: connected components per class
OBJECT_PIXELS_QUANTILES = "object_pixels_quantiles"  #: component-size quantiles per class
OBJECT_SIZES = "object_sizes"  #: per class, [size, count] pairs
OBJECTS = "objects"  #: how the object statistics were counted

NODATA = "nodata"  #: GeoTIFF nodata pixels (counted as ignored): ``{"pixels": n}``
WINDOWS = "windows"  #: the window grid of a window table: size, stride, rows
CROP = "crop"  #: crop-aware statistics: size, expected pixels and presence per class

#: the entries of one scan's own outputs or selection: a merge drops them
DROPPED = (PER_IMAGE, SELECTION, WINDOWS)
#: the object-statistics entries, merged together
OBJECT_KEYS = (OBJECT_COUNTS, OBJECT_PIXELS_QUANTILES, OBJECT_SIZES, OBJECTS)

#: unknown colours listed by name in ``unknown_colors`` (the ones with the most pixels)
MAX_COLORS = 20
#: files listed per unknown colour in ``unknown_colors`` (the first ones in path order)
MAX_FILES = 5


class Malformed(ValueError):
    """A problem found in an entry (the caller adds the file and the entry)."""


def _is_count(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and 0 <= x < (1 << 63)


def _shown(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _need(ok: bool, what: str, value: Any) -> None:
    if not ok:
        if isinstance(value, float) and not math.isfinite(value):
            raise Malformed(f"{what}, not the non-finite number {value!r}")
        raise Malformed(f"{what}, not {_shown(value)}")


def _mapping(value: Any, what: str = "must be an object") -> Mapping[str, Any]:
    _need(isinstance(value, Mapping), what, value)
    return value


def _list(value: Any, what: str) -> list:
    _need(isinstance(value, list), what, value)
    return value


def _count(value: Any, where: str) -> None:
    _need(_is_count(value), f"{where} must be a non-negative integer", value)


def _counters(value: Any, where: str = "") -> None:
    """An object whose leaves are counts (nested objects allowed)."""
    for key, val in _mapping(value, f"{where or 'the entry'} must be an object of counts").items():
        name = f"{where}.{key}" if where else str(key)
        if isinstance(val, Mapping):
            _counters(val, name)
        else:
            _count(val, name)


def _strings(value: Any, where: str) -> None:
    for item in _list(value, f"{where} must be a list of strings"):
        _need(isinstance(item, str), f"{where} must hold strings", item)


def _panoptic(value: Any) -> None:
    entry = _mapping(value)
    ids = _list(entry.get("category_ids"), "category_ids must be a list of integers")
    for i in ids:
        _need(isinstance(i, int) and not isinstance(i, bool), "category_ids must hold integers", i)
    source = entry.get("annotations")
    if isinstance(source, list):
        _strings(source, "annotations")
    else:
        _need(source is None or isinstance(source, str), "annotations must be a path", source)
    _counters({k: v for k, v in entry.items() if k not in ("annotations", "category_ids")})


def _annotation_source(value: Any) -> None:
    """``coco`` / ``yolo``: category ids, text naming the source (or a list of them after a
    merge), counts and per-class lists of counts."""
    for key, val in _mapping(value).items():
        if key == "category_ids":
            for i in _list(val, "category_ids must be a list of integers"):
                _need(isinstance(i, int) and not isinstance(i, bool),
                      "category_ids must hold integers", i)
        elif key in SOURCE_TEXT:
            if isinstance(val, list):
                _strings(val, key)
            else:
                _need(val is None or isinstance(val, str), f"{key} must be text", val)
        elif isinstance(val, list):
            for n in val:
                _count(n, key)
        else:
            _count(val, key)


def _unknown_colors(value: Any) -> None:
    entry = _mapping(value)
    _count(entry.get("pixels"), "pixels")
    _count(entry.get("colors"), "colors")
    for colour, row in _mapping(entry.get("top"), "top must be an object").items():
        row = _mapping(row, f"top.{colour} must be an object")
        _count(row.get("pixels"), f"top.{colour}.pixels")
        _count(row.get("images"), f"top.{colour}.images")
        _strings(row.get("files"), f"top.{colour}.files")


def _per_image(value: Any) -> None:
    entry = _mapping(value)
    for key in ("path", "sha256"):
        _need(isinstance(entry.get(key), str), f"{key} must be a string", entry.get(key))
    if "rows" in entry:
        _count(entry["rows"], "rows")


def _selection(value: Any) -> None:
    entry = _mapping(value)
    for key in ("include", "exclude"):
        _strings(entry.get(key, []), key)


_LIMIT = 1 << 63


def _fast_count(x: Any) -> bool:
    return type(x) is int and 0 <= x < _LIMIT


def _fast_number(x: Any) -> bool:
    return x is None or (type(x) in (int, float) and 0 <= x < math.inf)


# Each per-class check below first tries a fast test of the whole entry (one pass, no
# messages: a stats file of 26,000 classes loads in about the time it did without checks)
# and looks for the first problem only when that fails.
def _object_counts(value: Any) -> None:
    if type(value) is list and all(n is None or _fast_count(n) for n in value):
        return
    for c, n in enumerate(_list(value, "must be a list of counts per class")):
        if n is not None:
            _count(n, f"class {c}")


def _quantiles(value: Any) -> None:
    """Per class null, or the quantiles (min, p10, p50, p90, max) as an object or a list of
    numbers (null where unknown, after a merge)."""
    if type(value) is list and all(row is None or (
            type(row) is dict and _fast_count(row.get("min")) and _fast_count(row.get("max"))
            and all(map(_fast_number, row.values()))) for row in value):
        return
    for c, row in enumerate(_list(value, "must be a list with one row per class")):
        if row is None:
            continue
        _need(isinstance(row, (Mapping, list)), f"class {c} must be null, an object or a list",
              row)
        if isinstance(row, list):
            _need(len(row) == 5, f"class {c} must list min, p10, p50, p90 and max", row)
        else:
            for key in ("min", "max"):
                _count(row.get(key), f"class {c} {key}")
        for q in row.values() if isinstance(row, Mapping) else row:
            _need(q is None or (isinstance(q, (int, float)) and not isinstance(q, bool)
                                and math.isfinite(q) and q >= 0),
                  f"class {c} must hold non-negative numbers", q)


def _object_sizes(value: Any) -> None:
    if type(value) is list and all(type(pairs) is list and all(
            type(pair) is list and len(pair) == 2 and _fast_count(pair[0]) and pair[0] > 0
            and _fast_count(pair[1]) and pair[1] > 0 for pair in pairs) for pairs in value):
        return
    for c, pairs in enumerate(_list(value, "must be a list with one table per class")):
        for pair in _list(pairs, f"class {c} must be a list of [size, count] pairs"):
            _need(isinstance(pair, list) and len(pair) == 2
                  and all(_is_count(v) and v > 0 for v in pair),
                  f"class {c} must hold [size, count] pairs of positive integers", pair)


def _objects(value: Any) -> None:
    _mapping(value)


def _size(value: Any, where: str) -> None:
    pair = _list(value, f"{where} must be [height, width]")
    _need(len(pair) == 2 and all(_is_count(v) and v > 0 for v in pair),
          f"{where} must be two positive integers", value)


def _windows(value: Any) -> None:
    entry = _mapping(value)
    _size(entry.get("size"), "size")
    _size(entry.get("stride"), "stride")
    _count(entry.get("rows"), "rows")


def _crop(value: Any) -> None:
    entry = _mapping(value)
    _size(entry.get("size"), "size")
    for name in ("counts", "presence"):
        for c, x in enumerate(_list(entry.get(name), f"{name} must be a list per class")):
            _need(type(x) in (int, float) and 0 <= x < math.inf,
                  f"{name} of class {c} must be a non-negative number", x)


#: key -> the check of its shape (raises :class:`Malformed`)
CHECKS: dict[str, Callable[[Any], None]] = {
    ONE_HOT: _counters,
    MULTI_LABEL: _counters,
    PANOPTIC: _panoptic,
    COCO: _annotation_source,
    YOLO: _annotation_source,
    UNKNOWN_COLORS: _unknown_colors,
    PER_IMAGE: _per_image,
    SELECTION: _selection,
    OBJECT_COUNTS: _object_counts,
    OBJECT_PIXELS_QUANTILES: _quantiles,
    OBJECT_SIZES: _object_sizes,
    OBJECTS: _objects,
    NODATA: _counters,
    WINDOWS: _windows,
    CROP: _crop,
}


def check(key: str, value: Any, source: str) -> None:
    """Check one entry; :class:`BadStats` ``<source>: <key>: <problem>`` when malformed."""
    test = CHECKS.get(key)
    if test is None:
        return
    try:
        test(value)
    except Malformed as exc:
        raise BadStats(f"{source}: {key}: {exc}") from None
    except RecursionError:
        raise BadStats(f"{source}: {key}: nested too deeply") from None


def extras_from_json(entries: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The ``extra`` of a stats document (its keys beyond the fields), every known entry
    checked."""
    for key, value in entries.items():
        check(key, value, source)
    return dict(entries)


def extras_to_json(extra: Mapping[str, Any]) -> Mapping[str, Any]:
    """The entries as written after the fields of the document (as they are)."""
    return extra


def nodata_entry(pixels: int) -> dict[str, Any]:
    """The ``extra`` of a scan that met nodata pixels: ``{"nodata": {"pixels": n}}``."""
    return {NODATA: {"pixels": pixels}} if pixels else {}


def one_hot_entry(counters: Mapping[str, int]) -> dict[str, Any]:
    """The ``extra`` of counted one-hot masks: their no-class / several-class counters."""
    return {ONE_HOT: dict(counters)} if counters else {}
