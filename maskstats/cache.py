"""Incremental per-file cache: a rescan reads only new or changed masks.

Every counted file leaves one record: its path, a stat key (size, mtime_ns, ctime_ns for a local
file; size, mtime and an ETag hash for a remote one), its per-value counts and its warnings.
Records live in chunked NumPy files under ``DIR/<key>/``, where ``<key>`` hashes the maskstats
version and every option that changes per-value counts (the reader options, remaps, ...).
Ignore values and ``num_classes`` are applied after counting (``Stats.from_counts``), so they
are not part of the key and one cache serves all of them.

Shards are written atomically (temporary file + rename, :func:`maskstats.io.atomic_write_bytes`)
every ``flush_files`` files or ``flush_seconds`` seconds and once more when a scan stops, even on
Ctrl-C, so an interrupted scan resumes from what it stored. The idea is the one behind git's
index and make: trust a file's stat data to tell whether it changed, and recount when it did.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from maskstats import __version__
from maskstats.histogram import Counts
from maskstats.io import atomic_write_bytes
from maskstats.scan import BatchResult, count_batch

CACHE_VERSION = 1
#: count_files keywords that do not change what a file counts, hence not part of the key
_NOT_KEY = {"jobs", "on_error", "progress", "backend", "scheduler", "bound"}
_I64 = np.int64
#: a shard is written after this many newly counted files, or this many seconds
FLUSH_FILES = 1000
FLUSH_SECONDS = 5.0
#: a half-written shard (temporary file) older than this was left by a killed scan
TMP_MAX_AGE = 3600.0


def options_key(options: dict[str, Any]) -> str:
    """Hash of the maskstats version and the count-changing options (16 hex digits)."""
    text = json.dumps({"cache": CACHE_VERSION, "maskstats": __version__,
                       "options": {k: _canon(v) for k, v in sorted(options.items())}})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _canon(value: Any) -> str:
    """A stable text form: mappings in sorted order, everything else by ``repr``."""
    if isinstance(value, dict):
        return repr(sorted(value.items(), key=repr))
    return repr(value)


def stat_key(path: str) -> tuple[int, int, int] | None:
    """What says a file changed: (size, mtime_ns, ctime_ns); None when it cannot be stat'ed.

    ctime also moves when a tool restores an old mtime (``cp -p``, ``rsync -t``).
    """
    if "://" in path:
        from maskstats.remote import remote_stat_key

        return remote_stat_key(path)
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def cache_path(path: str) -> str:
    """The name a file is stored under: its absolute path (URLs as they are)."""
    return path if "://" in path else os.path.abspath(path)


@dataclass
class FileBatch(BatchResult):
    """A batch result that also carries one record per counted file, for the cache."""

    records: list[tuple] = field(default_factory=list)


def count_batch_per_file(paths: Sequence[str], **kwargs: Any) -> FileBatch:
    """Count files one by one with :func:`maskstats.scan.count_batch` (runs in a worker).

    The stat key is taken BEFORE reading, so a file changed while it is read looks changed
    at the next scan. Unreadable (skipped) files are not recorded: they are retried.
    """
    out = FileBatch()
    for path in paths:
        key = stat_key(path)
        one = count_batch([path], **kwargs)
        out.counts.update(one.counts)
        out.skipped.extend(one.skipped)
        out.warnings |= one.warnings
        out.files += one.files
        if key is not None and not one.skipped:
            out.records.append((cache_path(path), key, one.counts.to_dict(),
                                sorted(one.warnings)))
    return out


class _Table:
    """The records of one shard as flat int64 arrays (read from disk or built from records).

    Row i: ``paths[i]``, its stat key ``stat[i]``, and the per-value table in
    ``values/pixels/images/image_pixels[offsets[i]:offsets[i + 1]]``.
    """

    COLUMNS = ("values", "pixels", "images", "image_pixels")

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict):
        n = len(arrays["paths"])
        off = arrays["offsets"]
        if (meta.get("format") != "maskstats-cache" or meta.get("version") != CACHE_VERSION):
            raise ValueError("not a maskstats cache shard of this version")
        if (arrays["stat"].shape != (n, 3) or off.shape != (n + 1,) or off[0] != 0
                or np.any(np.diff(off) < 0) or int(off[-1]) != len(arrays["values"])
                or len(meta["extra"]) != n or len(meta["warnings"]) != n
                or any(len(arrays[k]) != len(arrays["values"]) for k in self.COLUMNS)
                or any(len(arrays[k]) != n for k in ("num_images", "total_pixels"))):
            raise ValueError("inconsistent array lengths")
        self.arrays, self.meta = arrays, meta
        self.paths: list[str] = arrays["paths"].tolist()
        self.keys: list[tuple] = [tuple(k) for k in arrays["stat"].tolist()]

    @classmethod
    def from_records(cls, records: list[tuple]) -> "_Table":
        """Build from ``(path, stat key, Counts.to_dict(), warnings)`` records."""
        n = len(records)
        rows = [r[2] for r in records]
        offsets = np.zeros(n + 1, dtype=_I64)
        np.cumsum([len(c["values"]) for c in rows], out=offsets[1:])
        arrays = {k: np.array([x for c in rows for x in c[k]], dtype=_I64) for k in cls.COLUMNS}
        arrays.update(paths=np.array([r[0] for r in records], dtype=str),
                      stat=np.array([r[1] for r in records], dtype=_I64).reshape(n, 3),
                      num_images=np.array([c["num_images"] for c in rows], dtype=_I64),
                      total_pixels=np.array([c["total_pixels"] for c in rows], dtype=_I64),
                      offsets=offsets)
        meta = {"format": "maskstats-cache", "version": CACHE_VERSION,
                "extra": [c.get("extra") or {} for c in rows],
                "warnings": [list(r[3]) for r in records]}
        return cls(arrays, meta)

    @classmethod
    def load(cls, path: str) -> "_Table":
        """Read and check one shard; any damage raises (the caller drops the file)."""
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in (*cls.COLUMNS, "paths", "stat", "num_images",
                                        "total_pixels", "offsets", "meta")}
        return cls(arrays, json.loads(str(arrays.pop("meta"))))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, meta=np.array(json.dumps(self.meta)), **self.arrays)
        return buf.getvalue()

    def record(self, i: int) -> tuple:
        a, b = int(self.arrays["offsets"][i]), int(self.arrays["offsets"][i + 1])
        counts = {k: self.arrays[k][a:b].tolist() for k in self.COLUMNS}
        counts.update(num_images=int(self.arrays["num_images"][i]),
                      total_pixels=int(self.arrays["total_pixels"][i]),
                      extra=self.meta["extra"][i])
        return (self.paths[i], self.keys[i], counts, self.meta["warnings"][i])


def sum_rows(rows: list[tuple[_Table, int]]) -> Counts:
    """Add the per-value tables of many stored files at once (exact int64 ``np.add.at``)."""
    by_table: dict[int, tuple[_Table, list[int]]] = {}
    for table, i in rows:
        by_table.setdefault(id(table), (table, []))[1].append(i)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in _Table.COLUMNS}
    table_out: dict[str, Any] = {"num_images": 0, "total_pixels": 0, "extra": {}}
    for table, idx in by_table.values():
        idx_arr = np.array(idx, dtype=np.intp)
        off = table.arrays["offsets"]
        starts, lens = off[idx_arr], off[idx_arr + 1] - off[idx_arr]
        # positions of every value row of the chosen files, in one vector
        pos = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
        for k in _Table.COLUMNS:
            parts[k].append(table.arrays[k][pos])
        table_out["num_images"] += int(table.arrays["num_images"][idx_arr].sum())
        table_out["total_pixels"] += int(table.arrays["total_pixels"][idx_arr].sum())
        for i in idx:
            for k, v in table.meta["extra"][i].items():
                table_out["extra"][k] = table_out["extra"].get(k, 0) + int(v)
    if not rows:
        return Counts()
    uniq, inverse = np.unique(np.concatenate(parts["values"]), return_inverse=True)
    table_out["values"] = uniq.tolist()
    for k in _Table.COLUMNS[1:]:
        acc = np.zeros(uniq.size, dtype=_I64)
        np.add.at(acc, inverse, np.concatenate(parts[k]))
        table_out[k] = acc.tolist()
    return Counts.from_dict(table_out)


class FileCache:
    """The records of one options key: load, look up, add, flush, compact."""

    def __init__(self, folder: str, *, flush_files: int | None = None,
                 flush_seconds: float | None = None):
        self.folder = folder
        self.flush_files = FLUSH_FILES if flush_files is None else flush_files
        self.flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
        self.entries: dict[str, tuple[_Table, int]] = {}  # path -> its newest record
        self.shards: list[str] = []
        self.stored = 0          # records in the shards (superseded ones included)
        self.problems: list[str] = []
        self.fresh: set[str] = set()  # paths recorded by this run
        self._pending: list[tuple] = []
        self._last_flush = time.monotonic()
        self._seq = 0
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
                table = _Table.load(full)
            except FileNotFoundError:  # compacted away by a concurrent scan
                continue
            except Exception as exc:  # any damage: drop the file, recount its masks
                self.problems.append(f"cache file {full} is corrupt ({type(exc).__name__}: "
                                     f"{exc}); its masks are counted again and it is rebuilt")
                _unlink(full)
                continue
            self._register(full, table)

    def _register(self, path: str, table: _Table) -> None:
        self.shards.append(path)
        self.stored += len(table.paths)
        self.entries.update(zip(table.paths, ((table, i) for i in range(len(table.paths)))))

    def lookup(self, name: str, key: tuple | None) -> tuple[_Table, int] | None:
        """The stored row of ``name`` (a :func:`cache_path`) if its stat key still matches."""
        entry = self.entries.get(name)
        if entry is None or key is None or entry[0].keys[entry[1]] != tuple(key):
            return None
        return entry

    def add(self, result: FileBatch) -> None:
        """Take the records of a finished batch; write a shard when enough have piled up."""
        self._pending.extend(result.records)
        self.fresh.update(r[0] for r in result.records)
        if (len(self._pending) >= self.flush_files
                or time.monotonic() - self._last_flush >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        """Write the pending records as one new shard (atomically)."""
        if self._pending:
            self._write(_Table.from_records(self._pending))
            self._pending = []
        self._last_flush = time.monotonic()

    def _write(self, table: _Table) -> None:
        os.makedirs(self.folder, exist_ok=True)
        self._seq += 1
        name = f"shard-{time.time_ns():020d}-{os.getpid()}-{self._seq:04d}.npz"
        full = os.path.join(self.folder, name)
        atomic_write_bytes(full, table.to_bytes())
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
            self._write(_Table.from_records(records[i:i + shard_files]))
        for path in old:
            _unlink(path)


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


def count_cached(cache_dir: str | os.PathLike, files: list[str], count_files: Callable,
                 *, progress: Callable[[int, int], None] | None = None,
                 **kwargs: Any) -> BatchResult:
    """``count_files(files, **kwargs)`` through the cache in ``cache_dir``.

    Files whose stat key matches a stored record are not read; the others are counted by
    ``count_files`` (any backend) and stored as their batches finish.
    """
    key_opts = {k: v for k, v in kwargs.items() if k not in _NOT_KEY}
    root = os.path.expanduser(os.fspath(cache_dir))
    cache = FileCache(os.path.join(root, options_key(key_opts)))
    hits: list[tuple[_Table, int]] = []
    misses: list[str] = []
    valid: set[str] = set()  # stored paths known to be up to date
    names = [cache_path(p) for p in files]
    for path, name in zip(files, names):
        entry = cache.lookup(name, stat_key(path))
        if entry is None:
            misses.append(path)
        else:
            hits.append(entry)
            valid.add(name)
    total = BatchResult(counts=sum_rows(hits), files=len(hits))
    total.warnings = set(cache.problems)
    for table, i in hits:
        total.warnings.update(table.meta["warnings"][i])
    if progress is not None:
        progress(len(hits), len(files))
    if misses:
        def inner_progress(done: int, _total: int) -> None:
            if progress is not None:
                progress(len(hits) + done, len(files))

        try:
            fresh = count_files(misses, progress=inner_progress, batch_fn=count_batch_per_file,
                                on_batch=cache.add, **kwargs)
        finally:
            cache.flush()  # also on Ctrl-C or a read error: keep what was counted
        total.counts.update(fresh.counts)
        total.skipped = sorted(fresh.skipped, key=lambda s: s["path"])
        total.warnings |= fresh.warnings
        total.files += fresh.files
    seen = set(names)
    cache.compact(lambda p: p in valid or p in cache.fresh
                  or (p not in seen and ("://" in p or os.path.exists(p))))
    return total
