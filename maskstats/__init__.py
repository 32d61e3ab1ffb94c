"""maskstats: exact per-class pixel statistics for segmentation masks, and class weights.

The Python API is what the ``maskstats`` command uses::

    import maskstats
    stats = maskstats.scan(["masks/"], ignore_index=[255])
    weights = maskstats.compute_weights(stats, scheme="inverse-frequency")
"""

__version__ = "0.1.0"

import sys as _sys
import types as _types

from maskstats.errors import (  # noqa: E402
    BadStats,
    MaskstatsError,
    MaskstatsWarning,
    UnknownScheme,
    UnreadableMask,
    UsageProblem,
)

#: public name -> the module defining it; imported on first use (PEP 562), so that
#: ``maskstats --version`` or ``import maskstats.errors`` do not pay for NumPy and Pillow
_LAZY = {
    "count_arrays": "maskstats.arrays",
    "Counts": "maskstats.histogram",
    "ImageHist": "maskstats.histogram",
    "count_labels": "maskstats.labels",
    "scan": "maskstats.scan",
    "Stats": "maskstats.stats",
    "list_schemes": "maskstats.schemes",
    "compute_weights": "maskstats.weights",
    "load_weights": "maskstats.weights",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'maskstats' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    _Package.__setattr__(_sys.modules[__name__], name, value, force=True)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(_types.ModuleType):
    """Keeps ``maskstats.scan`` the function once the submodule of that name is imported.

    Importing ``maskstats.scan`` (the module) makes Python set the package attribute
    ``scan`` to the module; the public API promises the function (``maskstats.scan(...)``).
    """

    def __setattr__(self, name: str, value, force: bool = False) -> None:
        if not force and name in _LAZY and isinstance(value, _types.ModuleType):
            self.__dict__.pop(name, None)  # the function is looked up lazily again
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


def load_stats(path):
    """Read a stats JSON file written by ``maskstats scan`` (``-`` = stdin)."""
    from maskstats.stats import Stats

    return Stats.load(path)


__all__ = [
    "__version__",
    "BadStats",
    "Counts",
    "ImageHist",
    "MaskstatsError",
    "MaskstatsWarning",
    "Stats",
    "UnknownScheme",
    "UnreadableMask",
    "UsageProblem",
    "compute_weights",
    "count_arrays",
    "count_labels",
    "list_schemes",
    "load_stats",
    "load_weights",
    "scan",
]
