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
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from maskstats import __version__
from maskstats.histogram import Counts
from maskstats.io import atomic_write_bytes
from maskstats.scan import BatchResult, count_batch

CACHE_VERSION = 1
#: count_files keywords that do not change what a file counts, hence not part of the key
_NOT_KEY = {"jobs", "on_error", "progress", "backend", "scheduler"}
_I64 = np.int64
#: a shard is written after this many newly counted files, or this many seconds
FLUSH_FILES = 1000
FLUSH_SECONDS = 5.0


def default_cache_dir() -> str:
    """``$XDG_CACHE_HOME/maskstats`` (``~/.cache/maskstats``): a sensible ``--cache`` folder."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "maskstats")


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


@dataclass
class _Entry:
    key: tuple[int, int, int]
    counts: dict
    warnings: list[str]


class FileCache:
    """The records of one options key: load, look up, add, flush, compact."""

    def __init__(self, folder: str, *, flush_files: int | None = None,
                 flush_seconds: float | None = None):
        self.folder = folder
        self.flush_files = FLUSH_FILES if flush_files is None else flush_files
        self.flush_seconds = FLUSH_SECONDS if flush_seconds is None else flush_seconds
        self.entries: dict[str, _Entry] = {}
        self.shards: list[str] = []
        self.stored = 0          # records in the loaded shards (superseded ones included)
        self.problems: list[str] = []
        self.fresh: set[str] = set()  # paths recorded by this run
        self._pending: list[tuple] = []
        self._last_flush = time.monotonic()
        self._seq = 0
        self._load()

    # -- reading ---------------------------------------------------------------------------
    def _load(self) -> None:
        if not os.path.isdir(self.folder):
            return
        for name in sorted(os.listdir(self.folder)):
            if not (name.startswith("shard-") and name.endswith(".npz")):
                continue
            full = os.path.join(self.folder, name)
            try:
                records = _read_shard(full)
            except Exception as exc:  # any damage: drop the file, recount its masks
                self.problems.append(f"cache file {full} is corrupt ({type(exc).__name__}: "
                                     f"{exc}); its masks are counted again and it is rebuilt")
                _unlink(full)
                continue
            self.shards.append(full)
            self.stored += len(records)
            for path, key, counts, warns in records:  # later shards supersede earlier ones
                self.entries[path] = _Entry(key, counts, warns)

    def lookup(self, path: str, key: tuple | None) -> _Entry | None:
        """The stored record of ``path`` when its stat key still matches, else None."""
        entry = self.entries.get(cache_path(path))
        return entry if entry is not None and key is not None and entry.key == key else None

    # -- writing ---------------------------------------------------------------------------
    def add(self, result: FileBatch) -> None:
        """Take the records of a finished batch; write a shard when enough have piled up."""
        for path, key, counts, warns in result.records:
            self.entries[path] = _Entry(tuple(key), counts, list(warns))
            self.fresh.add(path)
        self._pending.extend(result.records)
        if (len(self._pending) >= self.flush_files
                or time.monotonic() - self._last_flush >= self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        """Write the pending records as one new shard (atomically)."""
        if self._pending:
            self.shards.append(self._write(self._pending))
            self.stored += len(self._pending)
            self._pending = []
        self._last_flush = time.monotonic()

    def _write(self, records: list[tuple]) -> str:
        os.makedirs(self.folder, exist_ok=True)
        self._seq += 1
        name = f"shard-{time.time_ns():020d}-{os.getpid()}-{self._seq:04d}.npz"
        full = os.path.join(self.folder, name)
        atomic_write_bytes(full, _shard_bytes(records))
        return full

    def compact(self, keep: Callable[[str], bool], shard_files: int = 8192,
                stale_fraction: float = 0.25, max_shards: int = 32) -> None:
        """Rewrite the shards without superseded records and without paths ``keep`` rejects.

        Runs when over ``stale_fraction`` of the stored records are stale or there are more
        than ``max_shards`` shards; new shards are written before the old ones are removed, so
        a kill at any point loses nothing.
        """
        self.flush()
        live = {p: e for p, e in self.entries.items() if keep(p)}
        stale = self.stored - len(live)
        if stale <= stale_fraction * self.stored and len(self.shards) <= max_shards:
            return
        old = list(self.shards)
        records = [(p, e.key, e.counts, e.warnings) for p, e in sorted(live.items())]
        self.shards = [self._write(records[i:i + shard_files])
                       for i in range(0, len(records), shard_files)]
        for path in old:
            _unlink(path)
        self.entries, self.stored = live, len(live)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# -- shard format: one .npz of flat int64 arrays plus a JSON string ---------------------------
def _shard_bytes(records: list[tuple]) -> bytes:
    """Serialise records: per file a stat key and a slice of the value/count rows."""
    n = len(records)
    stat = np.array([r[1] for r in records], dtype=_I64).reshape(n, 3)
    rows = [r[2] for r in records]
    lengths = [len(c["values"]) for c in rows]
    offsets = np.zeros(n + 1, dtype=_I64)
    np.cumsum(lengths, out=offsets[1:])

    def flat(key: str) -> np.ndarray:
        return np.array([x for c in rows for x in c[key]], dtype=_I64)

    meta = {"format": "maskstats-cache", "version": CACHE_VERSION,
            "extra": [c.get("extra") or {} for c in rows], "warnings": [r[3] for r in records]}
    buf = io.BytesIO()
    np.savez(buf, paths=np.array([r[0] for r in records], dtype=str), stat=stat,
             num_images=np.array([c["num_images"] for c in rows], dtype=_I64),
             total_pixels=np.array([c["total_pixels"] for c in rows], dtype=_I64),
             offsets=offsets, values=flat("values"), pixels=flat("pixels"),
             images=flat("images"), image_pixels=flat("image_pixels"),
             meta=np.array(json.dumps(meta)))
    return buf.getvalue()


def _read_shard(path: str) -> list[tuple]:
    """Parse and check one shard; any inconsistency raises (the caller drops the file)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in ("paths", "stat", "num_images", "total_pixels", "offsets",
                                    "values", "pixels", "images", "image_pixels", "meta")}
    meta = json.loads(str(arrays["meta"]))
    if meta.get("format") != "maskstats-cache" or meta.get("version") != CACHE_VERSION:
        raise ValueError("not a maskstats cache shard of this version")
    n = len(arrays["paths"])
    off = arrays["offsets"]
    if (arrays["stat"].shape != (n, 3) or off.shape != (n + 1,) or off[0] != 0
            or np.any(np.diff(off) < 0) or int(off[-1]) != len(arrays["values"])
            or len(meta["extra"]) != n or len(meta["warnings"]) != n
            or any(len(arrays[k]) != len(arrays["values"])
                   for k in ("pixels", "images", "image_pixels"))):
        raise ValueError("inconsistent array lengths")
    cols = {k: arrays[k].tolist() for k in ("values", "pixels", "images", "image_pixels")}
    stat, offs = arrays["stat"].tolist(), off.tolist()
    records = []
    for i, path in enumerate(arrays["paths"].tolist()):
        a, b = offs[i], offs[i + 1]
        counts = {k: v[a:b] for k, v in cols.items()}
        counts.update(num_images=int(arrays["num_images"][i]),
                      total_pixels=int(arrays["total_pixels"][i]), extra=meta["extra"][i])
        records.append((path, tuple(stat[i]), counts, list(meta["warnings"][i])))
    return records


