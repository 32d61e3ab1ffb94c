"""``scan()``: wire a walker, an executor (optionally cached) and the sinks, and build Stats.

The pipeline::

    walk.find_files -> executor.map(records.read_batch)   -> sinks.Totals       -> Stats
    (paths)            [cache.CachedReader wraps it]        sinks.UnknownColors
                       (per-file records, in walk order)

Executors (:mod:`maskstats.pipeline.executors`, :mod:`maskstats.pipeline.dask`) run
:func:`~maskstats.pipeline.records.read_batch` over batches of paths and yield per-file records in walk
order; the cache serves unchanged files from its shards and sends the others to the executor.
Sinks add the records up. Integer addition does not depend on order or grouping, so the
result is identical for any number of workers, with or without the cache or Dask.
This is the only module that knows every layer.
"""

from __future__ import annotations

import os
import warnings
from functools import partial
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

from maskstats.errors import MaskstatsWarning, UsageProblem
from maskstats.pipeline.executors import Executor, PoolExecutor, SerialExecutor, worker_count
from maskstats.core.limits import ClassBound, check_num_classes
from maskstats.readers.nifti import volume_unit
from maskstats.core.notices import MISSING_CHANNELS, Notice
from maskstats.readers.options import ReadOptions
from maskstats.pipeline.records import FileRecord, read_batch
from maskstats.pipeline.sinks import ObjectTotals, Totals, UnknownColors
from maskstats.core.stats import Stats
from maskstats.pipeline.walk import FileList, find_files

if TYPE_CHECKING:
    from maskstats.pipeline.per_image import PerImageTable

Progress = Callable[[int, int], None]

__all__ = ["FileList", "Progress", "count_files", "find_files", "make_executor", "scan"]


def make_executor(jobs: int | None, items: int, backend: str = "local",
                  scheduler: str | None = None) -> Executor:
    """The executor for ``jobs`` workers over ``items`` items: serial, process pool or Dask."""
    if backend not in ("local", "dask"):
        raise UsageProblem(f"backend must be 'local' or 'dask', not {backend!r}")
    n = worker_count(jobs, items)
    if backend == "dask" or scheduler:
        from maskstats.pipeline.dask import DaskExecutor

        return DaskExecutor(n, scheduler)
    return SerialExecutor() if n == 1 else PoolExecutor(n)


def record_stream(files: list[str], *, jobs: int | None = None, on_error: str = "fail",
                  options: ReadOptions = ReadOptions(), remap: Mapping[int, int] | None = None,
                  cache: str | os.PathLike | None = None, backend: str = "local",
                  scheduler: str | None = None, notices: list[Notice] | None = None,
                  bound: ClassBound | None = None) -> Iterator[list[FileRecord]]:
    """The records of ``files`` in walk order, batch by batch (read, or from the cache).

    Cache problems (a damaged shard) are appended to ``notices``. ``bound``: the class-id
    limit of a scan without ``num_classes`` (not part of the cache key: it refuses, it does
    not change counts; cached files are checked when the stats are built).
    """
    if on_error not in ("fail", "skip"):
        raise UsageProblem(f"on_error must be 'fail' or 'skip', not {on_error!r}")
    executor = make_executor(jobs, len(files), backend, scheduler)
    read = partial(read_batch, options=options, remap=remap, on_error=on_error,
                   keys=cache is not None, bound=bound)
    if cache is None:
        for _batch, records in executor.map(read, files):
            yield records
        return
    from maskstats.pipeline.cache import CachedReader

    cached = CachedReader(cache, {"options": options, "remap": remap}, executor, read)
    try:
        yield from cached.records(files)
    finally:
        if notices is not None:
            notices.extend(cached.notices)


def feed(stream: Iterable[list[FileRecord]], sinks: Sequence, total: int,
         progress: Progress | None = None) -> None:
    """Hand every batch of records to every sink, reporting progress as files are done."""
    done = 0
    for records in stream:
        for sink in sinks:
            sink.add(records)
        done += len(records)
        if progress is not None:
            progress(done, total)


