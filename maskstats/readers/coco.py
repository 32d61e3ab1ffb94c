"""COCO and LVIS instance annotations: one image entry -> its classes' pixels and instances.

A COCO instances file (``instances_val2017.json``, LVIS ``lvis_v1_train.json``) lists
``images`` (``id``, ``width``, ``height``, ``file_name``), ``categories`` (``id``, ``name``)
and ``annotations`` (``id``, ``image_id``, ``category_id``, ``iscrowd``, ``segmentation``).
Class c is the c-th entry of ``categories`` (the contiguous index detectron2 and mmdet train
with). Per image and class:

* instances: annotations with ``iscrowd`` 0;
* pixels: the union of the masks of every annotation of the class, crowd regions included,
  each mask rasterised as pycocotools' ``annToMask`` does (:mod:`maskstats.readers.polygons`);
* presence: any annotation of the class (what detectron2's repeat factors use).

:func:`load_coco` parses and checks the file (one error naming the file and the annotation
id for every problem found before rasterising); :func:`rasterise_image` turns one image job
into its class pixels and instances (in worker processes).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.readers.polygons import BadAnnotation, grouped_union, segmentation_runs

_I64 = np.int64
#: the largest image side accepted (pixel indices and their groupings stay within int64)
MAX_SIDE = 1 << 20
#: per-image LVIS lists kept (as per-class image counts) in the stats, never counted
LVIS_LISTS = ("neg_category_ids", "not_exhaustive_category_ids")


@dataclass
class CocoFile:
    """A checked instances file: classes, and one job per image entry in file order.

    ``jobs[i]`` is ``(name, height, width, annotations)``, annotations as
    ``(class, iscrowd, segmentation, label)`` with label naming the annotation in errors.
    """

    source: str
    cat_ids: list[int]
    names: list[str]
    jobs: list[tuple] = field(default_factory=list)
    image_ids: list[Any] = field(default_factory=list)
    lvis: dict[str, list[int]] = field(default_factory=dict)
    crowd: int = 0
    sha256: str = ""


def _bad(source: str, problem: str) -> UnreadableMask:
    return UnreadableMask(source, problem)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def read_file(path: str | os.PathLike, what: str) -> bytes:
    """The bytes of an annotation file; a missing or unreadable one is a usage error."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageProblem(f"{path}: no such {what}") from None
    except OSError as exc:
        raise UsageProblem(f"{path}: not a readable JSON file ({exc.strerror or exc})") from None


def parse_coco(path: str | os.PathLike) -> tuple[dict[str, Any], str]:
    """The parsed JSON of an instances file, with its three lists checked, and the sha256
    of its bytes.

    Parsed with the standard library's C parser and no per-number hook (an instances file
    holds millions of coordinates): NaN and Infinity are refused; a coordinate that
    overflows to infinity is refused when its polygon is checked, and image sizes are
    bounded when the images are.
    """
    from maskstats.core.files import sha256_bytes

    data = read_file(path, "COCO annotation file")
    try:
        obj = json.loads(data.decode("utf-8-sig"), parse_constant=_constant)
    except UnicodeDecodeError:
        raise UnreadableMask(str(path), "not a text file (not UTF-8)") from None
    except RecursionError:
        raise UnreadableMask(str(path), "not valid JSON (nested too deeply)") from None
    except ValueError as exc:
        raise UnreadableMask(str(path), f"not valid JSON ({exc})") from None
    for key in ("images", "annotations", "categories"):
        if not isinstance(obj, dict) or not isinstance(obj.get(key), list):
            raise UsageProblem(f"{path}: not a COCO instances file (no {key!r} list)")
    return obj, sha256_bytes(data)


def image_name(img: Mapping[str, Any]) -> str:
    """``file_name``; for LVIS (no file_name) the last two parts of ``coco_url``, as
    detectron2's LVIS loader does (``train2017/000000391895.jpg``); else the id."""
    if isinstance(img.get("file_name"), str):
        return img["file_name"]
    url = img.get("coco_url")
    if isinstance(url, str) and "/" in url:
        return "/".join(url.split("/")[-2:])
    return str(img.get("id"))


def _categories(obj: Mapping[str, Any], source: str) -> tuple[list[int], list[str]]:
    ids, names = [], []
    for i, cat in enumerate(obj["categories"]):
        if not isinstance(cat, dict) or not _whole(cat.get("id")):
            raise _bad(source, f"categories[{i}] has no whole-number 'id'")
        ids.append(cat["id"])
        names.append(str(cat.get("name", cat["id"])))
    if len(set(ids)) != len(ids):
        dup = next(c for c in ids if ids.count(c) > 1)
        raise _bad(source, f"category id {dup} appears twice in 'categories'")
    return ids, names


