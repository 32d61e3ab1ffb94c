"""Samples per class for classifiers: label columns, label lists and ImageFolder trees.

``maskstats labels`` counts samples rather than pixels and writes the same
stats JSON as ``scan`` with ``"unit": "samples"``, so ``maskstats weights`` works unchanged,
e.g. ``--scheme pos-weight`` for ``BCEWithLogitsLoss(pos_weight=...)`` or the scikit-learn
"balanced" weights (``compute_class_weight``) with ``--scheme inverse-frequency``.

Sources: a CSV/TSV file (one column holds the label; the header is line 1), a text file with
one label per line, a JSON list of labels, or an ImageFolder-style folder (one sub-folder per
class, as ``torchvision.datasets.ImageFolder`` reads it: classes are the sorted sub-folder
names, files with image extensions count). Nothing is guessed: an empty label or an unknown
name is an error naming the file and the line.

In the stats, ``pixel_counts`` and ``image_counts`` hold the samples of each class,
``num_images`` and ``total_pixels`` the number of samples, and ``image_pixels[c]`` the number
of samples of the whole dataset for every present class, so median-frequency weighting
reduces to ``median_k(f_k) / f_c`` with ``f_c = n_c / N``, as it does for ``--counts``.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from typing import Iterable, Iterator, Sequence

from maskstats.errors import MaskstatsError, UsageProblem
from maskstats.core.limits import CLASS_LIMIT, check_num_classes
from maskstats.core.stats import Stats
from maskstats.core.extras import MULTI_LABEL

#: file types an ImageFolder class folder may hold (torchvision's IMG_EXTENSIONS)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
TEXT_EXTENSIONS = (".txt", ".lst")
_INT = re.compile(r"[+-]?\d+")


class _Tally:
    """Samples per label, and where each label was first seen (for error messages)."""

    def __init__(self) -> None:
        self.samples = 0
        self.counts: Counter[str] = Counter()
        self.first: dict[str, str] = {}
        self.folder_classes: set[str] = set()

    def add(self, where: str, cell: str | list, sep: str | None) -> None:
        if isinstance(cell, list):
            parts = cell
        else:
            parts = cell.split(sep) if sep else [cell]
        labels = []
        for part in parts:
            if isinstance(part, bool) or not isinstance(part, (str, int)):
                raise MaskstatsError(f"{where}: {part!r} is not a label (expected a name or "
                                     "an integer)")
            label = str(part).strip()
            if not label:
                raise MaskstatsError(f"{where}: empty label")
            labels.append(label)
        self.samples += 1
        for label in dict.fromkeys(labels):  # a label repeated in one cell counts once
            self.counts[label] += 1
            self.first.setdefault(label, where)


# ------------------------------------------------------------------------------- sources
def _text_lines(path: str) -> Iterator[str]:
    """The lines of a UTF-8 text file, streamed (a label file may have millions of rows)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            yield from fh
    except UnicodeDecodeError:
        raise MaskstatsError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise MaskstatsError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _table(path: str, delimiter: str, column: str) -> Iterator[tuple[str, str]]:
    """(where, cell) of the label column of a CSV/TSV file; the header is line 1."""
    reader = csv.reader(_text_lines(path), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise MaskstatsError(f"{path}: empty file (expected a header line)")
    if column not in header:
        raise UsageProblem(f"{path}: line 1: no column {column!r} (columns: "
                           f"{', '.join(header)}); pick one with --column")
    index = header.index(column)
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if len(row) <= index:
            what = ("empty line" if not row else
                    f"only {len(row)} of {len(header)} fields, no {column!r} value")
            raise MaskstatsError(f"{path}: line {start}: {what}")
        yield f"{path}: line {start}", row[index]


def _lines(path: str) -> Iterator[tuple[str, str]]:
    for number, text in enumerate(_text_lines(path), start=1):
        yield f"{path}: line {number}", text.rstrip("\r\n")


def _json_list(path: str) -> Iterator[tuple[str, str | list]]:
    from maskstats.core.jsonio import parse_json

    items = parse_json("".join(_text_lines(path)), str(path), MaskstatsError)
    if not isinstance(items, list):
        raise MaskstatsError(f"{path}: expected a JSON list of labels, not a "
                             f"{type(items).__name__}")
    for i, item in enumerate(items):
        yield f"{path}: item {i}", item if isinstance(item, (list, str)) else [item]


def _image_folder(path: str, tally: _Tally) -> None:
    """Count image files per class sub-folder (sorted names; sub-folders walked)."""
    classes = sorted(e.name for e in os.scandir(path) if e.is_dir() and e.name[0] != ".")
    if not classes:
        raise UsageProblem(f"{path}: no class sub-folders (an ImageFolder has one folder per "
                           "class)")
    for name in classes:
        tally.folder_classes.add(name)
        for root, dirs, files in os.walk(os.path.join(path, name), followlinks=True):
            dirs[:] = sorted(d for d in dirs if d[0] != ".")
            for file in sorted(files):
                if file[0] != "." and file.lower().endswith(IMAGE_EXTENSIONS):
                    tally.add(os.path.join(root, file), name, None)


def _read_source(source: str, tally: _Tally, column: str, sep: str | None) -> None:
    if os.path.isdir(source):
        _image_folder(source, tally)
        return
    if not os.path.exists(source):
        raise UsageProblem(f"{source}: no such file or folder")
    ext = os.path.splitext(source)[1].lower()
    if ext in TABLE_DELIMITERS:
        rows: Iterable = _table(source, TABLE_DELIMITERS[ext], column)
    elif ext in TEXT_EXTENSIONS:
        rows = _lines(source)
    elif ext == ".json":
        rows = _json_list(source)
    else:
        raise UsageProblem(f"{source}: unknown label source (expected a .csv, .tsv, .txt, "
                           ".json file or an ImageFolder folder)")
    for where, cell in rows:
        tally.add(where, cell, sep)


# ---------------------------------------------------------------------------------- API
def count_labels(
    sources: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    column: str = "label",
    class_names: Sequence[str] | None = None,
    multi_label: str | None = None,
    num_classes: int | None = None,
) -> Stats:
    """Count samples per class in label files or ImageFolder trees (``maskstats labels``).

    Args:
        sources: CSV/TSV files (``column`` holds the label), text files (one label per
            line), JSON lists of labels, or folders with one sub-folder per class.
        column: the label column of CSV/TSV files.
        class_names: fixes the class order (class c is ``class_names[c]``); every name
            label must be one of them. Without it, names are sorted (as ImageFolder does).
        multi_label: separator splitting a cell into several labels (e.g. ``";"`` for
            ``cat;dog``); each sample counts once for each of its classes.
        num_classes: length K of the class vector for integer labels (default: max id + 1).

    Integer labels (every label of every file looks like an integer and no folder is given)
    are class ids; anything else is a name.

    Returns:
        Stats with ``unit="samples"``: ``pixel_counts``/``image_counts`` = samples per class.

    Raises:
        MaskstatsError: a bad row (empty label, unknown name, id out of range), naming the
            file and the line (the CSV header is line 1).
        UsageProblem: a missing source or column, or inconsistent options.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    sources = [os.fspath(s) for s in sources]
    if not sources:
        raise UsageProblem("no label source given")
    check_num_classes(num_classes)
    if multi_label == "":
        raise UsageProblem("the --multi-label separator must not be empty")
    tally = _Tally()
    for source in sources:
        _read_source(source, tally, column, multi_label)
    if tally.samples == 0 and not tally.folder_classes:
        raise UsageProblem(f"{', '.join(sources)}: no labels found")
    labels = set(tally.counts) | tally.folder_classes
    if not tally.folder_classes and all(_INT.fullmatch(label) for label in labels):
        counts, names = _by_id(tally, class_names, num_classes)
    else:
        counts, names = _by_name(tally, labels, class_names, num_classes)
    n = tally.samples
    # a sample may hold several labels: record how many samples there are, so pos-weight
    # counts the real negatives (n - n_c), not sum(counts) - n_c
    several = multi_label is not None or sum(counts) != n
    return Stats(
        pixel_counts=counts, image_counts=list(counts),
        image_pixels=[n if c else 0 for c in counts],
        num_images=n, total_pixels=n, class_names=names, unit="samples", paths=sources,
        options={"num_classes": num_classes, "multi_label": multi_label},
        extra={MULTI_LABEL: {"samples": n}} if several else {},
    )


def _by_id(tally: _Tally, class_names: Sequence[str] | None,
           num_classes: int | None) -> tuple[list[int], list[str] | None]:
    ids = {label: int(label) for label in tally.counts}
    if class_names is not None and num_classes is not None and len(class_names) != num_classes:
        raise UsageProblem(f"{len(class_names)} class names given for {num_classes} classes")
    k = num_classes or (len(class_names) if class_names is not None else None)
    for label, i in sorted(ids.items(), key=lambda kv: kv[1]):
        if i < 0 or (k is not None and i >= k):
            limit = f" (classes 0..{k - 1})" if k is not None else ""
            raise MaskstatsError(f"{tally.first[label]}: class id {i} is out of range{limit}")
    if k is None and ids and max(ids.values()) >= CLASS_LIMIT:
        label = max(ids, key=ids.get)
        raise MaskstatsError(f"{tally.first[label]}: class id {ids[label]:,} is beyond the "
                             f"{CLASS_LIMIT:,}-class limit without --num-classes (a sample id "
                             "or a hash, not a class?); pass --num-classes K if it is real")
    k = k if k is not None else max(ids.values()) + 1
    counts = [0] * k
    for label, i in ids.items():
        counts[i] += tally.counts[label]
    return counts, list(class_names) if class_names is not None else None


def _by_name(tally: _Tally, labels: set[str], class_names: Sequence[str] | None,
             num_classes: int | None) -> tuple[list[int], list[str]]:
    if class_names is not None:
        names = list(class_names)
        known = set(names)
        # in reading order, so the error names the first bad line
        unknown = [label for label in tally.first if label not in known]
        unknown += sorted(label for label in tally.folder_classes - known)
        if unknown:
            where = tally.first.get(unknown[0], "a folder")
            raise MaskstatsError(f"{where}: unknown class name {unknown[0]!r} (not in the "
                                 f"--class-names list)")
    else:
        names = sorted(labels)
    if num_classes is not None and num_classes != len(names):
        raise UsageProblem(f"the labels name {len(names)} classes but --num-classes is "
                           f"{num_classes}")
    return [tally.counts.get(name, 0) for name in names], names
