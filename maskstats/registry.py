"""Registries of named functions, shared by the weighting schemes and the sampling methods.

:class:`Registry` and :class:`Registered` are the machinery both use (registration order,
aliases, parameter defaults read from keyword-only arguments, parameter checks);
:mod:`maskstats.sampling.registry` builds the sampling-method registry on them. This module
also holds what a weighting scheme sees (:class:`Inputs`) and the scheme registry;
:mod:`maskstats.weights.schemes` holds the schemes themselves (one decorated function each)
and re-exports these names; import them from there.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

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
class Registered:
    """A function in a :class:`Registry`: its formula, one-line summary, parameter defaults
    (its keyword-only arguments) and the allowed values of its string parameters."""

    #: how a parameter error names the function's kind ("scheme", "method")
    owner: ClassVar[str] = "function"

    name: str
    fn: Callable[..., np.ndarray]
    formula: str
    summary: str
    defaults: Mapping[str, float | str] = field(default_factory=dict)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, float | str]:
        """The defaults updated with ``given`` (strings or numbers), checked by name and type."""
        known_params(f"{self.owner} {self.name}", given, self.defaults)
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

    def __call__(self, x: Any, **params: float | str) -> np.ndarray:
        return np.asarray(self.fn(x, **params), dtype=np.float64)


class Registry:
    """Registered functions by name (and alias), in registration order.

    ``what`` names them in messages ("scheme", "sampling method"); ``unknown`` is the
    :class:`UsageProblem` subclass raised for a name that is not registered.
    """

    def __init__(self, what: str, unknown: type[UsageProblem]) -> None:
        self.what = what
        self.unknown = unknown
        self.entries: dict[str, Registered] = {}
        self.aliases: dict[str, str] = {}

    def check_free(self, *names: str) -> None:
        """Refuse (ValueError) a name or alias that is registered already."""
        for key in names:
            if key in self.entries or key in self.aliases:
                raise ValueError(f"{self.what} {key!r} registered twice")

    def add(self, entry: Registered, aliases: tuple[str, ...] = ()) -> None:
        self.check_free(entry.name, *aliases)
        self.entries[entry.name] = entry
        self.aliases.update({alias: entry.name for alias in aliases})

    def names(self, aliases: bool = False) -> list[str]:
        """Names in registration order; with ``aliases=True`` the aliases follow."""
        return list(self.entries) + (list(self.aliases) if aliases else [])

    def get(self, name: str) -> Registered:
        """The function registered as ``name`` (or an alias), else ``unknown``."""
        entry = self.entries.get(self.aliases.get(name, name))
        if entry is None:
            raise self.unknown(f"unknown {self.what} {name!r}; choose one of: "
                               f"{', '.join(self.names(aliases=True))}")
        return entry


@dataclass(frozen=True)
class Scheme(Registered):
    """A registered weighting scheme: a :class:`Registered` with aliases and a kind."""

    owner: ClassVar[str] = "scheme"

    aliases: tuple[str, ...] = ()
    kind: str = "weights"


SCHEMES = Registry("scheme", UnknownScheme)


def register(name: str, *, formula: str, aliases: tuple[str, ...] = (), kind: str = "weights",
             choices: Mapping[str, tuple[str, ...]] | None = None):
    """Register the decorated function as scheme ``name`` (and ``aliases``).

    ``kind`` is one of :data:`KINDS`; ``choices`` lists the allowed values of string
    parameters (their default must be one of them).
    """
    if kind not in KINDS:
        raise ValueError(f"scheme {name!r}: kind must be one of {KINDS}, not {kind!r}")

    def deco(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        SCHEMES.check_free(name, *aliases)
        defaults, summary = describe(f"scheme {name!r}", fn)
        for key, allowed in (choices or {}).items():
            if defaults.get(key) not in allowed:
                raise ValueError(f"scheme {name!r}: default of {key!r} is not in {allowed}")
        SCHEMES.add(Scheme(name, fn, formula, summary, defaults, dict(choices or {}),
                           tuple(aliases), kind), tuple(aliases))
        return fn

    return deco


def list_schemes(aliases: bool = False) -> list[str]:
    """Scheme names in registration order; with ``aliases=True`` the aliases follow."""
    return SCHEMES.names(aliases)


def get_scheme(name: str) -> Scheme:
    """The scheme registered as ``name`` (or an alias), else :class:`UnknownScheme`."""
    return SCHEMES.get(name)


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
