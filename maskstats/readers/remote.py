"""Masks in object storage through fsspec (the ``remote`` extra, ``maskstats[remote]``).

``maskstats scan s3://bucket/masks/`` (or any fsspec URL: ``gs://``, ``az://``, ``memory://``
...) lists the objects under the prefix with fsspec, keeps those with a mask extension
(:func:`maskstats.readers.formats.is_mask_file`), and counts them like local files. Bytes are streamed
into memory and handed to the decoder as a file object (Pillow's ``Image.open`` and
``np.load`` both read file objects), never written to a temporary file. Each worker fetches
the objects of its batch on ``FETCH_THREADS`` threads while it decodes, so network latency
overlaps with counting.

Credentials and endpoints come from the usual places of each filesystem (for S3: the AWS
environment variables or ``~/.aws``, e.g. ``AWS_ENDPOINT_URL`` for MinIO), or from fsspec's
configuration (``FSSPEC_S3_ENDPOINT_URL=...``, see the fsspec "Configuration" docs).
"""

from __future__ import annotations

import hashlib
import io
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Callable, Iterator, Sequence

from maskstats.errors import MaskstatsError, UnreadableMask, UsageProblem
from maskstats.core.globs import matches
from maskstats.core.histogram import ImageHist
from maskstats.readers.formats import ReadOptions, Warn, hists_of_array, reader_for

#: parallel object fetches per worker
FETCH_THREADS = 8

_INFO: dict[str, dict] = {}          # url -> object details from the listing
_FETCHES: dict[str, Future] = {}     # url -> bytes being fetched for the current batch
_LOCK = threading.Lock()


def _fsspec():
    try:
        import fsspec
    except ImportError:
        raise UsageProblem("remote paths need the 'remote' extra: "
                           "pip install 'maskstats[remote]'") from None
    return fsspec


def url_to_fs(url: str):
    """(filesystem, path inside it) for an fsspec URL; unknown protocols are usage errors."""
    fsspec = _fsspec()
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise UsageProblem(f"{url}: cannot open this URL with fsspec ({exc})") from None


def _walk_key(rel: str) -> list[tuple[int, str]]:
    """Sort key giving os.walk's order: a folder's files before its sub-folders."""
    parts = rel.split("/")
    return [(1, p) for p in parts[:-1]] + [(0, parts[-1])]


def walk_remote(url: str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
    """Every object under ``url`` (an object or a prefix), as URLs, in a deterministic order.

    Names starting with '.' are passed over and ``include``/``exclude`` globs match the path
    relative to ``url`` or the name, as for local folders. Non-mask files are returned too
    (the caller counts them as skipped).
    """
    fs, root = url_to_fs(url)
    fs.invalidate_cache()  # a long-lived process must see new objects
    try:
        if fs.isfile(root):
            _INFO[url] = fs.info(root)
            return [url]
        found = fs.find(root, detail=True)
    except (OSError, PermissionError) as exc:
        raise MaskstatsError(f"{url}: cannot list ({exc})") from None
    if not found:
        raise UsageProblem(f"{url}: no such file or folder (no objects under this prefix)")
    base = root.rstrip("/")
    urls = []
    for path in sorted(found, key=lambda p: _walk_key(p[len(base):].lstrip("/"))):
        rel = path[len(base):].lstrip("/")
        name = rel.rsplit("/", 1)[-1]
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        if include and not matches(rel, name, include):
            continue
        if exclude and matches(rel, name, exclude):
            continue
        full = fs.unstrip_protocol(path)
        _INFO[full] = found[path]
        urls.append(full)
    return urls


def remote_stat_key(url: str) -> tuple[int, int, int] | None:
    """(size, mtime in ns, hash of the ETag) of an object, for the cache; None if unknown."""
    info = _INFO.get(url)
    if info is None:
        try:
            fs, path = url_to_fs(url)
            info = fs.info(path)
        except Exception:
            return None
    mtime = info.get("LastModified") or info.get("mtime") or info.get("last_modified") or 0
    if isinstance(mtime, datetime):
        mtime_ns = int(mtime.timestamp() * 1_000_000) * 1000
    else:
        mtime_ns = int(float(mtime) * 1e9)
    tag = str(info.get("ETag") or info.get("etag") or info.get("md5") or "")
    return (int(info.get("size") or 0), mtime_ns,
            int(hashlib.sha256(tag.encode()).hexdigest()[:15], 16))


def fetch(url: str) -> bytes:
    """The whole object as bytes, or :class:`UnreadableMask` naming the URL."""
    try:
        fs, path = url_to_fs(url)
        return fs.cat_file(path)
    except FileNotFoundError:
        raise UnreadableMask(url, "no such object (deleted since the listing?)") from None
    except MaskstatsError:
        raise
    except Exception as exc:
        raise UnreadableMask(url, f"cannot fetch ({type(exc).__name__}: {exc})") from None


@contextmanager
def prefetch(paths: Sequence[str]) -> Iterator[None]:
    """Fetch the remote objects among ``paths`` on threads while the caller counts them."""
    urls = [p for p in paths if "://" in p and p not in _FETCHES]
    if not urls:
        yield
        return
    with ThreadPoolExecutor(min(FETCH_THREADS, len(urls))) as pool:
        with _LOCK:
            for url in urls:
                _FETCHES[url] = pool.submit(fetch, url)
        try:
            yield
        finally:
            with _LOCK:
                for url in urls:
                    future = _FETCHES.pop(url, None)
                    if future is not None:
                        future.cancel()


def with_prefetch(work: Callable[[Sequence[str]], Any], paths: Sequence[str]) -> Any:
    """``work(paths)`` while the batch's remote objects are fetched (picklable for workers)."""
    with prefetch(paths):
        return work(paths)


class _NamedBytes(io.BytesIO):
    """An in-memory object whose str() is its URL, so reader errors name the object."""

    def __init__(self, data: bytes, url: str):
        super().__init__(data)
        self.url = url

    def __str__(self) -> str:
        return self.url


def object_bytes(url: str) -> bytes:
    """The bytes of the object at ``url``: from the batch's prefetch, else fetched now."""
    future = _FETCHES.get(url)
    data = future.result() if future is not None else fetch(url)
    if not data:
        raise UnreadableMask(url, "empty file (0 bytes)")
    return data


def read_remote(url: str, options: ReadOptions, warn: Warn) -> Iterator[ImageHist]:
    """Histograms of the mask at ``url``: fetched into memory, decoded from a file object."""
    data = object_bytes(url)
    if url.lower().endswith(".npy"):  # np.load cannot memory-map a file object
        import numpy as np

        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise UnreadableMask(url, f"not a valid .npy array ({exc})") from None
        yield from hists_of_array(url, arr, options)
        return
    reader = reader_for(url)
    if reader is None:
        raise UnreadableMask(url, "not a mask file type")
    yield from reader(_NamedBytes(data, url), options, warn)
