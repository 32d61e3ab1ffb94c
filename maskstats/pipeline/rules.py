"""The rules around a scan: options refused before anything is read (:func:`check_outputs`),
the files a preset reads (:func:`select_files`, :mod:`maskstats.presets.selection`) and,
after the count, whether the preset fits the masks (:func:`check_preset_fit`,
:mod:`maskstats.presets.fit`)."""

from __future__ import annotations

import os
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


def check_outputs(per_image: str | os.PathLike | None, objects: bool,
                  connectivity: int | None, panoptic: bool) -> None:
    """Refuse impossible combinations and missing extras before any mask is read."""
    if per_image is not None:
        from maskstats.pipeline.per_image import table_format

        table_format(per_image)
    if connectivity is not None and not objects:
        raise UsageProblem("--connectivity applies to --objects; pass --objects as well")
    if objects:
        from maskstats.pipeline.objects import cc3d_module, check_connectivity

        check_connectivity(connectivity)
        if panoptic:  # one object per segment of the JSON: nothing is labelled
            if connectivity is not None:
                raise UsageProblem("--connectivity does not apply to --panoptic: an object "
                                   "is a segment of the JSON")
            return
        cc3d_module()
