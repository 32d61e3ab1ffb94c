"""maskstats: exact per-class pixel statistics for segmentation masks, and class weights.

The Python API is what the ``maskstats`` command uses::

    import maskstats
    stats = maskstats.scan(["masks/"], ignore_index=[255])
    weights = maskstats.compute_weights(stats, scheme="inverse-frequency")
"""

__version__ = "0.1.0"

from maskstats.errors import (  # noqa: E402
    BadStats,
    MaskstatsError,
    MaskstatsWarning,
    UnknownScheme,
    UnreadableMask,
    UsageProblem,
)
from maskstats.arrays import count_arrays  # noqa: E402
from maskstats.compare import Comparison, compare  # noqa: E402
from maskstats.histogram import Counts, ImageHist  # noqa: E402
from maskstats.labels import count_labels  # noqa: E402
from maskstats.scan import scan  # noqa: E402
from maskstats.stats import Stats  # noqa: E402
from maskstats.schemes import list_schemes  # noqa: E402
from maskstats.split import SplitResult, split  # noqa: E402
from maskstats.weights import compute_weights, load_weights  # noqa: E402


def load_stats(path) -> Stats:
    """Read a stats JSON file written by ``maskstats scan`` (``-`` = stdin)."""
    return Stats.load(path)


__all__ = [
    "__version__",
    "BadStats",
    "Comparison",
    "Counts",
    "ImageHist",
    "MaskstatsError",
    "MaskstatsWarning",
    "SplitResult",
    "Stats",
    "UnknownScheme",
    "UnreadableMask",
    "UsageProblem",
    "compare",
    "compute_weights",
    "count_arrays",
    "count_labels",
    "list_schemes",
    "load_stats",
    "load_weights",
    "scan",
    "split",
]
