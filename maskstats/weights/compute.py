"""Class weights from stats or counts, with their provenance (``maskstats-weights`` v1).

:func:`compute_weights` runs in this order:

1. counts: from a :class:`~maskstats.core.stats.Stats`, a stats JSON dict or a sequence of
   non-negative integers or decimals; ``num_classes`` pads them with zeros.
2. ignored classes (``ignore_index`` values inside the vector, from the stats and from the
   call) and absent classes (count 0) are set aside: they are not part of N, C, the max
   or the median.
3. the scheme gives the present classes their values at its natural scale.
4. for loss weights only: ``normalize`` rescales the present classes' weights (sum 1,
   sum C = mean 1, max 1, min 1); ``clip`` then bounds them. Logit offsets and margins
   refuse both (their scale is a scheme parameter: ``tau``, ``max_margin``).
5. absent classes get 0 (``missing="zero"``), the largest present value (``"max"``), or
   an error (``"error"``); ignored classes get 0.

A vector with NaN or Infinity, or loss weights that are all 0, is never returned: a
:class:`UsageProblem` says why.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from maskstats.errors import MaskstatsWarning, UsageProblem
from maskstats.core.files import sha256_bytes
from maskstats.core.jsonio import load_stats_dict
from maskstats.weights.schemes import Inputs, get_scheme, to_number
from maskstats.core.stats import Stats
from maskstats.weights.inputs import (Count, Source, as_float, exact_sum, integers, pad,
                                     parse_counts, source_of)
from maskstats.weights.files import DTYPES, FORMATS, load_weights
from maskstats.weights.result import Weights

__all__ = ["DTYPES", "FORMATS", "MISSING", "NORMALIZATIONS", "Weights", "compute_weights",
           "load_weights", "parse_counts", "read_stats"]

NORMALIZATIONS = ("none", "sum", "sum-to-classes", "mean", "max", "min")
MISSING = ("zero", "max", "error")

# divisor of each normalisation, over the present classes ("sum-to-classes": w * C / sum w)
_SCALE: dict[str, Callable[[np.ndarray], float]] = {
    "sum": np.sum, "sum-to-classes": np.mean, "mean": np.mean, "max": np.max, "min": np.min,
}


def compute_weights(
    stats_or_counts: Stats | Mapping[str, Any] | Sequence[Count],
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
        stats_or_counts: a :class:`Stats`, a parsed stats JSON dict, or counts per class
            (non-negative integers, or decimals for sample-weighted counts).
        scheme: a name from :func:`maskstats.list_schemes` (or an alias such as ``balanced``).
        normalize: one of :data:`NORMALIZATIONS`; ``"none"`` keeps the scheme's scale.
            Loss weights only.
        missing: value of absent classes: ``"zero"``, ``"max"`` or ``"error"``.
        clip: ``(min, max)`` bounds applied after normalisation. Loss weights only.
        ignore_index: class ids that get 0 and are left out (values outside the vector,
            such as 255, are only recorded); the stats' own values are added.
        num_classes: pad the counts with zeros to this many classes.
        on_warning: called with each warning; default :func:`warnings.warn`.
        **params: scheme parameters, e.g. ``beta=0.9999999`` or ``denominator="all"``.

    Raises:
        UsageProblem: bad options or counts, or counts whose weights would be NaN,
            infinite, or (for loss weights) all 0.
    """
    sch = get_scheme(scheme)
    _one_of("normalize", normalize, NORMALIZATIONS)
    _one_of("missing", missing, MISSING)
    resolved = sch.resolve_params(params)
    bounds = _bounds(clip)
    if sch.kind != "weights":
        _refuse_weight_options(sch.name, sch.kind, normalize, bounds)
    src = pad(source_of(stats_or_counts), num_classes)
    counts = src.counts
    ignore = sorted(set(src.ignore or []) | set(integers("ignore_index value",
                                                           list(ignore_index))))
    skip = {v for v in ignore if 0 <= v < len(counts)}
    present = [c for c, n in enumerate(counts) if n and c not in skip]
    absent = [c for c, n in enumerate(counts) if not n and c not in skip]
    if not present:
        raise UsageProblem("every class has a zero count" + (" or is ignored" if skip else "")
                           + ": nothing to weight")
    if absent and missing == "error":
        raise UsageProblem(f"absent class(es) with zero count: {', '.join(map(str, absent))} "
                           "(missing='error'; use 'zero' or 'max' to weight them)")
    x, totals = _inputs(src, present)
    with np.errstate(all="ignore"):  # overflow and underflow are checked just below
        w = sch(x, **resolved)
    if not np.all(np.isfinite(w)):
        low, high = min(x.n), max(x.n)
        raise UsageProblem(f"scheme {sch.name} overflows float64 on these counts (from "
                           f"{low:.6g} to {high:.6g}); use a softer scheme such as "
                           "inverse-sqrt or log-inverse")
    with np.errstate(all="ignore"):
        w = _normalised(w, normalize)
    if bounds is not None:
        w = np.clip(w, *bounds)
    out = np.zeros(len(counts), dtype=np.float64)
    out[present] = w
    if missing == "max" and absent:
        out[absent] = w.max()
    _check_result(sch.name, sch.kind, out, normalize, bounds)
    for message in x.warnings:
        if on_warning is not None:
            on_warning(message)
        else:
            warnings.warn(message, MaskstatsWarning, stacklevel=2)
    if isinstance(stats_or_counts, Stats):
        unit = stats_or_counts.unit
    elif isinstance(stats_or_counts, Mapping):
        unit = stats_or_counts.get("unit", "pixels")
    else:
        unit = None  # bare counts: the caller knows
    return Weights(out, counts, absent, sch.name, sch.formula, resolved, normalize, missing,
                   bounds, src.names, ignore, list(x.warnings), sch.kind, totals, unit)


