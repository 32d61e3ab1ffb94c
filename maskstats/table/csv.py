"""Reading a per-image table from CSV, fast and exactly.

The file is memory-mapped and parsed in blocks of lines of about 4 MB. A block whose cells
are digits and commas only, with every row complete, goes through byte masks: the many
cells that are exactly "0" are recognised without being parsed, the others are parsed by a
digit loop over all of them at once, straight into sparse (row, class, pixels) triplets.
Anything else (a quoted path, a minus sign, a decimal point, a short row, a cell of 19
digits) takes the :mod:`csv` module path, which reads exact Python ints and names the line
and column of the first bad cell.
"""

from __future__ import annotations

import csv
import hashlib
import io
import mmap
import os
from itertools import repeat
from typing import Sequence

import numpy as np

from maskstats.table.core import BadTable, EmptyTable, Table, check_layout

_BLOCK = 1 << 22  # bytes of lines parsed at once: bounds the parser's temporary memory


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

    def __init__(self, k: int, objects: bool, windows: bool = False):
        self.k, self.has_objects, self.windows = k, objects, windows
        self.nfixed = 8 if windows else 4
        self.paths: list[str] = []
        #: (rows, nfixed): frame, [y, x, height, width,] pixels, ignored, unexpected
        self.fixed: list[np.ndarray] = []
        self.nz: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.objects: list[np.ndarray] = []

    def add(self, paths: list[str], numbers) -> None:
        """``numbers``: a (rows, width - 1) int64 block in column order after ``path``, or
        (first ``nfixed`` columns, sparse (row, col, value) of the rest) from the fast
        parser."""
        offset = len(self.paths)
        self.paths.extend(paths)
        if isinstance(numbers, tuple):
            fixed, (rows, cols, vals) = numbers
        else:
            fixed = numbers[:, :self.nfixed]
            rows, cols = np.nonzero(numbers[:, self.nfixed:])
            vals = numbers[:, self.nfixed:][rows, cols]
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
        fixed = (np.concatenate(self.fixed) if self.fixed else
                 np.zeros((0, self.nfixed), np.int64))
        nz = tuple(np.concatenate([part[j] for part in self.nz]) for j in range(3))
        return Table(self.paths, fixed[:, 0], fixed[:, -3], fixed[:, -2], fixed[:, -1],
                     objects=np.concatenate(self.objects) if self.has_objects else None,
                     source=source, sha256=sha, nonzero=nz, num_classes=self.k,
                     windows=fixed[:, 1:5] if self.windows else None)


def _parse_block(lines: list[bytes], width: int, source: str, names: Sequence[str],
                 first_line: int, nfixed: int = 4) -> tuple[list[str], np.ndarray | tuple]:
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
        parsed = _sparse_fields(text, len(lines), width - 1, nfixed)
        if parsed is not None:
            return paths, parsed
    # the slow path: Python ints, naming the first bad cell
    numbers = np.array([_checked_row(next(csv.reader([line.decode("utf-8")])), width,
                                     names, source, first_line + off)
                        for off, line in enumerate(lines)], dtype=np.int64)
    return paths, numbers.reshape(len(lines), width - 1)


def _sparse_fields(text: bytes, rows: int, fields: int, nfixed: int = 4):
    """Parse ``rows`` x ``fields`` comma-separated whole numbers (validated: digits and
    commas only, no empty field) without touching the many "0" cells one by one: returns
    (first ``nfixed`` columns dense, (row, col, value) of the other non-zero cells), or None
    when a cell has more than 18 digits (the caller's slow path checks int64 range)."""
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
    fixed = np.zeros((rows, nfixed), dtype=np.int64)
    head = col < nfixed
    fixed[row[head], col[head]] = value[head]
    keep = ~head & (value != 0)
    return fixed, (row[keep], col[keep] - nfixed, value[keep])


def read_csv(path: str) -> Table:
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
    k, has_objects, windows = check_layout(header, path)
    width = len(header)
    columns = _Columns(k, has_objects, windows)
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
            columns.add(*_parse_block(lines, width, path, header, line_no, columns.nfixed))
        line_no += block.count(b"\n") + 1
        pos = stop + 1
    if not columns.paths:
        raise EmptyTable(f"{path}: the table has a header but no rows")
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
    k, has_objects, windows = check_layout(header, source)
    if not rows:
        raise EmptyTable(f"{source}: the table has a header but no rows")
    columns = _Columns(k, has_objects, windows)
    out = np.empty((len(rows), len(header) - 1), dtype=np.int64)
    for i, row in enumerate(rows):
        out[i] = _checked_row(row, len(header), header, source, i + 2)
    columns.add([r[0] for r in rows], out)
    return columns.table(source, sha)
