"""Replacing a set of files as a whole or not at all (``split``'s lists and stats).

:func:`replace_files` writes every new file beside its target first; only when all of them
are on disk does it move them into place, with Ctrl-C, SIGTERM and SIGHUP held back for
those few renames. An error while moving (a disk error, a folder put where a file goes)
puts every old file back, so readers see the old set or the new one, never a mix: a
training list from one split beside a validation list from another would leak images
between them.

Every target must be a regular file or not exist yet (a symlink's target is replaced and
the link stays, as for single files); anything else stops the write before it begins.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
import threading
from typing import Iterator, Mapping

from maskstats.errors import MaskstatsError

_HELD = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None))
              if s is not None)


class Staged:
    """A new file already written beside its target (a large table streamed to disk), to be
    moved into place by :func:`replace_files` with the rest of its set."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)


def staging_name(target: str | os.PathLike) -> str | None:
    """A hidden temporary name beside ``target`` that keeps its extension (readers pick
    formats by extension), or None when ``target`` is not a regular file (a device)."""
    target = os.fspath(target)
    if os.path.exists(target) and not os.path.isfile(target):
        return None
    ext = os.path.splitext(target)[1]
    real = os.path.realpath(target)
    return _temp_name(real, "tmp") + ext


def _error(path: str, exc: OSError) -> MaskstatsError:
    return MaskstatsError(f"{path}: cannot write ({exc.strerror or exc}); nothing was "
                          "changed")


def _check_target(path: str) -> os.stat_result | None:
    """The target's stat (None when new); a folder or special file is refused."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error(path, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise MaskstatsError(f"{path}: is a folder, not a file; nothing was written")
    if not stat.S_ISREG(st.st_mode):
        raise MaskstatsError(f"{path}: is not a regular file (a device, FIFO or socket); a "
                             "set of files is written to regular files only; nothing was "
                             "written")
    return st


def _temp_name(target: str, kind: str = "tmp") -> str:
    folder, base = os.path.split(target)
    return os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.{kind}")


def _write_temp(tmp: str, data: bytes, st: os.stat_result | None) -> str:
    """Write ``data`` to the new file ``tmp`` (fsynced), with the mode of ``st`` if given."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            if st is not None:  # an existing file keeps its mode
                os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP back while the block runs; deliver them after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    old = {s: signal.signal(s, lambda signum, _frame: pending.append(signum)) for s in _HELD}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        for s in dict.fromkeys(pending):
            signal.raise_signal(s)


def replace_files(files: Mapping[str | os.PathLike, bytes | Staged]) -> None:
    """Write ``files`` (path -> bytes, or a :class:`Staged` file) so that the set on disk
    is the old one or the new one, never a mix; a failure at any point leaves the old files
    byte-identical (and removes the staged ones)."""
    names = [os.fspath(p) for p in files]
    temps = {name: data.path for name, data in zip(names, files.values())
             if isinstance(data, Staged)}
    try:
        stats = {name: _check_target(name) for name in names}  # refuse before writing
        targets = {name: os.path.realpath(name) for name in names}
        for name, data in zip(names, files.values()):
            if isinstance(data, Staged):
                continue
            temps[name] = _temp_name(targets[name])  # known before it exists: always removed
            try:
                _write_temp(temps[name], bytes(data), stats[name])
            except OSError as exc:
                raise _error(name, exc) from None
        with held_signals():
            _swap(names, targets, temps, stats)
    finally:
        for tmp in temps.values():
            _unlink(tmp)  # left only when something failed
    for folder in {os.path.dirname(t) for t in targets.values()}:
        _sync_folder(folder)


def _swap(names, targets, temps, stats) -> None:
    """Move every temporary file into place; on any failure put the old files back."""
    backups: dict[str, str | bytes | None] = {}
    try:
        for name in names:
            target = targets[name]
            backups[name] = _backup(target) if stats[name] is not None else None
            os.replace(temps[name], target)
    except BaseException as exc:
        for name, backup in backups.items():
            _restore(targets[name], backup)
        if isinstance(exc, OSError):
            raise _error(name, exc) from None
        raise
    finally:
        for backup in backups.values():
            if isinstance(backup, str):
                _unlink(backup)


def _backup(target: str) -> str | bytes:
    """A hard link to the old file (its contents when the file system has no hard links)."""
    link = _temp_name(target, "tmp")
    try:
        os.link(target, link)
        return link
    except OSError:
        with open(target, "rb") as fh:
            return fh.read()


def _restore(target: str, backup: str | bytes | None) -> None:
    try:
        if backup is None:
            _unlink(target)
        elif isinstance(backup, str):
            os.replace(backup, target)
        else:
            tmp = _write_temp(_temp_name(target), backup, os.stat(target))
            os.replace(tmp, target)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    """fsync a folder so that the renames in it survive a power loss (where supported)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
