"""Split files for annotation scans: one COCO JSON per split, or one YOLO image list.

A table scanned with ``--coco`` splits into ``<name>.coco.json`` files: the split's image
entries and their annotations, in the original file's order, with every other top-level
entry (``info``, ``licenses``, ``categories``, ...) copied, so each file goes straight into
detectron2 (``register_coco_instances``) or mmdet (``ann_file``). The original file is found
through the stats of the scan (``--stats``): its path, checked against the sha256 recorded
at scan time. A table scanned with ``--yolo`` gives ``<name>.images.txt``: the absolute path
of each image of the split, one per line, which Ultralytics accepts as a split in
``data.yaml``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from maskstats.core.extras import COCO, YOLO
from maskstats.core.files import path_lines
from maskstats.core.stats import Stats
from maskstats.errors import UsageProblem


def annotation_files(base: Stats | None, names: Sequence[str]) -> list[str]:
    """The extra file names a split of this scan writes (none for masks)."""
    if base is None:
        return []
    if isinstance(base.extra.get(COCO), dict):
        return [f"{n}.coco.json" for n in names]
    if isinstance(base.extra.get(YOLO), dict):
        return [f"{n}.images.txt" for n in names]
    return []


def _find(recorded: str, stats_file: str | None) -> str:
    """The annotation file as recorded, else relative to the stats file's folder."""
    if os.path.isfile(recorded) or os.path.isabs(recorded) or stats_file is None:
        return recorded
    beside = os.path.join(os.path.dirname(os.path.abspath(stats_file)), recorded)
    return beside if os.path.isfile(beside) else recorded


def coco_documents(info: dict[str, Any], splits: Sequence[Sequence[str]],
                   stats_file: str | None) -> list[bytes]:
    """One COCO JSON (bytes) per list of image names, from the file the scan read."""
    from maskstats.readers.coco import image_name, parse_coco

    if not isinstance(info.get("annotations"), str):
        raise UsageProblem("the stats merge the scans of several annotation files; split the "
                           "table with the stats of one --coco scan")
    path = _find(info["annotations"], stats_file)
    obj, sha = parse_coco(path)
    if info.get("sha256") not in (None, sha):
        raise UsageProblem(f"{path}: the file changed since the scan (its sha256 differs "
                           "from the stats'); scan it again")
    by_name = {image_name(img): img for img in obj["images"]}
    out = []
    for paths in splits:
        missing = [p for p in paths if p not in by_name]
        if missing:
            raise UsageProblem(f"{path}: has no image {missing[0]!r} of the table; the table "
                               "belongs to another file")
        ids = {by_name[p]["id"] for p in paths}
        doc = {}
        for key, value in obj.items():
            if key == "images":
                value = [img for img in obj["images"] if img["id"] in ids]
            elif key == "annotations":
                value = [a for a in obj["annotations"] if a.get("image_id") in ids]
            doc[key] = value
        out.append(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                   + b"\n")
    return out


def yolo_lists(info: dict[str, Any], splits: Sequence[Sequence[str]], folder: str
               ) -> list[bytes]:
    """One list of absolute image paths per split (paths in the table are relative to the
    dataset root the scan recorded)."""
    if not isinstance(info.get("root"), str):
        raise UsageProblem("the stats merge the scans of several YOLO datasets; split the "
                           "table with the stats of one --yolo scan")
    root = info["root"]
    return [path_lines([p if os.path.isabs(p) else os.path.join(root, p) for p in paths],
                       folder, "rename the file (nothing was written)") for paths in splits]


def annotation_outputs(base: Stats | None, names: Sequence[str],
                       splits: Sequence[Sequence[str]], stats_file: str | None,
                       folder: str) -> dict[str, bytes]:
    """File name -> content of the annotation files of a split (empty for masks)."""
    files = annotation_files(base, names)
    if not files:
        return {}
    if isinstance(base.extra.get(COCO), dict):
        blobs = coco_documents(base.extra[COCO], splits, stats_file)
    else:
        blobs = yolo_lists(base.extra[YOLO], splits, folder)
    return dict(zip(files, blobs))
