"""The scan: walkers, executors (serial, pool, Dask), cache, records and sinks, wired by scan()."""