def count_files(files: list[str], *, progress: Progress | None = None, **options) -> Totals:
    """Count ``files`` into :class:`~maskstats.pipeline.sinks.Totals` (the options of :func:`record_stream`)."""
    totals = Totals()
    problems: list[Notice] = []
    feed(record_stream(files, notices=problems, **options), [totals], len(files), progress)
    totals.notices.update(problems)
    return totals.finish()


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
        allow_unexpected: under a preset, accept more than 1% of the pixels outside its
            classes (by default an error, see :mod:`maskstats.presets.fit`).

    A preset's folder scans read its files only (``include`` overrides them); a selection
    holding one frame in several encodings, or photographs among masks, is refused
    (:mod:`maskstats.presets.selection`).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    from maskstats.presets.presets import resolve

    conv = resolve(preset=preset, remap=remap, colors=colors, class_names=class_names,
                   ignore_index=ignore_index, num_classes=num_classes)
    ignore_index, num_classes, class_names = conv.ignore_index, conv.num_classes, conv.class_names
    check_num_classes(num_classes)
    check_outputs(per_image, objects, connectivity, panoptic is not None or verify)
    totals = Totals()
    if panoptic is not None or verify:
        from maskstats.pipeline.panoptic import PanopticSource

        source = PanopticSource(paths, panoptic, verify=verify, num_classes=num_classes,
                                class_names=class_names, other_options=conv.options)
        table = open_table(per_image, void_is_ignored=True)
        try:
            feed(source.records(make_executor(jobs, len(source))), with_table([totals], table),
                 len(source), progress)
            return finish_table(source.stats(totals.counts, ignore_index), table)
        finally:
            if table is not None:
                table.close()
    if class_names is not None and num_classes is not None and len(class_names) != num_classes:
        raise UsageProblem(f"{len(class_names)} class names given for {num_classes} classes")
    from maskstats.readers.arrays import check_layout

    options = ReadOptions(layout=check_layout(layout), key=key, colors=conv.color_pairs,
                          objects=objects, connectivity=connectivity,
                          verify_checksums=verify_checksums)
    from maskstats.presets.selection import check_selection, default_include, explain_empty

    chosen = default_include(preset, include)
    try:
        found = find_files(paths, chosen, exclude, on_error=on_error,
                           avoid=[cache] if cache is not None and "://" not in str(cache) else [])
    except UsageProblem as exc:
        raise explain_empty(exc, preset, include) from None
    check_selection(found.files, found.names, preset, include)
    include = chosen
    colours = UnknownColors() if conv.color_pairs else None
    components = ObjectTotals() if objects else None
    table = open_table(per_image, dict(zip(found.files, found.names)),
                       colors=colours is not None, objects=objects)
    sinks = with_table([s for s in (totals, colours, components) if s is not None], table)
    try:
        problems: list[Notice] = []
        stream = record_stream(found.files, jobs=jobs, on_error=on_error, options=options,
                               remap=conv.remap, cache=cache, backend=backend,
                               scheduler=scheduler, notices=problems,
                               bound=None if num_classes is not None else
                               ClassBound(ignore=frozenset(ignore_index)))
        feed(stream, sinks, len(found.files), progress)
        totals.notices.update(problems)
        totals.finish()
        unknown = None
        if colours is not None:
            from maskstats.readers.colors import check_unknown, finish_unknown

            unknown = finish_unknown(totals.counts, colours.files)
            check_unknown(unknown, on_unknown_color, conv.color_source)
        shown = sorted({n.text for n in totals.notices
                        if not (num_classes is not None and n.kind == MISSING_CHANNELS)})
        for message in shown:  # a fixed class vector keeps one-hot channels that never occur
            if on_warning is not None:
                on_warning(message)
            else:
                warnings.warn(message, MaskstatsWarning, stacklevel=2)
        stats = Stats.from_counts(
            totals.counts, ignore_index=ignore_index, num_classes=num_classes,
            class_names=list(class_names) if class_names is not None else None,
            paths=paths, non_mask_files=found.non_mask_files,
            skipped=sorted(totals.skipped + found.skipped, key=lambda s: s["path"]),
            options={"num_classes": num_classes, **conv.options,
                     **({"layout": layout} if layout == "multi-label" else {})},
            unit=volume_unit(found.files),
        )
        if unknown:
            stats.extra["unknown_colors"] = unknown
        if include or exclude:  # shards of one folder (--include 'a*' / 'b*') may be merged
            stats.extra["selection"] = {"include": list(include), "exclude": list(exclude)}
        if layout == "multi-label":  # a pixel may count for several classes (pos-weight's N)
            stats.extra["multi_label"] = {"samples": stats.total_pixels}
        if components is not None:
            stats.extra.update(components.stats(stats.num_classes, stats.ignore_index,
                                                connectivity))
        if stats.class_names is not None and len(stats.class_names) != stats.num_classes:
            raise UsageProblem(f"{len(stats.class_names)} class names given but the masks "
                               f"hold {stats.num_classes} classes; pass --num-classes")
        check_preset_fit(stats, preset, allow_unexpected, found.files, options, conv.remap)
        return finish_table(stats, table)
    finally:
        if table is not None:  # a failed scan drops the spool: nothing is written
            table.close()


def check_preset_fit(stats: Stats, preset: str | None, allow_unexpected: bool,
                     files: list[str], options: ReadOptions, remap) -> None:
    """Refuse a scan its preset does not fit (see :mod:`maskstats.presets.fit`)."""
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
        if panoptic:
            raise UsageProblem("--objects cannot be combined with --panoptic: the classes "
                               "come from the JSON, not from decoded pixels")
        cc3d_module()


def open_table(path: str | os.PathLike | None, names: Mapping[str, str] | None = None,
               **options) -> "PerImageTable | None":
    """The per-image table sink writing to ``path``, or None without one."""
    if path is None:
        return None
    from maskstats.pipeline.per_image import PerImageTable

    return PerImageTable(path, names, **options)


def with_table(sinks: list, table: "PerImageTable | None") -> list:
    return sinks + ([table] if table is not None else [])


def finish_table(stats: Stats, table: "PerImageTable | None") -> Stats:
    """Write the per-image table (when there is one) and record it in the stats."""
    if table is not None:
        stats.extra["per_image"] = table.finish(stats.num_classes, stats.ignore_index)
    return stats
