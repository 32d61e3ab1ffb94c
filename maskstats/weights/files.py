"""Weight vectors as files: NPY, text and list encodings (with a dtype), and reading back.

The weights JSON (with provenance) is built by :class:`maskstats.weights.result.Weights`; this
module holds the bare-vector formats and :func:`load_weights`, which reads any of them.
NPY is float32 by default, the dtype PyTorch ``CrossEntropyLoss(weight=...)`` and Keras
expect (``torch.from_numpy`` on float64 gives a double tensor that a float model refuses);
text and list keep float64 unless asked otherwise; JSON always keeps full precision.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

import numpy as np

from maskstats.errors import BadStats, UsageProblem
from maskstats.core.jsonio import WEIGHTS_FORMAT, WEIGHTS_VERSION, check_format, parse_json, read_bytes

FORMATS = ("json", "npy", "txt", "list")
DTYPES = ("float32", "float64")
#: the dtype of each bare-vector format when none is asked for
DEFAULT_DTYPE = {"npy": "float32", "txt": "float64", "list": "float64"}
#: extension -> format, for ``maskstats.core.files.format_for``
EXTENSIONS = {".npy": "npy", ".txt": "txt", ".json": "json"}


def check_dtype(fmt: str, dtype: str | None) -> str | None:
    """The dtype to write ``fmt`` in: ``dtype``, or the format's default.

    JSON keeps full float64 precision: a ``dtype`` with ``fmt="json"`` is a
    :class:`UsageProblem`, and so is an unknown dtype.
    """
    if fmt not in FORMATS:
        raise UsageProblem(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if dtype is not None and dtype not in DTYPES:
        raise UsageProblem(f"dtype={dtype!r} is not one of: {', '.join(DTYPES)}")
    if fmt == "json":
        if dtype is not None:
            raise UsageProblem(f"--dtype {dtype} does not apply to -f json (the weights JSON "
                               "keeps full precision); use it with -f npy, txt or list")
        return None
    return dtype or DEFAULT_DTYPE[fmt]


def encode_vector(values: np.ndarray, fmt: str, dtype: str) -> bytes:
    """``values`` as an ``npy``, ``txt`` (one per line) or ``list`` file in ``dtype``.

    float32 keeps 7 significant digits, and the text forms print the shortest decimal
    that reads back as the same float32. A value beyond the float32 range is a
    :class:`UsageProblem` (use float64).
    """
    vec = np.asarray(values, dtype=np.float64)
    if dtype == "float32":
        limit = float(np.finfo(np.float32).max)
        if np.any(np.abs(vec) > limit):
            raise UsageProblem(f"a value ({float(np.abs(vec).max()):.6g}) is beyond the "
                               f"float32 range ({limit:.6g}); use --dtype float64")
        vec = vec.astype(np.float32)
    if fmt == "npy":
        buf = io.BytesIO()
        np.save(buf, vec, allow_pickle=False)
        return buf.getvalue()
    texts = [_shortest(v) for v in vec]
    if fmt == "list":
        return ("[" + ", ".join(texts) + "]\n").encode("utf-8")
    if fmt == "txt":
        return "".join(f"{t}\n" for t in texts).encode("utf-8")
    raise UsageProblem(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")


def _shortest(v: np.floating) -> str:
    """The shortest decimal that reads back as ``v`` in its own dtype (valid JSON)."""
    if isinstance(v, np.float32):
        return str(v)  # NumPy prints the shortest round-tripping float32 decimal
    return json.dumps(float(v), allow_nan=False)


def load_weights(path: str | os.PathLike) -> np.ndarray:
    """Read a weight vector written by ``maskstats weights`` (``-`` = stdin) as float64.

    Any of its formats, recognised by content: ``.npy`` (float32 or float64), weights
    JSON (format and version checked), a bare JSON list (``-f list``), or text with one
    number per line (``-f txt``).
    """
    source = "<stdin>" if str(path) == "-" else str(path)
    data = read_bytes(path)
    head = data.lstrip()[:1]
    if data.startswith(b"\x93NUMPY"):
        try:
            values: Any = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise BadStats(f"{source}: unreadable .npy file ({exc})") from None
    elif head == b"{":
        doc = check_format(parse_json(data, source), source, WEIGHTS_FORMAT, WEIGHTS_VERSION)
        values = doc.get("weights")
    elif head == b"[":
        values = parse_json(data, source)
    else:
        values = _text_numbers(data, source)
    return _vector(values, source)


def _text_numbers(data: bytes, source: str) -> list[float]:
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise BadStats(f"{source}: not a weights file (not text, JSON or .npy)") from None
    values = []
    for lineno, line in enumerate(lines, 1):
        if line.strip():
            try:
                values.append(float(line))
            except ValueError:
                raise BadStats(f"{source}, line {lineno}: {line.strip()!r} is not a "
                               "number") from None
    return values


def _vector(values: Any, source: str) -> np.ndarray:
    if not isinstance(values, np.ndarray):
        if not isinstance(values, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise BadStats(f"{source}: 'weights' must be a list of numbers")
        try:
            values = np.array(values, dtype=np.float64)
        except OverflowError:
            raise BadStats(f"{source}: a weight is beyond the float64 range") from None
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iuf":
        raise BadStats(f"{source}: expected a non-empty vector of numbers, got shape "
                       f"{values.shape} of {values.dtype}")
    values = values.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise BadStats(f"{source}: weights contain NaN or Infinity")
    return values
