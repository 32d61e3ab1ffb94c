"""The per-image table: one row per image (frame) with its exact per-class counts.

Columns (SPEC "Per-image data"): ``path``, ``frame``, ``pixels``, ``ignored``, ``unexpected``,
then ``c0``, ``c1``, ... (pixels of class k), and with object statistics ``o0``, ``o1``, ...
(connected components of class k). ``.csv`` always; ``.parquet`` with the ``parquet`` extra.

:func:`load_table` reads either into a :class:`Table` of NumPy arrays (pandas not required);
every consumer of per-image data (``images``, ``sample-weights``, ``split``, ``report``) starts
from it.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from maskstats.errors import MaskstatsError

FIXED_COLUMNS = ("path", "frame", "pixels", "ignored", "unexpected")
_CLASS_COLUMN = re.compile(r"([co])(\d+)\Z")


class BadTable(MaskstatsError):
    """A file that is not a maskstats per-image table, or one with bad values."""


@dataclass
class Table:
    """Per-image counts: ``counts[i, k]`` pixels of class k in row i (int64, exact)."""

    paths: list[str]
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
        k = self.num_classes
        names = list(FIXED_COLUMNS) + [f"c{i}" for i in range(k)]
        if self.objects is not None:
            names += [f"o{i}" for i in range(k)]
        return names


def table_columns(num_classes: int, objects: bool = False) -> list[str]:
    """The header of a table with ``num_classes`` class columns."""
    names = list(FIXED_COLUMNS) + [f"c{i}" for i in range(num_classes)]
    return names + ([f"o{i}" for i in range(num_classes)] if objects else [])


def _check_header(header: Sequence[str], source: str) -> tuple[int, bool]:
    """Validate the column names; return (number of classes, has object columns)."""
    header = list(header)
    if tuple(header[:5]) != FIXED_COLUMNS:
        raise BadTable(f"{source}: not a maskstats per-image table (expected the columns "
                       f"{', '.join(FIXED_COLUMNS)}, c0, c1, ...; found "
                       f"{', '.join(header[:6]) or 'nothing'})")
    rest = header[5:]
    k = sum(1 for h in rest if h.startswith("c"))
    has_objects = len(rest) == 2 * k and k > 0
    if rest != table_columns(k, has_objects)[5:]:
        raise BadTable(f"{source}: class columns must be c0..c<K-1> (then o0..o<K-1>), "
                       f"found {', '.join(rest[:8])}{' ...' if len(rest) > 8 else ''}")
    return k, has_objects


def _to_int_matrix(cells: list[list[str]], source: str, names: Sequence[str],
                   first_line: int) -> np.ndarray:
    try:  # fast path: NumPy parses the whole block; the loop below only finds the bad cell
        out = np.asarray(cells, dtype=np.str_).reshape(len(cells), len(names)).astype(np.int64)
        if not (out < 0).any():
            return out
    except (ValueError, OverflowError):
        pass
    out = np.zeros((len(cells), len(names)), dtype=np.int64)
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            try:
                v = int(cell)
            except ValueError:
                raise BadTable(f"{source}: line {i + first_line}: column {names[j]}: "
                               f"{cell!r} is not a whole number") from None
            if v < 0 or v >= 2**63:
                raise BadTable(f"{source}: line {i + first_line}: column {names[j]}: "
                               f"{v} is out of range (counts are non-negative int64)")
            out[i, j] = v
    return out


def _read_csv(path: str) -> tuple[list[str], list[list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BadTable(f"{path}: cannot read the table ({exc})") from None
    return header, rows


def _read_parquet(path: str) -> tuple[list[str], list[str], np.ndarray]:
    """Header, paths and the integer columns of a Parquet table (read column by column)."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise BadTable(f"{path}: reading Parquet needs the 'parquet' extra: "
                       "pip install 'maskstats[parquet]'") from None
    try:
        t = pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds on a bad file
        raise BadTable(f"{path}: cannot read the Parquet table ({exc})") from None
    header = t.column_names
    _check_header(header, path)
    paths = [("" if v is None else str(v)) for v in t.column(0).to_pylist()]
    numbers = np.zeros((t.num_rows, len(header) - 1), dtype=np.int64)
    for j, name in enumerate(header[1:]):
        col = t.column(name)
        if col.null_count or not str(col.type).startswith(("int", "uint")):
            raise BadTable(f"{path}: column {name} must hold whole numbers without gaps "
                           f"(found {col.type}{', with nulls' if col.null_count else ''})")
        values = col.to_numpy()
        if values.size and (values.min() < 0 or (values.dtype == np.uint64
                                                  and values.max() >= 2**63)):
            raise BadTable(f"{path}: column {name}: counts are non-negative int64")
        numbers[:, j] = values
    return header, paths, numbers


def load_table(path: str | os.PathLike) -> Table:
    """Read a per-image table written by ``maskstats scan --per-image`` (CSV or Parquet)."""
    from maskstats.io import sha256_bytes

    path = os.fspath(path)
    if path.endswith(".parquet"):
        header, paths, numbers = _read_parquet(path)
        k, has_objects = _check_header(header, path)
    else:
        header, rows = _read_csv(path)
        k, has_objects = _check_header(header, path)
        width = len(header)
        for i, row in enumerate(rows):
            if len(row) != width:
                raise BadTable(f"{path}: line {i + 2}: {len(row)} fields, expected {width} "
                               "(a truncated or edited file?)")
        numbers = _to_int_matrix([r[1:] for r in rows], path, header[1:], 2)
        numbers = numbers.reshape(len(rows), width - 1)
        paths = [r[0] for r in rows]
    counts = numbers[:, 4:4 + k]
    table = Table(paths=paths, frames=numbers[:, 0].copy(),
                  pixels=numbers[:, 1].copy(), ignored=numbers[:, 2].copy(),
                  unexpected=numbers[:, 3].copy(), counts=np.ascontiguousarray(counts),
                  objects=np.ascontiguousarray(numbers[:, 4 + k:]) if has_objects else None,
                  source=path)
    with open(path, "rb") as fh:
        table.sha256 = sha256_bytes(fh.read())
    return table
