"""Writing files safely: atomic replacement, in-place writes to devices, stale temporaries,
stdout, one-path-per-line lists, the output format an extension names."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import sys
import time
from typing import Iterable

from maskstats.errors import MaskstatsError, UsageProblem

#: a folder holding this file (the Cache Directory Tagging convention, bford.info/cachedir)
#: is a cache: ``--cache`` writes one, and no scan walks into a folder that has one.
CACHEDIR_TAG = "CACHEDIR.TAG"
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
#: the line after the signature in the tag of a maskstats --cache folder
CACHEDIR_COMMENT = b"# a maskstats --cache folder: its shards are not masks"

#: hidden temporary files of :func:`atomic_write_bytes`: ``.<name>.<pid>.<random>.tmp``
_TMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp")


def atomic_write_bytes(path: str | os.PathLike, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` to ``path`` so that nothing but the file named is ever changed.

    ``data`` is bytes, or an iterable of byte chunks (a large table streamed out without
    holding it in memory).

    * A regular file (or a new one) is replaced atomically: a temporary file in the same
      folder, fsync, rename. A reader never sees a half-written file, a failure leaves the
      old one untouched.
    * A symlink is followed (the whole chain) and its target replaced; the link stays.
    * A device, FIFO or socket (``/dev/null``, ``/dev/stdout``, a pipe) is written in
      place, never replaced by a file; ``-`` writes to stdout.
    * A new file gets mode 0666 minus the umask (like a shell redirect); an existing file
      keeps its mode (and, when we may, its owner).
    * Temporary files of the same target left by a killed writer (their process is gone)
      are removed.
    """
    name = os.fspath(path)
    if name == "-":
        write_stdout(data)
        return
    try:
        st: os.stat_result | None = os.stat(name)  # follows symlinks
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _write_error(name, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise MaskstatsError(f"{name}: is a folder, not a file")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_in_place(name, data)  # by its own name: /dev/stdout may lead to a pipe
        return
    target = os.path.realpath(name)  # a symlink's target is replaced, the link stays
    folder, base = os.path.split(target)
    _remove_stale_temps(folder, base)
    tmp = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # 0o666: the kernel applies the umask, as for any new file
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                     0o666)
    except OSError as exc:
        raise _write_error(name, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if st is not None:  # an existing file keeps its mode and owner
                os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
                if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(fh.fileno(), st.st_uid, st.st_gid)
                    except OSError:
                        pass
            for chunk in byte_chunks(data):
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _write_error(name, exc) from None
        raise


def byte_chunks(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    """``data`` as an iterable of byte chunks (bytes are one chunk)."""
    return (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _write_in_place(name: str, data: bytes | Iterable[bytes]) -> None:
    """Write to a device or FIFO as a shell redirect does (open, write, close)."""
    try:
        with open(name, "wb") as fh:
            for chunk in byte_chunks(data):
                fh.write(chunk)
            fh.flush()
    except OSError as exc:
        raise _write_error(name, exc) from None


def _write_error(name: str, exc: OSError) -> MaskstatsError:
    return MaskstatsError(f"{name}: cannot write ({exc.strerror or exc})")


def write_stdout(data: bytes | Iterable[bytes]) -> None:
    """Write bytes to stdout; a full or failing stdout is one :class:`MaskstatsError`."""
    try:
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        for chunk in byte_chunks(data):
            if out is None:
                sys.stdout.write(bytes(chunk).decode("utf-8"))
            else:
                out.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise MaskstatsError(f"<stdout>: cannot write ({exc.strerror or exc})") from None


def _remove_stale_temps(folder: str, base: str, min_age: float = 2.0) -> None:
    """Remove ``.<base>.<pid>.<hex>.tmp`` files whose writer process no longer runs.

    Only files of this exact target, owned by us, regular, older than ``min_age`` seconds
    and named by a process id that is not alive are removed: they are clearly ours and
    clearly abandoned (a writer killed with SIGKILL cannot clean up after itself).
    """
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return
    now = time.time()
    for entry in names:
        m = _TMP.fullmatch(entry)
        if m is None or m.group("name") != base:
            continue
        pid = int(m.group("pid"))
        if pid == os.getpid() or _alive(pid):
            continue
        full = os.path.join(folder, entry)
        try:
            st = os.lstat(full)
            if (stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid()
                    and now - st.st_mtime >= min_age):
                os.unlink(full)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's), or cannot tell: leave its file alone
    return True


def path_lines(paths: Iterable[str], where: str, fix: str) -> bytes:
    """``paths`` one per line (UTF-8). A path holding a line break cannot be written so (a
    reader would see two paths): :class:`MaskstatsError` naming it, ``where`` and ``fix``."""
    out = []
    for p in paths:
        if "\n" in p or "\r" in p:
            raise MaskstatsError(f"{where}: the path {p!r} holds a line break, so one path per "
                                 f"line cannot hold it; {fix}")
        out.append(p + "\n")
    return "".join(out).encode("utf-8")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_for(path: str | os.PathLike | None, fmt: str | None, choices: dict[str, str],
               default: str) -> str:
    """The output format: ``fmt`` if given, else the one ``path``'s extension names.

    ``choices`` maps extensions (``".npy"``) to format names (``"npy"``). A ``fmt`` that
    contradicts a known extension is a :class:`UsageProblem` (``-o w.npy -f json``).
    """
    ext = os.path.splitext(os.fspath(path))[1].lower() if path not in (None, "-") else ""
    implied = choices.get(ext)
    if fmt is None:
        return implied or default
    if implied is not None and implied != fmt:
        raise UsageProblem(f"{path}: the extension {ext} means -f {implied}, not -f {fmt}; "
                           f"drop -f or rename the file")
    return fmt
