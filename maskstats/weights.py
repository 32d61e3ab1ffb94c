"""Class weights from stats or counts, with their provenance (``maskstats-weights`` v1).

:func:`compute_weights` runs in this order:

1. counts: from a :class:`~maskstats.stats.Stats`, a stats JSON dict or a sequence of
   integers; ``num_classes`` pads them with zeros.
2. ignored classes (``ignore_index`` values inside the vector, from the stats and from the
   call) and absent classes (count 0) are set aside: they are not part of N, C, the max
   or the median.
3. the scheme weighs the present classes at its natural scale.
4. ``normalize`` rescales the present classes' weights (sum 1, sum C = mean 1, max 1,
   min 1); ``clip`` then bounds them.
5. absent classes get 0 (``missing="zero"``), the largest present weight (``"max"``), or
   an error (``"error"``); ignored classes get 0.
"""

from __future__ import annotations

import io
import json
import operator
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from maskstats.errors import BadStats, MaskstatsError, MaskstatsWarning, UsageProblem
from maskstats.io import (STATS_FORMAT, STATS_VERSION, WEIGHTS_FORMAT, WEIGHTS_VERSION,
                          check_format, dumps_json, load_stats_dict, parse_json, read_bytes,
                          sha256_bytes)
from maskstats.schemes import Inputs, get_scheme, to_number
from maskstats.stats import Stats

NORMALIZATIONS = ("none", "sum", "sum-to-classes", "mean", "max", "min")
MISSING = ("zero", "max", "error")
FORMATS = ("json", "npy", "txt", "list")

# divisor of each normalisation, over the present classes ("sum-to-classes": w * C / sum w)
_SCALE: dict[str, Callable[[np.ndarray], float]] = {
    "sum": np.sum, "sum-to-classes": np.mean, "mean": np.mean, "max": np.max, "min": np.min,
}


