"""The first step of :func:`maskstats.pipeline.scan.scan`: the request (its arguments) and
the plan settled from it before any mask is read (paths, resolved conventions, window grid),
with the options refused up front (:func:`~maskstats.pipeline.rules.check_outputs`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

from maskstats.core.limits import check_num_classes
from maskstats.pipeline.rules import check_outputs
from maskstats.pipeline.stream import Progress

if TYPE_CHECKING:
    from maskstats.presets.presets import Conventions
    from maskstats.windows.grid import WindowGrid


@dataclass(frozen=True)
class ScanRequest:
    """The arguments of :func:`~maskstats.pipeline.scan.scan` (same names and defaults),
    passed on to its steps."""

    paths: str | os.PathLike | Sequence[str | os.PathLike]
    ignore_index: Iterable[int] = ()
    num_classes: int | None = None
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    jobs: int | None = None
    on_error: str = "fail"
    class_names: Sequence[str] | None = None
    progress: Progress | None = None
    on_warning: Callable[[str], None] | None = None
    cache: str | os.PathLike | None = None
    backend: str = "local"
    scheduler: str | None = None
    layout: str = "auto"
    key: str | None = None
    preset: str | None = None
    remap: Mapping[int, int] | str | os.PathLike | None = None
    colors: str | os.PathLike | None = None
    on_unknown_color: str = "error"
    panoptic: str | os.PathLike | None = None
    verify: bool = False
    per_image: str | os.PathLike | None = None
    objects: bool = False
    connectivity: int | None = None
    verify_checksums: bool = False
    window: "str | int | tuple[int, int] | None" = None
    stride: "str | int | tuple[int, int] | None" = None
    allow_gaps: bool = False
    crop: "str | int | tuple[int, int] | None" = None
    max_pixels: int | None = None
    coco: str | os.PathLike | None = None
    yolo: str | os.PathLike | None = None
    split: str | None = None
    allow_unexpected: bool = False


@dataclass(frozen=True)
class ScanPlan:
    """What a scan counts, settled before any mask is read: the paths, the resolved
    conventions (ignore values, class vector, names, remap, colour table), the window grid
    and crop size (None without)."""

    paths: list[str]
    conv: "Conventions"
    grid: "WindowGrid | None" = None
    crop: tuple[int, int] | None = None


def plan_scan(request: ScanRequest) -> ScanPlan:
    """Resolve the preset, remap, colours and class names; refuse bad options early."""
    paths = request.paths
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    from maskstats.presets.presets import resolve

    conv = resolve(preset=request.preset, remap=request.remap, colors=request.colors,
                   class_names=request.class_names, ignore_index=request.ignore_index,
                   num_classes=request.num_classes)
    check_num_classes(conv.num_classes)
    check_outputs(request.per_image, request.objects, request.connectivity,
                  request.panoptic is not None or request.verify)
    from maskstats.pipeline.window_table import window_plan

    return ScanPlan([os.fspath(p) for p in paths], conv, *window_plan(request))
