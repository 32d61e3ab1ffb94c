"""COCO panoptic annotations: class pixel totals from the JSON, optionally verified on the PNGs.

A COCO panoptic dataset is a JSON file plus one RGB PNG per image (panopticapi, Kirillov et
al. 2019). Each PNG pixel holds a segment id ``R + 256 G + 65536 B``; id 0 is
void (unlabelled). The JSON's ``annotations[*].segments_info`` lists every segment's ``id``,
``category_id`` and ``area`` (its pixel count), and ``images[*]`` gives each image's
``width`` and ``height``. So the per-class totals need no PNG at all (the fast path):

* ``pixel_counts[c]``: summed ``area`` of the segments of category c;
* ``image_counts[c]`` / ``image_pixels[c]``: images with at least one segment of c, and their
  total ``width * height``;
* void pixels (``width * height`` minus the summed areas) go to ``ignored_pixels`` and to
  ``panoptic.unlabelled_pixels``, so counts + ignored = ``total_pixels`` still holds.

Class index: COCO category ids are sparse (1..200 for 133 categories), so class c is the c-th
entry of the JSON ``categories`` list (the contiguous index detectron2 and mmdetection train
with); ``panoptic.category_ids[c]`` records the category id of class c, and ``class_names``
come from the categories' names.

``verify=True`` decodes every PNG (the decode path): the image size must match the JSON,
every listed segment must cover exactly ``area`` pixels, and no other non-zero id may appear;
any mismatch is an error naming the PNG. The counts then come from the decoded pixels.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from maskstats.errors import MaskstatsError, UnreadableMask, UsageProblem
from maskstats.pipeline.executors import Executor
from maskstats.core.histogram import Counts, ImageHist
from maskstats.pipeline.objects import Objects
from maskstats.pipeline.records import FileRecord
from maskstats.core.stats import Stats
from maskstats.core.extras import PANOPTIC


def load_panoptic(path: str | os.PathLike) -> dict[str, Any]:
    """Parse a COCO panoptic JSON and check the keys this module uses."""
    from maskstats.core.jsonio import parse_json
    from maskstats.readers.coco import read_file

    obj = parse_json(read_file(path, "panoptic JSON file"), str(path), UsageProblem)
    if not isinstance(obj, dict) or not isinstance(obj.get("annotations"), list):
        raise UsageProblem(f"{path}: not a COCO panoptic file (no 'annotations' list)")
    if not isinstance(obj.get("images"), list):
        raise UsageProblem(f"{path}: not a COCO panoptic file (no 'images' list with sizes)")
    check_entries(obj, str(path))
    return obj


def _count(value: Any) -> bool:
    """A whole, non-negative number (JSON ints, and floats such as 12.0)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and value >= 0 and float(value).is_integer())


def check_entries(obj: Mapping[str, Any], source: str) -> None:
    """Refuse entries that would be counted wrongly: one error naming the JSON and the entry.

    Images need an id and a positive whole ``width`` and ``height``; each annotation names an
    image and a PNG no other annotation names; segment ids are unique within their image and
    every ``area`` is a whole number of pixels, at least 0.
    """
    for i, img in enumerate(obj["images"]):
        if not isinstance(img, dict) or "id" not in img:
            raise MaskstatsError(f"{source}: images[{i}]: not an image entry with an 'id'")
        for key in ("width", "height"):
            if not (_count(img.get(key)) and img[key] > 0):
                raise MaskstatsError(f"{source}: images[{i}] (id {img['id']!r}): '{key}' must "
                                     f"be a positive whole number, not {img.get(key)!r}")
    pngs: set[str] = set()
    for i, ann in enumerate(obj["annotations"]):
        if not isinstance(ann, dict):
            raise MaskstatsError(f"{source}: annotations[{i}]: not an object")
        where = f"{source}: annotations[{i}] (image_id {ann.get('image_id')!r})"
        name = str(ann.get("file_name", ann.get("image_id")))
        if name in pngs:
            raise MaskstatsError(f"{where}: PNG {name!r} is listed by two annotations")
        pngs.add(name)
        segments = ann.get("segments_info", [])
        if not isinstance(segments, list):
            raise MaskstatsError(f"{where}: 'segments_info' is not a list")
        seen: set[int] = set()
        for seg in segments:
            if not isinstance(seg, dict) or not _count(seg.get("id")) or "category_id" not in seg:
                raise MaskstatsError(f"{where}: a segment without a whole 'id' and a "
                                     f"'category_id': {str(seg)[:80]}")
            if int(seg["id"]) in seen:
                raise MaskstatsError(f"{where}: segment id {int(seg['id'])} is listed twice")
            seen.add(int(seg["id"]))
            if not _count(seg.get("area")):
                raise MaskstatsError(f"{where}: segment {int(seg['id'])} has area "
                                     f"{seg.get('area')!r}; an area is a whole number of "
                                     "pixels, at least 0")


