"""Counting label arrays held in memory (the ``count_arrays`` Python API, for training scripts)."""

from __future__ import annotations

import warnings
from typing import Any, Iterable, Sequence

import numpy as np

from maskstats.readers.arrays import CHANNEL_LAYOUTS, check_layout, hists_of_array, missing_channels
from maskstats.errors import MaskstatsWarning
from maskstats.core.histogram import Counts
from maskstats.core.limits import check_num_classes
from maskstats.readers.options import ReadOptions
from maskstats.core.stats import Stats
from maskstats.pipeline.finish import finish_stats


def count_arrays(
    masks: Iterable[Any],
    *,
    num_classes: int | None = None,
    ignore_index: Iterable[int] = (),
    layout: str = "mask",
    class_names: Sequence[str] | None = None,
) -> Stats:
    """Count classes in label arrays held in memory and return :class:`~maskstats.Stats`.

    The same counting as ``maskstats scan`` on array files, for training scripts::

        stats = maskstats.count_arrays(y_train, layout="one-hot")    # Keras (N,H,W,C)
        stats = maskstats.count_arrays((m for _, m in loader), layout="stack")  # PyTorch
        weights = maskstats.compute_weights(stats, scheme="inverse-frequency")

    Args:
        masks: an iterable of array-likes (NumPy arrays; torch/TF tensors go through
            ``np.asarray``, so move GPU tensors to the CPU first). Each item is one mask
            (``layout="mask"``), one batch (B,H,W) or (B,H,W,1) (``"stack"``), or one
            (H,W,C) image or (B,H,W,C) batch (``"one-hot"``, ``"multi-label"``); ``"auto"``
            applies the ``scan --layout auto`` rules to each item. A single array given
            instead of an iterable is taken whole: (H,W) is one mask, (N,H,W) N masks.
        num_classes: length K of the class vector; values >= K go to ``unexpected``.
            Default: the largest class present + 1 (as ``scan``); with one-hot arrays of C
            channels pass ``num_classes=C`` to keep trailing classes that never occur (a
            :class:`MaskstatsWarning` says when that happens).
        ignore_index: values counted as ignored, not as classes.
        layout: ``mask`` (default), ``stack``, ``one-hot``, ``multi-label`` or ``auto``.
        class_names: optional names, one per class.

    Returns:
        Stats with ``unit="pixels"`` and no ``paths``; ``Stats.save(path)`` writes the
        same JSON as ``maskstats scan``.

    Raises:
        UsageProblem: an unknown layout, or an array whose shape does not fit it.
        UnreadableMask: non-integer labels, or one-hot values other than 0 and 1; the
            message names the item as ``masks[i]``.
    """
    check_layout(layout)
    check_num_classes(num_classes)
    if hasattr(masks, "__array__") and hasattr(masks, "shape"):  # one array, not a list
        whole = np.asarray(masks)
        if layout == "mask" and whole.ndim > 2:
            layout = "stack"
        masks = [whole]
    counts, channels = count_items(masks, layout)
    stats = finish_stats(counts, ignore_index=ignore_index, num_classes=num_classes,
                         class_names=class_names if class_names else None, layout=layout,
                         what="arrays", hint="num_classes")
    if num_classes is None and stats.num_classes < channels:
        warnings.warn(missing_channels(channels, stats.num_classes), MaskstatsWarning,
                      stacklevel=2)
    return stats


def count_items(masks: Iterable[Any], layout: str) -> tuple[Counts, int]:
    """The counts of every item of ``masks`` and the most channels an item had."""
    options = ReadOptions(layout=layout)
    counts = Counts()
    channels = 0
    for i, item in enumerate(masks):
        item = np.asarray(item)
        if layout in CHANNEL_LAYOUTS and item.ndim:
            channels = max(channels, item.shape[-1])
        for h in hists_of_array(f"masks[{i}]", item, options):
            counts.add(h)
    return counts, channels
