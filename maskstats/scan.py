"""Walk paths, count every mask in worker processes, merge, and build :class:`Stats`.

Workers are started once and fed batches of paths; each returns a
:class:`~maskstats.histogram.Counts` (never arrays), and the parent adds them up. Integer
addition does not depend on order, so the result is identical for any number of workers.
"""

from __future__ import annotations

import fnmatch
import os
import warnings
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterable, Mapping, Sequence

from maskstats.errors import MaskstatsError, MaskstatsWarning, UnreadableMask, UsageProblem
from maskstats.histogram import Counts, remap_hist
from maskstats.nifti import volume_unit
from maskstats.readers import ReadOptions, is_mask_file, mask_extensions, read_hists
from maskstats.stats import Stats
from maskstats.workers import worker_pool

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileList:
    """The mask files a scan will read, and how many other files it passed over."""

    files: list[str]
    non_mask_files: int = 0


def _matches(rel: str, name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


def find_files(paths: Sequence[str], include: Sequence[str] = (),
               exclude: Sequence[str] = ()) -> FileList:
    """List mask files under ``paths`` in a deterministic (sorted, depth-first) order.

    Folders are walked recursively; hidden files and folders (name starting with '.', such
    as macOS ``._x.png`` shadows) are passed over. ``include``/``exclude`` globs match a file's
    path relative to its folder argument, or its name. Files named directly are always read
    when they are masks. A file reached twice is read once.
    """
    if not paths:
        raise UsageProblem("no path given")
    files: list[str] = []
    seen: set[str] = set()
    other = 0

    def add(path: str, real_dir: str | None = None) -> None:
        nonlocal other
        if not is_mask_file(path):
            other += 1
            return
        if "://" in path:  # a remote object: its URL names it
            real = path
        elif real_dir is not None and not os.path.islink(path):  # one lstat, not a realpath
            real = os.path.join(real_dir, os.path.basename(path))
        else:
            real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(path)

    for top in paths:
        top = os.fspath(top)
        if "://" in top:  # an fsspec URL such as s3://bucket/masks/ (maskstats/remote.py)
            from maskstats.remote import walk_remote

            for url in walk_remote(top, include, exclude):
                add(url)
            continue
        if not os.path.exists(top):
            raise UsageProblem(f"{top}: no such file or folder")
        if not os.path.isdir(top):
            add(top)
            continue
        for root, dirs, names in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            real_root = os.path.realpath(root)  # os.walk does not enter linked folders
            for name in sorted(names):
                if name.startswith("."):
                    continue
                full = os.path.join(root, name)
                if include or exclude:
                    rel = os.path.relpath(full, top).replace(os.sep, "/")
                    if include and not _matches(rel, name, include):
                        continue
                    if exclude and _matches(rel, name, exclude):
                        continue
                add(full, real_root)
    if not files:
        where = paths[0] if len(paths) == 1 else ", ".join(map(str, paths))
        what = "empty folder" if (len(paths) == 1 and os.path.isdir(where)
                                  and not any(os.scandir(where))) else "no mask files found"
        raise UsageProblem(f"{where}: {what} (looked for {', '.join(mask_extensions())}"
                           f"{'; check --include/--exclude' if include or exclude else ''})")
    return FileList(files, other)


@dataclass
class BatchResult:
    counts: Counts = field(default_factory=Counts)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: set[str] = field(default_factory=set)
    files: int = 0


def count_file(path: str, options: ReadOptions = ReadOptions(),
               remap: Mapping[int, int] | None = None,
               warn: Callable[[str], None] | None = None) -> Counts:
    """Count one mask file (all of its images) into a fresh :class:`Counts`.

    Either the whole file is counted or :class:`UnreadableMask` is raised: a file that fails
    half-way contributes nothing.
    """
    counts = Counts()
    with warnings.catch_warnings(record=True) as caught:  # library warnings (Pillow, ...)
        warnings.simplefilter("always")
        try:
            for h in read_hists(path, options, warn):
                counts.add(remap_hist(h, remap) if remap else h)
        except MaskstatsError:
            raise
        except MemoryError:
            raise UnreadableMask(path, "out of memory while reading") from None
        except RecursionError:
            raise UnreadableMask(path, "structure nested too deeply to read") from None
        except Exception as exc:  # a reader bug or an exotic file must not kill a long scan
            raise UnreadableMask(path, f"unexpected {type(exc).__name__}: {exc}") from None
    for w in caught:  # become maskstats' own one-line warnings
        if warn is not None:
            warn(f"{path}: {w.message}")
    return counts


def count_batch(paths: Sequence[str], options: ReadOptions, remap: Mapping[int, int] | None,
                on_error: str) -> BatchResult:
    """Count a batch of files (runs in a worker process)."""
    result = BatchResult()
    for path in paths:
        try:
            counts = count_file(path, options, remap, result.warnings.add)
            if options.colors:  # which files hold colours not in the table (maskstats.colors)
                from maskstats.colors import note_unknown

                note_unknown(result.warnings, counts, path)
            result.counts.update(counts)
        except UnreadableMask as exc:
            if on_error != "skip":
                raise
            result.skipped.append({"path": exc.path, "reason": exc.problem})
        result.files += 1
    return result


def _batches(files: list[str], jobs: int) -> list[list[str]]:
    """Batches small enough that no worker idles long at the end, big enough to cut IPC."""
    size = max(1, min(24, len(files) // (jobs * 16) or 1))
    return [files[i:i + size] for i in range(0, len(files), size)]


def count_files(files: list[str], *, jobs: int | None = None, on_error: str = "fail",
                options: ReadOptions = ReadOptions(), remap: Mapping[int, int] | None = None,
                progress: Progress | None = None, cache: str | os.PathLike | None = None,
                backend: str = "local", scheduler: str | None = None,
                batch_fn: Callable[..., BatchResult] = count_batch,
                on_batch: Callable[[BatchResult], None] | None = None) -> BatchResult:
    """Count ``files`` with ``jobs`` worker processes (1 = in this process) and merge.

    ``cache``: folder of the incremental cache (maskstats/cache.py); ``backend="dask"`` or a
    ``scheduler`` address runs the batches on Dask (maskstats/dask_backend.py).
    ``batch_fn`` counts one batch in a worker; ``on_batch`` sees each finished batch.
    """
    if on_error not in ("fail", "skip"):
        raise UsageProblem(f"on_error must be 'fail' or 'skip', not {on_error!r}")
    if backend not in ("local", "dask"):
        raise UsageProblem(f"backend must be 'local' or 'dask', not {backend!r}")
    if cache is not None:
        from maskstats.cache import count_cached

        return count_cached(cache, files, count_files, jobs=jobs, on_error=on_error,
                            options=options, remap=remap, progress=progress,
                            backend=backend, scheduler=scheduler)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))
    batches = _batches(files, jobs)
    work = partial(batch_fn, options=options, remap=remap, on_error=on_error)
    if any("://" in f for f in files):  # remote objects, fetched on threads (remote.py)
        from maskstats.remote import with_prefetch

        work = partial(with_prefetch, work)
    total = BatchResult()

    def take(result: BatchResult) -> None:
        total.counts.update(result.counts)
        total.skipped.extend(result.skipped)
        total.warnings |= result.warnings
        total.files += result.files
        if progress is not None:
            progress(total.files, len(files))
        if on_batch is not None:
            on_batch(result)

    if backend == "dask" or scheduler:
        from maskstats.dask_backend import run_dask

        run_dask(work, files, take, jobs=jobs, scheduler=scheduler, stream=on_batch is not None)
    elif jobs == 1:
        for batch in batches:
            take(work(batch))
    else:
        with worker_pool(jobs) as pool:
            for result in pool.imap_unordered(work, batches):
                take(result)
    total.skipped.sort(key=lambda s: s["path"])
    return total


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
    verify_checksums: bool = False,
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
            ``one-hot`` or ``multi-label`` (see :mod:`maskstats.arrays`).
        key: the array to read in .npz/HDF5 files (default: the only one, else one named
            masks, labels, y or y_train).
        preset: dataset convention (``voc``, ``cityscapes``, ``ade20k``, ...; see
            :mod:`maskstats.presets`): classes, ignore values, names, value remap.
        remap: ``{stored: class}`` mapping, or a JSON/CSV file of one, applied per image.
        colors: colour table file (or :class:`~maskstats.colors.ColorTable`) for RGB masks.
        on_unknown_color: ``"error"`` (default) or ``"report"`` colours not in the table.
        panoptic: COCO panoptic JSON; ``paths`` is then the folder of its PNGs, read only
            with ``verify=True`` (see :mod:`maskstats.panoptic`).
        verify_checksums: also check the zlib adler32 of PNGs that Pillow decodes (a second
            inflate; chunk CRCs are always checked, and libspng checks the adler32 of 8-bit
            grey and palette PNGs anyway; see :mod:`maskstats.png`).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    from maskstats.presets import resolve

    conv = resolve(preset=preset, remap=remap, colors=colors, class_names=class_names,
                   ignore_index=ignore_index, num_classes=num_classes)
    ignore_index, num_classes, class_names = conv.ignore_index, conv.num_classes, conv.class_names
    if panoptic is not None or verify:
        from maskstats.panoptic import scan_panoptic

        return scan_panoptic(paths, panoptic, verify=verify, jobs=jobs, ignore_index=ignore_index,
                             num_classes=num_classes, class_names=class_names,
                             progress=progress, other_options=conv.options)
    if num_classes is not None and num_classes < 1:
        raise UsageProblem(f"num_classes must be at least 1, not {num_classes}")
    if class_names is not None and num_classes is not None and len(class_names) != num_classes:
        raise UsageProblem(f"{len(class_names)} class names given for {num_classes} classes")
    from maskstats.arrays import MISSING_CHANNELS, check_layout

    options = ReadOptions(layout=check_layout(layout), key=key, colors=conv.color_pairs,
                          verify_checksums=verify_checksums)
    found = find_files(paths, include, exclude)
    result = count_files(found.files, jobs=jobs, on_error=on_error, progress=progress,
                         options=options, cache=cache, backend=backend, scheduler=scheduler,
                         remap=conv.remap)
    if conv.color_pairs:
        from maskstats.colors import check_unknown, finish_unknown

        unknown = finish_unknown(result.counts, result.warnings)
        check_unknown(unknown, on_unknown_color, conv.color_source)
    for message in sorted(result.warnings):
        if num_classes is not None and message.startswith(MISSING_CHANNELS):
            continue  # a fixed class vector keeps one-hot channels that never occur
        if on_warning is not None:
            on_warning(message)
        else:
            warnings.warn(message, MaskstatsWarning, stacklevel=2)
    stats = Stats.from_counts(
        result.counts, ignore_index=ignore_index, num_classes=num_classes,
        class_names=list(class_names) if class_names is not None else None,
        paths=paths, skipped=result.skipped, non_mask_files=found.non_mask_files,
        options={"num_classes": num_classes, **conv.options}, unit=volume_unit(found.files),
    )
    if conv.color_pairs and unknown:
        stats.extra["unknown_colors"] = unknown
    if stats.class_names is not None and len(stats.class_names) != stats.num_classes:
        raise UsageProblem(f"{len(stats.class_names)} class names given but the masks hold "
                           f"{stats.num_classes} classes; pass --num-classes")
    return stats
