"""Incremental per-file cache: a rescan reads only new or changed masks.

Every counted file leaves one record (:class:`~maskstats.pipeline.records.FileRecord`): its path, a stat
key (size, mtime_ns, ctime_ns for a local file; size, mtime and an ETag hash for a remote one),
one histogram per image and its warnings (stored as :mod:`maskstats.pipeline.shards`).
Records live in chunked NumPy files under ``DIR/<key>/``, where ``<key>`` hashes the maskstats
version and every option that changes per-value counts (the reader options, remaps, ...).
The cache wraps any executor (:class:`CachedReader`): hits come from the shards, misses go to
the executor, and their records are stored as their batches finish.
Ignore values and ``num_classes`` are applied after counting (``Stats.from_counts``), so they
are not part of the key and one cache serves all of them.

Shards are written atomically (temporary file + rename, :func:`maskstats.core.files.atomic_write_bytes`)
every ``flush_files`` files or ``flush_seconds`` seconds and once more when a scan stops, even on
Ctrl-C, so an interrupted scan resumes from what it stored. The idea is the one behind git's
index and make: trust a file's stat data to tell whether it changed, and recount when it did.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import deque
from typing import Any, Callable, Iterator, Mapping, Sequence

from maskstats.version import __version__
from maskstats.errors import MaskstatsError
from maskstats.pipeline.executors import Executor
from maskstats.core.files import CACHEDIR_COMMENT, CACHEDIR_SIGNATURE, CACHEDIR_TAG, atomic_write_bytes
from maskstats.core.notices import CACHE, Notice
from maskstats.pipeline.records import FileRecord, stat_key
from maskstats.pipeline.shards import SHARD_VERSION, Shard

#: a shard is written after this many newly counted files, or this many seconds
FLUSH_FILES = 1000
FLUSH_SECONDS = 5.0
#: a half-written shard (temporary file) older than this was left by a killed scan
TMP_MAX_AGE = 3600.0
#: records handed on at a time when they come from the shards
HIT_CHUNK = 512


def options_key(options: Mapping[str, Any]) -> str:
    """Hash of the maskstats version and the count-changing options (16 hex digits)."""
    text = json.dumps({"cache": SHARD_VERSION, "maskstats": __version__,
                       "options": {k: canonical(v) for k, v in sorted(options.items())}})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def canonical(value: Any) -> str:
    """A stable text form: mappings in sorted order, everything else by ``repr``."""
    if isinstance(value, dict):
        return repr(sorted(value.items(), key=repr))
    return repr(value)


def cache_path(path: str) -> str:
    """The name a file is stored under: its absolute path (URLs as they are)."""
    return path if "://" in path else os.path.abspath(path)


class FileCache:
    """The records of one options key: load, look up, add, flush, compact."""

    def __init__(self, folder: str, *, flush_files: int | None = None,
                 flush_seconds: float | None = None):
        self.folder = folder
        self.flush_files = FLUSH_FILES if flush_files is None else flush_files
        self.flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
        self.entries: dict[str, tuple[Shard, int]] = {}  # path -> its newest record
        self.shards: list[str] = []
        self.stored = 0          # records in the shards (superseded ones included)
        self.problems: list[str] = []
        self.fresh: set[str] = set()  # paths recorded by this run
        self._pending: list[tuple[str, FileRecord]] = []
        self._last_flush = time.monotonic()
        self._seq = 0
        self.stopped = False  # a write failed (disk full, read-only): store nothing more
        self._load()

    def _load(self) -> None:
        if not os.path.isdir(self.folder):
            return
        for name in sorted(os.listdir(self.folder)):  # oldest first: newer records win
            full = os.path.join(self.folder, name)
            if name.startswith(".shard-") and name.endswith(".tmp"):
                _unlink_if_older(full, TMP_MAX_AGE)  # left by a write that was killed
            if not (name.startswith("shard-") and name.endswith(".npz")):
                continue
            try:
                table = Shard.load(full)
            except FileNotFoundError:  # compacted away by a concurrent scan
                continue
            except Exception as exc:  # any damage: drop the file, recount its masks
                self.problems.append(f"cache file {full} is corrupt ({type(exc).__name__}: "
                                     f"{exc}); its masks are counted again and it is rebuilt")
                _unlink(full)
                continue
            self._register(full, table)

    def _register(self, path: str, table: Shard) -> None:
        self.shards.append(path)
        self.stored += len(table.paths)
        self.entries.update(zip(table.paths, ((table, i) for i in range(len(table.paths)))))

    def lookup(self, name: str, key: tuple | None) -> tuple[Shard, int] | None:
        """The stored row of ``name`` (a :func:`cache_path`) if its stat key still matches."""
        entry = self.entries.get(name)
        if entry is None or key is None or entry[0].keys[entry[1]] != tuple(key):
            return None
        return entry

    def add(self, records: Sequence[FileRecord]) -> None:
        """Take the records of a finished batch; write a shard when enough have piled up.

        Unreadable (skipped) files and files that could not be stat'ed are not stored: the
        next scan tries them again.
        """
        for r in records:
            if r.key is not None and r.skipped is None:
                name = cache_path(r.path)
                self._pending.append((name, r))
                self.fresh.add(name)
        if (len(self._pending) >= self.flush_files
                or time.monotonic() - self._last_flush >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        """Write the pending records as one new shard (atomically)."""
        if self._pending:
            self._write(Shard.from_records([r for _, r in self._pending],
                                           [n for n, _ in self._pending]))
            self._pending = []
        self._last_flush = time.monotonic()

    def _write(self, table: Shard) -> None:
        """Store one shard; when that fails (disk full, read-only), caching stops with a
        notice and the scan goes on: the counts never depend on the cache."""
        if self.stopped:
            return
        self._seq += 1
        name = f"shard-{time.time_ns():020d}-{os.getpid()}-{self._seq:04d}.npz"
        full = os.path.join(self.folder, name)
        try:
            os.makedirs(self.folder, exist_ok=True)
            tag_cache_folder(self.folder)
            atomic_write_bytes(full, table.to_bytes())
        except (OSError, MaskstatsError) as exc:
            self.stopped = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.problems.append(f"caching stopped, the cache in {self.folder} cannot be "
                                 f"written ({reason}); the scan goes on without it")
            return
        self._register(full, table)

    def compact(self, keep: Callable[[str], bool], shard_files: int = 8192,
                stale_fraction: float = 0.25, max_shards: int = 32) -> None:
        """Rewrite the shards without superseded records and without paths ``keep`` rejects.

        Runs when over ``stale_fraction`` of the stored records are stale or there are more
        than ``max_shards`` shards; new shards are written before the old ones are removed, so
        a kill at any point loses nothing.
        """
        self.flush()
        live = sorted(p for p in self.entries if keep(p))
        stale = self.stored - len(live)
        if stale <= stale_fraction * self.stored and len(self.shards) <= max_shards:
            return
        records = [table.record(i) for table, i in (self.entries[p] for p in live)]
        old = self.shards
        self.shards, self.entries, self.stored = [], {}, 0
        for i in range(0, len(records), shard_files):
            part = records[i:i + shard_files]
            self._write(Shard.from_records(part, [r.path for r in part]))
        if self.stopped:  # the new shards are not all written: keep the old ones
            return
        for path in old:
            _unlink(path)


def tag_cache_folder(folder: str) -> None:
    """Mark the shard ``folder`` as a cache (``CACHEDIR.TAG``), so that a scan of a tree
    holding it, with or without ``--cache``, never reads its shards as masks."""
    tag = os.path.join(folder, CACHEDIR_TAG)
    if not os.path.exists(tag):
        atomic_write_bytes(tag, CACHEDIR_SIGNATURE + b"\n" + CACHEDIR_COMMENT
                           + b"; see https://bford.info/cachedir/\n")


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _unlink_if_older(path: str, seconds: float) -> None:
    try:
        if time.time() - os.stat(path).st_mtime > seconds:
            os.unlink(path)
    except OSError:
        pass


class CachedReader:
    """Records of files through the cache in ``folder``, the misses read by an executor.

    ``read`` turns a batch of paths into records with stat keys (it runs on the executor);
    ``key_options`` are the options that change what a file counts (they pick the
    sub-folder). :meth:`records` yields the records of ``files`` in their order.
    """

    def __init__(self, folder: str | os.PathLike, key_options: Mapping[str, Any],
                 executor: Executor, read: Callable[[list[str]], list[FileRecord]]):
        root = os.path.expanduser(os.fspath(folder))
        self.folder = os.path.join(root, options_key(key_options))
        self.executor, self.read = executor, read
        self._cache: FileCache | None = None

    @property
    def notices(self) -> list[Notice]:
        """Cache problems met so far (damaged shards, caching stopped)."""
        return [Notice(p, CACHE) for p in self._cache.problems] if self._cache else []

    def records(self, files: Sequence[str]) -> Iterator[list[FileRecord]]:
        if os.path.lexists(self.folder) and not os.path.isdir(self.folder):
            raise MaskstatsError(f"{self.folder}: the cache folder for these options is not a "
                                 "folder; remove it, or pass another --cache")
        cache = self._cache = FileCache(self.folder)
        names = [cache_path(p) for p in files]
        entries = [cache.lookup(name, stat_key(path)) for path, name in zip(files, names)]
        misses = [p for p, e in zip(files, entries) if e is None]
        valid = {n for n, e in zip(names, entries) if e is not None}
        fresh = self.executor.map(self.read, misses) if misses else iter(())
        waiting: deque[FileRecord] = deque()
        out: list[FileRecord] = []
        try:
            for path, entry in zip(files, entries):
                if entry is not None:
                    out.append(entry[0].record(entry[1], path))
                else:
                    if not waiting:
                        if out:  # hand on what is ready before waiting for workers
                            yield out
                            out = []
                        _batch, records = next(fresh)
                        cache.add(records)
                        waiting.extend(records)
                    out.append(waiting.popleft())
                if len(out) >= HIT_CHUNK:
                    yield out
                    out = []
            if out:
                yield out
        finally:
            close = getattr(fresh, "close", None)
            if close is not None:
                close()
            cache.flush()  # also on Ctrl-C or a read error: keep what was counted
        seen = set(names)
        cache.compact(lambda p: p in valid or p in cache.fresh
                      or (p not in seen and ("://" in p or os.path.exists(p))))