@dataclass
class Weights:
    """A weight vector (one float64 per class) and how it was made."""

    weights: np.ndarray
    counts: list[int]
    absent: list[int]
    scheme: str
    formula: str
    params: dict[str, float]
    normalize: str = "none"
    missing: str = "zero"
    clip: tuple[float, float] | None = None
    class_names: list[str | None] | None = None
    ignore_index: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ignored(self) -> list[int]:
        """Ignore values that are class ids of the vector (their weight is 0)."""
        return [v for v in self.ignore_index if 0 <= v < len(self.counts)]

    def to_dict(self, source_path: str | None = None, sha256: str | None = None) -> dict:
        """The weights JSON document; ``source_path``/``sha256`` name the stats file."""
        return {
            "format": WEIGHTS_FORMAT,
            "version": WEIGHTS_VERSION,
            "scheme": self.scheme,
            "formula": self.formula,
            "params": dict(self.params),
            "normalize": self.normalize,
            "missing": self.missing,
            "clip": list(self.clip) if self.clip is not None else None,
            "weights": self.weights.tolist(),
            "counts": list(self.counts),
            "class_names": list(self.class_names) if self.class_names is not None else None,
            "absent": list(self.absent),
            "ignore_index": list(self.ignore_index),
            "source": {"stats": source_path, "sha256": sha256},
        }

    def to_bytes(self, fmt: str = "json", source_path: str | None = None,
                 sha256: str | None = None) -> bytes:
        """The file content for ``fmt``: json (weights JSON), npy, txt (one per line), list."""
        if fmt == "json":
            return dumps_json(self.to_dict(source_path, sha256)).encode("utf-8")
        if fmt == "list":
            return (json.dumps(self.weights.tolist(), allow_nan=False) + "\n").encode("utf-8")
        if fmt == "txt":
            return "".join(f"{w!r}\n" for w in self.weights.tolist()).encode("utf-8")
        if fmt == "npy":
            buf = io.BytesIO()
            np.save(buf, self.weights, allow_pickle=False)
            return buf.getvalue()
        raise UsageProblem(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")

    def explain(self) -> list[dict[str, Any]]:
        """One row per class: what it weighs and what share of the loss it carries.

        ``share``: n_c over all counts; ``loss_share_before``: n_c / sum_j n_j over the
        classes the loss sees (not ignored); ``loss_share_after``: w_c n_c / sum_j w_j n_j
        (None when every weight is 0). With inverse-frequency every present class carries
        1/C after weighting, so a model predicting one class everywhere pays the same
        whichever class it picks.
        """
        ignored = set(self.ignored)
        total = sum(self.counts)
        seen = sum(n for c, n in enumerate(self.counts) if c not in ignored)
        weighted = [w * n for w, n in zip(self.weights.tolist(), self.counts)]
        weighted_total = sum(weighted)
        return [{
            "class": c,
            "name": self.class_names[c] if self.class_names is not None else None,
            "count": n,
            "share": n / total,
            "weight": float(self.weights[c]),
            "loss_share_before": 0.0 if c in ignored else n / seen,
            "loss_share_after": weighted[c] / weighted_total if weighted_total else None,
            "ignored": c in ignored,
        } for c, n in enumerate(self.counts)]


def compute_weights(
    stats_or_counts: Stats | Mapping[str, Any] | Sequence[int],
    scheme: str = "inverse-frequency",
    normalize: str = "none",
    *,
    missing: str = "zero",
    clip: tuple[float, float] | None = None,
    ignore_index: Iterable[int] = (),
    num_classes: int | None = None,
    on_warning: Callable[[str], None] | None = None,
    **params: Any,
) -> Weights:
    """Turn per-class counts into class weights (see the module docstring for the steps).

    Args:
        stats_or_counts: a :class:`Stats`, a parsed stats JSON dict, or counts per class.
        scheme: a name from :func:`maskstats.list_schemes` (or an alias such as ``balanced``).
        normalize: one of :data:`NORMALIZATIONS`; ``"none"`` keeps the scheme's scale.
        missing: weight of absent classes: ``"zero"``, ``"max"`` or ``"error"``.
        clip: ``(min, max)`` bounds applied after normalisation.
        ignore_index: class ids that get weight 0 and are left out (values outside the
            vector, such as 255, are only recorded); the stats' own values are added.
        num_classes: pad the counts with zeros to this many classes.
        on_warning: called with each warning; default :func:`warnings.warn`.
        **params: scheme parameters, e.g. ``beta=0.9999999`` (numbers or strings).
    """
    sch = get_scheme(scheme)
    _one_of("normalize", normalize, NORMALIZATIONS)
    _one_of("missing", missing, MISSING)
    resolved = sch.resolve_params(params)
    bounds = _bounds(clip)
    counts, image_pixels, names, ignore = _source(stats_or_counts)
    counts, image_pixels, names = _pad(counts, image_pixels, names, num_classes)
    ignore = sorted(set(ignore) | {_integer("ignore_index value", v) for v in ignore_index})
    skip = {v for v in ignore if 0 <= v < len(counts)}
    present = [c for c, n in enumerate(counts) if n and c not in skip]
    absent = [c for c, n in enumerate(counts) if not n and c not in skip]
    if not present:
        raise UsageProblem("every class has a zero count" + (" or is ignored" if skip else "")
                           + ": nothing to weight")
    if absent and missing == "error":
        raise UsageProblem(f"absent class(es) with zero count: {', '.join(map(str, absent))} "
                           "(missing='error'; use 'zero' or 'max' to weight them)")
    x = Inputs(
        n=np.array([float(counts[c]) for c in present]),
        N=float(sum(counts[c] for c in present)),
        image_pixels=(None if image_pixels is None
                      else np.array([float(image_pixels[c]) for c in present])),
    )
    w = sch(x, **resolved)
    if normalize != "none":
        scale = float(_SCALE[normalize](w))
        w = w / scale if scale > 0 else w  # all zero (pos-weight, one class): nothing to scale
    if bounds is not None:
        w = np.clip(w, *bounds)
    out = np.zeros(len(counts), dtype=np.float64)
    out[present] = w
    if missing == "max" and absent:
        out[absent] = w.max()
    if not np.all(np.isfinite(out)):
        raise MaskstatsError(f"internal error: scheme {sch.name} gave a non-finite weight for "
                             f"counts {counts}; please report it")
    for message in x.warnings:
        if on_warning is not None:
            on_warning(message)
        else:
            warnings.warn(message, MaskstatsWarning, stacklevel=2)
    return Weights(out, counts, absent, sch.name, sch.formula, resolved, normalize, missing,
                   bounds, names, ignore, list(x.warnings))


def read_stats(path: str | os.PathLike) -> tuple[Stats, str]:
    """Read a stats JSON file (``-`` = stdin); return it and the sha256 of its bytes."""
    d, data = load_stats_dict(path)
    return Stats.from_dict(d, "<stdin>" if str(path) == "-" else str(path)), sha256_bytes(data)


def load_weights(path: str | os.PathLike) -> np.ndarray:
    """Read a weight vector written by ``maskstats weights`` (``-`` = stdin) as float64.

    Any of its formats, recognised by content: ``.npy``, weights JSON (format and version
    checked), a bare JSON list (``-f list``), or text with one number per line (``-f txt``).
    """
    source = "<stdin>" if str(path) == "-" else str(path)
    data = read_bytes(path)
    head = data.lstrip()[:1]
    if data.startswith(b"\x93NUMPY"):
        try:
            values: Any = np.load(io.BytesIO(data), allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise BadStats(f"{source}: unreadable .npy file ({exc})") from None
    elif head == b"{":
        doc = check_format(parse_json(data, source), source, WEIGHTS_FORMAT, WEIGHTS_VERSION)
        values = doc.get("weights")
    elif head == b"[":
        values = parse_json(data, source)
    else:
        values = _text_numbers(data, source)
    return _vector(values, source)


# ------------------------------------------------------------------------------ helpers
def _one_of(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UsageProblem(f"{name}={value!r} is not one of: {', '.join(choices)}")


def _integer(what: str, value: Any) -> int:
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError
        return operator.index(value)
    except TypeError:
        raise UsageProblem(f"{what} {value!r} is not an integer") from None


def _bounds(clip: Sequence[Any] | None) -> tuple[float, float] | None:
    if clip is None:
        return None
    if isinstance(clip, (str, bytes)) or len(clip) != 2:
        raise UsageProblem(f"clip must be a pair (min, max), not {clip!r}")
    lo, hi = to_number("clip min", clip[0]), to_number("clip max", clip[1])
    if not 0 <= lo <= hi:
        raise UsageProblem(f"clip needs 0 <= min <= max, not ({lo:g}, {hi:g})")
    return lo, hi


def _source(obj: Any) -> tuple[list[int], list[int] | None, list | None, list[int]]:
    """Counts, image_pixels (or None), class names (or None) and ignore values of ``obj``."""
    if isinstance(obj, Mapping):
        check_format(obj, "stats", STATS_FORMAT, STATS_VERSION)
        obj = Stats.from_dict(obj, "stats")
    if isinstance(obj, Stats):
        counts = _counts(obj.pixel_counts)
        ip = obj.image_pixels if len(obj.image_pixels) == len(counts) else None
        names = list(obj.class_names) if obj.class_names is not None else None
        return counts, ip, names, [int(v) for v in obj.ignore_index]
    if isinstance(obj, (str, bytes, os.PathLike)) or not isinstance(obj, Iterable):
        raise UsageProblem(f"expected Stats, a stats dict or a sequence of counts, not "
                           f"{type(obj).__name__} (read a file with maskstats.load_stats)")
    return _counts(obj), None, None, []


def _counts(values: Iterable[Any]) -> list[int]:
    counts = [_integer(f"count {i}:", v) for i, v in enumerate(values)]
    if not counts:
        raise UsageProblem("no counts given")
    negative = [f"{i}: {n}" for i, n in enumerate(counts) if n < 0]
    if negative:
        raise UsageProblem(f"counts must not be negative (class {', '.join(negative)})")
    return counts


def _pad(counts: list[int], image_pixels: list[int] | None, names: list | None,
         num_classes: int | None):
    if num_classes is None:
        return counts, image_pixels, names
    k = _integer("num_classes", num_classes)
    if k < len(counts):
        raise UsageProblem(f"num_classes is {k} but there are {len(counts)} class counts")
    extra = k - len(counts)
    return (counts + [0] * extra,
            None if image_pixels is None else list(image_pixels) + [0] * extra,
            None if names is None else names + [None] * extra)


def _text_numbers(data: bytes, source: str) -> list[float]:
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise BadStats(f"{source}: not a weights file (not text, JSON or .npy)") from None
    values = []
    for lineno, line in enumerate(lines, 1):
        if line.strip():
            try:
                values.append(float(line))
            except ValueError:
                raise BadStats(f"{source}, line {lineno}: {line.strip()!r} is not a "
                               "number") from None
    return values


def _vector(values: Any, source: str) -> np.ndarray:
    if not isinstance(values, np.ndarray):
        if not isinstance(values, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise BadStats(f"{source}: 'weights' must be a list of numbers")
        values = np.array(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or values.dtype.kind not in "iuf":
        raise BadStats(f"{source}: expected a non-empty vector of numbers, got shape "
                       f"{values.shape} of {values.dtype}")
    values = values.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise BadStats(f"{source}: weights contain NaN or Infinity")
    return values
