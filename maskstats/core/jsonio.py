"""maskstats' own JSON files: strict parsing, the ``format``/``version`` check, reading a stats
file, writing JSON atomically."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from maskstats.errors import BadStats, MaskstatsError
from maskstats.core.files import atomic_write_bytes

STATS_FORMAT = "maskstats-stats"
STATS_VERSION = 1
WEIGHTS_FORMAT = "maskstats-weights"
WEIGHTS_VERSION = 1


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
