"""Walkers: list the mask files a scan reads, in a deterministic order (they read nothing)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.pipeline.globs import matches
from maskstats.core.files import CACHEDIR_COMMENT, CACHEDIR_SIGNATURE, CACHEDIR_TAG
from maskstats.readers.formats import is_mask_file, mask_extensions


@dataclass(frozen=True)
class FileList:
    """The mask files a scan will read, and how many other files it passed over.

    ``names[i]`` is how the per-image table names ``files[i]``: its path relative to its
    folder argument (with ``/``) for a file found in a folder, else as given. With several
    PATH arguments, a folder's files keep the folder as given in front (``train/a.png``,
    ``val/a.png``), so that names never collide.
    """

    files: list[str]
    non_mask_files: int = 0
    names: list[str] = field(default_factory=list)
    #: folders that could not be listed (``on_error="skip"``): ``{"path", "reason"}``
    skipped: list[dict[str, str]] = field(default_factory=list)


def walk_sorted(top: str, onerror: Callable[[str, OSError], None],
                prune: Callable[[str], bool] = lambda _real: False
                ) -> Iterator[tuple[str, str, list[str]]]:
    """``(folder, its real path, sorted file names)`` for ``top`` and every folder below,
    depth first.

    Like ``os.walk`` with ``followlinks=True`` (hidden entries passed over) but without
    recursion, so a tree nested thousands deep is walked, not a RecursionError. Links are
    followed, to files and to folders alike, wherever they point; each real folder is walked
    once, so a link cycle ends, and real paths are built as the walk goes down (asked of the
    kernel only for links). A folder that cannot be listed goes to ``onerror(folder, error)``;
    ``prune(real path)`` True skips a folder and everything under it (the scan's cache), and
    so does a maskstats cache folder (see :func:`is_cache_folder`).
    """
    stack = [(top, os.path.realpath(top))]
    walked: set[str] = set()
    while stack:
        root, real = stack.pop()
        if real in walked:  # a folder reached again through a link (or a link cycle)
            continue
        walked.add(real)
        try:
            with os.scandir(root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            onerror(root, exc)
            continue
        if any(e.name == CACHEDIR_TAG for e in entries) and is_cache_folder(root, entries):
            continue
        files, subdirs = [], []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                files.append(entry.name)
                continue
            # a linked folder is entered like a linked file is read: at its real path
            child = (os.path.realpath(entry.path) if entry.is_symlink()
                     else os.path.join(real, entry.name))
            if child not in walked and not prune(child):
                subdirs.append((entry.path, child))
        yield root, real, files
        stack.extend(reversed(subdirs))


def is_cache_folder(folder: str, entries: Sequence[os.DirEntry] = ()) -> bool:
    """True for a maskstats ``--cache`` shard folder, recognised by its content.

    The folder holds a ``CACHEDIR.TAG`` with the convention's signature and maskstats' own
    comment line, and nothing else but shard files (``shard-*.npz``) and hidden temporary
    files. A ``CACHEDIR.TAG`` planted in a dataset folder, or another tool's cache, does not
    hide masks: such a folder is walked like any other.
    """
    try:
        with open(os.path.join(folder, CACHEDIR_TAG), "rb") as fh:
            head = fh.read(len(CACHEDIR_SIGNATURE) + len(CACHEDIR_COMMENT) + 1)
    except OSError:
        return False
    if head != CACHEDIR_SIGNATURE + b"\n" + CACHEDIR_COMMENT:
        return False
    names = [e.name for e in entries] if entries else os.listdir(folder)
    return all(n == CACHEDIR_TAG or n.startswith(".") or (n.startswith("shard-")
               and n.endswith(".npz")) for n in names)


def find_files(paths: Sequence[str], include: Sequence[str] = (),
               exclude: Sequence[str] = (), *, on_error: str = "fail",
               avoid: Sequence[str] = ()) -> FileList:
    """List mask files under ``paths`` in a deterministic (sorted, depth-first) order.

    Folders are walked recursively; hidden files and folders (name starting with '.', such
    as macOS ``._x.png`` shadows) are passed over. ``include``/``exclude`` globs match a file's
    path relative to its folder argument, or its name. Files named directly are always read
    when they are masks. A file reached twice is read once. A folder that cannot be listed
    raises :class:`UnreadableMask` (``on_error="fail"``) or is listed in ``skipped``.
    Folders in ``avoid`` (the scan's cache) are never entered.
    """
    if not paths:
        raise UsageProblem("no path given")
    listing = _Listing(on_error)
    several = len(paths) > 1
    avoid_real = {os.path.realpath(os.path.expanduser(os.fspath(a))) for a in avoid}
    for top in paths:
        top = os.fspath(top)
        lead = top.rstrip("/") + "/" if several else ""
        if "://" in top:  # an fsspec URL such as s3://bucket/masks/ (maskstats/readers/remote.py)
            from maskstats.readers.remote import walk_remote

            prefix = top.rstrip("/") + "/"
            for url in walk_remote(top, include, exclude):
                listing.add(url, lead + url[len(prefix):] if url.startswith(prefix) else url)
            continue
        if not os.path.exists(top):
            raise UsageProblem(f"{top}: no such file or folder")
        if not os.path.isdir(top):
            listing.add(top, top)
            continue
        _walk_folder(listing, top, lead, include, exclude, avoid_real)
    if not listing.files and not listing.skipped:
        where = paths[0] if len(paths) == 1 else ", ".join(map(str, paths))
        what = "empty folder" if (len(paths) == 1 and os.path.isdir(where)
                                  and not any(os.scandir(where))) else "no mask files found"
        raise UsageProblem(f"{where}: {what} (looked for {', '.join(mask_extensions())}"
                           f"{'; check --include/--exclude' if include or exclude else ''})")
    return FileList(listing.files, listing.other, listing.names, listing.skipped)


def _walk_folder(listing: "_Listing", top: str, lead: str, include: Sequence[str],
                 exclude: Sequence[str], avoid_real: set[str]) -> None:
    """Add the files under the folder ``top`` that the globs pick."""
    for root, real_root, found in walk_sorted(top, listing.unreadable, avoid_real.__contains__):
        rel_root = root[len(top):].lstrip(os.sep).replace(os.sep, "/") if root != top else ""
        rel_root = rel_root + "/" if rel_root else ""
        for name in found:
            rel = rel_root + name
            if include and not matches(rel, name, include):
                continue
            if exclude and matches(rel, name, exclude):
                continue
            listing.add(os.path.join(root, name), lead + rel, real_root)


@dataclass
class _Listing:
    """The files found so far (each real file once), files passed over, skipped folders."""

    on_error: str
    files: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    other: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def add(self, path: str, name: str, real_dir: str | None = None) -> None:
        if not is_mask_file(path):
            self.other += 1
            return
        if "://" in path:  # a remote object: its URL names it
            real = path
        elif real_dir is not None and not os.path.islink(path):  # one lstat, not a realpath
            real = os.path.join(real_dir, os.path.basename(path))
        else:
            real = os.path.realpath(path)
        if real not in self.seen:
            self.seen.add(real)
            self.files.append(path)
            self.names.append(name)

    def unreadable(self, folder: str, exc: OSError) -> None:
        reason = f"cannot read the folder ({exc.strerror or exc})"
        if self.on_error != "skip":
            raise UnreadableMask(folder, reason + "; pass --on-error skip to go on without it")
        self.skipped.append({"path": folder, "reason": reason})
