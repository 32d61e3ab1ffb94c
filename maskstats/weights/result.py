"""The result of :func:`maskstats.weights.compute.compute_weights`: a per-class vector with its
provenance, written as the weights JSON (``maskstats-weights`` v1) or a bare vector
(:mod:`maskstats.weights.files`), and explained per class (``--explain``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maskstats.core.jsonio import WEIGHTS_FORMAT, WEIGHTS_VERSION, dumps_json
from maskstats.weights.files import check_dtype, encode_vector
from maskstats.weights.inputs import Count, exact_sum


@dataclass
class Weights:
    """A per-class vector (one float64 per class) and how it was made.

    ``kind`` says what the vector is: ``"weights"`` (loss weights), ``"logit-offsets"``
    (added to the logits) or ``"margins"`` (subtracted from the true-class logit).
    ``totals``: the N the schemes can use: ``present`` (sum of the present counts),
    ``all`` (every counted pixel, ignored ones included) and ``samples`` (multi-label).
    """

    weights: np.ndarray
    counts: list[Count]
    absent: list[int]
    scheme: str
    formula: str
    params: dict[str, float | str]
    normalize: str = "none"
    missing: str = "zero"
    clip: tuple[float, float] | None = None
    class_names: list[str | None] | None = None
    ignore_index: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kind: str = "weights"
    totals: dict[str, Count | None] = field(default_factory=dict)
    unit: str | None = None  # what the counts count: the stats' unit, "objects", or None

    @property
    def ignored(self) -> list[int]:
        """Ignore values that are class ids of the vector (their weight is 0)."""
        return [v for v in self.ignore_index if 0 <= v < len(self.counts)]

    def to_dict(self, source_path: str | None = None, sha256: str | None = None) -> dict:
        """The weights JSON document; ``source_path``/``sha256`` name the stats file."""
        return {
            "format": WEIGHTS_FORMAT,
            "version": WEIGHTS_VERSION,
            "kind": self.kind,
            "scheme": self.scheme,
            "formula": self.formula,
            "params": dict(self.params),
            "normalize": self.normalize,
            "missing": self.missing,
            "clip": list(self.clip) if self.clip is not None else None,
            "weights": self.weights.tolist(),
            "counts": list(self.counts),
            "unit": self.unit,
            "totals": dict(self.totals),
            "class_names": list(self.class_names) if self.class_names is not None else None,
            "absent": list(self.absent),
            "ignore_index": list(self.ignore_index),
            "source": {"stats": source_path, "sha256": sha256},
        }

    def to_bytes(self, fmt: str = "json", source_path: str | None = None,
                 sha256: str | None = None, dtype: str | None = None) -> bytes:
        """The file content for ``fmt``: json (weights JSON), npy, txt (one per line), list.

        ``dtype`` (``float32``/``float64``) applies to npy, txt and list; default float32
        for npy, float64 for the others. JSON always holds full float64 precision.
        """
        dtype = check_dtype(fmt, dtype)
        if fmt == "json":
            return dumps_json(self.to_dict(source_path, sha256)).encode("utf-8")
        return encode_vector(self.weights, fmt, dtype)

    def explain(self) -> list[dict[str, Any]]:
        """One row per class: its count, share, value, and (weights only) its loss share.

        ``share``: n_c over all counts; ``loss_share_before``: n_c / sum_j n_j over the
        classes the loss sees (not ignored); ``loss_share_after``: w_c n_c / sum_j w_j n_j.
        With inverse-frequency every present class carries 1/C after weighting, so a model
        predicting one class everywhere pays the same whichever class it picks. Logit
        offsets and margins do not scale the loss: their loss shares are None.
        """
        ignored = set(self.ignored)
        total = exact_sum(self.counts)
        seen = exact_sum(n for c, n in enumerate(self.counts) if c not in ignored)
        weighted = [w * float(n) for w, n in zip(self.weights.tolist(), self.counts)]
        weighted_total = math.fsum(weighted)
        is_weights = self.kind == "weights"
        return [{
            "class": c,
            "name": self.class_names[c] if self.class_names is not None else None,
            "count": n,
            "share": float(n / total),
            "weight": float(self.weights[c]),
            "loss_share_before": (None if not is_weights else 0.0 if c in ignored
                                  else float(n / seen) if seen else 0.0),
            "loss_share_after": (weighted[c] / weighted_total
                                 if is_weights and weighted_total else None),
            "ignored": c in ignored,
        } for c, n in enumerate(self.counts)]
