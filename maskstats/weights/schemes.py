"""The weighting-scheme registry: one decorated function per scheme.

A scheme sees only the classes that are present (count > 0, not ignored) and returns their
values at the scheme's natural scale; :func:`maskstats.weights.compute.compute_weights` handles
absent and ignored classes, normalisation and clipping. Notation: ``n_c`` is the count of
class c, ``N`` the sum of the present counts, ``C`` the number of present classes and
``f_c = n_c / N``.

Most schemes give loss weights (``kind="weights"``); a scheme may give another per-class
vector a loss consumes, such as additive logit offsets (``"logit-offsets"``) or margins
(``"margins"``), which are not rescaled or clipped like weights.

Adding a scheme is one function::

    @register("my-scheme", formula="...")
    def my_scheme(x: Inputs, *, alpha=0.5):
        '''One-line description shown by `maskstats schemes`.

        Source, and when to use it.
        '''
        return ...

Keyword-only arguments are the scheme's parameters; their defaults are the documented
defaults. A string parameter takes one of the values listed in ``register(choices=...)``.
A scheme checks the ranges of its numeric parameters itself with
:func:`maskstats.registry.check` (a usage error, exit 2).
"""

from __future__ import annotations

import math

import numpy as np

from maskstats.registry import (DENOMINATORS, KINDS, Inputs, Scheme, check, get_scheme,
                                       list_schemes, register, to_number)

__all__ = ["DENOMINATORS", "KINDS", "Inputs", "Scheme", "get_scheme", "list_schemes",
           "register", "to_number", "SATURATION"]

#: the ``denominator`` parameter of the frequency schemes
FREQUENCY = {"denominator": DENOMINATORS}


# ------------------------------------------------------------------------------ schemes
@register("uniform", formula="1")
def uniform(x: Inputs) -> np.ndarray:
    """Every class weighs 1: the unweighted loss, a baseline.

    Use it to compare against, or to write a weights file for balanced data.
    """
    return np.ones_like(x.n)


@register("inverse-max", formula="max_k n_k / n_c")
def inverse_max(x: Inputs) -> np.ndarray:
    """The most frequent class gets 1; the others how many times rarer they are.

    Same ratios as inverse-frequency, on a scale where no weight is below 1.
    """
    return x.n.max() / x.n


@register("inverse-frequency", formula="N / (C n_c)", aliases=("balanced",), choices=FREQUENCY)
def inverse_frequency(x: Inputs, *, denominator: str = "present") -> np.ndarray:
    """Balanced (scikit-learn): every class carries the same share of the loss.

    scikit-learn ``compute_class_weight('balanced')`` (sample-weighted counts too); keeps
    sum_c w_c n_c = N, so the weighted loss has the scale of the unweighted one.
    ``denominator=all`` puts ignored pixels into N: the same ratios, a larger scale.
    """
    return (x.total(denominator) / x.C) / x.n  # no overflow of C * n_c


@register("inverse-sqrt", formula="sqrt(N / n_c)", choices=FREQUENCY)
def inverse_sqrt(x: Inputs, *, denominator: str = "present") -> np.ndarray:
    """Softened inverse frequency, 1 / sqrt(f_c): rare classes gain, but less.

    A common smoothed variant for very skewed data, where full inverse frequency
    overweights a handful of pixels. ``denominator=all`` puts ignored pixels into N.
    """
    return np.sqrt(x.total(denominator) / x.n)


@register("median-frequency",
          formula="median_k(g_k) / g_c, g_c = n_c / image_pixels_c (n_c / N from plain counts)")
def median_frequency(x: Inputs) -> np.ndarray:
    """Median frequency balancing (Eigen & Fergus 2015): median_k(g_k) / g_c.

    Used by SegNet. g_c is the frequency of class c in the images that contain it; the
    median is taken over the present classes (the middle two averaged for an even count,
    so then no class need get exactly 1). Plain counts, or stats without
    ``image_pixels``, fall back to g_c = n_c / N.
    """
    ip = x.image_pixels
    if ip is not None and np.any(ip <= 0):
        x.warn("median-frequency: the stats have no image_pixels for some classes; "
               "using g_c = n_c / N instead")
        ip = None
    g = x.n / ip if ip is not None else x.n / x.N
    return np.median(g) / g


@register("enet", formula="1 / ln(k + f_c)", choices=FREQUENCY)
def enet(x: Inputs, *, k: float = 1.02, denominator: str = "present") -> np.ndarray:
    """ENet (Paszke et al. 2016): between 1/ln(1 + k) and 1/ln(k).

    With the default k = 1.02 the weights lie in [1.42, 50.5]; some code uses k = 1.2.
    ``denominator=all`` divides by every pixel, ignored ones included, as PyTorch-ENet's
    ``enet_weighing`` does (f_c = n_c / all pixels).
    """
    check(k > 1, f"enet: k must be greater than 1, not {k}")
    return 1.0 / np.log(k + x.n / x.total(denominator))


#: a class "saturates" under effective-number when beta^n_c falls below this
SATURATION = 0.01


