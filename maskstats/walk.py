"""Walkers: list the mask files a scan reads, in a deterministic order (they read nothing)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Sequence

from maskstats.errors import UsageProblem
from maskstats.globs import matches
from maskstats.readers import is_mask_file, mask_extensions


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


def find_files(paths: Sequence[str], include: Sequence[str] = (),
               exclude: Sequence[str] = ()) -> FileList:
    """List mask files under ``paths`` in a deterministic (sorted, depth-first) order.

    Folders are walked recursively; hidden files and folders (name starting with '.', such
    as macOS ``._x.png`` shadows) are passed over. ``include``/``exclude`` globs match a file's
    path relative to its folder argument, or its name. Files named directly are always read
    when they are masks. A file reached twice is read once.
    """
    if not paths:
        raise UsageProblem("no path given")
    files: list[str] = []
    names: list[str] = []
    seen: set[str] = set()
    other = 0

    def add(path: str, name: str, real_dir: str | None = None) -> None:
        nonlocal other
        if not is_mask_file(path):
            other += 1
            return
        if "://" in path:  # a remote object: its URL names it
            real = path
        elif real_dir is not None and not os.path.islink(path):  # one lstat, not a realpath
            real = os.path.join(real_dir, os.path.basename(path))
        else:
            real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            files.append(path)
            names.append(name)

    several = len(paths) > 1
    for top in paths:
        top = os.fspath(top)
        lead = top.rstrip("/") + "/" if several else ""
        if "://" in top:  # an fsspec URL such as s3://bucket/masks/ (maskstats/remote.py)
            from maskstats.remote import walk_remote

            prefix = top.rstrip("/") + "/"
            for url in walk_remote(top, include, exclude):
                add(url, lead + url[len(prefix):] if url.startswith(prefix) else url)
            continue
        if not os.path.exists(top):
            raise UsageProblem(f"{top}: no such file or folder")
        if not os.path.isdir(top):
            add(top, top)
            continue
        for root, dirs, found in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            real_root = os.path.realpath(root)  # os.walk does not enter linked folders
            rel_root = os.path.relpath(root, top).replace(os.sep, "/")
            rel_root = "" if rel_root == "." else rel_root + "/"
            for name in sorted(found):
                if name.startswith("."):
                    continue
                full = os.path.join(root, name)
                rel = rel_root + name
                if include and not matches(rel, name, include):
                    continue
                if exclude and matches(rel, name, exclude):
                    continue
                add(full, lead + rel, real_root)
    if not files:
        where = paths[0] if len(paths) == 1 else ", ".join(map(str, paths))
        what = "empty folder" if (len(paths) == 1 and os.path.isdir(where)
                                  and not any(os.scandir(where))) else "no mask files found"
        raise UsageProblem(f"{where}: {what} (looked for {', '.join(mask_extensions())}"
                           f"{'; check --include/--exclude' if include or exclude else ''})")
    return FileList(files, other, names)
