"""Reading and writing maskstats files: atomic writes, strict JSON, format/version checks."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from maskstats.errors import BadStats, MaskstatsError

STATS_FORMAT = "maskstats-stats"
STATS_VERSION = 1
WEIGHTS_FORMAT = "maskstats-weights"
WEIGHTS_VERSION = 1


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


def dumps_json(obj: Any) -> str:
    """Serialise to JSON, refusing NaN and Infinity (strict parsers reject them)."""
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as strict JSON to ``path`` atomically, or to stdout when ``path`` is ``-``."""
    atomic_write_bytes(path, dumps_json(obj).encode("utf-8"))


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a whole file (``-`` = stdin) as bytes, with a :class:`BadStats` error if missing."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise BadStats(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadStats(f"{path}: is a folder, not a stats file") from None
    except OSError as exc:
        raise BadStats(f"{path}: cannot read ({exc.strerror or exc})") from None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


#: integers longer than this many digits are refused while parsing (an int64 has 19)
MAX_INT_DIGITS = 40


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a {len(text.lstrip('-'))}-digit integer ({text[:12]}...) is far "
                         "beyond any count or class id")
    return int(text)


def parse_json(data: bytes | str, source: str, error: type[MaskstatsError] = BadStats) -> Any:
    """Parse strict JSON, naming ``source`` in the one-line ``error`` it raises otherwise.

    Refused: NaN/Infinity, numbers that overflow to infinity (``1e999``), integers of more
    than :data:`MAX_INT_DIGITS` digits, nesting deeper than Python can parse, non-UTF-8 text.
    Every JSON file maskstats reads (stats, weights, remaps, class names, colour tables,
    labels, panoptic annotations, cache metadata) goes through here.
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError:
        raise error(f"{source}: not a text file (not UTF-8)") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float,
                          parse_int=_bounded_int)
    except RecursionError:
        raise error(f"{source}: not valid JSON (nested too deeply)") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise error(f"{source}: not valid JSON ({exc})") from None


def check_format(obj: Any, source: str, fmt: str, version: int) -> dict:
    """Check the ``format`` and ``version`` keys of a maskstats JSON document."""
    if not isinstance(obj, dict) or obj.get("format") != fmt:
        found = obj.get("format") if isinstance(obj, dict) else type(obj).__name__
        raise BadStats(f"{source}: not a {fmt} file (format is {found!r})")
    ver = obj.get("version")
    if not isinstance(ver, int) or isinstance(ver, bool):
        raise BadStats(f"{source}: missing or invalid 'version'")
    if ver > version:
        raise BadStats(
            f"{source}: {fmt} version {ver} is newer than this maskstats understands "
            f"(up to {version}); upgrade maskstats"
        )
    return obj


def load_stats_dict(path: str | os.PathLike) -> tuple[dict, bytes]:
    """Read a stats JSON file (``-`` = stdin); return the checked dict and the raw bytes."""
    data = read_bytes(path)
    source = "<stdin>" if str(path) == "-" else str(path)
    if not data.strip():
        raise BadStats(f"{source}: empty file")
    obj = check_format(parse_json(data, source), source, STATS_FORMAT, STATS_VERSION)
    return obj, data


def format_for(path: str | os.PathLike | None, fmt: str | None, choices: dict[str, str],
               default: str) -> str:
    """The output format: ``fmt`` if given, else the one ``path``'s extension names.

    ``choices`` maps extensions (``".npy"``) to format names (``"npy"``). A ``fmt`` that
    contradicts a known extension is a :class:`UsageProblem` (``-o w.npy -f json``).
    """
    from maskstats.errors import UsageProblem

    ext = os.path.splitext(os.fspath(path))[1].lower() if path not in (None, "-") else ""
    implied = choices.get(ext)
    if fmt is None:
        return implied or default
    if implied is not None and implied != fmt:
        raise UsageProblem(f"{path}: the extension {ext} means -f {implied}, not -f {fmt}; "
                           f"drop -f or rename the file")
    return fmt
