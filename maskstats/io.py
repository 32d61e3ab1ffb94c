"""Reading and writing maskstats files: atomic writes, strict JSON, format/version checks."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from maskstats.errors import BadStats, MaskstatsError

STATS_FORMAT = "maskstats-stats"
STATS_VERSION = 1
WEIGHTS_FORMAT = "maskstats-weights"
WEIGHTS_VERSION = 1


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader never sees a half-written file, and a failure leaves an existing file untouched.
    """
    import tempfile

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise MaskstatsError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise MaskstatsError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise


def dumps_json(obj: Any) -> str:
    """Serialise to JSON, refusing NaN and Infinity (strict parsers reject them)."""
    return json.dumps(obj, indent=2, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as strict JSON to ``path`` atomically, or to stdout when ``path`` is ``-``."""
    text = dumps_json(obj)
    if str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_bytes(path, text.encode("utf-8"))


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


def parse_json(data: bytes, source: str) -> Any:
    """Parse strict JSON (no NaN/Infinity), naming ``source`` in the error."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadStats(f"{source}: not a text file (not UTF-8)") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise BadStats(f"{source}: not valid JSON ({exc})") from None


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
