"""Run a scan's batches on a Dask cluster (the ``dask`` extra: ``pip install 'maskstats[dask]'``).

Workers receive batches of paths (never pixels) and return
:class:`~maskstats.scan.BatchResult` accumulators, small per-value tables. The accumulators are
added up on the cluster in a tree reduction (``FAN_IN`` at a time, the pattern of
``dask.bag.Bag.reduction`` and Dask's "tree reduction" best practice), so the client receives
one result. Integer addition is associative and commutative, so the result is identical to a
local scan for any cluster size or completion order.

Without a scheduler address a ``LocalCluster`` of ``jobs`` single-threaded worker processes is
started on 127.0.0.1 for the scan and stopped afterwards. On a real cluster, start
``dask scheduler`` on one machine and ``dask worker tcp://HOST:8786`` on the others (each with
maskstats installed and the masks at the same paths, e.g. a shared file system or ``s3://``),
then ``maskstats scan /data/masks --scheduler tcp://HOST:8786``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

from maskstats.errors import MaskstatsError, UsageProblem
from maskstats.scan import BatchResult

#: how many accumulators one reduction task adds up
FAN_IN = 8
#: how long to try reaching a scheduler given by address
CONNECT_TIMEOUT = "20s"


def merge_results(*results: BatchResult) -> BatchResult:
    """Add batch results (runs on a worker during the tree reduction)."""
    total = BatchResult()
    for r in results:
        total.counts.update(r.counts)
        total.skipped.extend(r.skipped)
        total.warnings |= r.warnings
        total.files += r.files
    return total


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise UsageProblem("the dask backend needs the 'dask' extra: "
                           "pip install 'maskstats[dask]'") from None
    return distributed


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator:
    """A Client of the cluster at ``scheduler``, or of a LocalCluster on 127.0.0.1."""
    distributed = _import_distributed()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise MaskstatsError(f"{scheduler}: cannot connect to the Dask scheduler "
                                 f"({exc})") from None
        with client:
            yield client
        return
    with local_cluster_config(), distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def local_cluster_config():
    """Dask settings for the workers maskstats starts.

    Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` in its workers (to hand memory back
    to the OS sooner); decoding a PNG then costs ~20% more time here, as glibc trims after
    every image. maskstats workers hold no large data, so the setting is dropped. For
    workers you start yourself, export ``MALLOC_TRIM_THRESHOLD_=134217728`` before
    ``dask worker`` for the same effect.
    """
    import dask

    return dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})


def tree_reduce(client, futures: list, fan_in: int = FAN_IN):
    """Merge futures of BatchResults on the cluster, ``fan_in`` at a time, into one future."""
    while len(futures) > 1:
        futures = [client.submit(merge_results, *futures[i:i + fan_in], pure=False)
                   for i in range(0, len(futures), fan_in)]
    return futures[0]


def run_dask(work: Callable[[Sequence[str]], BatchResult], files: list[str],
             take: Callable[[BatchResult], None], *, jobs: int, scheduler: str | None,
             stream: bool = False) -> None:
    """Count ``files`` in batches with ``work`` on Dask and hand the results to ``take``.

    ``stream=False`` (the usual case): results are tree-reduced on the cluster; ``take`` gets
    an empty result per finished batch (for progress) and then the merged one (files=0).
    ``stream=True`` (the cache needs each batch's per-file records): ``take`` gets every batch
    result as it finishes.
    """
    if not files:
        return
    distributed = _import_distributed()
    with dask_client(scheduler, jobs) as client:
        threads = sum(client.nthreads().values()) or 1
        # about four tasks per worker thread: fewer scheduler round trips than local batches
        size = max(1, min(1024, len(files) // (4 * threads)))
        batches = [files[i:i + size] for i in range(0, len(files), size)]
        futures = client.map(work, batches, pure=False)
        if stream:
            for _future, result in distributed.as_completed(futures, with_results=True):
                take(result)
            return
        merged = tree_reduce(client, list(futures))
        batch_files = {f.key: len(b) for f, b in zip(futures, batches)}
        for future in distributed.as_completed(futures):
            if future.status == "error":
                break  # merged.result() raises the worker's error
            take(BatchResult(files=batch_files[future.key]))
        result = merged.result()
        result.files = 0
        take(result)
