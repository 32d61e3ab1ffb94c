"""Colour-coded (RGB/RGBA) masks: colour tables, and exact counting by packed colour.

Many datasets store labels as colours (CamVid's ``class_dict.csv``, CVAT's ``labelmap.txt``,
ISPRS Potsdam, DeepGlobe; see DOMAIN.md). Counting them needs a colour -> class id table, and
anti-aliased or JPEG-compressed masks leave colours that are in no table: those are counted
per colour and reported, never mapped to the nearest class.

A colour table comes from one of (class id = row order, from 0):

* CSV ``name,r,g,b`` with a header, as CamVid's ``class_dict.csv`` (SegNet tutorial, Kaggle);
* CVAT ``labelmap.txt`` lines ``name:r,g,b:parts:actions`` (``#`` lines are comments);
* JSON ``{"name": [r, g, b], ...}`` (or ``"#rrggbb"``), or a JSON list of ``[r, g, b]``;
* a palette ('P') image: palette index i is class i (the first index wins for a colour
  listed twice), e.g. a VOC ``SegmentationClass`` PNG used as a reference palette.

Counting takes the distinct colours and their pixel counts (Pillow's C ``getcolors`` when an
image has at most ``GETCOLORS_LIMIT`` colours, else ``np.unique`` of every pixel packed to one
uint32, ``R + 256 G + 65536 B``, the COCO panoptic id formula; alpha is dropped) and looks the
distinct colours up in the table, so no Python code runs per pixel. A colour that is not in
the table is passed on as the histogram value ``UNKNOWN_BASE + packed`` (always negative, so
it can never collide with a class id); :func:`finish_unknown` pulls those values out of the
scan's :class:`~maskstats.histogram.Counts` before they reach the class statistics, and
reports them under ``unknown_colors`` (they still count in ``total_pixels``).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.histogram import Counts, ImageHist

#: unknown colour ``packed`` travels as histogram value ``UNKNOWN_BASE + packed`` (< 0)
UNKNOWN_BASE = -(1 << 32)
#: files listed per unknown colour in the report (the first ones in path order)
MAX_FILES = 5
#: unknown colours listed by name in the report (the ones with the most pixels)
MAX_COLORS = 20
#: most distinct colours counted with Pillow's Image.getcolors before NumPy takes over
GETCOLORS_LIMIT = 1 << 16

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

    def pairs(self) -> ColorPairs:
        """``(packed colour, class id)`` pairs for :class:`~maskstats.readers.ReadOptions`.

        A colour listed twice keeps its first class id.
        """
        seen: dict[int, int] = {}
        for class_id, rgb in enumerate(self.colors):
            seen.setdefault(pack_rgb(*rgb), class_id)
        return tuple(sorted(seen.items()))

    def as_option(self) -> dict[str, int]:
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
        from maskstats.io import parse_json

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
    if rows and not rows[0][1][-1].strip().lstrip("-").isdigit():  # a header line
        header = [h.strip().lower() for h in rows[0][1]]
        if {"name", "r", "g", "b"} <= set(header):
            cols = {k: header.index(k) for k in cols}
        rows = rows[1:]
    names, colors = [], []
    for n, row in rows:
        where = f"{path}: line {n}"
        if len(row) < 4:
            raise UsageProblem(f"{where}: expected name,r,g,b")
        names.append(row[cols["name"]].strip())
        colors.append(_rgb([row[cols[k]] for k in "rgb"], where))
    return ColorTable(tuple(colors), tuple(names), path)


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
    return ColorTable(tuple(colors), tuple(names), path)


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
        return ColorTable(colors, tuple(str(k) for k in obj), path)
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
    for name, rgb in zip(table.names, table.colors):
        if rgb in first:
            raise UsageProblem(f"{table.source}: classes {first[rgb]!r} and {name!r} have the "
                               f"same colour {list(rgb)}")
        first[rgb] = name
    dupes = sorted({n for n in table.names if table.names.count(n) > 1})
    if dupes:
        raise UsageProblem(f"{table.source}: class name {dupes[0]!r} is listed twice")


# --------------------------------------------------------------------------- counting
def pack_pixels(arr: np.ndarray) -> np.ndarray:
    """(H, W, 3 or 4) uint8 pixels -> flat uint32 ``R + 256 G + 65536 B`` (alpha dropped)."""
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4) or arr.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3|4) uint8 pixels, got {arr.shape} {arr.dtype}")
    flat = arr.reshape(-1, arr.shape[-1])
    if arr.shape[-1] == 4:
        return np.ascontiguousarray(flat).view("<u4").reshape(-1) & np.uint32(0xFFFFFF)
    packed = flat[:, 2].astype(np.uint32)  # in-place shifts: ~3x faster than padding to 4
    packed <<= 8
    packed |= flat[:, 1]
    packed <<= 8
    packed |= flat[:, 0]
    return packed


def colour_counts(im) -> tuple[np.ndarray, np.ndarray]:
    """Distinct packed RGB colours of a Pillow RGB/RGBA image (sorted) and their pixels.

    Masks hold few colours, so Pillow's C ``Image.getcolors`` (exact counts, no array) is
    tried first; past ``GETCOLORS_LIMIT`` distinct colours (JPEG noise) every pixel is
    packed with :func:`pack_pixels` and counted with ``np.unique``.
    """
    found = im.getcolors(GETCOLORS_LIMIT)
    if found is None:
        colours, counts = np.unique(pack_pixels(np.asarray(im)), return_counts=True)
        return colours.astype(np.int64), counts.astype(np.int64)
    rgb = np.array([colour[:3] for _, colour in found], dtype=np.int64).reshape(-1, 3)
    colours, inverse = np.unique(rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16),
                                 return_inverse=True)  # RGBA: colours differing in alpha merge
    counts = np.zeros(colours.size, dtype=np.int64)
    np.add.at(counts, inverse, np.array([n for n, _ in found], dtype=np.int64))
    return colours, counts


def hist_of_image(path: str, im, pairs: ColorPairs) -> ImageHist:
    """Exact class histogram of one RGB/RGBA Pillow image; unknown colours as negative values."""
    colours, counts = colour_counts(im)
    return _lookup(colours, counts, pairs, im.size[0] * im.size[1])


def hist_of_colors(path: str, arr: np.ndarray, pairs: ColorPairs) -> ImageHist:
    """Exact class histogram of one colour-coded image; unknown colours as negative values."""
    if arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        raise UnreadableMask(path, f"expected an RGB or RGBA image, got shape {arr.shape}")
    colours, counts = np.unique(pack_pixels(arr), return_counts=True)
    return _lookup(colours.astype(np.int64), counts.astype(np.int64), pairs,
                   int(arr.shape[0] * arr.shape[1]))


def _lookup(colours: np.ndarray, counts: np.ndarray, pairs: ColorPairs, pixels: int
            ) -> ImageHist:
    """Map distinct packed colours and their pixels to class ids (``pairs`` sorted)."""
    summed = counts
    keys = np.array([p for p, _ in pairs], dtype=np.int64)
    ids = np.array([c for _, c in pairs], dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, colours), keys.size - 1)
    known = keys[pos] == colours
    class_ids, inverse = np.unique(ids[pos[known]], return_inverse=True)
    class_counts = np.zeros(class_ids.size, dtype=np.int64)
    np.add.at(class_counts, inverse, summed[known])
    unknown = colours[~known] + UNKNOWN_BASE  # sorted, all negative
    return ImageHist(np.concatenate([unknown, class_ids]),
                     np.concatenate([summed[~known], class_counts]), int(pixels))


# ---------------------------------------------------------------- unknown colours report
# Unknown colours stay in the Counts as negative values, so their pixel and image totals are
# exact through worker processes, the cache and Dask. Which files they occur in travels as a
# tagged note in the batch's warning set (also cached per file) and is taken out again in
# :func:`finish_unknown` before warnings are shown.
_NOTE = "maskstats:unknown-colors\t"


def take_unknown(counts: Counts) -> dict[int, tuple[int, int]]:
    """Remove unknown-colour values from ``counts``; return ``{packed: (pixels, images)}``."""
    out = {}
    for value in [v for v in counts.sparse if v < 0 and v - UNKNOWN_BASE >= 0]:
        pixels, images, _ = counts.sparse.pop(value)
        out[value - UNKNOWN_BASE] = (pixels, images)
    return out


def note_unknown(notes: set[str], counts: Counts, path: str) -> None:
    """Add a note naming ``path`` and its ``MAX_COLORS`` most common unknown colours."""
    found = [(row[0], v - UNKNOWN_BASE) for v, row in counts.sparse.items()
             if v < 0 and v - UNKNOWN_BASE >= 0]
    if found:
        top = sorted(found, key=lambda t: (-t[0], t[1]))[:MAX_COLORS]
        notes.add(_NOTE + path + "\t" + ",".join(str(p) for _, p in top))


def finish_unknown(counts: Counts, warnings: set[str]) -> dict[str, Any] | None:
    """Take unknown colours out of ``counts`` and notes out of ``warnings``; the report.

    The report (the ``unknown_colors`` entry of the stats JSON, None when every colour was
    in the table) is ``{"pixels": total, "colors": distinct colours, "top": {"#rrggbb":
    {"pixels": n, "images": k, "files": [...]}}}``: ``top`` holds the ``MAX_COLORS`` colours
    with the most pixels; ``files`` the first ``MAX_FILES`` files (path order) where the
    colour is among that file's ``MAX_COLORS`` most common unknown colours.
    """
    notes = {w for w in warnings if w.startswith(_NOTE)}
    warnings -= notes
    store = take_unknown(counts)
    if not store:
        return None
    files: dict[int, list[str]] = {}
    for note in sorted(notes):
        path, packed = note[len(_NOTE):].rsplit("\t", 1)
        for p in packed.split(","):
            files.setdefault(int(p), []).append(path)
    ranked = sorted(store.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return {
        "pixels": sum(row[0] for row in store.values()),
        "colors": len(store),
        "top": {hex_color(p): {"pixels": pix, "images": imgs,
                               "files": sorted(files.get(p, []))[:MAX_FILES]}
                for p, (pix, imgs) in ranked[:MAX_COLORS]},
    }


def check_unknown(report: Mapping[str, Any] | None, on_unknown_color: str, source: str) -> None:
    """Raise :func:`unknown_error` when unknown colours were found and the mode is "error"."""
    if on_unknown_color not in ("error", "report"):
        raise UsageProblem(f"on_unknown_color must be 'error' or 'report', not "
                           f"{on_unknown_color!r}")
    if report and on_unknown_color == "error":
        raise unknown_error(report, source)


def unknown_error(report: Mapping[str, Any], source: str) -> UnreadableMask:
    """The error raised by ``on_unknown_color="error"``, naming the worst colour's first file."""
    top = list(report["top"].items())
    colour, row = top[0]
    listed = ", ".join(f"{c} ({r['pixels']:,} px)" for c, r in top[:5])
    return UnreadableMask(
        row["files"][0] if row["files"] else source,
        f"colour {colour} is not in the colour table {source} ({row['pixels']:,} pixels in "
        f"{row['images']} image(s), this file first; {report['pixels']:,} pixels in "
        f"{report['colors']} unknown colour(s) in all, most common: {listed}); fix the table, "
        "or pass --on-unknown-color report to count them apart under 'unknown_colors'")
