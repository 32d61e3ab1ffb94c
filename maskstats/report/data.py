"""What the report shows, as plain numbers: shares, weights, per-image and object summaries.

Everything here is NumPy and the library; nothing draws. :func:`prepare` checks that the
inputs belong together (the per-image table is the one the stats were written with, the
compared stats count the same unit) and computes every series a plot or table needs, in one
class order: present classes by decreasing share, then absent and ignored classes.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from maskstats.comparison.compare import jensen_shannon
from maskstats.errors import MaskstatsError, UsageProblem
from maskstats.core.stats import Stats
from maskstats.report.entries import (ReportMismatch, checked_extra, object_counts,
                                      object_quantiles, per_image_entry)
from maskstats.weights.compute import compute_weights

# the schemes shown side by side (normalised to mean 1 over the present classes)
MAIN_SCHEMES = ("inverse-frequency", "median-frequency", "inverse-sqrt", "enet", "log-inverse")
NOUNS = {"pixels": "image", "voxels": "volume", "samples": "sample"}
#: classes in the co-occurrence map: the first ones in display order (largest pixel share);
#: a map of thousands of classes is unreadable and its matrix grows with their square
COOCCURRENCE_CLASSES = 200




@dataclass
class Compared:
    """Another stats file to compare with: its label and per-class shares."""

    label: str
    stats: Stats
    pixel_share: np.ndarray
    image_share: np.ndarray
    divergence: float  # Jensen-Shannon divergence (base 2) of the pixel shares vs the main


@dataclass
class ReportData:
    """Every number the report shows; arrays are indexed by class id unless said otherwise."""

    stats: Stats
    title: str
    source: str | None
    sha256: str | None
    names: list[str]                 # "3 car" or "3": one label per class id
    order: list[int]                 # class ids in display order
    status: list[str]                # "" | "absent" | "ignored" per class id
    pixel_share: np.ndarray
    image_share: np.ndarray
    weights: dict[str, np.ndarray] = field(default_factory=dict)       # scheme -> weights
    loss_after: dict[str, np.ndarray] = field(default_factory=dict)    # scheme -> loss share
    loss_before: np.ndarray | None = None
    weight_notes: list[str] = field(default_factory=list)
    table: Any = None                # maskstats.table.load.Table or None
    classes_per_image: np.ndarray | None = None   # histogram: images with k classes, k=0..K
    pixels_quantiles: np.ndarray | None = None    # (K, 7): min p10 p25 p50 p75 p90 max
    cooccurrence: np.ndarray | None = None        # (n, n): images holding both of order[:n]
    object_counts: np.ndarray | None = None
    object_quantiles: np.ndarray | None = None    # (K, 5): min p10 p50 p90 max, or NaN rows
    objects_per_image: np.ndarray | None = None   # (K, 7) quantiles over images holding c
    objects_per_image_bins: np.ndarray | None = None  # (K, len(OBJECT_BINS)) image shares
    compared: list[Compared] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return self.stats.unit

    @property
    def noun(self) -> str:
        return NOUNS.get(self.stats.unit, "image")

    @property
    def present(self) -> list[int]:
        return [c for c in self.order if not self.status[c]]


def _label(stats: Stats, c: int) -> str:
    name = stats.class_names[c] if stats.class_names is not None else None
    return f"{c} {name}" if name not in (None, "", str(c)) else str(c)


def shares(stats: Stats) -> tuple[np.ndarray, np.ndarray]:
    """Pixel share n_c / sum n and image share (images holding c / images) per class."""
    n = np.asarray(stats.pixel_counts, dtype=np.float64)
    total = float(sum(stats.pixel_counts))
    img = np.asarray(stats.image_counts, dtype=np.float64)
    return (n / total if total else np.zeros_like(n),
            img / stats.num_images if stats.num_images else np.zeros_like(img))


def check_table(stats: Stats, table, stats_source: str | None) -> None:
    """Refuse a table that is not the one the stats describe (class count, sha256)."""
    src = stats_source or "the stats"
    if table.num_classes != stats.num_classes:
        raise ReportMismatch(f"{table.source}: the table has {table.num_classes} class "
                             f"columns but {src} has {stats.num_classes} classes; pass the "
                             "table written by the same scan")
    recorded = per_image_entry(stats, src).get("sha256")
    if recorded and table.sha256 and recorded != table.sha256:
        raise ReportMismatch(f"{table.source}: not the table {src} was written with (its "
                             "sha256 differs from the stats' per_image.sha256); pass the "
                             "matching table or rescan")


def _quantiles(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per column: min, p10, p25, p50, p75, p90, max over the rows where ``mask`` holds."""
    k = values.shape[1]
    out = np.full((k, 7), np.nan)
    qs = np.array([0, 10, 25, 50, 75, 90, 100], dtype=np.float64)
    for c in range(k):
        col = values[mask[:, c], c]
        if col.size:
            out[c] = np.percentile(col, qs)
    return out


def _per_image(data: ReportData, table) -> None:
    present = table.counts > 0
    k = table.num_classes
    data.classes_per_image = np.bincount(present.sum(axis=1), minlength=k + 1)
    data.pixels_quantiles = _quantiles(table.counts, present)
    data.cooccurrence = cooccurrence(present, data.order[:COOCCURRENCE_CLASSES])
    if table.objects is not None:
        data.objects_per_image = _quantiles(table.objects, table.objects > 0)
        data.objects_per_image_bins = object_bins(table.objects)


#: bins of "objects of a class in one image": (label, low, high) inclusive
OBJECT_BINS = (("1", 1, 1), ("2", 2, 2), ("3-5", 3, 5), ("6-20", 6, 20),
               (">20", 21, np.inf))


