"""Reports on thousands of classes: the co-occurrence map shows the largest classes only,
in memory that grows with the table rather than with the square of the class count."""

from __future__ import annotations

import re

import numpy as np
import pytest
from peakrss import python_measured
from report_inputs import plots, save, stats_dict, table_counts, write_table

pytest.importorskip("matplotlib")

from maskstats.core.stats import Stats  # noqa: E402
from maskstats.report import build_report  # noqa: E402
from maskstats.report import data as report_data  # noqa: E402
from maskstats.table.load import load_table  # noqa: E402


def test_cooccurrence_covers_the_first_classes_of_the_order(tmp_path, monkeypatch):
    """Past COOCCURRENCE_CLASSES classes the map holds the first ones of the display order
    (largest pixel share), each cell the number of rows holding both, and says so."""
    rng = np.random.default_rng(21)
    size, k = 4096, 12
    counts, ignored, _ = table_counts(rng, 30, k, size, absent=(4,))
    sha = write_table(tmp_path / "images.csv", counts, ignored, size)
    stats = Stats.from_dict(stats_dict(counts, ignored, size, table_sha=sha))
    monkeypatch.setattr(report_data, "COOCCURRENCE_CLASSES", 5)
    data = report_data.prepare(stats, load_table(tmp_path / "images.csv"))
    shown = sorted(range(k), key=lambda c: (c == 4, -int(counts[:, c].sum()), c))[:5]
    assert data.order[:5] == shown
    expected = [[int(((counts[:, a] > 0) & (counts[:, b] > 0)).sum()) for b in shown]
                for a in shown]
    assert data.cooccurrence.tolist() == expected
    html = build_report(stats, tmp_path / "images.csv", sections=["per-image"])
    assert "cooccurrence" in plots(html)
    assert re.search(r"Classes in the order above, the 5 largest of 12\.", html)


def test_twenty_thousand_classes_with_a_table_in_bounded_memory(tmp_path):
    """20,000 classes and a 60-image table: the report's numbers are prepared in a few
    hundred MB (a dense 20,000 x 20,000 co-occurrence needed over 4.8 GB)."""
    rng = np.random.default_rng(22)
    k, n = 20_000, 60
    size = 8 * k
    counts, ignored, _ = table_counts(rng, n, k, size)
    sha = write_table(tmp_path / "images.csv", counts, ignored, size)
    save(tmp_path / "stats.json", stats_dict(counts, ignored, size, table_sha=sha))
    code = ("from maskstats.core.stats import Stats\n"
            "from maskstats.report.data import prepare\n"
            "from maskstats.table.load import load_table\n"
            "import json\n"
            "stats = Stats.from_dict(json.load(open('stats.json')))\n"
            "d = prepare(stats, load_table('images.csv'))\n"
            "assert d.cooccurrence.shape == (200, 200), d.cooccurrence.shape\n")
    rc, err, peak = python_measured(code, cwd=tmp_path)
    assert rc == 0, err
    assert peak < 400 * 2**20, peak
