"""The per-image table: one row per image (frame) with its exact per-class counts.

Columns (SPEC "Per-image data"): ``path``, ``frame``, ``pixels``, ``ignored``, ``unexpected``,
then ``c0``, ``c1``, ... (pixels of class k), and with object statistics ``o0``, ``o1``, ...
(connected components of class k). ``.csv`` always; ``.parquet`` with the ``parquet`` extra.

:func:`load_table` reads either into a :class:`Table` of NumPy arrays (pandas not required);
every consumer of per-image data (``images``, ``sample-weights``, ``split``, ``report``) starts
from it. The CSV reader parses blocks of lines with NumPy (a 200,000 x 150 table in about a
second) and falls back to the :mod:`csv` module only to handle quoted paths or to name the
line and column of a bad cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from maskstats.errors import MaskstatsError

FIXED_COLUMNS = ("path", "frame", "pixels", "ignored", "unexpected")
_CLASS_COLUMN = re.compile(r"([co])(\d+)\Z")
_BLOCK = 1 << 22  # bytes of lines parsed at once: bounds the parser's temporary memory
_INT64_MAX = np.iinfo(np.int64).max  # NumPy's parser saturates here on overflow


class BadTable(MaskstatsError):
    """A file that is not a maskstats per-image table, or one with bad values."""


@dataclass
class Table:
    """Per-image counts: ``counts[i, k]`` pixels of class k in row i (int64, exact)."""

    paths: np.ndarray       # (n,) object: path as the stats ``paths`` name it
    frames: np.ndarray      # (n,) int64: page/slice/stack index within the file
    pixels: np.ndarray      # (n,) int64: all pixels of the image
    ignored: np.ndarray     # (n,) int64: pixels with an ignore value
    unexpected: np.ndarray  # (n,) int64: pixels with a value >= num_classes
    counts: np.ndarray      # (n, K) int64
    objects: np.ndarray | None = None  # (n, K) int64 connected components, or None
    source: str | None = None
    sha256: str | None = None

    @property
    def num_images(self) -> int:
        return len(self.paths)

    @property
    def num_classes(self) -> int:
        return self.counts.shape[1]

    def columns(self) -> list[str]:
        """The column names of this table, in file order."""
        return table_columns(self.num_classes, self.objects is not None)


def table_columns(num_classes: int, objects: bool = False) -> list[str]:
    """The header of a table with ``num_classes`` class columns."""
    names = list(FIXED_COLUMNS) + [f"c{i}" for i in range(num_classes)]
    return names + ([f"o{i}" for i in range(num_classes)] if objects else [])


def _check_header(header: Sequence[str], source: str) -> tuple[int, bool]:
    """Validate the column names; return (number of classes, has object columns)."""
    header = [h.strip() for h in header]
    missing = [c for c in FIXED_COLUMNS if c not in header]
    if missing or tuple(header[:5]) != FIXED_COLUMNS:
        what = f"missing the column(s) {', '.join(missing)}" if missing else \
            f"its columns start {', '.join(header[:5])}"
        raise BadTable(f"{source}: not a maskstats per-image table ({what}; expected "
                       f"{', '.join(FIXED_COLUMNS)}, c0, c1, ...)")
    rest = header[5:]
    k = sum(1 for h in rest if h.startswith("c"))
    has_objects = len(rest) == 2 * k and k > 0
    if k == 0 or rest != table_columns(k, has_objects)[5:]:
        found = ", ".join(rest[:8]) + (" ..." if len(rest) > 8 else "") if rest else "none"
        raise BadTable(f"{source}: not a maskstats per-image table (class columns must be "
                       f"c0..c<K-1>, then optionally o0..o<K-1>; found {found})")
    return k, has_objects


def _bad_cell(source: str, line: int, column: str, cell: str) -> BadTable:
    where = f"{source}: line {line}: column {column}"
    body = cell[1:] if cell.startswith("-") else cell
    if not body.isdigit() or not body.isascii():
        return BadTable(f"{where}: {cell!r} is not a whole number (counts are non-negative "
                        "integers)")
    if cell.startswith("-"):
        return BadTable(f"{where}: {cell} is negative (counts are non-negative integers)")
    return BadTable(f"{where}: {cell} is out of range (counts are non-negative int64)")


def _checked_row(fields: list[str], width: int, names: Sequence[str], source: str,
                 line: int) -> list[int]:
    """The integers of one row after ``path``, or the precise error for its first bad cell."""
    if len(fields) != width:
        raise BadTable(f"{source}: line {line}: {len(fields)} fields, expected {width} "
                       "(a truncated or edited file?)")
    for name, cell in zip(names[1:], fields[1:]):
        if not (cell.isdigit() and cell.isascii()) or int(cell) >= 2**63:
            raise _bad_cell(source, line, name, cell)
    return [int(cell) for cell in fields[1:]]


class _Columns:
    """Preallocated output columns, filled block by block."""

    def __init__(self, n: int, k: int, objects: bool):
        self.paths = np.empty(n, dtype=object)
        self.fixed = np.empty((4, n), dtype=np.int64)  # frame, pixels, ignored, unexpected
        self.counts = np.empty((n, k), dtype=np.int64)
        self.objects = np.empty((n, k), dtype=np.int64) if objects else None
        self.k = k
        self.filled = 0

    def add(self, paths: list[str], numbers: np.ndarray) -> None:
        """``numbers``: (rows, width - 1) int64 block in column order after ``path``."""
        i, j = self.filled, self.filled + len(paths)
        self.paths[i:j] = paths
        self.fixed[:, i:j] = numbers[:, :4].T
        self.counts[i:j] = numbers[:, 4:4 + self.k]
        if self.objects is not None:
            self.objects[i:j] = numbers[:, 4 + self.k:]
        self.filled = j


def _parse_block(lines: list[bytes], width: int, source: str, names: Sequence[str],
                 first_line: int) -> tuple[list[str], np.ndarray]:
    """Paths and the (rows, width - 1) integer block of complete, unquoted lines."""
    heads, rests = [], []
    for line in lines:
        head, _, rest = line.partition(b",")
        heads.append(head)
        rests.append(rest)
    try:
        paths = [h.decode("utf-8") for h in heads]
    except UnicodeDecodeError:
        raise BadTable(f"{source}: a path is not UTF-8 text") from None
    text = b",".join(rests)
    numbers = np.empty(0, dtype=np.int64)
    plain = (not text.translate(None, b"0123456789,") and b",," not in text
             and all(r.count(b",") == width - 2 for r in rests))
    if plain:  # digits and commas only, every row complete: NumPy parses the block
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NumPy warns (and stops) at a bad cell
            try:
                numbers = np.fromstring(text, dtype=np.int64, sep=",")
            except ValueError:
                pass
    if numbers.size != len(lines) * (width - 1) or (numbers == _INT64_MAX).any():
        # the slow path: Python ints, naming the first bad cell
        numbers = np.array([_checked_row(next(csv.reader([line.decode("utf-8")])), width,
                                         names, source, first_line + off)
                            for off, line in enumerate(lines)], dtype=np.int64)
    return paths, numbers.reshape(len(lines), width - 1)


def _read_csv(path: str) -> Table:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise BadTable(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadTable(f"{path}: is a folder, not a per-image table") from None
    except OSError as exc:
        raise BadTable(f"{path}: cannot read the table ({exc.strerror or exc})") from None
    sha = hashlib.sha256(data).hexdigest()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b'"' in data:  # quoted paths (commas, quotes or newlines in a name): the csv module
        return _read_quoted(data, path, sha)
    lines = data.splitlines()
    del data
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise BadTable(f"{path}: empty file (not a per-image table)")
    try:
        header = lines[0].decode("utf-8").split(",")
    except UnicodeDecodeError:
        raise BadTable(f"{path}: not a text file (not UTF-8)") from None
    k, has_objects = _check_header(header, path)
    if len(lines) == 1:
        raise BadTable(f"{path}: the table has a header but no rows")
    width = len(header)
    columns = _Columns(len(lines) - 1, k, has_objects)
    step = max(1, _BLOCK // (4 * width))  # rows per block, for cells of about 3 characters
    for start in range(1, len(lines), step):
        block = lines[start:start + step]
        columns.add(*_parse_block(block, width, path, header, start + 1))
    return _table(columns, path, sha)


def _read_quoted(data: bytes, source: str, sha: str) -> Table:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadTable(f"{source}: not a text file (not UTF-8)") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise BadTable(f"{source}: empty file (not a per-image table)")
    header = rows.pop(0)
    k, has_objects = _check_header(header, source)
    if not rows:
        raise BadTable(f"{source}: the table has a header but no rows")
    columns = _Columns(len(rows), k, has_objects)
    out = np.empty((len(rows), len(header) - 1), dtype=np.int64)
    for i, row in enumerate(rows):
        out[i] = _checked_row(row, len(header), header, source, i + 2)
    columns.add([r[0] for r in rows], out)
    return _table(columns, source, sha)


def _read_parquet(path: str) -> Table:
    try:
        import pyarrow.parquet as pq
        import pyarrow.types as pat
    except ImportError:
        raise BadTable(f"{path}: reading Parquet needs the 'parquet' extra: "
                       "pip install 'maskstats[parquet]'") from None
    if not os.path.isfile(path):
        raise BadTable(f"{path}: no such file")
    try:
        t = pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds on a bad file
        raise BadTable(f"{path}: cannot read the Parquet table ({exc})") from None
    header = t.column_names
    k, has_objects = _check_header(header, path)
    if t.num_rows == 0:
        raise BadTable(f"{path}: the table has no rows")
    columns = _Columns(t.num_rows, k, has_objects)
    targets = [columns.fixed[j] for j in range(4)] + [columns.counts[:, j] for j in range(k)]
    if columns.objects is not None:
        targets += [columns.objects[:, j] for j in range(k)]
    for name, target in zip(header[1:], targets):
        col = t.column(name)
        if not pat.is_integer(col.type):
            raise BadTable(f"{path}: column {name} holds {col.type}, not whole numbers "
                           "(counts are non-negative integers)")
        if col.null_count:
            raise BadTable(f"{path}: column {name} has {col.null_count} empty cell(s)")
        values = col.to_numpy()
        if values.dtype == np.uint64 and values.size and values.max() >= 2**63:
            raise BadTable(f"{path}: column {name}: a value is out of range (int64)")
        values = values.astype(np.int64, copy=False)
        if values.size and values.min() < 0:
            row = int(np.argmax(values < 0))
            raise BadTable(f"{path}: row {row + 1}: column {name}: {values[row]} is negative "
                           "(counts are non-negative integers)")
        target[:] = values
    paths = t.column("path")
    if not (pat.is_string(paths.type) or pat.is_large_string(paths.type)):
        raise BadTable(f"{path}: column path holds {paths.type}, not text")
    columns.paths[:] = paths.to_pylist()
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return _table(columns, path, digest.hexdigest())


def _table(c: _Columns, source: str, sha: str) -> Table:
    return Table(paths=c.paths, frames=c.fixed[0], pixels=c.fixed[1], ignored=c.fixed[2],
                 unexpected=c.fixed[3], counts=c.counts, objects=c.objects, source=source,
                 sha256=sha)


def load_table(path: str | os.PathLike) -> Table:
    """Read a per-image table written by ``maskstats scan --per-image`` (CSV or Parquet).

    Raises :class:`BadTable` (one line naming the file, and the line and column of a bad
    cell) for a file that is missing, empty, not a maskstats table, truncated, or that holds
    negative or non-integer counts; Parquet needs the ``parquet`` extra (pyarrow).
    """
    path = os.fspath(path)
    if path.lower().endswith(".parquet"):
        return _read_parquet(path)
    return _read_csv(path)
