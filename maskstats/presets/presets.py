"""Dataset conventions: presets and value remaps, resolved into what ``scan()`` counts with.

The files a user gives (``--remap``, ``--class-names``) are read by
:mod:`maskstats.presets.files`.

A mask stores one value per pixel, and what a value means is the dataset's convention (a
class id, a void/ignore marker, a raw id to map onto training ids). A preset fixes that
meaning: the class vector length, the ignore values, the class names, and a value remap applied to
every image's histogram before it is added (so an image counts once per class even when
several stored values map onto that class).

==================== =========================================================================
``voc``              PASCAL VOC 2012: 21 classes (0 background ... 20 tvmonitor), 255 ignore
``cityscapes``       Cityscapes ``*_labelIds.png`` (0-33) or 16-bit ``*_instanceIds.png``
                     (id < 1000 is a labelId, else labelId * 1000 + instance), mapped to the
                     19 trainIds with the official table (cityscapesScripts ``labels.py``);
                     void labels -> 255, ignored
``cityscapes-trainid`` Cityscapes ``*_labelTrainIds.png``: 19 classes, 255 ignore, no remap
``ade20k``           ADE20K SceneParsing: "reduce zero label" (0 "other" -> 255 ignored,
                     v -> v - 1), 150 classes (mmsegmentation ``ADE20KDataset``)
``coco-stuff``       COCO-Stuff 164k ``stuffthingmaps``: raw values 0-181 (11 ids unused,
                     named ``unused``), 255 unlabelled, 182 classes, no remap
``camvid``           CamVid as in SegNet: 11 classes, value 11 (Unlabelled) ignored
``binary``           binary masks stored 0/255 or 0/1: 255 -> 1; classes 0 ``background``,
                     1 ``foreground``; any other value is an error
``instances``        plain instance-label masks (cells, nuclei): 0 background, every other
                     value one object of class 1 ``object``; ``--objects`` counts the ids
==================== =========================================================================

A preset also names the files its folder scans read (:mod:`maskstats.presets.selection`) and,
after the scan, refuses masks it does not fit (:mod:`maskstats.presets.fit`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from maskstats.errors import UsageProblem
from maskstats.presets.files import load_labels, load_remap
from maskstats.presets.data import (  # the tables, kept as data
    ADE20K_NAMES,
    CAMVID_NAMES,
    CITYSCAPES_LABEL_TO_TRAIN,
    CITYSCAPES_NAMES,
    REDUCE_ZERO,
    VOC_NAMES,
    coco_stuff_names,
)


class Remap(Mapping):
    """A value -> value table for :func:`~maskstats.core.histogram.remap_hist` (picklable).

    ``instance_divisor``: stored values >= it are first divided by it (Cityscapes
    instanceIds: 26002 -> labelId 26). ``then``: a second remap applied to the result (a
    user's ``--remap`` after a preset's). Values without an entry stay as they are.
    """

    def __init__(self, table: Mapping[int, int], instance_divisor: int | None = None,
                 then: "Remap | None" = None):
        self.table = {int(k): int(v) for k, v in table.items()}
        self.instance_divisor = instance_divisor
        self.then = then

    def _map(self, value: int) -> int:
        if self.instance_divisor and value >= self.instance_divisor:
            value //= self.instance_divisor
        value = self.table.get(value, value)
        return self.then._map(value) if self.then is not None else value

    def get(self, key: Any, default: Any = None) -> Any:  # remap_hist calls get(v, v)
        return self._map(int(key))

    def __getitem__(self, key: Any) -> int:
        return self._map(int(key))

    def __iter__(self) -> Iterator[int]:
        return iter(self.table)

    def __len__(self) -> int:
        return max(1, len(self.table))  # never falsy: remap_hist skips an empty mapping

    def __repr__(self) -> str:  # stable: the cache keys on it
        return f"Remap({self.describe()!r})"

    def describe(self) -> dict[str, Any]:
        """A JSON-safe description for ``Stats.options`` (compared when stats are merged)."""
        d: dict[str, Any] = {"table": {str(k): v for k, v in sorted(self.table.items())}}
        if self.instance_divisor:
            d["instance_divisor"] = self.instance_divisor
        if self.then is not None:
            d["then"] = self.then.describe()
        return d

    def followed_by(self, then: "Remap") -> "Remap":
        """This remap, then ``then`` (a user's ``--remap`` after a preset's)."""
        return Remap(self.table, self.instance_divisor, then)

    def instance_pixels(self, label: Any) -> Any:
        """Where a stored label array holds instance ids (one object per distinct id, for
        ``--objects``), as a boolean array; None when this encoding holds none."""
        return label >= self.instance_divisor if self.instance_divisor else None

    @property
    def holds_instances(self) -> bool:
        """True when stored values may be instance ids (see :meth:`instance_pixels`)."""
        return bool(self.instance_divisor)


class InstanceLabels(Remap):
    """Plain instance-label masks (cell datasets): 0 is background, every other stored value
    is one object of class 1. Pixels count as class 0 or 1; ``--objects`` counts the ids."""

    def __init__(self, then: "Remap | None" = None):
        super().__init__({}, None, then)

    def _map(self, value: int) -> int:
        value = 1 if value != 0 else 0
        return self.then._map(value) if self.then is not None else value

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"instance_labels": "non-zero -> 1"}
        if self.then is not None:
            d["then"] = self.then.describe()
        return d

    def followed_by(self, then: Remap) -> Remap:
        return InstanceLabels(then)

    def instance_pixels(self, label: Any) -> Any:
        return label != 0

    @property
    def holds_instances(self) -> bool:
        return True


@dataclass(frozen=True)
class Preset:
    """What a dataset's stored values mean: classes, ignore values, names, remap."""

    name: str
    summary: str
    num_classes: int
    ignore_index: tuple[int, ...]
    class_names: tuple[str, ...]
    remap: Remap | None = field(default=None, compare=False)


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("voc", "PASCAL VOC: 21 classes, 255 = void border (ignored)", 21, (255,), VOC_NAMES),
    Preset("cityscapes", "Cityscapes labelIds or instanceIds -> 19 trainIds, 255 ignored",
           19, (255,), CITYSCAPES_NAMES, Remap(CITYSCAPES_LABEL_TO_TRAIN, instance_divisor=1000)),
    Preset("cityscapes-trainid", "Cityscapes labelTrainIds: 19 classes, 255 ignored",
           19, (255,), CITYSCAPES_NAMES),
    Preset("ade20k", "ADE20K: reduce zero label (0 -> ignored, v -> v-1), 150 classes",
           150, (255,), ADE20K_NAMES, Remap(REDUCE_ZERO)),
    Preset("coco-stuff", "COCO-Stuff stuffthingmaps: values 0-181 (11 unused), 255 ignored",
           182, (255,), coco_stuff_names()),
    Preset("camvid", "CamVid (SegNet): 11 classes, 11 = Unlabelled (ignored)",
           11, (11,), CAMVID_NAMES),
    Preset("binary", "binary masks 0/255 or 0/1 -> 0 background, 1 foreground",
           2, (), ("background", "foreground"), Remap({255: 1})),
    Preset("instances", "instance-label masks: 0 background, every other id one object",
           2, (), ("background", "object"), InstanceLabels()),
)}


