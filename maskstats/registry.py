"""The machinery under :mod:`maskstats.weights.schemes`: what a scheme sees, and the registry.

:mod:`maskstats.weights.schemes` holds the schemes themselves (one decorated function each) and
re-exports these names; import them from there.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from maskstats.errors import UnknownScheme, UsageProblem

#: what a scheme's vector is: loss weights, additive logit offsets, or per-class margins
KINDS = ("weights", "logit-offsets", "margins")
#: values of the ``denominator`` parameter of the frequency schemes
DENOMINATORS = ("present", "all")


@dataclass
class Inputs:
    """What a scheme sees: the present classes only, every count > 0.

    ``n``: float64 counts (decimals allowed: sample-weighted counts); ``N``: their sum,
    added exactly (as integers or fractions) before the one conversion to float;
    ``N_all``: every counted pixel, the classes left out (ignored, unexpected) included:
    the stats' ``total_pixels``, or the sum of all ``--counts``; ``samples``: the number of
    samples of multi-label stats (a sample may count for several classes), else None;
    ``image_pixels``: float64 pixels of the images that contain each class, or None when
    the counts did not come from a stats file. A scheme reports something the user should
    know with :meth:`warn`.
    """

    n: np.ndarray
    N: float
    N_all: float | None = None
    samples: float | None = None
    image_pixels: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def C(self) -> int:
        return int(self.n.size)

    def total(self, denominator: str) -> float:
        """N for ``denominator="present"``, N_all for ``"all"`` (N when N_all is unknown)."""
        if denominator == "all" and self.N_all is not None:
            return max(self.N_all, self.N)
        return self.N

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@dataclass(frozen=True)
class Scheme:
    """A registered scheme: function, formula, summary, kind and parameter defaults."""

    name: str
    fn: Callable[..., np.ndarray]
    formula: str
    summary: str
    aliases: tuple[str, ...] = ()
    defaults: Mapping[str, float | str] = field(default_factory=dict)
    kind: str = "weights"
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, float | str]:
        """The defaults updated with ``given`` (strings or numbers), checked by name and type."""
        known_params(f"scheme {self.name}", given, self.defaults)
        out = dict(self.defaults)
        for key, value in given.items():
            if key in self.choices:
                if value not in self.choices[key]:
                    raise UsageProblem(f"{self.name}: {key}={value!r} is not one of: "
                                       f"{', '.join(self.choices[key])}")
                out[key] = value
            else:
                out[key] = to_number(key, value)
        return out

    def __call__(self, x: Inputs, **params: float | str) -> np.ndarray:
        return np.asarray(self.fn(x, **params), dtype=np.float64)


_SCHEMES: dict[str, Scheme] = {}
_ALIASES: dict[str, str] = {}


def register(name: str, *, formula: str, aliases: tuple[str, ...] = (), kind: str = "weights",
             choices: Mapping[str, tuple[str, ...]] | None = None):
    """Register the decorated function as scheme ``name`` (and ``aliases``).

    ``kind`` is one of :data:`KINDS`; ``choices`` lists the allowed values of string
    parameters (their default must be one of them).
    """
    if kind not in KINDS:
        raise ValueError(f"scheme {name!r}: kind must be one of {KINDS}, not {kind!r}")

    def deco(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        for key in (name, *aliases):
            if key in _SCHEMES or key in _ALIASES:
                raise ValueError(f"scheme {key!r} registered twice")
        defaults, summary = describe(f"scheme {name!r}", fn)
        for key, allowed in (choices or {}).items():
            if defaults.get(key) not in allowed:
                raise ValueError(f"scheme {name!r}: default of {key!r} is not in {allowed}")
        _SCHEMES[name] = Scheme(name, fn, formula, summary, tuple(aliases), defaults, kind,
                                dict(choices or {}))
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


def describe(what: str, fn: Callable[..., Any]) -> tuple[dict[str, Any], str]:
    """A registered function's parameter defaults (its keyword-only arguments) and summary
    (its docstring's first line; a function without a docstring is refused)."""
    if not (fn.__doc__ or "").strip():
        raise ValueError(f"{what} needs a docstring (its first line is shown)")
    defaults = {p.name: p.default for p in inspect.signature(fn).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}
    return defaults, fn.__doc__.strip().splitlines()[0]


def known_params(what: str, given: Mapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Refuse (:class:`UsageProblem`) a parameter name that is not one of ``defaults``."""
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        valid = ", ".join(defaults) if defaults else "none"
        raise UsageProblem(f"{what} has no parameter {', '.join(unknown)} "
                           f"(its parameters: {valid})")


def to_number(name: str, value: Any) -> float:
    """``value`` (a number, or a string such as ``"0.9999"``) as a finite float."""
    try:
        if isinstance(value, bool):
            raise ValueError
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        raise UsageProblem(f"{name}={value!r} is not a number") from None
    if not math.isfinite(out):
        raise UsageProblem(f"{name}={value!r} must be a finite number")
    return out


def check(ok: bool, message: str) -> None:
    """Raise :class:`UsageProblem` with ``message`` unless ``ok`` (parameter range checks)."""
    if not ok:
        raise UsageProblem(message)
