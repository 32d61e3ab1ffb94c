"""Objects of instance-id masks: one object per instance id, not per connected component.

Some encodings store instances, not only classes: Cityscapes ``*_instanceIds.png`` (a value
of 1000 or more is labelId * 1000 + instance number) and plain instance-label masks (preset
``instances``: 0 background, every other value one object). There an object is one id: two
people touching are two objects, one person cut in two by a pole is one. The remap says
which pixels hold instance ids (:meth:`maskstats.presets.presets.Remap.instance_pixels`);
every other pixel (stuff classes, Cityscapes crowd regions stored as a plain labelId) is
split into connected components as before (:func:`maskstats.pipeline.objects.components`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from maskstats.core.histogram import ImageHist, hist_from_array
from maskstats.pipeline.objects import Objects, components, remap_array

#: stands for the instance pixels in the array labelled into components (then dropped)
_HIDDEN = np.iinfo(np.int64).min


def instance_mask(label: np.ndarray, remap: Any) -> np.ndarray | None:
    """The instance pixels of ``label`` under ``remap``, or None when there are none."""
    split = getattr(remap, "instance_pixels", None)
    if split is None:
        return None
    mask = split(label)
    return mask if mask is not None and mask.any() else None


def instance_objects(path: str, label: np.ndarray, mask: np.ndarray, remap: Any,
                     connectivity: int | None = None) -> tuple[Objects, ImageHist]:
    """Objects of one image: one per distinct instance id under ``mask`` (its class the
    remapped id, its size the id's pixels), plus the connected components of the rest; and
    the image's histogram (the same as without instances)."""
    ids, sizes = np.unique(label[mask], return_counts=True)
    id_classes = np.array([remap.get(int(v), int(v)) for v in ids.tolist()], dtype=np.int64)
    mapped = remap_array(label, remap).astype(np.int64, copy=False)
    hist = hist_from_array(mapped)
    rest = mapped.copy() if not mapped.flags.writeable or mapped is label else mapped
    rest[mask] = _HIDDEN
    found, _hist = components(path, rest, connectivity)
    keep = found.classes != _HIDDEN
    classes = np.concatenate([found.classes[keep], id_classes])
    all_sizes = np.concatenate([found.sizes[keep], sizes.astype(np.int64)])
    order = np.argsort(classes, kind="stable")
    return Objects(classes[order], all_sizes[order]), hist



def objects_rule(remap: Any, connectivity: int | None) -> Any:
    """What the stats record as the ``connectivity`` of ``--objects``: the connectivity, or,
    under an encoding that holds instance ids, how ids and components are combined."""
    if not getattr(remap, "holds_instances", False):
        return connectivity
    conn = connectivity if connectivity is not None else "8 in 2-D, 26 in 3-D"
    return (f"instance ids where the masks hold them (one object per id); connected "
            f"components elsewhere ({conn})")
