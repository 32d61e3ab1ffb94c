"""The sampling methods: one decorated function each (see :mod:`maskstats.sampling.registry`).

Notation: n rows (images), f_c = share of the rows holding class c, x_ic the pixels of
class c in row i, X_i = sum_c x_ic its counted pixels. Only classes that are present and
not ignored play a part. A row holding none of them gets the method's smallest weight.
"""

from __future__ import annotations

import numpy as np

from maskstats.sampling.balanced import solve
from maskstats.sampling.registry import Inputs, register
from maskstats.registry import check


@register("repeat-factor",
          formula="r_i = max over c in image i of max(1, sqrt(t / f_c)); 1 without classes")
def repeat_factor(x: Inputs, *, t: float = 0.001) -> np.ndarray:
    """LVIS repeat factors (Gupta et al. 2019), as detectron2 and mmengine compute them.

    An image is repeated as often as its rarest class asks: classes in fewer than a share
    t of the images get sqrt(t / f_c) > 1. detectron2
    ``RepeatFactorTrainingSampler.repeat_factors_from_category_frequency`` and mmengine
    ``ClassBalancedDataset(oversample_thr=t)`` use the same rule.
    """
    check(t > 0, f"repeat-factor: t must be greater than 0, not {t:g}")
    r_c = np.maximum(1.0, np.sqrt(t / x.f))
    if x.C and (r_c == 1.0).all():  # LVIS's t = 0.001 was set for 1,203 categories
        rarest = float(x.f.min())
        hint = min(1.0, 4 * rarest)
        x.warn(f"repeat-factor: every factor is 1 with t={t:g}: the rarest class is in "
               f"{100 * rarest:.3g}% of the images, above t; only t above {rarest:.3g} "
               f"repeats anything, e.g. --param t={hint:.3g} repeats the images of the "
               f"rarest class {np.sqrt(hint / rarest):.3g}x")
    return x.row_max(r_c[x.cols], 1.0)


@register("inverse-presence", formula="w_i = max over c in image i of 1 / f_c; 1 without classes")
def inverse_presence(x: Inputs) -> np.ndarray:
    """The rarest class an image holds decides its weight: 1 / (share of images holding it).

    With WeightedRandomSampler every class is then drawn about as often as the others
    in terms of images holding it (exactly so when each image holds one class).
    """
    return x.row_max((1.0 / x.f)[x.cols], 1.0)


@register("balanced",
          formula="n p_i, p = argmax sum_c log s_c(p) subject to sum p = 1, "
                  "min_ratio / n <= p_i <= max_ratio / n")
def balanced(x: Inputs, *, max_ratio: float = 10.0, min_ratio: float = 0.2,
             tol: float = 1e-4, max_iter: float = 2000) -> np.ndarray:
    """Optimised probabilities that make the expected class pixel shares as equal as they can be.

    Maximises sum_c log s_c, s_c = sum_i p_i x_ic / sum_i p_i X_i the expected share of
    class c in the sampled pixels (the same as minimising KL(uniform || s)), with no image
    drawn more than max_ratio times nor less than min_ratio times as often as under uniform
    sampling. The default floor min_ratio = 0.2 keeps every image in the epoch (an optimum
    without it gives most images probability 0 on some datasets: an epoch then draws a
    handful of images over and over) at a small cost in balance (docs/sample-weights.md
    gives the measurement). A concave problem
    (see maskstats/sampling/balanced.py), solved to a certified gap: the geometric mean of
    the shares is within a factor e^tol of the best reachable. Weights are n p_i: 1 is
    uniform sampling's probability, max_ratio the largest allowed.
    """
    check(max_ratio >= 1, f"balanced: max_ratio must be at least 1, not {max_ratio:g}")
    check(0 <= min_ratio <= 1, f"balanced: min_ratio must lie between 0 and 1, not "
                               f"{min_ratio:g}")
    check(tol > 0, f"balanced: tol must be greater than 0, not {tol:g}")
    check(max_iter >= 1 and float(max_iter).is_integer(),
          f"balanced: max_iter must be a whole number >= 1, not {max_iter:g}")
    n, cap = x.n, max_ratio / x.n
    w = np.zeros(n)
    full = np.flatnonzero(~x.empty)
    if full.size == 0:
        return np.ones(n)
    if full.size * cap < 1 - 1e-12:  # every image with a class at the cap is all we can do
        x.warn(f"balanced: only {full.size} of {n} images hold a class, fewer than n / "
               f"max_ratio; they all get the largest weight {max_ratio:g}")
        w[full] = max_ratio
        w[x.empty] = (n - full.size * max_ratio) / max(1, int(x.empty.sum()))
        return w
    remap = np.full(n, -1, dtype=np.int64)
    remap[full] = np.arange(full.size)
    sol = solve(remap[x.rows], x.cols, x.vals, x.X[full], x.C, cap, floor=min_ratio / n,
                tol=tol, max_iter=int(max_iter))
    w[full] = sol.p * n
    if min_ratio == 0:  # mirror ascent only approaches 0: what is 0 up to rounding is 0
        w[w < 1e-12] = 0.0
    if x.empty.any():
        w[x.empty] = w[full].min()
    x.info.update({"shares": sol.shares.tolist(), "iterations": sol.iterations,
                   "gap": sol.gap, "converged": sol.converged,
                   "min_max_ratio": float(sol.shares.min() / sol.shares.max())})
    if not sol.converged:
        x.warn(f"balanced: stopped after {sol.iterations} iterations with a certified gap "
               f"of {sol.gap:.3g} per class (tol {tol:g}); raise max_iter or tol")
    return w
