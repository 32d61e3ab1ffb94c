"""Executors: run a function over batches of items and yield its results in order.

An executor knows nothing of masks or records: ``executor.map(fn, items)`` splits ``items``
into batches, calls ``fn(batch)`` (here, in worker processes, or on a Dask cluster), and
yields ``(batch, fn(batch))`` in the order of the batches. Keeping the order makes every
consumer deterministic (the per-image table is written in walk order whatever ``-j``), and
the process pool keeps at most ``WINDOW_PER_JOB`` batches per worker in flight, so results
that finish early wait in a bounded buffer.

Workers are started once per scan and fed batches of paths (never pixels): process start-up
costs ~0.2-0.3 s, so one process per file would dominate.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any, Callable, Iterator, Protocol, Sequence, TypeVar


T = TypeVar("T")
R = TypeVar("R")

#: batches in flight per worker process (submitted, not yet handed on)
WINDOW_PER_JOB = 4
#: largest batch of a local run; small batches let every worker finish together
MAX_BATCH = 24


class Executor(Protocol):
    """Anything that maps a function over batches of items, in order."""

    def map(self, fn: Callable[[list[T]], R], items: Sequence[T]
            ) -> Iterator[tuple[list[T], R]]: ...


def batches(items: Sequence[T], jobs: int) -> list[list[T]]:
    """Batches small enough that no worker idles long at the end, big enough to cut IPC."""
    size = max(1, min(MAX_BATCH, len(items) // (jobs * 16) or 1))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def worker_count(jobs: int | None, items: int) -> int:
    """``jobs`` (default: all cores), at least 1 and at most one per item."""
    return max(1, min(jobs or os.cpu_count() or 1, items or 1))


class SerialExecutor:
    """Runs every batch in this process (``-j 1``)."""

    def map(self, fn: Callable[[list[T]], R], items: Sequence[T]
            ) -> Iterator[tuple[list[T], R]]:
        for batch in batches(items, 1):
            yield batch, fn(batch)


class PoolExecutor:
    """Runs batches on ``jobs`` worker processes, started once, results in batch order.

    The workers come from :func:`maskstats.pipeline.workers.worker_pool` (quiet on Ctrl-C).
    """

    def __init__(self, jobs: int):
        self.jobs = jobs

    def map(self, fn: Callable[[list[T]], R], items: Sequence[T]
            ) -> Iterator[tuple[list[T], R]]:
        from maskstats.pipeline.workers import worker_pool  # multiprocessing: only for -j 2 and more

        todo = iter(batches(items, self.jobs))
        window = WINDOW_PER_JOB * self.jobs
        with worker_pool(self.jobs) as pool:
            pending: deque[tuple[list[T], Any]] = deque()
            try:
                for batch in todo:
                    pending.append((batch, pool.apply_async(fn, (batch,))))
                    if len(pending) >= window:
                        break
                while pending:
                    batch, result = pending.popleft()
                    value = result.get()  # a worker's exception is raised here
                    nxt = next(todo, None)
                    if nxt is not None:
                        pending.append((nxt, pool.apply_async(fn, (nxt,))))
                    yield batch, value
            except (Exception, GeneratorExit):
                # let the few batches in flight finish before the pool is torn down: a worker
                # killed while it writes its result leaves the result queue locked, and
                # Pool.terminate() then waits forever for its task thread
                pool.close()
                pool.join()
                raise
