"""``scan()``: count the masks under some paths, in four steps, and build Stats.

1. plan (:func:`~maskstats.pipeline.plan.plan_scan`): resolve the preset, remap, colour table and class names, and
   refuse bad options before any mask is read;
2. source: walk the paths (:func:`~maskstats.pipeline.walk.find_files`) and read the files
   into per-file records (:func:`~maskstats.pipeline.stream.record_stream`: an executor,
   optionally behind the cache), or the segments of a COCO panoptic JSON;
3. sinks (:func:`open_sinks`): add the records up (totals, unknown colours, components,
   the per-image table);
4. finish (:func:`finish_scan`): warnings, :func:`~maskstats.pipeline.finish.finish_stats`
   (shared with ``count_arrays``), the per-image table written.

Integer addition does not depend on order or grouping, so the result is identical for any
number of workers, with or without the cache or Dask. This is the only module that knows
every layer.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from typing import Callable, Iterable, Mapping, Sequence

from maskstats.core.limits import ClassBound
from maskstats.core.notices import MISSING_CHANNELS, Notice
from maskstats.core.stats import Stats
from maskstats.errors import MaskstatsWarning, UsageProblem
from maskstats.pipeline.crop_totals import CropTotals
from maskstats.pipeline.finish import finish_stats
from maskstats.pipeline.instances import objects_rule
from maskstats.pipeline.plan import ScanPlan, ScanRequest, plan_scan
from maskstats.pipeline.rules import check_preset_fit, select_files
from maskstats.pipeline.sinks import (FileSinks, ObjectTotals, Totals, UnknownColors,
                                      finish_table, open_table, with_table)
from maskstats.pipeline.stream import (Progress, count_files, feed, make_executor,
                                       record_stream)
from maskstats.pipeline.walk import FileList, find_files
from maskstats.pipeline.window_table import window_entries
from maskstats.readers.nifti import volume_unit
from maskstats.readers.options import ReadOptions
from maskstats.core.extras import SELECTION, UNKNOWN_COLORS

__all__ = ["FileList", "Progress", "count_files", "find_files", "make_executor", "scan"]


def scan(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    ignore_index: Iterable[int] = (),
    num_classes: int | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    jobs: int | None = None,
    on_error: str = "fail",
    class_names: Sequence[str] | None = None,
    progress: Progress | None = None,
    on_warning: Callable[[str], None] | None = None,
    cache: str | os.PathLike | None = None,
    backend: str = "local",
    scheduler: str | None = None,
    layout: str = "auto",
    key: str | None = None,
    preset: str | None = None,
    remap: Mapping[int, int] | str | os.PathLike | None = None,
    colors: str | os.PathLike | None = None,
    on_unknown_color: str = "error",
    panoptic: str | os.PathLike | None = None,
    verify: bool = False,
    per_image: str | os.PathLike | None = None,
    objects: bool = False,
    connectivity: int | None = None,
    verify_checksums: bool = False,
    window: "str | int | tuple[int, int] | None" = None,
    stride: "str | int | tuple[int, int] | None" = None,
    allow_gaps: bool = False,
    crop: "str | int | tuple[int, int] | None" = None,
    max_pixels: int | None = None,
    coco: str | os.PathLike | None = None, yolo: str | os.PathLike | None = None,
    split: str | None = None,
    allow_unexpected: bool = False,
) -> Stats:
    """Count pixels per class in every mask under ``paths`` and return :class:`Stats`.

    Args:
        paths: folders (walked recursively, sorted) and/or mask files.
        ignore_index: values counted as ignored (``ignored_pixels``), not as classes.
        num_classes: fixes the class vector length K; values >= K go to ``unexpected``.
        include, exclude: globs picking files inside folders.
        jobs: worker processes (default: all cores); the result is the same for any value.
        on_error: ``"fail"`` raises :class:`UnreadableMask` at the first bad file;
            ``"skip"`` lists bad files under ``Stats.skipped`` and goes on.
        class_names: optional names, one per class, or a file of them (one per line, a JSON
            list, or nnU-Net ``dataset.json``); they fix ``num_classes`` unless it is given.
        progress: called as ``progress(files_done, files_total)``.
        on_warning: called once per distinct warning; default: :func:`warnings.warn`.
        cache: folder of the incremental per-file cache; a rescan reads only new or
            changed files (e.g. ``~/.cache/maskstats``). Default: no cache.
        backend: ``"local"`` (worker processes) or ``"dask"`` (a Dask LocalCluster of
            ``jobs`` workers, or the cluster at ``scheduler``).
        scheduler: address of a running Dask scheduler, e.g. ``tcp://host:8786``.
        layout: how to read arrays (.npy/.npz/.h5): ``auto``, ``mask``, ``stack``,
            ``one-hot`` or ``multi-label`` (see :mod:`maskstats.readers.arrays`).
        key: the array to read in .npz/HDF5 files (default: the only one, else one named
            masks, labels, y or y_train).
        preset: dataset convention (``voc``, ``cityscapes``, ``ade20k``, ...; see
            :mod:`maskstats.presets.presets`): classes, ignore values, names, value remap.
        remap: ``{stored: class}`` mapping, or a JSON/CSV file of one, applied per image.
        colors: colour table file (or :class:`~maskstats.readers.colors.ColorTable`) for RGB masks.
        on_unknown_color: ``"error"`` (default) or ``"report"`` colours not in the table.
        panoptic: COCO panoptic JSON; ``paths`` is then the folder of its PNGs, read only
            with ``verify=True`` (see :mod:`maskstats.pipeline.panoptic`).
        per_image: write the per-image table (one row per image or frame, exact per-class
            pixels) to this ``.csv`` or ``.parquet`` file (see :mod:`maskstats.pipeline.per_image`);
            the stats then record it under ``per_image`` (path, sha256, rows).
        objects: also count connected components per class (the ``objects`` extra, see
            :mod:`maskstats.pipeline.objects`): stats ``object_counts`` and
            ``object_pixels_quantiles``, and ``o<k>`` columns in the per-image table.
        connectivity: of the components: 4 or 8 in 2-D, 6, 18 or 26 in 3-D (default 8 / 26).
        verify_checksums: also check the zlib adler32 of every PNG's image data (a second
            inflate; chunk CRCs are always checked; see :mod:`maskstats.readers.png`).
        window, stride, allow_gaps, crop: one ``per_image`` row per window of this size
            (``"512"``, ``"512x1024"``, ``(H, W)``) at this stride, and the exact statistics
            of one random crop per image (see :mod:`maskstats.pipeline.window_table`).
        max_pixels: the decompression-bomb limit of images decoded whole (178,956,970).
        coco, yolo, split: a COCO/LVIS JSON or an Ultralytics ``data.yaml`` (and a split),
            scanned instead of ``paths`` (see :mod:`maskstats.pipeline.annotations`).
        allow_unexpected: under a preset, accept more than 1% of the pixels outside its
            classes (:mod:`maskstats.presets.fit`; a preset's files: ``.selection``).
    """
    request = ScanRequest(**locals())  # first statement: locals() are the arguments
    if coco is not None or yolo is not None or split is not None:
        if window is not None or crop is not None:
            raise UsageProblem("--window and --crop read mask files; they do not combine "
                               "with --coco or --yolo (yet)")
        from maskstats.pipeline.annotations import scan_annotations

        return scan_annotations(request)
    plan = plan_scan(request)
    if request.panoptic is not None or request.verify:
        return scan_panoptic(request, plan)
    return scan_files(request, plan)


# ------------------------------------------------------------------- COCO panoptic
def scan_panoptic(request: ScanRequest, plan: ScanPlan) -> Stats:
    """The panoptic pipeline: segments from the JSON (pixels decoded only to verify)."""
    from maskstats.pipeline.panoptic import PanopticSource

    conv = plan.conv
    source = PanopticSource(plan.paths, request.panoptic, verify=request.verify,
                            num_classes=conv.num_classes, class_names=conv.class_names,
                            other_options=conv.options, objects=request.objects)
    totals, segments = Totals(), ObjectTotals() if request.objects else None
    table = open_table(request.per_image, void_is_ignored=True, objects=request.objects)
    try:
        feed(source.records(make_executor(request.jobs, len(source))),
             with_table([s for s in (totals, segments) if s], table), len(source),
             request.progress)
        stats = source.stats(totals.counts, conv.ignore_index)
        if segments is not None:  # one object per segment
            stats.extra.update(segments.stats(stats.num_classes, stats.ignore_index, "segments"))
        return finish_table(stats, table)
    finally:
        if table is not None:
            table.close()


# ---------------------------------------------------------------------- mask files
def scan_files(request: ScanRequest, plan: ScanPlan) -> Stats:
    """The mask-file pipeline: plan -> source (walk, read) -> sinks -> finish."""
    conv = plan.conv
    if conv.class_names is not None and conv.num_classes is not None and \
            len(conv.class_names) != conv.num_classes:
        raise UsageProblem(f"{len(conv.class_names)} class names given for "
                           f"{conv.num_classes} classes")
    options = read_options(request, plan)
    found, chosen = select_files(plan.paths, request.preset, request.include, request.exclude,
                                 on_error=request.on_error,
                                 avoid=[request.cache] if request.cache is not None
                                 and "://" not in str(request.cache) else [])
    request = replace(request, include=chosen)  # the selection recorded in the stats
    sinks = open_sinks(request, plan, found)
    try:
        problems: list[Notice] = []
        stream = record_stream(
            found.files, jobs=request.jobs, on_error=request.on_error, options=options,
            remap=conv.remap, cache=request.cache, backend=request.backend,
            scheduler=request.scheduler, notices=problems,
            bound=None if conv.num_classes is not None else
            ClassBound(ignore=frozenset(conv.ignore_index)))
        feed(stream, sinks.all(), len(found.files), request.progress)
        sinks.totals.notices.update(problems)
        return finish_scan(request, plan, found, sinks)
    finally:
        sinks.close()


def read_options(request: ScanRequest, plan: ScanPlan) -> ReadOptions:
    """The reader settings of the scan (they travel to the worker processes)."""
    from maskstats.readers.arrays import check_layout

    return ReadOptions(layout=check_layout(request.layout), key=request.key,
                       colors=plan.conv.color_pairs, objects=request.objects,
                       connectivity=request.connectivity,
                       verify_checksums=request.verify_checksums, window=plan.grid,
                       crop=plan.crop, max_pixels=request.max_pixels)


def open_sinks(request: ScanRequest, plan: ScanPlan, found: FileList) -> FileSinks:
    """Totals always; unknown colours with a colour table; components with ``objects``;
    the per-image table with ``per_image``."""
    colours = UnknownColors() if plan.conv.color_pairs else None
    table = open_table(request.per_image, dict(zip(found.files, found.names)),
                       colors=colours is not None, objects=request.objects,
                       windows=plan.grid is not None)
    crops = CropTotals(plan.crop) if plan.crop is not None else None
    return FileSinks(Totals(), colours, ObjectTotals() if request.objects else None, table,
                     crops)


def finish_scan(request: ScanRequest, plan: ScanPlan, found: FileList,
                sinks: FileSinks) -> Stats:
    """Check unknown colours, show the warnings, build the Stats and write the table."""
    conv, totals = plan.conv, sinks.totals
    totals.finish()
    extra: dict = {}
    if sinks.colours is not None:
        from maskstats.readers.colors import check_unknown, finish_unknown

        unknown = finish_unknown(totals.counts, sinks.colours.files)
        check_unknown(unknown, request.on_unknown_color, conv.color_source)
        if unknown:
            extra[UNKNOWN_COLORS] = unknown
    show_notices(totals.notices, conv.num_classes, request.on_warning)
    if request.include or request.exclude:  # shards of one folder (--include 'a*' / 'b*')
        extra[SELECTION] = {"include": list(request.include),  # may be merged
                              "exclude": list(request.exclude)}
    stats = finish_stats(
        totals.counts, ignore_index=conv.ignore_index, num_classes=conv.num_classes,
        class_names=conv.class_names, layout=request.layout, options=conv.options,
        extra=extra, paths=plan.paths, non_mask_files=found.non_mask_files,
        skipped=sorted(totals.skipped + found.skipped, key=lambda s: s["path"]),
        unit=volume_unit(found.files))
    if sinks.components is not None:
        stats.extra.update(sinks.components.stats(stats.num_classes, stats.ignore_index,
                                                  objects_rule(conv.remap, request.connectivity)))
    window_entries(stats, plan.grid, sinks)
    check_preset_fit(stats, request.preset, request.allow_unexpected, found.files,
                     read_options(request, plan), plan.conv.remap)
    return finish_table(stats, sinks.table)


def show_notices(notices: Iterable[Notice], num_classes: int | None,
                 on_warning: Callable[[str], None] | None) -> None:
    """Each distinct warning once, sorted, to ``on_warning`` or :func:`warnings.warn`."""
    shown = sorted({n.text for n in notices
                    if not (num_classes is not None and n.kind == MISSING_CHANNELS)})
    for message in shown:  # a fixed class vector keeps one-hot channels that never occur
        if on_warning is not None:
            on_warning(message)
        else:  # scan -> scan_files -> finish_scan -> here: point at scan's caller
            warnings.warn(message, MaskstatsWarning, stacklevel=5)
