"""The weighting-scheme registry: one decorated function per scheme.

A scheme sees only the classes that are present (count > 0, not ignored) and returns their
weights at the scheme's natural scale; :func:`maskstats.weights.compute_weights` handles
absent and ignored classes, normalisation and clipping. Notation: ``n_c`` is the count of
class c, ``N`` the sum of the present counts, ``C`` the number of present classes and
``f_c = n_c / N``.

Adding a scheme is one function::

    @register("my-scheme", formula="...")
    def my_scheme(x: Inputs, *, alpha=0.5):
        '''One-line description shown by `maskstats schemes`.

        Source, and when to use it.
        '''
        return ...

Keyword-only arguments are the scheme's parameters; their defaults are the documented
defaults. A scheme checks the ranges of its parameters itself (:func:`_check`).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from maskstats.errors import UnknownScheme, UsageProblem


@dataclass
class Inputs:
    """What a scheme sees: the present classes only, every count > 0.

    ``n``: float64 counts; ``N``: their sum, added as exact integers before the one
    conversion to float; ``image_pixels``: float64 pixels of the images that contain each
    class, or None when the counts did not come from a stats file. A scheme reports
    something the user should know with :meth:`warn`.
    """

    n: np.ndarray
    N: float
    image_pixels: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def C(self) -> int:
        return int(self.n.size)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@dataclass(frozen=True)
class Scheme:
    """A registered scheme: its function, formula, one-line summary and parameter defaults."""

    name: str
    fn: Callable[..., np.ndarray]
    formula: str
    summary: str
    aliases: tuple[str, ...] = ()
    defaults: Mapping[str, float] = field(default_factory=dict)

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, float]:
        """The defaults updated with ``given`` (strings or numbers), checked by name and type."""
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            valid = ", ".join(self.defaults) if self.defaults else "none"
            raise UsageProblem(f"scheme {self.name} has no parameter {', '.join(unknown)} "
                               f"(its parameters: {valid})")
        return {**self.defaults, **{k: to_number(k, v) for k, v in given.items()}}

    def __call__(self, x: Inputs, **params: float) -> np.ndarray:
        return np.asarray(self.fn(x, **params), dtype=np.float64)


_SCHEMES: dict[str, Scheme] = {}
_ALIASES: dict[str, str] = {}


def register(name: str, *, formula: str, aliases: tuple[str, ...] = ()):
    """Register the decorated function as scheme ``name`` (and ``aliases``)."""

    def deco(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        for key in (name, *aliases):
            if key in _SCHEMES or key in _ALIASES:
                raise ValueError(f"scheme {key!r} registered twice")
        defaults = {p.name: p.default for p in inspect.signature(fn).parameters.values()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY}
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"scheme {name!r} needs a docstring (its first line is shown)")
        summary = fn.__doc__.strip().splitlines()[0]
        _SCHEMES[name] = Scheme(name, fn, formula, summary, tuple(aliases), defaults)
        _ALIASES.update({alias: name for alias in aliases})
        return fn

    return deco


def list_schemes(aliases: bool = False) -> list[str]:
    """Scheme names in registration order; with ``aliases=True`` the aliases follow."""
    return list(_SCHEMES) + (list(_ALIASES) if aliases else [])


def get_scheme(name: str) -> Scheme:
    """The scheme registered as ``name`` (or an alias), else :class:`UnknownScheme`."""
    scheme = _SCHEMES.get(_ALIASES.get(name, name))
    if scheme is None:
        raise UnknownScheme(f"unknown scheme {name!r}; choose one of: "
                            f"{', '.join(list_schemes(aliases=True))}")
    return scheme


def to_number(name: str, value: Any) -> float:
    """``value`` (a number, or a string such as ``"0.9999"``) as a finite float."""
    try:
        if isinstance(value, bool):
            raise ValueError
        out = float(value)
    except (TypeError, ValueError):
        raise UsageProblem(f"{name}={value!r} is not a number") from None
    if not math.isfinite(out):
        raise UsageProblem(f"{name}={value!r} must be a finite number")
    return out


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise UsageProblem(message)


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


@register("inverse-frequency", formula="N / (C n_c)", aliases=("balanced",))
def inverse_frequency(x: Inputs) -> np.ndarray:
    """Balanced (scikit-learn): every class carries the same share of the loss.

    scikit-learn ``compute_class_weight('balanced')``; keeps sum_c w_c n_c = N, so the
    weighted loss has the scale of the unweighted one.
    """
    return x.N / (x.C * x.n)


@register("inverse-sqrt", formula="sqrt(N / n_c)")
def inverse_sqrt(x: Inputs) -> np.ndarray:
    """Softened inverse frequency, 1 / sqrt(f_c): rare classes gain, but less.

    A common smoothed variant for very skewed data, where full inverse frequency
    overweights a handful of pixels.
    """
    return np.sqrt(x.N / x.n)


@register("median-frequency",
          formula="median_k(g_k) / g_c, g_c = n_c / image_pixels_c (n_c / N from plain counts)")
def median_frequency(x: Inputs) -> np.ndarray:
    """Median frequency balancing (Eigen & Fergus 2015): the median class gets 1.

    Used by SegNet. g_c is the frequency of class c in the images that contain it; the
    median is taken over the present classes (the middle two averaged for an even count).
    Plain counts, or stats without ``image_pixels``, fall back to g_c = n_c / N.
    """
    ip = x.image_pixels
    if ip is not None and np.any(ip <= 0):
        x.warn("median-frequency: the stats have no image_pixels for some classes; "
               "using g_c = n_c / N instead")
        ip = None
    g = x.n / ip if ip is not None else x.n / x.N
    return np.median(g) / g


@register("enet", formula="1 / ln(k + f_c)")
def enet(x: Inputs, *, k: float = 1.02) -> np.ndarray:
    """ENet (Paszke et al. 2016): bounded between 1/ln(1 + k) and 1/ln(k).

    With the default k = 1.02 the weights lie in [1.42, 50.5]; some code uses k = 1.2.
    """
    _check(k > 1, f"enet: k must be greater than 1, not {k}")
    return 1.0 / np.log(k + x.n / x.N)


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
    _check(0 < beta < 1, f"effective-number: beta must lie between 0 and 1, not {beta}")
    log_beta = np.log(beta)
    w = (1 - beta) / -np.expm1(x.n * log_beta)  # 1 - beta^n_c without cancellation
    if x.C > 1 and np.all(x.n * log_beta < math.log(SATURATION)):
        smallest = int(x.n.min())
        digits = len(str(smallest)) + 2
        x.warn(f"effective-number: every class saturates (beta^n_c < {SATURATION}, i.e. "
               f"n_c > {math.log(SATURATION) / log_beta:,.0f} with beta={beta}), so the "
               f"weights are within about 1% of uniform; use a beta closer to 1, e.g. "
               f"beta={1 - 1 / smallest:.{digits}g}")
    return w * x.C / w.sum()


@register("log-inverse", formula="max(1, ln(mu N / n_c))")
def log_inverse(x: Inputs, *, mu: float = 0.15) -> np.ndarray:
    """Log-scaled inverse frequency floored at 1 (a widely copied Keras recipe).

    Frequent classes (n_c > mu N / e) all get 1; rarer ones grow only logarithmically.
    """
    _check(mu > 0, f"log-inverse: mu must be greater than 0, not {mu}")
    return np.maximum(1.0, math.log(mu) + np.log(x.N / x.n))  # no overflow of mu * N


@register("pos-weight", formula="(N - n_c) / n_c")
def pos_weight(x: Inputs) -> np.ndarray:
    """Negatives per positive, for BCEWithLogitsLoss or TF pos_weight.

    PyTorch ``BCEWithLogitsLoss(pos_weight=...)``, TF ``weighted_cross_entropy_with_logits``;
    PyTorch's example: 300 negatives and 100 positives give 3. A lone present class has no
    negatives and gets 0.
    """
    if x.C == 1:
        x.warn("pos-weight: only one class is present, so it has no negatives and gets 0")
    return (x.N - x.n) / x.n