def list_presets() -> list[str]:
    return list(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name``; :class:`UsageProblem` naming the choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UsageProblem(f"unknown preset {name!r} (choose from "
                           f"{', '.join(PRESETS)})") from None


# ------------------------------------------------------------------- resolving options
@dataclass
class Conventions:
    """The count-changing scan options, resolved: what ``scan()`` passes on."""

    ignore_index: list[int]
    num_classes: int | None
    class_names: list[str] | None
    remap: Remap | None = None
    color_pairs: tuple[tuple[int, int], ...] | None = None
    color_source: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


def resolve(*, preset: str | None = None, remap: Any = None, colors: Any = None,
            class_names: Any = None, ignore_index: Sequence[int] = (),
            num_classes: int | None = None) -> Conventions:
    """Combine a preset, ``--remap``, ``--colors`` and ``--class-names`` with explicit options.

    Precedence: explicit ``num_classes``/``class_names`` > the colour table's names and
    length > the preset's. ``ignore_index`` values are added to the preset's. A user remap
    runs after the preset's. ``remap``, ``colors`` and ``class_names`` may be file paths or
    already-loaded objects (a mapping, a :class:`~maskstats.readers.colors.ColorTable`, a list).
    """
    ignore = list(ignore_index)
    names = list(class_names) if class_names is not None else None
    if isinstance(class_names, (str, os.PathLike)):
        names, label_ignore = load_labels(class_names)
        ignore = sorted(set(ignore) | ({label_ignore} if label_ignore is not None else set()))
    options: dict[str, Any] = {}
    conv_remap: Remap | None = None
    preset_k, preset_names = None, None
    if preset is not None:
        p = get_preset(preset)
        options["preset"] = p.name
        ignore = sorted(set(ignore) | set(p.ignore_index))
        preset_k, preset_names = p.num_classes, list(p.class_names)
        conv_remap = p.remap
    if remap is not None:
        table = load_remap(remap) if isinstance(remap, (str, os.PathLike)) else dict(remap)
        user = Remap(table)
        conv_remap = conv_remap.followed_by(user) if conv_remap is not None else user
        options["remap"] = user.describe()["table"]
    pairs = source = None
    if colors is not None:
        from maskstats.readers.colors import ColorTable, load_color_table

        table_c = colors if isinstance(colors, ColorTable) else load_color_table(colors)
        pairs, source = table_c.pairs(), table_c.source
        options["colors"] = table_c.as_option()
        if table_c.names is not None:
            preset_k, preset_names = len(table_c.names), list(table_c.names)
        if table_c.ignore_value is not None:  # the table's ignore rows
            ignore = sorted(set(ignore) | {table_c.ignore_value})
    if num_classes is None:
        num_classes = len(names) if names is not None else preset_k
    if names is None and preset_names is not None:
        if len(preset_names) != num_classes:  # never drop the names silently
            what = f"preset {preset}" if colors is None else "the colour table"
            raise UsageProblem(f"--num-classes {num_classes} does not match the "
                               f"{len(preset_names)} class names of {what}; drop "
                               "--num-classes, or pass --class-names with "
                               f"{num_classes} names")
        names = preset_names
    return Conventions(ignore, num_classes, names, conv_remap, pairs, source, options)
