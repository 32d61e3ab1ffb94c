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
import mmap
import os
import re
from itertools import repeat
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from maskstats.errors import MaskstatsError

FIXED_COLUMNS = ("path", "frame", "pixels", "ignored", "unexpected")
_CLASS_COLUMN = re.compile(r"([co])(\d+)\Z")
_BLOCK = 1 << 22  # bytes of lines parsed at once: bounds the parser's temporary memory


class BadTable(MaskstatsError):
    """A file that is not a maskstats per-image table, or one with bad values."""


class Table:
    """Per-image counts: ``counts[i, k]`` pixels of class k in row i (int64, exact).

    ``paths`` is a list of str (n); arrays: ``frames``/``pixels``/``ignored``/``unexpected`` (n,)
    int64, ``counts`` (n, K) int64, ``objects`` (n, K) int64 or None. A table loaded from
    CSV keeps its counts sparse (:meth:`nonzero`: most cells of a wide table are 0) and
    builds the dense ``counts`` only when it is first asked for.
    """

    def __init__(self, paths, frames, pixels, ignored, unexpected, counts=None, objects=None,
                 source: str | None = None, sha256: str | None = None, *,
                 nonzero: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 num_classes: int | None = None):
        if counts is None and (nonzero is None or num_classes is None):
            raise ValueError("Table needs counts, or nonzero and num_classes")
        self.paths = list(paths)
        self.frames, self.pixels = np.asarray(frames), np.asarray(pixels)
        self.ignored, self.unexpected = np.asarray(ignored), np.asarray(unexpected)
        self._counts = None if counts is None else np.asarray(counts)
        self._nonzero = nonzero
        self._k = self._counts.shape[1] if self._counts is not None else int(num_classes)
        self.objects, self.source, self.sha256 = objects, source, sha256

    @property
    def counts(self) -> np.ndarray:
        if self._counts is None:
            rows, cols, vals = self._nonzero
            dense = np.zeros((self.num_images, self._k), dtype=np.int64)
            dense[rows, cols] = vals
            self._counts = dense
        return self._counts

    def nonzero(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The non-zero counts as (rows, cols, values), row-major (rows sorted)."""
        if self._nonzero is None:
            rows, cols = np.nonzero(self._counts)
            self._nonzero = (rows, cols, self._counts[rows, cols])
        return self._nonzero

    def column(self, k: int) -> np.ndarray:
        """Pixels of class ``k`` per row, (n,) int64."""
        if self._counts is not None:
            return self._counts[:, k]
        rows, cols, vals = self._nonzero
        out = np.zeros(self.num_images, dtype=np.int64)
        pick = cols == k
        out[rows[pick]] = vals[pick]
        return out

    def row_sums(self, classes: Sequence[int] | None = None) -> np.ndarray:
        """Exact int64 sum per row of the given classes' pixels (all classes if None)."""
        rows, cols, vals = self.nonzero()
        if classes is not None:
            keep = np.zeros(self._k, dtype=bool)
            keep[list(classes)] = True
            pick = keep[cols]
            rows, vals = rows[pick], vals[pick]
        out = np.zeros(self.num_images, dtype=np.int64)
        if rows.size:
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            out[rows[starts]] = np.add.reduceat(vals, starts)
        return out

    def images_per_class(self) -> np.ndarray:
        """How many rows hold each class (non-zero count), (K,) int64."""
        return np.bincount(self.nonzero()[1], minlength=self._k).astype(np.int64)

    @property
    def num_images(self) -> int:
        return len(self.paths)

    @property
    def num_classes(self) -> int:
        return self._k

    def columns(self) -> list[str]:
        """The column names of this table, in file order."""
        return table_columns(self.num_classes, self.objects is not None)

    def __repr__(self) -> str:
        return f"Table({self.source!r}, {self.num_images} rows, {self.num_classes} classes)"


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
    """Output columns, collected block by block; class counts kept sparse."""

    def __init__(self, k: int, objects: bool):
        self.k, self.has_objects = k, objects
        self.paths: list[str] = []
        self.fixed: list[np.ndarray] = []  # (rows, 4): frame, pixels, ignored, unexpected
        self.nz: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.objects: list[np.ndarray] = []

    def add(self, paths: list[str], numbers) -> None:
        """``numbers``: a (rows, width - 1) int64 block in column order after ``path``, or
        (first four columns, sparse (row, col, value) of the rest) from the fast parser."""
        offset = len(self.paths)
        self.paths.extend(paths)
        if isinstance(numbers, tuple):
            fixed, (rows, cols, vals) = numbers
        else:
            fixed = numbers[:, :4]
            rows, cols = np.nonzero(numbers[:, 4:])
            vals = numbers[:, 4:][rows, cols]
        self.fixed.append(np.ascontiguousarray(fixed))
        is_class = cols < self.k
        index = np.int32 if offset + len(paths) < 2**31 else np.int64
        self.nz.append(((rows[is_class] + offset).astype(index),
                        cols[is_class].astype(np.int32), vals[is_class]))
        if self.has_objects:
            block = np.zeros((len(paths), self.k), dtype=np.int64)
            obj = ~is_class
            block[rows[obj], cols[obj] - self.k] = vals[obj]
            self.objects.append(block)

    def table(self, source: str, sha: str) -> Table:
        fixed = np.concatenate(self.fixed) if self.fixed else np.zeros((0, 4), np.int64)
        nz = tuple(np.concatenate([part[j] for part in self.nz]) for j in range(3))
        return Table(self.paths, fixed[:, 0], fixed[:, 1], fixed[:, 2], fixed[:, 3],
                     objects=np.concatenate(self.objects) if self.has_objects else None,
                     source=source, sha256=sha, nonzero=nz, num_classes=self.k)


def _parse_block(lines: list[bytes], width: int, source: str, names: Sequence[str],
                 first_line: int) -> tuple[list[str], np.ndarray | tuple]:
    """Paths and the numbers of complete, unquoted lines: a (rows, width - 1) int64 block,
    or, on the fast path, the same as (dense first columns, sparse (row, col, value))."""
    heads, _, rests = zip(*map(bytes.partition, lines, repeat(b",")))
    try:
        paths = list(map(bytes.decode, heads))
    except UnicodeDecodeError:
        raise BadTable(f"{source}: a path is not UTF-8 text") from None
    text = b",".join(rests)
    plain = (text[:1].isdigit() and text[-1:].isdigit()
             and not text.translate(None, b"0123456789,") and b",," not in text
             and (np.fromiter(map(bytes.count, rests, repeat(b",")), np.int64, len(rests))
                  == width - 2).all())
    if plain:  # digits and commas only, every row complete: NumPy parses the block
        parsed = _sparse_fields(text, len(lines), width - 1)
        if parsed is not None:
            return paths, parsed
    # the slow path: Python ints, naming the first bad cell
    numbers = np.array([_checked_row(next(csv.reader([line.decode("utf-8")])), width,
                                     names, source, first_line + off)
                        for off, line in enumerate(lines)], dtype=np.int64)
    return paths, numbers.reshape(len(lines), width - 1)


def _sparse_fields(text: bytes, rows: int, fields: int):
    """Parse ``rows`` x ``fields`` comma-separated whole numbers (validated: digits and
    commas only, no empty field) without touching the many "0" cells one by one: returns
    (first four columns dense, (row, col, value) of the other non-zero cells), or None when
    a cell has more than 18 digits (the caller's slow path checks int64 range)."""
    b = np.frombuffer(text + b",", dtype=np.uint8)  # every cell ends at a comma
    comma = b == 44
    ends = np.flatnonzero(comma)
    if ends.size != rows * fields:
        return None
    starts_cell = np.empty(b.size, dtype=bool)  # first byte of a cell
    starts_cell[0] = True
    starts_cell[1:] = comma[:-1]
    zero_cell = b == 48  # a cell that is exactly "0"
    zero_cell[:-1] &= comma[1:]
    pos = np.flatnonzero(starts_cell & ~zero_cell & ~comma)  # the cells worth parsing
    field = np.searchsorted(ends, pos)
    n = ends[field] - pos
    if n.size and n.max() > 18:
        return None
    value = np.zeros(pos.size, dtype=np.int64)
    for d in range(int(n.max()) if n.size else 0):
        live = np.flatnonzero(n > d)
        value[live] = value[live] * 10 + (b[pos[live] + d] - 48)
    row = field // fields
    col = field - row * fields
    fixed = np.zeros((rows, 4), dtype=np.int64)
    head = col < 4
    fixed[row[head], col[head]] = value[head]
    keep = ~head & (value != 0)
    return fixed, (row[keep], col[keep] - 4, value[keep])


def _read_csv(path: str) -> Table:
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            # mapped, not read: the file's pages come from the page cache, no copy
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except FileNotFoundError:
        raise BadTable(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadTable(f"{path}: is a folder, not a per-image table") from None
    except (OSError, ValueError) as exc:
        raise BadTable(f"{path}: cannot read the table ({getattr(exc, 'strerror', None) or exc})"
                       ) from None
    try:
        return _parse_csv(data, path)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def _parse_csv(data, path: str) -> Table:
    sha = hashlib.sha256(data).hexdigest()
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    if data.find(b'"', start) >= 0:  # quoted paths (commas, quotes, newlines): csv module
        return _read_quoted(bytes(data[start:]), path, sha)
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    first = bytes(data[start:end]).strip()
    if not first and not bytes(data[start:start + 4096]).strip():
        raise BadTable(f"{path}: empty file (not a per-image table)")
    try:
        header = first.decode("utf-8").split(",")
    except UnicodeDecodeError:
        raise BadTable(f"{path}: not a text file (not UTF-8)") from None
    k, has_objects = _check_header(header, path)
    width = len(header)
    columns = _Columns(k, has_objects)
    pos, line_no = end + 1, 2
    while pos < len(data):
        stop = data.find(b"\n", pos + _BLOCK)
        stop = len(data) if stop < 0 else stop
        block = data[pos:stop]
        lines = block.splitlines()
        if pos + len(block) >= len(data):  # blank lines at the very end are not rows
            while lines and not lines[-1].strip():
                lines.pop()
        if lines:
            columns.add(*_parse_block(lines, width, path, header, line_no))
        line_no += block.count(b"\n") + 1
        pos = stop + 1
    if not columns.paths:
        raise BadTable(f"{path}: the table has a header but no rows")
    return columns.table(path, sha)


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
    columns = _Columns(k, has_objects)
    out = np.empty((len(rows), len(header) - 1), dtype=np.int64)
    for i, row in enumerate(rows):
        out[i] = _checked_row(row, len(header), header, source, i + 2)
    columns.add([r[0] for r in rows], out)
    return columns.table(source, sha)


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
    n = t.num_rows
    fixed = np.empty((4, n), dtype=np.int64)
    counts = np.empty((n, k), dtype=np.int64)
    objects = np.empty((n, k), dtype=np.int64) if has_objects else None
    targets = [fixed[j] for j in range(4)] + [counts[:, j] for j in range(k)]
    if objects is not None:
        targets += [objects[:, j] for j in range(k)]
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
    if not (pat.is_string(paths.type) or pat.is_large_string(paths.type)) or paths.null_count:
        raise BadTable(f"{path}: column path must hold text without gaps (found {paths.type}"
                       f"{', with nulls' if paths.null_count else ''})")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return Table(paths.to_pylist(), fixed[0], fixed[1], fixed[2], fixed[3], counts, objects,
                 source=path, sha256=digest.hexdigest())


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
