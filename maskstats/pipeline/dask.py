"""Run a scan's batches on a Dask cluster (the ``dask`` extra: ``pip install 'maskstats[dask]'``).

:class:`DaskExecutor` is an executor (:mod:`maskstats.pipeline.executors`): workers receive batches of
paths (never pixels) and return their per-file records, small per-image histograms; the client
takes them in batch order, so a Dask scan gives exactly the records of a local one, and the
totals, being integer sums, are identical for any cluster size or completion order.

Without a scheduler address a ``LocalCluster`` of ``jobs`` single-threaded worker processes is
started on 127.0.0.1 for the scan and stopped afterwards. On a real cluster, start
``dask scheduler`` on one machine and ``dask worker tcp://HOST:8786`` on the others (each with
maskstats installed and the masks at the same paths, e.g. a shared file system or ``s3://``),
then ``maskstats scan /data/masks --scheduler tcp://HOST:8786``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from maskstats.errors import MaskstatsError, UsageProblem

#: how long to try reaching a scheduler given by address
CONNECT_TIMEOUT = "20s"


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


class DaskExecutor:
    """Runs batches on the Dask cluster at ``scheduler``, or on a LocalCluster of ``jobs``."""

    def __init__(self, jobs: int, scheduler: str | None = None):
        self.jobs, self.scheduler = jobs, scheduler

    def map(self, fn: Callable[[list], Any], items: Sequence) -> Iterator[tuple[list, Any]]:
        """``(batch, fn(batch))`` in batch order; a worker's error is raised at its batch."""
        if not items:
            return
        _import_distributed()
        with dask_client(self.scheduler, self.jobs) as client:
            threads = sum(client.nthreads().values()) or 1
            # about four tasks per worker thread: fewer scheduler round trips than local batches
            size = max(1, min(1024, len(items) // (4 * threads)))
            batches = [list(items[i:i + size]) for i in range(0, len(items), size)]
            futures = client.map(fn, batches, pure=False)
            try:
                for batch, future in zip(batches, futures):
                    yield batch, future.result()
            finally:
                client.cancel(futures)
