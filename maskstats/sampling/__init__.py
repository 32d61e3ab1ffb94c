"""Per-image sampling weights: a method registry and the results with provenance.

``sample_weights(table, method=...)`` is the entry point; ``list_methods()`` and
``get_method(name)`` read the registry (:mod:`maskstats.sampling.registry`); the methods
are in :mod:`maskstats.sampling.methods`, the ``balanced`` solver in
:mod:`maskstats.sampling.balanced`.
"""

from maskstats.sampling import methods  # noqa: F401  (registers the methods)
from maskstats.sampling.registry import Inputs, Method, UnknownMethod, get_method, list_methods
from maskstats.sampling.result import (EXTENSIONS, FORMATS, SAMPLE_WEIGHTS_FORMAT,
                                       SampleWeights, sample_weights)

#: the registry's names, as ``maskstats.list_sampling_methods``
list_sampling_methods = list_methods

__all__ = ["EXTENSIONS", "FORMATS", "Inputs", "Method", "SAMPLE_WEIGHTS_FORMAT",
           "SampleWeights", "UnknownMethod", "get_method", "list_methods", "list_sampling_methods", "sample_weights"]
