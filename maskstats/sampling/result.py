"""Per-image sampling weights from a table, with provenance (``maskstats-sample-weights`` v1).

:func:`sample_weights` loads the table (or takes a :class:`~maskstats.table.load.Table`), keeps
the classes that play a part (present in some row, not an ignore value of the stats),
runs the method and returns :class:`SampleWeights`: one float64 per table row, in table
order, with the files to write (JSON, CSV ``path,frame,weight``, NPY, txt, list) and the
per-class before/after shares (:meth:`SampleWeights.explain`).
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from maskstats.errors import MaskstatsWarning, UsageProblem
from maskstats.core.jsonio import dumps_json
from maskstats.sampling.registry import Inputs, get_method
from maskstats.table.core import WINDOW_COLUMNS
from maskstats.table.load import Table, load_table
from maskstats.table.check import ClassInfo, class_info

SAMPLE_WEIGHTS_FORMAT = "maskstats-sample-weights"
SAMPLE_WEIGHTS_VERSION = 1
FORMATS = ("json", "csv", "npy", "txt", "list")
EXTENSIONS = {".json": "json", ".csv": "csv", ".npy": "npy", ".txt": "txt"}


@dataclass
class SampleWeights:
    """One weight per table row and how it was made."""

    weights: np.ndarray
    method: str
    formula: str
    params: dict[str, float]
    table: Table
    info: ClassInfo
    inputs: Inputs
    warnings: list[str] = field(default_factory=list)

    @property
    def probabilities(self) -> np.ndarray:
        """The weights scaled to sum 1: each row's chance to be drawn."""
        total = float(self.weights.sum())
        return self.weights / total if total > 0 else np.full(self.weights.size,
                                                               1.0 / self.weights.size)

    def to_dict(self) -> dict[str, Any]:
        """The sample-weights JSON document."""
        t = self.table
        doc = {
            "format": SAMPLE_WEIGHTS_FORMAT,
            "version": SAMPLE_WEIGHTS_VERSION,
            "method": self.method,
            "formula": self.formula,
            "params": dict(self.params),
            "num_images": int(t.num_images),
            "classes": self.inputs.classes.tolist(),
            "empty_images": int(self.inputs.empty.sum()),
            "weights": self.weights.tolist(),
            "paths": list(t.paths),
            "frames": t.frames.tolist(),
            **({"windows": t.windows.tolist()} if t.windows is not None else {}),
            "source": {"table": t.source, "sha256": t.sha256,
                       "stats": self.info.stats_path, "stats_sha256": self.info.stats_sha256},
        }
        if self.inputs.info:
            doc["solver"] = {k: v for k, v in self.inputs.info.items() if k != "shares"}
            doc["solver"]["shares"] = dict(zip(map(str, doc["classes"]),
                                               self.inputs.info["shares"]))
        return doc

    def to_bytes(self, fmt: str = "json") -> bytes:
        """The file content for ``fmt``: json, csv (path,frame[,y,x,height,width],weight), npy, txt,
        list."""
        if fmt == "json":
            return dumps_json(self.to_dict()).encode("utf-8")
        if fmt in ("list", "txt", "npy"):  # the encoding of class-weight vectors, in float64
            from maskstats.weights.files import encode_vector

            return encode_vector(self.weights, fmt, "float64")
        if fmt == "csv":
            buf = io.StringIO()
            out = csv.writer(buf, lineterminator="\n")
            t = self.table
            if t.windows is None:
                out.writerow(["path", "frame", "weight"])
                out.writerows(zip(t.paths, t.frames.tolist(), map(repr, self.weights.tolist())))
            else:  # a window table: the window's place after frame, as in the table
                out.writerow(["path", "frame", *WINDOW_COLUMNS, "weight"])
                out.writerows([p, f, *where, repr(w)] for p, f, where, w in zip(
                    t.paths, t.frames.tolist(), t.windows.tolist(), self.weights.tolist()))
            return buf.getvalue().encode("utf-8")
        raise UsageProblem(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")

    def save(self, path: str | os.PathLike, fmt: str | None = None) -> None:
        """Write the weights to ``path`` atomically; the extension picks the format unless
        ``fmt`` is given (.json, .csv, .npy, .txt)."""
        from maskstats.core.files import atomic_write_bytes, format_for

        atomic_write_bytes(path, self.to_bytes(format_for(path, fmt, EXTENSIONS, "json")))

    def epoch(self, draws: int | None = None) -> dict[str, float]:
        """What one epoch of ``draws`` (default n) draws with replacement, with probabilities
        proportional to the weights (``WeightedRandomSampler``), really uses.

        ``effective_images``: Kish's effective sample size (sum w)^2 / sum w^2 (n for equal
        weights); ``distinct_images``: the expected number of different images drawn,
        sum_i 1 - (1 - p_i)^draws; ``images``: n.
        """
        n = int(self.weights.size)
        draws = n if draws is None else int(draws)
        w = self.weights.astype(np.float64)
        total, squares = float(w.sum()), float((w * w).sum())
        p = self.probabilities
        distinct = float(np.sum(-np.expm1(draws * np.log1p(-np.minimum(p, 1.0 - 1e-16)))))
        return {"images": n, "draws": draws,
                "effective_images": total * total / squares if squares > 0 else float(n),
                "distinct_images": distinct}

    def explain(self) -> list[dict[str, Any]]:
        """Per class that plays a part: its expected share of the sampled pixels and of the
        sampled images (images holding it), under uniform sampling and under these weights.

        ``pixels_before`` = sum_i x_ic / sum_i X_i, ``pixels_after`` = sum_i p_i x_ic /
        sum_i p_i X_i, ``images_before`` = f_c, ``images_after`` = sum_i p_i [x_ic > 0],
        with p the weights scaled to sum 1.
        """
        x, p = self.inputs, self.probabilities
        uniform = np.full(x.n, 1.0 / x.n)

        def pixel_shares(q):
            s = np.bincount(x.cols, weights=x.vals * q[x.rows], minlength=x.C)
            return s / s.sum() if s.sum() > 0 else s

        before, after = pixel_shares(uniform), pixel_shares(p)
        img_after = np.bincount(x.cols, weights=p[x.rows], minlength=x.C)
        names = self.info.names
        return [{"class": int(c), "name": names[c] if names else None,
                 "images": int(x.image_counts[j]),
                 "pixels_before": float(before[j]), "pixels_after": float(after[j]),
                 "images_before": float(x.f[j]), "images_after": float(img_after[j])}
                for j, c in enumerate(x.classes.tolist())]


def presence(table: Table) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, pixels) of every class present in a row, row-major: a non-zero count,
    or instances (``o<k>`` > 0) without pixels (a tiny annotated object covering no pixel
    centre still makes its class present, as repeat factors count annotations)."""
    rows, cols, vals = table.nonzero()
    if table.objects is None:
        return rows, cols, vals
    k = table.num_classes
    orows, ocols = np.nonzero(table.objects)
    extra = np.setdiff1d(orows.astype(np.int64) * k + ocols, rows.astype(np.int64) * k + cols)
    if extra.size == 0:
        return rows, cols, vals
    keys = np.concatenate([rows.astype(np.int64) * k + cols, extra])
    order = np.argsort(keys, kind="stable")
    values = np.concatenate([vals, np.zeros(extra.size, dtype=vals.dtype)])[order]
    return keys[order] // k, keys[order] % k, values


def build_inputs(table: Table, info: ClassInfo) -> Inputs:
    """The sparse view of the classes that play a part (present, not ignored)."""
    rows, cols, vals = presence(table)
    skip = set(info.ignore_index)
    classes = np.array([c for c in np.unique(cols).tolist() if c not in skip], dtype=np.int64)
    lookup = np.full(table.num_classes, -1, dtype=np.int64)
    lookup[classes] = np.arange(classes.size)
    cols = lookup[cols]
    keep = cols >= 0
    if not keep.all():
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    n = table.num_images
    rows = rows.astype(np.int32 if n < 2**31 else np.int64, copy=False)
    cols = cols.astype(np.int32)
    vals = vals.astype(np.float64)
    X = np.bincount(rows, weights=vals, minlength=n)
    image_counts = np.bincount(cols, minlength=classes.size).astype(np.int64)
    empty = np.bincount(rows, minlength=n) == 0
    return Inputs(n=n, classes=classes, rows=rows, cols=cols, vals=vals, X=X,
                  image_counts=image_counts, empty=empty)


def sample_weights(table_or_path: Table | str | os.PathLike, method: str = "repeat-factor",
                   *, stats: str | os.PathLike | None = None,
                   on_warning: Callable[[str], None] | None = None,
                   **params: Any) -> SampleWeights:
    """One sampling weight per row of a per-image table (see ``maskstats sample-weights``).

    ``stats``: the stats JSON of the same scan, checked against the table; its ignore
    values never become classes. ``on_warning``: called with each warning (default
    :func:`warnings.warn` with :class:`~maskstats.errors.MaskstatsWarning`).
    """
    m = get_method(method)
    resolved = m.resolve_params(params)
    table = table_or_path if isinstance(table_or_path, Table) else load_table(table_or_path)
    info = class_info(table, stats)
    x = build_inputs(table, info)
    weights = m(x, **resolved)
    if x.empty.any():
        shown = ", ".join(table.paths[i] for i in np.flatnonzero(x.empty)[:5].tolist())
        more = int(x.empty.sum()) - 5
        x.warn(f"{int(x.empty.sum())} image(s) hold no counted class (no class pixels or "
               f"instances) and get the smallest weight, "
               f"{float(weights[x.empty][0]):.6g}: {shown}" + (f" and {more} more"
                                                           if more > 0 else ""))
    for message in x.warnings:
        if on_warning is not None:
            on_warning(message)
        else:
            warnings.warn(message, MaskstatsWarning, stacklevel=2)
    return SampleWeights(weights=weights, method=m.name, formula=m.formula, params=resolved,
                         table=table, info=info, inputs=x, warnings=list(x.warnings))
