"""Worker processes that stay quiet when the command is stopped.

Every process pool of maskstats comes from :func:`worker_pool`. Its workers

* ignore SIGINT: Ctrl-C reaches the whole process group, and only the parent decides (it
  stops the pool and prints one line);
* take SIGTERM with the default action (die at once, silently), so ``Pool.terminate``
  leaves no traceback;
* on Linux, get SIGTERM when the parent dies (even by SIGKILL), instead of finishing their
  batch and printing a ``BrokenPipeError`` traceback when they send it to nobody.

The pool is started with SIGINT, SIGTERM and SIGHUP blocked: a worker inherits the blocked
mask, so a Ctrl-C that lands while it starts (before :func:`init_worker` has set its
handlers) waits, and is then ignored, instead of printing a ``Process ForkPoolWorker-1:``
traceback. The parent receives it as soon as the pool exists (and stops the pool).
"""

from __future__ import annotations

import multiprocessing
import os
import signal


def pool_context():
    """Fork where the platform has it (fast start, no re-import), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


_STOP_SIGNALS = {s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None))
                 if s is not None}


def worker_pool(jobs: int):
    """A ``multiprocessing.Pool`` of ``jobs`` quiet workers (use it as a context manager)."""
    parent = os.getpid()
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX
        return pool_context().Pool(jobs, initializer=init_worker, initargs=(parent,))
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        pool = pool_context().Pool(jobs, initializer=init_worker, initargs=(parent,))
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
        raise
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # a held-back Ctrl-C fires here
    except BaseException:
        pool.terminate()
        raise
    return pool


def init_worker(parent: int | None = None) -> None:
    """Signal set-up of one worker process (see the module docstring)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # blocked by worker_pool while we started
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    _die_with_parent()
    if parent is not None and os.getppid() != parent:  # the parent died before prctl
        os._exit(0)


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError, TypeError):
        pass  # not Linux: workers notice the closed pipe instead