def categories_of(obj: Mapping[str, Any]) -> tuple[list[int], list[str] | None]:
    """Category ids in class-index order, and their names (None without ``categories``)."""
    cats = obj.get("categories")
    if isinstance(cats, list) and cats:
        return [int(c["id"]) for c in cats], [str(c.get("name", c["id"])) for c in cats]
    ids = sorted({int(s["category_id"]) for a in obj["annotations"]
                  for s in a.get("segments_info", [])})
    return ids, None


def _image_sizes(obj: Mapping[str, Any]) -> dict[int, tuple[int, int]]:
    return {img["id"]: (int(img["width"]), int(img["height"])) for img in obj["images"]}


def _job(ann: Mapping[str, Any], sizes: Mapping[Any, tuple[int, int]], source: str
         ) -> tuple[str, tuple[int, int], list[dict]]:
    """(file name, (width, height), segments) of one annotation, checked."""
    name = str(ann.get("file_name", ann.get("image_id")))
    if ann.get("image_id") not in sizes:
        raise UnreadableMask(name, f"image_id {ann.get('image_id')!r} has no entry in the "
                             f"'images' of {source} (its width and height are unknown)")
    return name, sizes[ann["image_id"]], list(ann.get("segments_info", []))


def hist_from_segments(name: str, size: tuple[int, int], segments: Sequence[Mapping],
                       index: Mapping[int, int], areas: Mapping[int, int] | None = None
                       ) -> tuple[ImageHist, int]:
    """Class histogram of one image from its segments, and its void pixel count.

    ``areas`` (segment id -> pixels decoded from the PNG) replaces the JSON areas.
    """
    pixels = size[0] * size[1]
    per_class: dict[int, int] = {}
    for seg in segments:
        cat = int(seg["category_id"])
        if cat not in index:
            raise UnreadableMask(name, f"segment {seg.get('id')} has category_id {cat}, which "
                                 "is not in the JSON categories")
        area = int(seg["area"]) if areas is None else areas.get(int(seg["id"]), 0)
        per_class[index[cat]] = per_class.get(index[cat], 0) + area
    labelled = sum(per_class.values())
    if labelled > pixels:
        raise UnreadableMask(name, f"segment areas add up to {labelled} pixels but the image "
                             f"has {pixels} ({size[0]}x{size[1]})")
    values = sorted(c for c, n in per_class.items() if n > 0)
    hist = ImageHist(np.array(values, dtype=np.int64),
                     np.array([per_class[c] for c in values], dtype=np.int64), pixels)
    return hist, pixels - labelled


def segment_objects(segments: Sequence[Mapping], index: Mapping[int, int],
                    areas: Mapping[int, int] | None = None) -> Objects:
    """One object per segment of an image (``scan --panoptic --objects``): its class and its
    area; crowd segments (``iscrowd`` 1, a group of things) and empty ones are no object."""
    pairs = sorted((index[int(seg["category_id"])],
                    int(seg["area"]) if areas is None else areas.get(int(seg["id"]), 0))
                   for seg in segments if not seg.get("iscrowd"))
    pairs = [(c, a) for c, a in pairs if a > 0]
    return Objects(np.array([c for c, _ in pairs], dtype=np.int64),
                   np.array([a for _, a in pairs], dtype=np.int64))


def decode_segments(path: str, size: tuple[int, int]) -> dict[int, int]:
    """Segment id -> pixels of one panoptic PNG (id = R + 256 G + 65536 B)."""
    from PIL import Image

    from maskstats.readers.colors import colour_counts

    try:
        with Image.open(path) as im:
            if im.mode not in ("RGB", "RGBA"):
                raise UnreadableMask(path, f"panoptic PNGs are RGB, this one is mode {im.mode}")
            if im.size != tuple(size):
                raise UnreadableMask(path, f"image is {im.size[0]}x{im.size[1]} but the JSON "
                                     f"says {size[0]}x{size[1]}")
            ids, counts = colour_counts(im)
    except FileNotFoundError:
        raise UnreadableMask(path, "panoptic PNG listed in the JSON is missing") from None
    except UnreadableMask:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableMask(path, f"cannot read the panoptic PNG ({exc})") from None
    return dict(zip(ids.tolist(), counts.tolist()))


