"""The files that say what a dataset's values mean: value remaps and class-name files.

Both are small, user-written files; every problem in them is a :class:`UsageProblem` naming
the file (and the line or item).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, Mapping

from maskstats.errors import UsageProblem


def _read_text(path: str | os.PathLike, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageProblem(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"{path}: cannot read the {what} file ({exc})") from None


def _int(text: Any, where: str) -> int:
    if isinstance(text, bool) or isinstance(text, float):
        raise UsageProblem(f"{where}: {text!r} is not an integer")
    try:
        value = int(str(text).strip())
    except ValueError:
        raise UsageProblem(f"{where}: {text!r} is not an integer") from None
    if not -(1 << 63) <= value < (1 << 63):
        raise UsageProblem(f"{where}: {value} is beyond the 64-bit integer range")
    return value


def _parse_json(text: str, path: str | os.PathLike):
    from maskstats.core.jsonio import parse_json

    return parse_json(text, str(path), UsageProblem)


def load_remap(path: str | os.PathLike) -> dict[int, int]:
    """A user's value remap: JSON ``{"from": to}`` or two columns per line (CSV, tab, spaces).

    In text form, ``#`` starts a comment and a first line that is not two integers is taken
    for a header. Values that are not listed stay as they are.
    """
    text = _read_text(path, "remap")
    if Path(path).suffix.lower() == ".json":
        obj = _parse_json(text, path)
        if not isinstance(obj, dict):
            raise UsageProblem(f"{path}: expected a JSON object {{\"from\": to, ...}}")
        return {_int(k, f"{path}: key"): _int(v, f"{path}: value of {k!r}")
                for k, v in obj.items()}
    table: dict[int, int] = {}
    first = True
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cells = next(csv.reader(io.StringIO(line.replace("\t", ","))))
        cells = cells if len(cells) >= 2 else line.split()
        if first and not any(c.strip().lstrip("-").isdigit() for c in cells):
            first = False
            continue  # a header such as "from,to"
        first = False
        if len(cells) != 2:
            raise UsageProblem(f"{path}: line {n}: expected two values 'from,to'")
        src = _int(cells[0], f"{path}: line {n}")
        if src in table:
            raise UsageProblem(f"{path}: line {n}: value {src} is mapped twice")
        table[src] = _int(cells[1], f"{path}: line {n}")
    if not table:
        raise UsageProblem(f"{path}: the remap file maps no values")
    return table


def load_class_names(path: str | os.PathLike) -> list[str]:
    """Class names from a file: one per line, a JSON list, or nnU-Net ``dataset.json``."""
    return load_labels(path)[0]


def load_labels(path: str | os.PathLike) -> tuple[list[str], int | None]:
    """Class names from a file, in class-id order, and the id of an nnU-Net ``"ignore"``
    label (or None). The one reader of ``--class-names`` (``scan`` and ``labels``).

    A text file holds one name per line (trailing blank lines are allowed); a JSON file a
    list of names, or nnU-Net's ``dataset.json`` whose ``"labels"`` is ``{name: id}`` (v2)
    or ``{"id": name}`` (v1) with ids 0..K-1. A label named ``ignore`` must have the highest
    id (nnU-Net's rule); it is returned apart, as an ignore value, not as a class name.
    An empty or repeated name, or no name at all, is a :class:`UsageProblem`.
    """
    text = _read_text(path, "class names")
    if Path(path).suffix.lower() == ".json":
        obj = _parse_json(text, path)
        if isinstance(obj, dict) and isinstance(obj.get("labels"), dict):
            names = _names_by_id(obj["labels"], str(path))
            _check_names([(f"{path}: label {n!r}", n) for n in names], path)
            if "ignore" not in names:
                return names, None
            if names.index("ignore") != len(names) - 1:
                raise UsageProblem(f"{path}: the 'ignore' label must have the highest id "
                                   f"(nnU-Net), not {names.index('ignore')}")
            return names[:-1], len(names) - 1
        if isinstance(obj, list) and all(isinstance(x, str) for x in obj):
            return _check_names([(f"{path}: item {i}", x) for i, x in enumerate(obj)],
                                path), None
        raise UsageProblem(f"{path}: expected a JSON list of names or a dataset.json with "
                           "\"labels\"")
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    rows = [(f"{path}: line {n}", line.strip()) for n, line in enumerate(lines, 1)]
    return _check_names(rows, path), None


def _check_names(rows: list[tuple[str, str]], path: str | os.PathLike) -> list[str]:
    """The names of ``(where, name)`` rows; an empty or repeated name, or none, is refused."""
    seen: set[str] = set()
    for where, name in rows:
        if not name.strip():
            raise UsageProblem(f"{where}: empty class name")
        if name in seen:
            raise UsageProblem(f"{where}: class name {name!r} appears twice")
        seen.add(name)
    if not rows:
        raise UsageProblem(f"{path}: no class names")
    return [name for _, name in rows]


def _names_by_id(labels: Mapping[str, Any], source: str) -> list[str]:
    by_id: dict[int, str] = {}
    for key, val in labels.items():
        if isinstance(val, str):          # nnU-Net v1: {"0": "background"}
            cid, name = _int(key, f"{source}: labels"), val
        elif isinstance(val, list):
            raise UsageProblem(f"{source}: label {key!r} is a region (list of ids); "
                               "region-based labels have no single class id")
        else:                             # nnU-Net v2: {"background": 0}
            cid, name = _int(val, f"{source}: label {key!r}"), str(key)
        if cid in by_id:
            raise UsageProblem(f"{source}: labels {by_id[cid]!r} and {name!r} share id {cid}")
        by_id[cid] = name
    missing = sorted(set(range(len(by_id))) - set(by_id))
    if missing:
        raise UsageProblem(f"{source}: label ids must be 0..{len(by_id) - 1}; id "
                           f"{missing[0]} is missing")
    return [by_id[i] for i in range(len(by_id))]
