"""Dask backend overhead: a local scan with -j2 vs the same scan on a Dask LocalCluster.

All figures are in-process `maskstats.scan` calls on the same masks, measured in this run:
  local -j2:             two worker processes (the baseline)
  dask, running cluster: `scheduler=` a LocalCluster of 2 single-threaded worker processes
                         started beforehand (as with `--scheduler` on a real cluster), with
                         the worker settings maskstats uses (dask_backend.local_cluster_config)
  dask, with start-up:   `backend="dask"`, which starts and stops its own LocalCluster
Goal (issue #6): running-cluster overhead < 15% for 2k masks.

    python benchmarks/dask_overhead.py [--n 2000] [--size 512] [--repeats 3]
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402
from _masks import write_dataset  # noqa: E402


def best(repeats: int, fn) -> tuple[float, dict]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn().to_dict()
        times.append(time.perf_counter() - t0)
    return min(times), result


def main() -> None:
    args = parser(__doc__, n=2000, size=512, repeats=3, dir=DEFAULT_DIR).parse_args()

    import distributed

    import maskstats

    folder = args.dir / f"dask-{args.n}-{args.size}"
    write_dataset(folder, args.n, 0, args.size)
    print(f"{args.n} masks {args.size}x{args.size} 8-bit PNG, 2 workers, {os.cpu_count()} cores, "
          f"best of {args.repeats}")
    local_t, local = best(args.repeats, lambda: maskstats.scan(folder, jobs=2))
    from maskstats.pipeline.dask import local_cluster_config

    with local_cluster_config(), distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=":0", silence_logs=logging.ERROR) as cluster:
        address = cluster.scheduler_address
        maskstats.scan(folder, scheduler=address)  # workers import maskstats once
        running_t, running = best(args.repeats,
                                  lambda: maskstats.scan(folder, scheduler=address))
    startup_t, startup = best(args.repeats, lambda: maskstats.scan(folder, jobs=2,
                                                                   backend="dask"))
    assert local == running == startup, "dask result differs from the local scan"
    print(f"{'':26} {'seconds':>8} {'files/s':>8}")
    for name, t in (("local -j2", local_t), ("dask, running cluster", running_t),
                    ("dask, with start-up", startup_t)):
        print(f"{name:26} {t:8.2f} {args.n / t:8.0f}")
    print(f"\nrunning cluster vs local: {100 * (running_t / local_t - 1):+.1f}% (goal < +15%)")
    print(f"with cluster start-up:    {100 * (startup_t / local_t - 1):+.1f}%")
    print("results identical: yes")


if __name__ == "__main__":
    main()
