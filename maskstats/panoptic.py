"""COCO panoptic annotations: class pixel totals from the JSON, optionally verified on the PNGs.

A COCO panoptic dataset is a JSON file plus one RGB PNG per image (panopticapi, Kirillov et
al. 2019; DOMAIN.md). Each PNG pixel holds a segment id ``R + 256 G + 65536 B``; id 0 is
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
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.histogram import Counts, ImageHist
from maskstats.stats import Stats


def load_panoptic(path: str | os.PathLike) -> dict[str, Any]:
    """Parse a COCO panoptic JSON and check the keys this module uses."""
    from maskstats.io import parse_json

    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageProblem(f"{path}: no such panoptic JSON file") from None
    except OSError as exc:
        raise UsageProblem(f"{path}: not a readable JSON file ({exc.strerror or exc})") from None
    obj = parse_json(data, str(path), UsageProblem)
    if not isinstance(obj, dict) or not isinstance(obj.get("annotations"), list):
        raise UsageProblem(f"{path}: not a COCO panoptic file (no 'annotations' list)")
    if not isinstance(obj.get("images"), list):
        raise UsageProblem(f"{path}: not a COCO panoptic file (no 'images' list with sizes)")
    return obj


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


def decode_segments(path: str, size: tuple[int, int]) -> dict[int, int]:
    """Segment id -> pixels of one panoptic PNG (id = R + 256 G + 65536 B)."""
    from PIL import Image

    from maskstats.colors import colour_counts

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


def _decode_batch(jobs: Sequence[tuple], folder: str, index: Mapping[int, int]
                  ) -> tuple[Counts, int]:
    """Decode and verify a batch of PNGs (runs in a worker process)."""
    counts, void = Counts(), 0
    for name, size, segments in jobs:
        path = os.path.join(folder, name)
        found = decode_segments(path, size)
        verify_segments(path, segments, found)
        hist, unlabelled = hist_from_segments(path, size, segments, index, found)
        counts.add(hist)
        void += unlabelled
    return counts, void


def scan_panoptic(paths: Sequence[str], annotations: str | os.PathLike, *, verify: bool = False,
                  jobs: int | None = None, ignore_index: Sequence[int] = (),
                  num_classes: int | None = None, class_names: Sequence[str] | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  other_options: Mapping[str, Any] | None = None) -> Stats:
    """Per-category statistics of a COCO panoptic dataset (see the module docstring).

    ``paths``: the folder holding the panoptic PNGs (read only with ``verify``).
    ``other_options``: count-changing scan options (preset, remap, colors), refused here.
    """
    if annotations is None:
        raise UsageProblem("--verify checks COCO panoptic PNGs: it needs --panoptic JSON")
    if other_options:
        raise UsageProblem(f"--panoptic cannot be combined with --{next(iter(other_options))}: "
                           "classes come from the JSON categories")
    if len(paths) != 1 or not os.path.isdir(paths[0]):
        raise UsageProblem("with --panoptic, give one PATH: the folder of the panoptic PNGs")
    folder = os.fspath(paths[0])
    obj = load_panoptic(annotations)
    source = os.fspath(annotations)
    cat_ids, names = categories_of(obj)
    if num_classes is not None and num_classes != len(cat_ids):
        raise UsageProblem(f"{source} has {len(cat_ids)} categories, not {num_classes}")
    index = {cid: i for i, cid in enumerate(cat_ids)}
    sizes = _image_sizes(obj)
    work = [_job(ann, sizes, source) for ann in obj["annotations"]]
    counts, void = Counts(), 0
    if not verify:
        for name, size, segments in work:
            hist, unlabelled = hist_from_segments(name, size, segments, index)
            counts.add(hist)
            void += unlabelled
        if progress is not None:
            progress(len(work), len(work))
    else:
        from maskstats.scan import _batches
        from maskstats.workers import worker_pool

        n_jobs = max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))
        batches = _batches(work, n_jobs) if work else []
        run = partial(_decode_batch, folder=folder, index=index)
        done = 0

        def take(results) -> None:
            nonlocal void, done
            for (c, v), batch in zip(results, batches):
                counts.update(c)
                void += v
                done += len(batch)
                if progress is not None:
                    progress(done, len(work))

        if n_jobs == 1:
            take(map(run, batches))
        else:
            with worker_pool(n_jobs) as pool:
                take(pool.imap(run, batches))
    names = list(class_names) if class_names is not None else names
    if names is not None and len(names) != len(cat_ids):
        raise UsageProblem(f"{len(names)} class names given for {len(cat_ids)} categories")
    stats = Stats.from_counts(
        counts, ignore_index=ignore_index, num_classes=len(cat_ids), class_names=names,
        paths=[folder], options={"num_classes": len(cat_ids), "panoptic_category_ids": cat_ids})
    stats.ignored_pixels += void
    stats.extra["panoptic"] = {
        "annotations": source, "category_ids": cat_ids, "unlabelled_pixels": void,
        "verified_images": len(work) if verify else 0,
    }
    return stats
