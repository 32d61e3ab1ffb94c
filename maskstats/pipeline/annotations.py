"""Instance annotations as a scan source: COCO/LVIS JSON (``--coco``) and YOLO (``--yolo``).

No image is decoded. One record per image: its class histogram holds the pixels of the
union of each class's masks (crowd regions included for COCO), and its objects are the
instances (COCO annotations with ``iscrowd`` 0; YOLO polygons and boxes), each with the
pixels of its own mask. Rasterising: :mod:`maskstats.readers.polygons` (pycocotools' rules)
and :mod:`maskstats.readers.yolo` (Ultralytics' ``polygon2mask``).

How the stats read:

* a pixel covered by masks of two classes counts for both (the stats are multi-label:
  ``multi_label.samples`` is the number of pixels), so ``pixel_counts`` may add up to more
  than ``total_pixels``; a pixel of no class counts for none (it is only in
  ``total_pixels``, never ignored);
* ``object_counts`` and the per-image ``o<k>`` columns are instances, and presence for
  sampling (``sample-weights``) is "any instance or any pixel", i.e. any annotation, as
  detectron2's repeat factors see it; the rare class annotated in an image only by a crowd
  region of 0 pixels is counted under ``coco.crowd_without_pixels``.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any, Iterator, Mapping, Sequence

from maskstats.core.histogram import Counts, ImageHist
from maskstats.core.extras import COCO, MULTI_LABEL, YOLO
from maskstats.core.stats import Stats
from maskstats.errors import UnreadableMask, UsageProblem
from maskstats.pipeline.executors import Executor
from maskstats.pipeline.objects import Objects
from maskstats.pipeline.records import FileRecord
from maskstats.pipeline.sinks import ObjectTotals

#: what the object statistics of an annotation scan count
INSTANCES = "instances (annotations; COCO: iscrowd 0)"
#: scan() options that only masks have: refused with --coco / --yolo
MASK_OPTIONS = ("ignore_index", "include", "exclude", "cache", "layout", "key", "preset",
                "remap", "colors", "panoptic", "verify", "objects", "connectivity",
                "verify_checksums", "scheduler", "backend", "on_error")
#: the hist.extra key of COCO classes annotated only by crowd regions of 0 pixels
CROWD_WITHOUT_PIXELS = "crowd_without_pixels"


def _record(name: str, size: int, parts: tuple) -> FileRecord:
    values, counts, inst_classes, inst_sizes = parts[:4]
    extra = {CROWD_WITHOUT_PIXELS: parts[4]} if len(parts) > 4 and parts[4] else None
    return FileRecord(name, [ImageHist(values, counts, size, extra)],
                      objects=[Objects(inst_classes, inst_sizes)])


def coco_batch(jobs: Sequence[tuple], source: str) -> list[FileRecord]:
    """Records of a batch of COCO image jobs (runs in worker processes)."""
    from maskstats.readers.coco import rasterise_image

    return [_record(job[0], job[1] * job[2], rasterise_image(job, source)) for job in jobs]


def yolo_batch(jobs: Sequence[tuple], num_classes: int) -> list[FileRecord]:
    """Records of a batch of YOLO images ``(name, image path, label path or None)``."""
    from maskstats.readers.yolo import image_size, rasterise_labels

    out = []
    for name, image, labels in jobs:
        w, h = image_size(image)
        out.append(_record(name, w * h, rasterise_labels(labels, w, h, num_classes)))
    return out


def refuse_options(flag: str, options: Mapping[str, Any]) -> None:
    """Count-changing mask options have no meaning for annotations."""
    defaults = (None, False, (), [], "auto", "local", "fail")
    given = [k for k, v in options.items() if v not in defaults]
    if given:
        raise UsageProblem(f"--{flag} cannot be combined with --{given[0].replace('_', '-')}"
                           ": classes and instances come from the annotations")


class AnnotationSource:
    """Per-image records of an annotation file, in file order, and their stats."""

    def __init__(self, kind: str, source: str, names: list[str], jobs: list[tuple],
                 run, info: dict[str, Any], *, num_classes: int | None = None,
                 class_names: Sequence[str] | None = None):
        if num_classes is not None and num_classes != len(names):
            raise UsageProblem(f"{source} has {len(names)} classes, not {num_classes}")
        if class_names is not None and len(class_names) != len(names):
            raise UsageProblem(f"{len(class_names)} class names given for {len(names)} "
                               f"classes in {source}")
        self.kind, self.source, self.jobs, self.run, self.info = kind, source, jobs, run, info
        self.names = list(class_names) if class_names is not None else names
        self.objects = ObjectTotals()

    def __len__(self) -> int:
        return len(self.jobs)

    def records(self, executor: Executor) -> Iterator[list[FileRecord]]:
        for _batch, records in executor.map(self.run, self.jobs):
            self.objects.add(records)
            yield records

    def stats(self, counts: Counts) -> Stats:
        """Multi-label pixel stats, instance statistics and the source's own entry."""
        k = len(self.names)
        extra = dict(counts.extra)
        counts.extra = {}
        stats = Stats.from_counts(counts, num_classes=k, class_names=self.names,
                                  paths=[self.source],
                                  options={"num_classes": k, "annotations": self.kind})
        stats.extra[MULTI_LABEL] = {"samples": stats.total_pixels}
        objects = self.objects.stats(k, (), INSTANCES)
        if any(0 in t for t in self.objects.sizes.values()):  # size tables hold sizes >= 1
            objects.pop("object_sizes", None)
            objects["objects"]["quantiles_note"] = ("instances of 0 pixels are included; "
                                                    "no size table is written")
        stats.extra.update(objects)
        stats.extra[self.kind] = {**self.info, **{key: int(val) for key, val in extra.items()}}
        return stats


