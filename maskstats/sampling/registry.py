"""The sampling-method registry: one decorated function per method, on the same
:class:`~maskstats.registry.Registry` as the weighting schemes.

A method sees :class:`Inputs` (the per-image counts of the classes that play a part, as
sparse triplets) and returns one non-negative weight per row at its natural scale. Adding a
method is one function::

    @register("my-method", formula="...")
    def my_method(x: Inputs, *, alpha: float = 0.5) -> np.ndarray:
        '''One-line description shown by `maskstats sample-weights --list`.

        Source, and when to use it.
        '''

Keyword-only arguments are the method's parameters, their defaults the documented
defaults; a method checks their ranges itself (:func:`check`, a usage error, exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from maskstats.errors import UsageProblem
from maskstats.registry import Registered, Registry, describe


class UnknownMethod(UsageProblem):
    """A sampling method name that is not in the registry."""


@dataclass
class Inputs:
    """What a method sees: n rows, C classes that play a part (present, not ignored).

    ``rows``/``cols``/``vals``: the non-zero counts as triplets (row i, class j in 0..C-1,
    pixels), row-major; ``X``: counted pixels per row (float64); ``image_counts``: rows
    holding each class; ``empty``: rows holding none of them (only ignored or unexpected
    pixels). Methods report what the user should know with :meth:`warn` and extra results
    (solver figures) in ``info``.
    """

    n: int
    classes: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    X: np.ndarray
    image_counts: np.ndarray
    empty: np.ndarray
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def C(self) -> int:
        return int(self.classes.size)

    @property
    def f(self) -> np.ndarray:
        """Share of rows (images) holding each class."""
        return self.image_counts / self.n

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def row_max(self, per_entry: np.ndarray, empty_value: float) -> np.ndarray:
        """Per row, the max of ``per_entry`` over its non-zero entries (``empty_value`` if
        it has none)."""
        out = np.full(self.n, empty_value, dtype=np.float64)
        if self.rows.size:
            starts = np.flatnonzero(np.r_[True, self.rows[1:] != self.rows[:-1]])
            out[self.rows[starts]] = np.maximum.reduceat(per_entry, starts)
        return out


@dataclass(frozen=True)
class Method(Registered):
    """A registered method: its function, formula, one-line summary and parameter defaults."""

    owner: ClassVar[str] = "method"


METHODS = Registry("sampling method", UnknownMethod)


def register(name: str, *, formula: str):
    """Register the decorated function as sampling method ``name``."""

    def deco(fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        METHODS.check_free(name)
        defaults, summary = describe(f"sampling method {name!r}", fn)
        METHODS.add(Method(name, fn, formula, summary, defaults))
        return fn

    return deco


def list_methods() -> list[str]:
    """Method names in registration order."""
    return METHODS.names()


def get_method(name: str) -> Method:
    """The method registered as ``name``, else :class:`UnknownMethod`."""
    return METHODS.get(name)
