"""What a per-image table's class columns mean: ids, names and ignore values, checked
against the stats JSON of the same scan when one is given (``--stats FILE``).

The table holds only ids (``c0``, ``c1``, ...); class names and ignore values live in the
stats JSON. A table whose sha256, row count or number of classes disagrees with the stats'
``per_image`` record or ``num_classes`` belongs to another scan (or was edited since) and is
refused rather than silently mixed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from maskstats.errors import UsageProblem
from maskstats.core.files import sha256_bytes
from maskstats.core.jsonio import load_stats_dict
from maskstats.core.extras import PER_IMAGE
from maskstats.table.load import BadTable, Table


@dataclass
class ClassInfo:
    """The classes of a table: their number, names (or None) and ignore values."""

    num_classes: int
    names: list[str] | None = None
    ignore_index: list[int] = field(default_factory=list)
    stats_path: str | None = None
    stats_sha256: str | None = None

    def label(self, c: int) -> str:
        """``3`` or ``3 (car)``: how messages name class ``c``."""
        return f"{c} ({self.names[c]})" if self.names else str(c)

    def resolve(self, spec: str | int) -> int:
        """The class id that ``spec`` (an id, or a name with stats) stands for."""
        text = str(spec).strip()
        k = self.num_classes
        if text.lstrip("-").isdigit():
            c = int(text)
            if not 0 <= c < k:
                raise UsageProblem(f"class {c} is out of range: the table has classes "
                                   f"0..{k - 1}")
            if c in self.ignore_index:
                raise UsageProblem(f"class {c} is an ignore value of the scan (its pixels "
                                   "are counted as ignored, not as a class)")
            return c
        if self.names is None:
            raise UsageProblem(f"class {text!r}: the table has class ids 0..{k - 1}; class "
                               "names need --stats FILE (the stats JSON of the scan, with "
                               "class_names)")
        if text in self.names:
            return self.names.index(text)
        shown = ", ".join(self.names[:30]) + (", ..." if len(self.names) > 30 else "")
        raise UsageProblem(f"unknown class name {text!r}; the names are: {shown}")

    def resolve_all(self, specs: Iterable[str | int]) -> list[int]:
        out: list[int] = []
        for spec in specs:
            c = self.resolve(spec)
            if c not in out:
                out.append(c)
        return out


def class_info(table: Table, stats: str | os.PathLike | None = None) -> ClassInfo:
    """The table's classes; with ``stats``, names and ignore values from that stats JSON,
    after checking that the table is the one the stats record (:class:`BadTable` if not)."""
    if stats is None:
        return ClassInfo(table.num_classes)
    d, raw = load_stats_dict(stats)
    source = os.fspath(stats)
    k = d.get("num_classes", len(d.get("pixel_counts") or []))
    where = f"{table.source}: the table"
    if k != table.num_classes:
        raise BadTable(f"{where} has {table.num_classes} class columns but {source} has "
                       f"num_classes {k}: they are not from the same scan")
    record = d.get(PER_IMAGE)
    if isinstance(record, dict):
        rows, sha = record.get("rows"), record.get("sha256")
        if rows is not None and rows != table.num_images:
            raise BadTable(f"{where} has {table.num_images} rows but {source} records "
                           f"{rows}: they are not from the same scan")
        if sha is not None and table.sha256 is not None and sha != table.sha256:
            raise BadTable(f"{where}'s sha256 differs from the one {source} records (the "
                           "table was changed, or belongs to another scan)")
    names = d.get("class_names")
    if names is not None and (not isinstance(names, list) or len(names) != k):
        raise BadTable(f"{source}: class_names must be a list of {k} names or null")
    ignore = [int(v) for v in d.get("ignore_index") or [] if isinstance(v, int)]
    return ClassInfo(k, [str(n) for n in names] if names is not None else None, ignore,
                     source, sha256_bytes(raw))


def active_classes(table: Table, info: ClassInfo, exclude: Sequence[int] = ()) -> list[int]:
    """Class ids that play a part: present in some row, not an ignore value."""
    present = table.images_per_class() > 0
    skip = set(info.ignore_index) | set(exclude)
    return [c for c in range(table.num_classes) if present[c] and c not in skip]