def object_bins(objects: np.ndarray) -> np.ndarray:
    """Per class, the share of the images holding it that hold 1, 2, 3-5, 6-20, >20 of its
    objects (rows of classes no image holds are NaN)."""
    holding = (objects > 0).sum(axis=0).astype(np.float64)
    out = np.full((objects.shape[1], len(OBJECT_BINS)), np.nan)
    ok = holding > 0
    for j, (_label, lo, hi) in enumerate(OBJECT_BINS):
        n = ((objects >= lo) & (objects <= hi)).sum(axis=0)
        out[ok, j] = n[ok] / holding[ok]
    return out


def cooccurrence(present: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """(n, n) int64: rows of ``present`` (images x classes) holding both ``classes[i]`` and
    ``classes[j]``; only the n classes shown, so memory and time grow with the table, not
    with the square of its class count."""
    cols = list(classes)
    out = np.zeros((len(cols), len(cols)), np.int64)
    for start in range(0, present.shape[0], 1 << 16):  # float32 sums are exact below 2**24
        p = present[start:start + (1 << 16), cols].astype(np.float32)
        out += np.rint(p.T @ p).astype(np.int64)
    return out


def _objects(data: ReportData, stats: Stats, table, source: str) -> None:
    k = stats.num_classes
    counts = object_counts(stats, source)
    if counts is None and table is not None and table.objects is not None:
        counts = table.objects.sum(axis=0).tolist()
    if counts is not None:
        data.object_counts = np.array([np.nan if n is None else n for n in counts],
                                      dtype=np.float64)
    quant = object_quantiles(stats, source)
    if quant is not None:  # a null row: unknown (e.g. after a merge)
        data.object_quantiles = np.array([[np.nan] * 5 if q is None else q for q in quant],
                                         dtype=np.float64).reshape(k, 5)


def _weights(data: ReportData) -> None:
    stats = data.stats
    if not data.present:
        return
    n = np.asarray(stats.pixel_counts, dtype=np.float64)
    seen = n.copy()
    seen[[c for c, s in enumerate(data.status) if s == "ignored"]] = 0
    data.loss_before = seen / seen.sum()
    for scheme in MAIN_SCHEMES:
        notes: list[str] = []
        try:
            w = compute_weights(stats, scheme, "mean", on_warning=notes.append)
        except MaskstatsError as exc:
            data.weight_notes.append(f"{scheme}: not shown ({exc})")
            continue
        data.weights[scheme] = w.weights
        after = [r["loss_share_after"] for r in w.explain()]
        data.loss_after[scheme] = np.array([0.0 if a is None else a for a in after])
        data.weight_notes.extend(f"{scheme}: {m}" for m in notes)


def load_compared(paths: Sequence[str | os.PathLike]) -> list[tuple[str, Stats]]:
    """Read the stats files given with ``--compare``, labelled by file name."""
    items = [(os.fspath(p), Stats.load(p)) for p in paths]
    names = [os.path.basename(p) for p, _ in items]
    return [(p if names.count(os.path.basename(p)) > 1 else os.path.basename(p), s)
            for p, s in items]


def _compare(data: ReportData, others: Sequence[tuple[str, Stats]]) -> None:
    k = max([data.stats.num_classes] + [s.num_classes for _, s in others])
    if k > data.stats.num_classes:
        raise ReportMismatch(f"a compared stats file has {k} classes, more than the "
                             f"{data.stats.num_classes} of the main stats; put the file "
                             "with the most classes first")
    for label, other in others:
        checked_extra(other, label)
        if other.unit != data.stats.unit:
            raise UsageProblem(f"{label}: counts {other.unit}, the main stats count "
                               f"{data.stats.unit}; compare stats of the same kind")
        ps, im = shares(other)
        pad = k - other.num_classes
        ps, im = np.pad(ps, (0, pad)), np.pad(im, (0, pad))
        data.compared.append(Compared(label, other, ps, im,
                                      jensen_shannon(data.pixel_share, ps)))


def prepare(stats: Stats, table=None, compare: Sequence[tuple[str, Stats]] = (), *,
            title: str | None = None, source: str | None = None,
            sha256: str | None = None) -> ReportData:
    """Check the inputs and compute every number the report shows."""
    if stats.num_classes == 0:
        raise UsageProblem(f"{source or 'the stats'}: no classes to report")
    checked_extra(stats, source or "the stats")
    ignored = set(stats.ignore_index)
    status = ["ignored" if c in ignored else "absent" if n == 0 else ""
              for c, n in enumerate(stats.pixel_counts)]
    pixel_share, image_share = shares(stats)
    order = sorted(range(stats.num_classes),
                   key=lambda c: (bool(status[c]), -stats.pixel_counts[c], c))
    data = ReportData(stats=stats, title=title or os.path.basename(source or "maskstats"),
                      source=source, sha256=sha256, names=[_label(stats, c) for c in range(stats.num_classes)],
                      order=order, status=status, pixel_share=pixel_share,
                      image_share=image_share)
    _weights(data)
    if table is not None:
        check_table(stats, table, source)
        data.table = table
        _per_image(data, table)
    _objects(data, stats, table, source or "the stats")
    _compare(data, compare)
    return data


def fmt_share(x: float) -> str:
    """A share as a percentage a reader can compare: 42.1%, 0.034%, 2.1e-06%."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    pct = 100 * x
    if pct == 0:
        return "0%"
    if pct >= 0.01:
        return f"{pct:.3g}%" if pct < 10 else f"{pct:.1f}%"
    return f"{pct:.2g}%"