def verify_segments(path: str, segments: Sequence[Mapping], found: Mapping[int, int]) -> None:
    """Every listed segment covers exactly its ``area``; no unlisted non-zero id appears."""
    listed = {int(s["id"]): int(s["area"]) for s in segments}
    for sid, area in listed.items():
        if found.get(sid, 0) != area:
            raise UnreadableMask(path, f"segment {sid} has area {area} in the JSON but "
                                 f"{found.get(sid, 0)} pixels in the PNG")
    extra = sorted(set(found) - set(listed) - {0})
    if extra:
        raise UnreadableMask(path, f"segment id {extra[0]} appears in the PNG ({found[extra[0]]} "
                             f"pixels) but not in the JSON segments_info")


def decode_batch(jobs: Sequence[tuple], folder: str, index: Mapping[int, int],
                 objects: bool = False) -> list[FileRecord]:
    """Decode and verify a batch of PNGs (runs in a worker process); one record per image."""
    out = []
    for name, size, segments in jobs:
        path = os.path.join(folder, name)
        found = decode_segments(path, size)
        verify_segments(path, segments, found)
        hist, _unlabelled = hist_from_segments(path, size, segments, index, found)
        out.append(FileRecord(name, [hist], objects=[segment_objects(segments, index, found)]
                              if objects else None))
    return out


#: records handed on at a time on the JSON-only path
CHUNK = 4096


class PanopticSource:
    """A COCO panoptic dataset as a stream of per-image records, and its stats.

    ``paths``: the folder holding the panoptic PNGs (read only with ``verify``).
    ``other_options``: count-changing scan options (preset, remap, colors), refused here.
    """

    def __init__(self, paths: Sequence[str], annotations: str | os.PathLike | None, *,
                 verify: bool = False, num_classes: int | None = None,
                 class_names: Sequence[str] | None = None,
                 other_options: Mapping[str, Any] | None = None, objects: bool = False):
        if annotations is None:
            raise UsageProblem("--verify checks COCO panoptic PNGs: it needs --panoptic JSON")
        if other_options:
            raise UsageProblem(f"--panoptic cannot be combined with "
                               f"--{next(iter(other_options))}: classes come from the JSON "
                               "categories")
        if len(paths) != 1 or not os.path.isdir(paths[0]):
            raise UsageProblem("with --panoptic, give one PATH: the folder of the panoptic PNGs")
        self.folder = os.fspath(paths[0])
        obj = load_panoptic(annotations)
        self.source = os.fspath(annotations)
        self.cat_ids, names = categories_of(obj)
        if num_classes is not None and num_classes != len(self.cat_ids):
            raise UsageProblem(f"{self.source} has {len(self.cat_ids)} categories, not "
                               f"{num_classes}")
        self.index = {cid: i for i, cid in enumerate(self.cat_ids)}
        sizes = _image_sizes(obj)
        self.work = [_job(ann, sizes, self.source) for ann in obj["annotations"]]
        self.verify = verify
        self.objects = objects  # one object per (non-crowd) segment
        self.names = list(class_names) if class_names is not None else names
        if self.names is not None and len(self.names) != len(self.cat_ids):
            raise UsageProblem(f"{len(self.names)} class names given for {len(self.cat_ids)} "
                               "categories")

    def __len__(self) -> int:
        return len(self.work)

    def records(self, executor: Executor) -> Iterator[list[FileRecord]]:
        """Per-image records in the JSON's order: from the JSON, or decoded with ``verify``."""
        if self.verify:
            run = partial(decode_batch, folder=self.folder, index=self.index,
                          objects=self.objects)
            for _batch, records in executor.map(run, self.work):
                yield records
            return
        for start in range(0, len(self.work), CHUNK):
            yield [FileRecord(name, [hist_from_segments(name, size, segments, self.index)[0]],
                              objects=[segment_objects(segments, self.index)]
                              if self.objects else None)
                   for name, size, segments in self.work[start:start + CHUNK]]

    def stats(self, counts: Counts, ignore_index: Sequence[int] = ()) -> Stats:
        """The stats of the counted images; void pixels (id 0) are ignored pixels."""
        labelled = sum(row[0] for row in counts.table().values())
        void = counts.total_pixels - labelled
        stats = Stats.from_counts(
            counts, ignore_index=ignore_index, num_classes=len(self.cat_ids),
            class_names=self.names, paths=[self.folder],
            options={"num_classes": len(self.cat_ids), "panoptic_category_ids": self.cat_ids})
        stats.ignored_pixels += void
        stats.extra[PANOPTIC] = {
            "annotations": self.source, "category_ids": self.cat_ids, "unlabelled_pixels": void,
            "verified_images": len(self.work) if self.verify else 0,
        }
        return stats