def _images(obj: Mapping[str, Any], source: str) -> tuple[list[tuple], dict[Any, int]]:
    """(name, height, width) per image entry, and image id -> position."""
    entries, where, names = [], {}, {}
    for i, img in enumerate(obj["images"]):
        label = f"image id {img.get('id')!r}" if isinstance(img, dict) else f"images[{i}]"
        if not isinstance(img, dict) or not isinstance(img.get("id"), (int, str)):
            raise _bad(source, f"images[{i}] has no 'id'")
        h, w = img.get("height"), img.get("width")
        if not (_whole(h) and _whole(w) and 0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
            raise _bad(source, f"{label}: 'height' and 'width' must be whole numbers in "
                               f"1..{MAX_SIDE}, not {h!r} and {w!r}")
        if img["id"] in where:
            raise _bad(source, f"{label} appears twice in 'images'")
        name = image_name(img)
        if name in names:
            raise _bad(source, f"{label} and image id {names[name]!r} have the same file "
                               f"name {name!r}")
        names[name] = img["id"]
        where[img["id"]] = i
        entries.append((name, h, w))
    return entries, where


def _lvis_counts(obj: Mapping[str, Any], index: Mapping[int, int], source: str
                 ) -> dict[str, list[int]]:
    """Per class, the images listing it in each LVIS list (only lists the file has)."""
    out: dict[str, list[int]] = {}
    for key in LVIS_LISTS:
        if not any(isinstance(img, dict) and key in img for img in obj["images"]):
            continue
        counts = [0] * len(index)
        for img in obj["images"]:
            ids = img.get(key, [])
            if not isinstance(ids, list):
                raise _bad(source, f"image id {img.get('id')!r}: {key} must be a list")
            for cid in set(ids) if all(_whole(c) for c in ids) else [None]:
                if cid not in index:
                    raise _bad(source, f"image id {img.get('id')!r}: {key} holds {cid!r}, "
                                       "which is not a category id")
                counts[index[cid]] += 1
        out[key] = counts
    return out


def load_coco(path: str | os.PathLike) -> CocoFile:
    """Parse and check an instances file; every problem is one error naming the file."""
    source = os.fspath(path)
    obj, sha = parse_coco(path)
    cat_ids, names = _categories(obj, source)
    index = {cid: i for i, cid in enumerate(cat_ids)}
    entries, where = _images(obj, source)
    per_image: list[list] = [[] for _ in entries]
    crowd = 0
    for i, ann in enumerate(obj["annotations"]):
        if not isinstance(ann, dict):
            raise _bad(source, f"annotations[{i}] is not an object")
        label = f"annotation id {ann['id']}" if _whole(ann.get("id")) else f"annotations[{i}]"
        if ann.get("image_id") not in where:
            raise _bad(source, f"{label}: image_id {ann.get('image_id')!r} is not in 'images'")
        if ann.get("category_id") not in index:
            raise _bad(source, f"{label}: category_id {ann.get('category_id')!r} is not in "
                               "'categories'")
        if ann.get("iscrowd", 0) not in (0, 1):
            raise _bad(source, f"{label}: iscrowd must be 0 or 1, not {ann.get('iscrowd')!r}")
        if "segmentation" not in ann:
            raise _bad(source, f"{label}: no 'segmentation' (a box-only file has no masks "
                               "to count)")
        crowd += ann.get("iscrowd", 0) == 1
        per_image[where[ann["image_id"]]].append(
            (index[ann["category_id"]], ann.get("iscrowd", 0) == 1, ann["segmentation"], label))
    jobs = [(name, h, w, anns) for (name, h, w), anns in zip(entries, per_image)]
    return CocoFile(source, cat_ids, names, jobs, list(where), _lvis_counts(obj, index, source),
                    crowd, sha)


def rasterise_image(job: tuple, source: str) -> tuple:
    """One image job's ``(classes, pixels, instance classes, instance sizes)`` (int64
    arrays; instances sorted by class) and the number of its classes annotated only by
    crowd regions of 0 pixels (present for detectron2, absent from the pixels)."""
    name, h, w, anns = job
    empty = np.zeros(0, _I64)
    if not anns:
        return empty, empty, empty, empty, 0
    try:
        owner, starts, ends = segmentation_runs([a[2] for a in anns], h, w)
    except BadAnnotation as exc:
        raise UnreadableMask(source, f"{anns[exc.index][3]} (image {name!r}): {exc}") from None
    classes = np.array([a[0] for a in anns], dtype=_I64)
    crowd = np.array([a[1] for a in anns], dtype=bool)
    k = int(classes.max()) + 1
    sizes = grouped_union(owner, starts, ends, h * w, len(anns))
    pixels = grouped_union(classes[owner], starts, ends, h * w, k)
    annotated = np.bincount(classes, minlength=k) > 0
    crowd_only = annotated & (np.bincount(classes[~crowd], minlength=k) == 0)
    unseen = int((crowd_only & (pixels == 0)).sum())
    order = np.argsort(classes[~crowd], kind="stable")
    values = np.flatnonzero(pixels)
    return (values.astype(_I64), pixels[values], classes[~crowd][order],
            sizes[~crowd][order], unseen)
