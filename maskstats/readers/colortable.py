"""Colour tables: class id -> colour, loaded from the files datasets ship (see maskstats.readers.colors).

A colour table comes from one of (class id = row order, from 0):

* CSV ``name,r,g,b`` with a header, as CamVid's ``class_dict.csv`` (SegNet tutorial, Kaggle);
* CVAT ``labelmap.txt`` lines ``name:r,g,b:parts:actions`` (``#`` lines are comments);
* JSON ``{"name": [r, g, b], ...}`` (or ``"#rrggbb"``), or a JSON list of ``[r, g, b]``;
* a palette ('P') image: palette index i is class i (the first index wins for a colour
  listed twice), e.g. a VOC ``SegmentationClass`` PNG used as a reference palette.

Ignore rows: a row named ``ignore`` (any case), or in CSV a row with a true value (``1``,
``yes``, ``true``) in an ``ignore`` column, is no class: its colour's pixels are counted as
ignored (stored value :attr:`ColorTable.ignore_value`), and the classes are the other rows, in
order.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from maskstats.errors import UsageProblem

ColorPairs = tuple[tuple[int, int], ...]


def pack_rgb(r: int, g: int, b: int) -> int:
    """One colour as an integer, ``r + 256 g + 65536 b`` (also the COCO panoptic segment id)."""
    return int(r) | (int(g) << 8) | (int(b) << 16)


def hex_color(packed: int) -> str:
    """``#rrggbb`` of a packed colour."""
    r, g, b = packed & 0xFF, (packed >> 8) & 0xFF, (packed >> 16) & 0xFF
    return f"#{r:02x}{g:02x}{b:02x}"


@dataclass(frozen=True)
class ColorTable:
    """Class id -> colour (``colors[i]`` is the (r, g, b) of class i), with optional names."""

    colors: tuple[tuple[int, int, int], ...]
    names: tuple[str, ...] | None = None
    source: str = "colour table"
    #: colours of the ignore rows: counted as ignored (:attr:`ignore_value`), no class
    ignore_colors: tuple[tuple[int, int, int], ...] = ()

    @property
    def ignore_value(self) -> int | None:
        """The stored value of the ignore rows' pixels (255, or 65535 past 255 classes)."""
        if not self.ignore_colors:
            return None
        return 255 if len(self.colors) < 255 else 65535

    def pairs(self) -> ColorPairs:
        """``(packed colour, class id)`` pairs for :class:`~maskstats.readers.formats.ReadOptions`.

        A colour listed twice keeps its first class id; ignore rows give :attr:`ignore_value`.
        """
        seen: dict[int, int] = {}
        for class_id, rgb in enumerate(self.colors):
            seen.setdefault(pack_rgb(*rgb), class_id)
        for rgb in self.ignore_colors:
            seen.setdefault(pack_rgb(*rgb), self.ignore_value)  # type: ignore[arg-type]
        return tuple(sorted(seen.items()))

    def as_option(self) -> dict[str, int]:  # ignore rows appear with ignore_value
        """``{"#rrggbb": class id}``: recorded in ``Stats.options`` so merges can compare."""
        return {hex_color(packed): cid for packed, cid in self.pairs()}


