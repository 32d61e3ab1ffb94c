"""The per-image table: one row per image (frame) with its exact per-class counts.

Columns: ``path``, ``frame``, ``pixels``, ``ignored``, ``unexpected``,
then ``c0``, ``c1``, ... (pixels of class k), and with object statistics ``o0``, ``o1``, ...
(connected components of class k). ``.csv`` always; ``.parquet`` with the ``parquet`` extra.

:func:`load_table` reads either into a :class:`Table` of NumPy arrays (pandas not required);
every consumer of per-image data (``images``, ``sample-weights``, ``split``, ``report``) starts
from it. The CSV reader parses blocks of lines with NumPy (a 200,000 x 150 table in about a
second) and falls back to the :mod:`csv` module only to handle quoted paths or to name the
line and column of a bad cell.
"""

from __future__ import annotations

import os

from maskstats.table.core import (FIXED_COLUMNS, BadTable, EmptyTable, Table, check_header,
                                  check_rows, table_columns)
from maskstats.table.csv import read_csv
from maskstats.table.parquet import read_parquet

__all__ = ["FIXED_COLUMNS", "BadTable", "EmptyTable", "Table", "check_header", "load_table", "table_columns"]


def load_table(path: str | os.PathLike) -> Table:
    """Read a per-image table written by ``maskstats scan --per-image`` (CSV or Parquet).

    Raises :class:`BadTable` (one line naming the file, and the line and column of a bad
    cell) for a file that is missing, empty, not a maskstats table, truncated, or that holds
    negative or non-integer counts, or a row whose counts add up to more than its pixels;
    Parquet needs the ``parquet`` extra (pyarrow).
    """
    path = os.fspath(path)
    table = read_parquet(path) if path.lower().endswith(".parquet") else read_csv(path)
    check_rows(table)  # pixels >= the class columns + ignored + unexpected, in every row
    return table
