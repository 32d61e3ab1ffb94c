"""Image names in a per-image table: what a table can hold, and how a CSV cell quotes them.

The decision (documented in docs/per-image.md):

* Every name that is Unicode text round-trips, through CSV and Parquet alike: commas,
  quotes, CR, LF, U+2028, tabs, leading spaces. A CSV cell is quoted (RFC 4180: the cell in
  double quotes, a quote doubled) when it holds a comma, a quote, a line break of any kind
  or leading/trailing white space, so pandas, Python's :mod:`csv` and maskstats read the
  exact name back.
* A file name that is not valid UTF-8 (bytes that Python keeps as surrogate escapes, e.g.
  a Latin-1 name on a UTF-8 system) cannot be written to a UTF-8 table nor to Parquet's
  string column: the scan stops with one error line naming the file before anything is
  written. Rename the file, or scan without ``--per-image``.
* Cells starting with ``=``, ``+``, ``-`` or ``@`` are written as they are: the table is
  data for pandas and maskstats, and a guard (a leading ``'``) would change the paths read
  back. Open it in a spreadsheet with the path column imported as text.
"""

from __future__ import annotations

import re

from maskstats.errors import MaskstatsError

#: characters that make a cell need quotes: separator, quote, and every line break that
#: any reader (Python's str.splitlines, pandas, spreadsheets) might split at
_NEEDS_QUOTES = re.compile(r'[,"\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]|^\s|\s$')


class UnwritableName(MaskstatsError):
    """A file name that a per-image table cannot hold (not valid UTF-8)."""


def check_name(name: str, path: str) -> None:
    """Refuse a name that is not valid UTF-8 text (surrogate-escaped bytes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raw = name.encode("utf-8", "surrogateescape")[exc.start:exc.end]
        raise UnwritableName(
            f"{path}: the file name is not valid UTF-8 (byte {raw[:4].hex(' ')}), so the "
            "per-image table cannot hold it; rename the file or scan without --per-image "
            "(nothing was written)") from None


def csv_cell(name: str) -> str:
    """``name`` as one CSV cell, quoted when it needs to be (see the module docstring)."""
    if _NEEDS_QUOTES.search(name):
        return '"' + name.replace('"', '""') + '"'
    return name