@register("effective-number", formula="(1 - beta) / (1 - beta^n_c), scaled to sum to C")
def effective_number(x: Inputs, *, beta: float = 0.9999) -> np.ndarray:
    """Class-balanced loss by effective number of samples (Cui et al., CVPR 2019).

    A class saturates when beta^n_c < 0.01: its weight is then within 1% of (1 - beta),
    whatever n_c. When every present class saturates (with beta = 0.9999: every class
    above ~46,000 pixels) the weights are nearly uniform and a warning says so; pixel
    counts want beta near 1 - 1e-7.
    """
    check(0 < beta < 1, f"effective-number: beta must lie between 0 and 1, not {beta}")
    log_beta = np.log(beta)
    w = (1 - beta) / -np.expm1(x.n * log_beta)  # 1 - beta^n_c without cancellation
    if x.C > 1 and np.all(x.n * log_beta < math.log(SATURATION)):
        smallest = float(x.n.min())
        better = 1 - 1 / smallest if smallest > 1 else None
        digits = len(str(int(smallest))) + 2
        fix = (f"use a beta closer to 1, e.g. beta={better:.{digits}g}" if better
               else "use a beta closer to 1")
        x.warn(f"effective-number: every class saturates (beta^n_c < {SATURATION}, i.e. "
               f"n_c > {math.log(SATURATION) / log_beta:,.0f} with beta={beta}), so the "
               f"weights are within about 1% of uniform; {fix}")
    return w * x.C / w.sum()


@register("log-inverse", formula="max(1, ln(mu N / n_c))", choices=FREQUENCY)
def log_inverse(x: Inputs, *, mu: float = 0.15, denominator: str = "present") -> np.ndarray:
    """Log-scaled inverse frequency floored at 1 (a widely copied Keras recipe).

    Frequent classes (n_c > mu N / e) all get 1; rarer ones grow only logarithmically.
    ``denominator=all`` puts ignored pixels into N.
    """
    check(mu > 0, f"log-inverse: mu must be greater than 0, not {mu}")
    # logs of each factor: no overflow of mu * N, no underflow of n_c / N
    return np.maximum(1.0, math.log(mu) + math.log(x.total(denominator)) - np.log(x.n))


@register("pos-weight", formula="(N - n_c) / n_c")
def pos_weight(x: Inputs) -> np.ndarray:
    """Negatives per positive, for BCEWithLogitsLoss or TF pos_weight.

    PyTorch ``BCEWithLogitsLoss(pos_weight=...)``, TF ``weighted_cross_entropy_with_logits``;
    PyTorch's example: 300 negatives and 100 positives give 3. For multi-label stats
    (``labels --multi-label``, ``scan --layout multi-label``) N is the number of samples
    (pixels), since one sample may count for several classes. A class present in every
    sample has no negatives and gets 0.
    """
    total = x.samples if x.samples is not None else x.N
    return (total - x.n) / x.n


@register("inverse-square", formula="(max_k n_k / n_c)^2",
          aliases=("generalized-dice",))
def inverse_square(x: Inputs) -> np.ndarray:
    """Generalized Dice (Sudre et al. 2017): 1 / n_c^2; the most frequent gets 1.

    The class weights of the Generalized Dice loss, MONAI
    ``GeneralizedDiceLoss(w_type="square")``, computed over the whole dataset instead of
    per batch. The loss divides weighted overlap by weighted size, so only ratios matter;
    the scale max-class = 1 keeps the numbers readable (1 / n_c^2 itself underflows).
    """
    return np.square(x.n.max() / x.n)


@register("logit-adjustment", formula="tau * ln(f_c)", kind="logit-offsets", choices=FREQUENCY)
def logit_adjustment(x: Inputs, *, tau: float = 1.0,
                     denominator: str = "present") -> np.ndarray:
    """Logit adjustment (Menon et al. 2021): tau * ln(f_c), added to the logits.

    Logit-adjusted softmax cross-entropy adds these offsets to the logits during training
    (or subtracts them from a plain model's logits at inference); tau = 1 is the Balanced
    Softmax of Ren et al. 2020. Offsets, not weights: every value is <= 0, and adding
    one constant to all of them changes nothing in a softmax.
    """
    check(tau > 0, f"logit-adjustment: tau must be greater than 0, not {tau}")
    total = x.total(denominator)
    f = x.n / total
    # ln(f_c) directly where f_c is a normal float, else ln(n_c) - ln(N) (no underflow)
    return tau * np.where(f > 1e-300, np.log(f), np.log(x.n) - math.log(total))


@register("ldam", formula="max_margin * (min_k n_k / n_c)^(1/4)", kind="margins")
def ldam(x: Inputs, *, max_margin: float = 0.5) -> np.ndarray:
    """LDAM (Cao et al. 2019): margins ~ n_c^(-1/4), max_margin for the rarest.

    Label-distribution-aware margins: the true-class logit is lowered by m_c before the
    softmax, more for rarer classes; the rarest present class gets ``max_margin`` (0.5 in
    the authors' code). Margins, not weights.
    """
    check(max_margin > 0, f"ldam: max_margin must be greater than 0, not {max_margin}")
    return max_margin * np.sqrt(np.sqrt(x.n.min() / x.n))
