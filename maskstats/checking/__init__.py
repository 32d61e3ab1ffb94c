"""``maskstats check``: lint masks before training (one module per family of findings).

:func:`check` returns a :class:`Report` of :class:`Finding` objects of the kinds in
:data:`KINDS`: ``interpolated`` (:mod:`.interpolated`), ``lossy``, ``alpha``, ``photo``,
``unreadable`` (:mod:`.inspect`), ``out-of-range``, ``empty`` (:mod:`.values`),
``duplicate`` (:mod:`.duplicates`), ``size-mismatch`` (:mod:`.pairing`) and
``mixed-encodings`` (:mod:`maskstats.presets.selection`).
"""

from maskstats.checking.findings import KINDS, Finding, Report
from maskstats.checking.run import check

__all__ = ["KINDS", "Finding", "Report", "check"]