def read_stats(path: str | os.PathLike) -> tuple[Stats, str]:
    """Read a stats JSON file (``-`` = stdin); return it and the sha256 of its bytes."""
    d, data = load_stats_dict(path)
    return Stats.from_dict(d, "<stdin>" if str(path) == "-" else str(path)), sha256_bytes(data)


# ------------------------------------------------------------------------------ helpers
def _one_of(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UsageProblem(f"{name}={value!r} is not one of: {', '.join(choices)}")


def _bounds(clip: Sequence[Any] | None) -> tuple[float, float] | None:
    if clip is None:
        return None
    if isinstance(clip, (str, bytes)) or len(clip) != 2:
        raise UsageProblem(f"clip must be a pair (min, max), not {clip!r}")
    lo, hi = to_number("clip min", clip[0]), to_number("clip max", clip[1])
    if not 0 <= lo <= hi:
        raise UsageProblem(f"clip needs 0 <= min <= max, not ({lo:g}, {hi:g})")
    return lo, hi


_SCALE_PARAM = {"logit-offsets": "tau", "margins": "max_margin"}


def _refuse_weight_options(name: str, kind: str, normalize: str,
                           bounds: tuple[float, float] | None) -> None:
    """Logit offsets and margins are not loss weights: no --normalize, no --clip."""
    what = ("logit offsets (softmax ignores a constant added to every offset)"
            if kind == "logit-offsets" else "margins")
    if normalize != "none":
        raise UsageProblem(f"{name} gives {what}, not loss weights: --normalize does not "
                           f"apply; set their scale with --param {_SCALE_PARAM[kind]}=...")
    if bounds is not None:
        raise UsageProblem(f"{name} gives {what}, not loss weights: --clip does not apply; "
                           f"set their scale with --param {_SCALE_PARAM[kind]}=...")


def _inputs(src: Source, present: list[int]) -> tuple[Inputs, dict]:
    """The scheme inputs for the ``present`` classes, and the totals to record."""
    n_present = exact_sum(src.counts[c] for c in present)
    n_all = src.total if src.total is not None else exact_sum(src.counts)
    x = Inputs(
        n=np.array([as_float(f"the count of class {c}", src.counts[c]) for c in present]),
        N=as_float("the sum of the counts", n_present),
        N_all=as_float("the sum of all counts", n_all),
        samples=(None if src.samples is None
                 else as_float("the number of samples", src.samples)),
        image_pixels=(None if src.image_pixels is None
                      else np.array([float(src.image_pixels[c]) for c in present])),
    )
    totals = {"present": n_present if isinstance(n_present, int) else float(n_present),
              "all": n_all if isinstance(n_all, int) else float(n_all),
              "samples": src.samples}
    return x, totals


def _normalised(w: np.ndarray, normalize: str) -> np.ndarray:
    """``w`` divided by its sum/mean/max/min (over the present classes), overflow-safe."""
    if normalize == "none":
        return w
    scale = float(_SCALE[normalize](w))
    if not math.isfinite(scale):  # the sum overflows: scale by the max first
        w = w / w.max()
        scale = float(_SCALE[normalize](w))
    if scale > 0:
        return w / scale
    if normalize == "min" and np.any(w > 0):
        raise UsageProblem("--normalize min: a present class has weight 0, so the smallest "
                           "weight cannot be scaled to 1; use max, mean or sum")
    return w  # all zero: refused by _check_result


def _check_result(name: str, kind: str, out: np.ndarray, normalize: str,
                  bounds: tuple[float, float] | None) -> None:
    """No NaN or Infinity ever; loss weights that are all 0 train nothing: refuse them."""
    if not np.all(np.isfinite(out)):
        raise UsageProblem(f"--normalize {normalize} overflows float64 on the weights of "
                           f"scheme {name}; use another normalisation or --clip")
    if kind != "weights" or np.any(out != 0):
        return
    if bounds is not None and bounds[1] == 0:
        why = f"--clip {bounds[0]:g},{bounds[1]:g} sets every weight to 0"
    elif name == "pos-weight":
        why = ("pos-weight: every present class is in every sample, so no class has "
               "negatives and every weight is 0")
    else:
        why = f"scheme {name} gives 0 for every class (the weights underflow float64)"
    raise UsageProblem(f"{why}: a loss with all-zero weights trains nothing")
