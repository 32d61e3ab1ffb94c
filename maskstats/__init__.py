"""maskstats: exact per-class pixel statistics for segmentation masks, and class weights.

The Python API is what the ``maskstats`` command uses::

    import maskstats
    stats = maskstats.scan(["masks/"], ignore_index=[255])
    weights = maskstats.compute_weights(stats, scheme="inverse-frequency")
    table = maskstats.load_table("images.csv")           # per-image counts (NumPy)
    sampling = maskstats.sample_weights(table, method="balanced")
"""

from maskstats.version import __version__

import importlib
import types

#: public name -> the module that defines it; imported on first use, so that
#: ``import maskstats`` (and the start-up of the ``maskstats`` command) stays light
_API = {
    "BadStats": "maskstats.errors",
    "MaskstatsError": "maskstats.errors",
    "MaskstatsWarning": "maskstats.errors",
    "UnknownScheme": "maskstats.errors",
    "UnreadableMask": "maskstats.errors",
    "UsageProblem": "maskstats.errors",
    "count_arrays": "maskstats.pipeline.in_memory",
    "Counts": "maskstats.core.histogram",
    "ImageHist": "maskstats.core.histogram",
    "count_labels": "maskstats.pipeline.labels",
    "scan": "maskstats.pipeline.scan",
    "Stats": "maskstats.core.stats",
    "list_schemes": "maskstats.weights.schemes",
    "compute_weights": "maskstats.weights.compute",
    "load_weights": "maskstats.weights.compute",
    "BadTable": "maskstats.table.load",
    "Table": "maskstats.table.load",
    "load_table": "maskstats.table.load",
    "SampleWeights": "maskstats.sampling",
    "sample_weights": "maskstats.sampling",
    "list_sampling_methods": "maskstats.sampling",
    "split": "maskstats.splitting.split",
    "SplitResult": "maskstats.splitting.split",
    "compare": "maskstats.comparison.compare",
    "Comparison": "maskstats.comparison.compare",
}


def load_stats(path) -> "Stats":
    """Read a stats JSON file written by ``maskstats scan`` (``-`` = stdin)."""
    from maskstats.core.stats import Stats

    return Stats.load(path)


class _Package(types.ModuleType):
    """The package object: API names resolve lazily, and an API function that shares its
    name with a submodule (``maskstats.scan``) is not shadowed when the submodule loads."""

    def __getattr__(self, name: str):
        module = _API.get(name)
        if module is None:
            raise AttributeError(f"module 'maskstats' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        types.ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _API.get(name) == value.__name__:
            return  # the import system binding the submodule: keep the API function
        types.ModuleType.__setattr__(self, name, value)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(_API))


import sys as _sys  # noqa: E402

_sys.modules[__name__].__class__ = _Package

__all__ = [
    "__version__",
    "BadStats",
    "BadTable",
    "Comparison",
    "Counts",
    "ImageHist",
    "MaskstatsError",
    "MaskstatsWarning",
    "SampleWeights",
    "SplitResult",
    "Stats",
    "Table",
    "UnknownScheme",
    "UnreadableMask",
    "UsageProblem",
    "compare",
    "compute_weights",
    "count_arrays",
    "count_labels",
    "list_sampling_methods",
    "list_schemes",
    "load_table",
    "load_stats",
    "load_weights",
    "sample_weights",
    "scan",
    "split",
]
