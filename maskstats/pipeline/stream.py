"""Records of many files as one stream: the executor, the (cached) reads, and the feed to sinks.

Executors (:mod:`maskstats.pipeline.executors`, :mod:`maskstats.pipeline.dask`) run
:func:`~maskstats.pipeline.records.read_batch` over batches of paths and yield per-file records
in walk order; the cache serves unchanged files from its shards and sends the others to the
executor. :func:`feed` hands every batch to the sinks.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from maskstats.core.limits import ClassBound
from maskstats.core.notices import Notice
from maskstats.errors import UsageProblem
from maskstats.pipeline.executors import Executor, PoolExecutor, SerialExecutor, worker_count
from maskstats.pipeline.records import FileRecord, read_batch
from maskstats.pipeline.sinks import Totals
from maskstats.readers.options import ReadOptions

Progress = Callable[[int, int], None]

__all__ = ["Progress", "count_files", "feed", "make_executor", "record_stream"]


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
    read = partial(read_batch, options=options, remap=remap, on_error=on_error,
                   keys=cache is not None, bound=bound)
    if cache is None:  # a huge raster is shared between workers (maskstats.pipeline.parts)
        from maskstats.pipeline.parts import expand_parts, join_parts

        local = backend == "local" and not scheduler
        items = expand_parts(files, worker_count(jobs, 1 << 30) if local else 1)
        executor = make_executor(jobs, len(items), backend, scheduler)
        yield from join_parts((records for _batch, records in executor.map(read, items)),
                              items, on_error)
        return
    executor = make_executor(jobs, len(files), backend, scheduler)
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
