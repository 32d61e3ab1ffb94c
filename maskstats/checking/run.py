"""``check()``: lint a folder of masks with the walker, options and presets of ``scan``.

Names are checked first (one frame in several encodings), then every file is read once in
parallel (:mod:`maskstats.checking.inspect`), then the folder-wide checks run on what the files
gave (:mod:`maskstats.checking.duplicates`, :mod:`maskstats.checking.pairing`).
"""

from __future__ import annotations

import os
from functools import partial
from typing import Callable, Iterable, Sequence

from maskstats.checking.duplicates import duplicate_findings
from maskstats.checking.findings import Finding, Report
from maskstats.checking.inspect import CheckOptions, inspect_batch, pixel_digest
from maskstats.checking.pairing import size_findings
from maskstats.errors import UsageProblem
from maskstats.readers.options import ReadOptions


def check(paths: str | os.PathLike | Sequence[str | os.PathLike], *,
          images: str | os.PathLike | None = None, include: Sequence[str] = (),
          exclude: Sequence[str] = (), preset: str | None = None,
          num_classes: int | None = None, ignore_index: Iterable[int] = (),
          class_names=None, remap=None, colors=None, layout: str = "auto",
          key: str | None = None, jobs: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> Report:
    """Check every mask under ``paths``; the :class:`Report` lists what was found.

    The options are :func:`maskstats.scan`'s (a preset's files are read by default, and its
    classes and ignore values judge ``out-of-range`` and ``empty``); ``images`` is the folder
    of the images, for ``size-mismatch``.
    """
    from maskstats.pipeline.rules import select_files
    from maskstats.pipeline.scan import make_executor
    from maskstats.presets.selection import mixed_encodings
    from maskstats.presets.presets import resolve
    from maskstats.readers.arrays import check_layout

    paths = [os.fspath(p) for p in ([paths] if isinstance(paths, (str, os.PathLike))
                                     else paths)]
    if images is not None and not os.path.isdir(images):
        raise UsageProblem(f"{images}: --images must be a folder")
    conv = resolve(preset=preset, remap=remap, colors=colors, class_names=class_names,
                   ignore_index=ignore_index, num_classes=num_classes)
    found, _include = select_files(paths, preset, include, exclude, check=False)
    report = Report(len(found.files))
    by_name = dict(zip(found.names, found.files))
    for frame, suffixes in mixed_encodings(found.names):
        report.findings.append(Finding(
            "mixed-encodings", f"frame {frame} is stored in {len(suffixes)} encodings "
            f"({', '.join(suffixes)}); a scan must pick one with --include", None,
            tuple(by_name[frame + s] for s in suffixes)))
    options = CheckOptions(ReadOptions(layout=check_layout(layout), key=key,
                                       colors=conv.color_pairs),
                           conv.remap, conv.num_classes, frozenset(conv.ignore_index))
    facts = []
    executor = make_executor(jobs, len(found.files))
    for _batch, results in executor.map(partial(inspect_batch, options=options), found.files):
        facts.extend(results)
        if progress is not None:
            progress(len(facts), len(found.files))
    for f in facts:
        report.findings.extend(f.findings)
    report.findings.extend(duplicate_findings(facts, partial(pixel_digest, options=options)))
    if images is not None:
        report.findings.extend(size_findings({f.path: f.size for f in facts},
                                             os.fspath(images)))
    return report.sort()