# ---------------------------------------------------------------------------- loading
def load_color_table(path: str | os.PathLike) -> ColorTable:
    """Read a colour table file; the form is chosen by extension (see the module docstring)."""
    path = os.fspath(path)
    suffix = Path(path).suffix.lower()
    if suffix in (".png", ".gif", ".bmp", ".tif", ".tiff"):
        return _palette_table(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageProblem(f"{path}: no such colour table file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"{path}: cannot read the colour table ({exc})") from None
    if suffix == ".json":
        from maskstats.core.jsonio import parse_json

        obj = parse_json(text, str(path), UsageProblem)
        table = _json_table(obj, path)
    elif suffix in (".csv", ".tsv") or not _looks_like_labelmap(text):
        table = _csv_table(text, path)
    else:
        table = _labelmap_table(text, path)
    if not table.colors:
        raise UsageProblem(f"{path}: the colour table lists no colours")
    _check_unique(table)
    return table


def _table(colors: Sequence[tuple[int, int, int]], names: Sequence[str], path: str,
           ignore: Sequence[bool] = ()) -> ColorTable:
    """A named table whose ignore rows (named ``ignore``, or flagged) are set apart."""
    flags = [bool(ignore[i]) if i < len(ignore) else False for i in range(len(names))]
    flags = [f or n.strip().lower() == "ignore" for f, n in zip(flags, names)]
    keep = [i for i, f in enumerate(flags) if not f]
    return ColorTable(tuple(colors[i] for i in keep), tuple(names[i] for i in keep), path,
                      tuple(c for c, f in zip(colors, flags) if f))


def _rgb(values: Sequence[Any], where: str) -> tuple[int, int, int]:
    try:
        rgb = tuple(int(str(v).strip()) for v in values)
    except ValueError:
        raise UsageProblem(f"{where}: colour {list(values)} is not three integers") from None
    if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
        raise UsageProblem(f"{where}: colour {list(values)} must be three integers 0-255")
    return rgb  # type: ignore[return-value]


def _hex(text: str, where: str) -> tuple[int, int, int]:
    s = text.strip().lstrip("#")
    if len(s) != 6:
        raise UsageProblem(f"{where}: colour {text!r} is not #rrggbb")
    try:
        return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)
    except ValueError:
        raise UsageProblem(f"{where}: colour {text!r} is not #rrggbb") from None


def _csv_table(text: str, path: str) -> ColorTable:
    """CamVid ``class_dict.csv``: ``name,r,g,b`` (header optional; columns found by name)."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    dialect = "excel-tab" if "\t" in first else "excel"
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text), dialect), 1)
            if row and any(cell.strip() for cell in row)]
    cols = {"name": 0, "r": 1, "g": 2, "b": 3}
    flag = None  # the optional ``ignore`` column
    if rows and not rows[0][1][min(1, len(rows[0][1]) - 1)].strip().lstrip("-").isdigit():
        header = [h.strip().lower() for h in rows[0][1]]
        if {"name", "r", "g", "b"} <= set(header):
            cols = {k: header.index(k) for k in cols}
        flag = header.index("ignore") if "ignore" in header else None
        rows = rows[1:]
    names, colors, ignore = [], [], []
    for n, row in rows:
        where = f"{path}: line {n}"
        if len(row) < 4:
            raise UsageProblem(f"{where}: expected name,r,g,b")
        names.append(row[cols["name"]].strip())
        colors.append(_rgb([row[cols[k]] for k in "rgb"], where))
        ignore.append(flag is not None and len(row) > flag
                      and row[flag].strip().lower() in ("1", "yes", "true", "y"))
    return _table(colors, names, path, ignore)


def _looks_like_labelmap(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return bool(lines) and all(":" in ln for ln in lines)


def _labelmap_table(text: str, path: str) -> ColorTable:
    """CVAT ``labelmap.txt`` (Segmentation mask 1.1 export): ``name:r,g,b:parts:actions``."""
    names, colors = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(":")
        names.append(fields[0].strip())
        colors.append(_rgb(fields[1].split(","), f"{path}: line {n}"))
    return _table(colors, names, path)


def _json_table(obj: Any, path: str) -> ColorTable:
    """``{"name": [r, g, b] or "#rrggbb"}`` in document order, or a list of ``[r, g, b]``."""
    def colour(value: Any, where: str) -> tuple[int, int, int]:
        if isinstance(value, str):
            return _hex(value, where)
        if not isinstance(value, list):
            raise UsageProblem(f"{where}: colour {value!r} is not [r, g, b] or '#rrggbb'")
        return _rgb(value, where)

    if isinstance(obj, dict):
        colors = tuple(colour(v, f"{path}: {k!r}") for k, v in obj.items())
        return _table(colors, tuple(str(k) for k in obj), path)
    if isinstance(obj, list):
        return ColorTable(tuple(colour(v, f"{path}: entry {i}") for i, v in enumerate(obj)),
                          None, path)
    raise UsageProblem(f"{path}: expected a JSON object {{name: [r, g, b]}} or a list of "
                       "[r, g, b]")


def _palette_table(path: str) -> ColorTable:
    """Palette index i of a reference palette image is class i."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            mode, palette = im.mode, im.getpalette()
    except FileNotFoundError:
        raise UsageProblem(f"{path}: no such colour table file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise UsageProblem(f"{path}: cannot read the palette image ({exc})") from None
    if mode != "P" or not palette:
        raise UsageProblem(f"{path}: a reference palette image must be a palette ('P') "
                           f"image, not mode {mode}")
    colors = tuple(tuple(palette[i:i + 3]) for i in range(0, len(palette) - 2, 3))
    return ColorTable(colors, None, path)  # type: ignore[arg-type]


def _check_unique(table: ColorTable) -> None:
    """Two names sharing a colour (or one name twice) make the table ambiguous."""
    if table.names is None:
        return  # palette images: the first index wins, documented above
    first: dict[tuple[int, int, int], str] = {}
    for name, rgb in zip(table.names + ("ignore",) * len(table.ignore_colors),
                         table.colors + table.ignore_colors):
        if rgb in first:
            raise UsageProblem(f"{table.source}: classes {first[rgb]!r} and {name!r} have the "
                               f"same colour {list(rgb)}")
        first[rgb] = name
    seen: set[str] = set()
    dupes = sorted({n for n in table.names if n in seen or seen.add(n)})  # linear, not count()
    if dupes:
        raise UsageProblem(f"{table.source}: class name {dupes[0]!r} is listed twice")
