"""The preset's rules around a scan of mask files: which files it reads (before), whether
it fits the masks (after). See :mod:`maskstats.presets.selection` and
:mod:`maskstats.presets.fit`."""

from __future__ import annotations

from typing import Mapping, Sequence

from maskstats.core.stats import Stats
from maskstats.errors import UsageProblem
from maskstats.pipeline.walk import FileList, find_files
from maskstats.readers.options import ReadOptions


def select_files(paths: Sequence[str], preset: str | None, include: Sequence[str],
                 exclude: Sequence[str], *, on_error: str = "fail",
                 avoid: Sequence[str] = (), check: bool = True
                 ) -> tuple[FileList, tuple[str, ...]]:
    """The files to read and the include used (the preset's files unless ``include`` is
    given); with ``check``, one frame in several encodings or photos among masks are
    refused (``maskstats check`` reports them instead)."""
    from maskstats.presets.selection import check_selection, default_include, explain_empty

    chosen = default_include(preset, include)
    try:
        found = find_files(paths, chosen, exclude, on_error=on_error, avoid=avoid)
    except UsageProblem as exc:
        raise explain_empty(exc, preset, include) from None
    if check:
        check_selection(found.files, found.names, preset, include)
    return found, chosen


def check_preset_fit(stats: Stats, preset: str | None, allow_unexpected: bool,
                     files: Sequence[str], options: ReadOptions,
                     remap: Mapping[int, int] | None) -> None:
    """Refuse a scan its preset does not fit; a file holding a bad value is looked up only
    on the error path of ``binary``."""
    from maskstats.pipeline.lookup import first_file_with
    from maskstats.presets.fit import check_fit

    check_fit(stats, preset, allow_unexpected,
              lambda values: first_file_with(files, values, options, remap))