def _sum_counts(dicts: list[dict]) -> Counts:
    """Add many per-file count tables at once (exact int64 ``np.add.at``)."""
    if not dicts:
        return Counts()
    values = np.array([v for d in dicts for v in d["values"]], dtype=_I64)
    uniq, inverse = np.unique(values, return_inverse=True)
    table: dict[str, Any] = {"values": uniq.tolist()}
    for key in ("pixels", "images", "image_pixels"):
        acc = np.zeros(uniq.size, dtype=_I64)
        np.add.at(acc, inverse, np.array([x for d in dicts for x in d[key]], dtype=_I64))
        table[key] = acc.tolist()
    extra: dict[str, int] = {}
    for d in dicts:
        for k, v in (d.get("extra") or {}).items():
            extra[k] = extra.get(k, 0) + int(v)
    table.update(num_images=sum(d["num_images"] for d in dicts),
                 total_pixels=sum(d["total_pixels"] for d in dicts), extra=extra)
    return Counts.from_dict(table)


def count_cached(cache_dir: str | os.PathLike, files: list[str], count_files: Callable,
                 *, progress: Callable[[int, int], None] | None = None,
                 **kwargs: Any) -> BatchResult:
    """``count_files(files, **kwargs)`` through the cache in ``cache_dir``.

    Files whose stat key matches a stored record are not read; the others are counted by
    ``count_files`` (any backend) and stored as their batches finish.
    """
    key_opts = {k: v for k, v in kwargs.items() if k not in _NOT_KEY}
    cache = FileCache(os.path.join(os.fspath(cache_dir), options_key(key_opts)))
    hits: list[_Entry] = []
    misses: list[str] = []
    valid: set[str] = set()  # stored paths known to be up to date
    for path in files:
        entry = cache.lookup(path, stat_key(path))
        if entry is None:
            misses.append(path)
        else:
            hits.append(entry)
            valid.add(cache_path(path))
    total = BatchResult(counts=_sum_counts([e.counts for e in hits]), files=len(hits))
    total.warnings = set(cache.problems)
    for entry in hits:
        total.warnings.update(entry.warnings)
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
    seen = {cache_path(p) for p in files}
    cache.compact(lambda p: p in valid or p in cache.fresh
                  or (p not in seen and ("://" in p or os.path.exists(p))))
    return total
