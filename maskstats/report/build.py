"""Build the report page from stats, a per-image table and compared stats."""

from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

from maskstats.errors import UsageProblem
from maskstats.report.data import ReportData, load_compared, prepare
from maskstats.report.entries import per_image_entry
from maskstats.report.page import page
from maskstats.core.stats import Stats

SECTIONS = ("summary", "classes", "weights", "per-image", "objects", "compare")


def available_sections(data: ReportData) -> list[str]:
    """The sections the inputs allow, in page order."""
    has = {"summary": True, "classes": True, "weights": True,
           "per-image": data.table is not None,
           "objects": data.object_counts is not None or data.object_quantiles is not None,
           "compare": bool(data.compared)}
    return [s for s in SECTIONS if has[s]]


def _check_sections(data: ReportData, sections: Sequence[str] | None) -> list[str]:
    allowed = available_sections(data)
    if sections is None:
        return allowed
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise UsageProblem(f"unknown report section(s) {', '.join(unknown)}; choose from "
                           f"{', '.join(SECTIONS)}")
    why = {"per-image": "a per-image table (scan with --per-image FILE, then pass "
                        "--per-image FILE to the report)",
           "objects": "object statistics (scan with --objects)",
           "compare": "other stats files to compare with (--compare OTHER.json)"}
    for s in sections:
        if s not in allowed:
            hint = ""
            recorded = per_image_entry(data.stats, data.source or "the stats").get("path")
            if s == "per-image" and recorded:
                hint = f"; the stats record the table {recorded}"
            raise UsageProblem(f"the {s} section needs {why[s]}{hint}")
    return [s for s in SECTIONS if s in sections]


def build_report(stats: Stats | Mapping[str, Any] | str | os.PathLike, table=None,
                 compare: Sequence[Any] = (), *, sections: Sequence[str] | None = None,
                 title: str | None = None, source: str | None = None,
                 sha256: str | None = None) -> str:
    """The report as one HTML document (a str).

    Args:
        stats: a :class:`Stats`, a parsed stats dict, or the path of a stats JSON file.
        table: the per-image table (:class:`maskstats.table.load.Table` or its path), or None.
        compare: other stats to compare with: paths, :class:`Stats`, or (label, Stats).
        sections: the sections to show (default: every one the inputs allow); asking for
            one the inputs cannot fill is a :class:`UsageProblem`.
        title, source, sha256: shown in the page header (default: from the stats path).
    """
    if isinstance(stats, (str, os.PathLike)):
        from maskstats.weights.compute import read_stats

        source = source or os.fspath(stats)
        stats, sha = read_stats(stats)
        sha256 = sha256 or sha
    elif isinstance(stats, Mapping):
        stats = Stats.from_dict(stats, source or "stats")
    if isinstance(table, (str, os.PathLike)):
        from maskstats.table.load import load_table

        table = load_table(table)
    others: list[tuple[str, Stats]] = []
    for i, item in enumerate(compare):
        if isinstance(item, Stats):
            others.append((f"other {i + 1}", item))
        elif isinstance(item, tuple):
            others.append((str(item[0]), item[1]))
        else:
            others.extend(load_compared([item]))
    data = prepare(stats, table, others, title=title, source=source, sha256=sha256)
    chosen = _check_sections(data, sections)
    main_label = os.path.basename(source) if source else "main"
    return page(data, chosen, main_label)


def write_report(path: str | os.PathLike, html: str) -> None:
    """Write the HTML atomically; a folder as the output path is a usage error."""
    from maskstats.core.files import atomic_write_bytes

    if os.path.isdir(path):
        raise UsageProblem(f"{os.fspath(path)}: is a folder; give a file name such as "
                           "report.html")
    atomic_write_bytes(path, html.encode("utf-8"))
