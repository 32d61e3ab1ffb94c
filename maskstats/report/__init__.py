"""``maskstats report``: one self-contained HTML page with plots of a dataset's statistics.

:func:`build_report` returns the HTML; :func:`write_report` writes it atomically. Sections:
``summary``, ``classes`` (pixel and image share per class), ``weights`` (the main schemes side
by side and the loss share before/after), ``per-image`` (needs the per-image table),
``objects`` (needs ``scan --objects`` stats or a table with ``o<k>`` columns) and ``compare``
(needs other stats files). The plots need matplotlib (the ``report`` extra).

Modules: :mod:`~maskstats.report.data` (numbers), :mod:`~maskstats.report.plots` and
:mod:`~maskstats.report.matrix` (SVG), :mod:`~maskstats.report.page` (HTML),
:mod:`~maskstats.report.build` (the entry points).
"""

from maskstats.report.build import SECTIONS, available_sections, build_report, write_report
from maskstats.report.data import ReportData, ReportMismatch
from maskstats.report.figures import MissingExtra

__all__ = ["SECTIONS", "MissingExtra", "ReportData", "ReportMismatch", "available_sections",
           "build_report", "write_report"]
