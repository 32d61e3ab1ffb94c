"""Find the file behind a scan-wide finding (read serially, on error paths only)."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from maskstats.errors import MaskstatsError
from maskstats.pipeline.records import read_file
from maskstats.readers.options import ReadOptions


def first_file_with(files: Iterable[str], values: set[int], options: ReadOptions = ReadOptions(),
                    remap: Mapping[int, int] | None = None) -> tuple[str, int] | None:
    """``(path, value)`` of the first of ``files`` whose (remapped) masks hold one of
    ``values``; None when none does (or the file holding it cannot be read any more)."""
    options = replace(options, objects=False)
    for path in files:
        try:
            hists, _notices, _objects = read_file(path, options, remap)
        except MaskstatsError:
            continue
        for h in hists:
            hit = sorted(values.intersection(h.values.tolist()))
            if hit:
                return path, hit[0]
    return None