def coco_source(annotations: str | os.PathLike, **options) -> AnnotationSource:
    """The source of a COCO/LVIS instances file (see :mod:`maskstats.readers.coco`)."""
    from maskstats.readers.coco import load_coco

    coco = load_coco(annotations)
    info = {"annotations": coco.source, "sha256": coco.sha256,
            "category_ids": coco.cat_ids, "crowd_annotations": coco.crowd,
            CROWD_WITHOUT_PIXELS: 0, **coco.lvis}
    return AnnotationSource(COCO, coco.source, coco.names, coco.jobs,
                            partial(coco_batch, source=coco.source), info, **options)


def yolo_source(data_yaml: str | os.PathLike, split: str | None = None,
                **options) -> AnnotationSource:
    """The source of an Ultralytics dataset (see :mod:`maskstats.readers.yolo`)."""
    from maskstats.readers.yolo import (load_data_yaml, label_path, orphan_labels,
                                        split_images)

    source = os.fspath(data_yaml)
    data = load_data_yaml(source)
    images = split_images(data, split, source)
    orphans = orphan_labels(images)
    if orphans:
        raise UnreadableMask(orphans[0], "label file without an image (no image of this "
                                         "name beside it under images/)")
    root = data["path"]
    jobs = []
    for image in images:
        labels = label_path(image)
        rel = os.path.relpath(image, root)
        name = rel if not rel.startswith("..") else image
        jobs.append((name, image, labels if os.path.isfile(labels) else None))
    names = data["names"]
    info = {"data": source, "root": root, "split": split,
            "label_files": sum(job[2] is not None for job in jobs)}
    return AnnotationSource(YOLO, source, names, jobs,
                            partial(yolo_batch, num_classes=len(names)), info, **options)



def scan_annotations(request) -> Stats:
    """``scan(coco=...)`` / ``scan(yolo=..., split=...)``: the stats (and per-image table)
    of an annotation file (``request``: :class:`maskstats.pipeline.scan.ScanRequest`); the
    mask-only options are refused when given."""
    from maskstats.pipeline.sinks import Totals, finish_table, open_table, with_table
    from maskstats.pipeline.stream import feed, make_executor
    from maskstats.presets.presets import resolve

    coco, yolo, split = request.coco, request.yolo, request.split
    flag = "coco" if coco is not None else "yolo"
    if coco is not None and (yolo is not None or split is not None):
        raise UsageProblem("--coco cannot be combined with --yolo or --split")
    if coco is None and yolo is None:
        raise UsageProblem("--split picks a split of --yolo data.yaml; pass --yolo")
    paths = [request.paths] if isinstance(request.paths, (str, os.PathLike)) else request.paths
    if paths:
        raise UsageProblem(f"with --{flag}, give no PATH: the images and their sizes come "
                           "from the annotation file")
    refuse_options(flag, {k: getattr(request, k) for k in MASK_OPTIONS})
    options = {"num_classes": request.num_classes,
               "class_names": resolve(class_names=request.class_names).class_names}
    source = coco_source(coco, **options) if coco is not None else \
        yolo_source(yolo, split, **options)
    table = open_table(request.per_image, objects=True)
    totals = Totals()
    try:
        feed(source.records(make_executor(request.jobs, len(source))),
             with_table([totals], table), len(source), request.progress)
        return finish_table(source.stats(totals.counts), table)
    finally:
        if table is not None:  # a failed scan drops the spool: nothing is written
            table.close()
