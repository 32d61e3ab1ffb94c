"""The report shows hostile names literally and turns malformed stats entries into one
``Error: <file>: <entry>: <problem>`` line."""

from __future__ import annotations

import html as htmllib
import re

import numpy as np
import pytest

from report_inputs import save, stats_dict, table_counts

pytest.importorskip("matplotlib")

#: a mathtext fragment, markup, a long name, an underscore name, an HTML tag
NAMES = ["$\\frac{a}{$", "[bold red]car[/]", "x" * 130 + "END", "_under", "<b>&amp;</b>"]


def svg_texts(page: str) -> list[str]:
    """Every text drawn in the page's SVG plots, unescaped."""
    return [htmllib.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", page)]


@pytest.fixture
def named(tmp_path):
    rng = np.random.default_rng(11)
    counts, ignored, _ = table_counts(rng, 20, len(NAMES))
    doc = stats_dict(counts, ignored, 4096, names=NAMES)
    return save(tmp_path / "s.json", doc), doc


def test_names_literal_and_long_names_shortened(run, named, tmp_path):
    """Mathtext and long names do not break the plots: plots show them literally (long ones
    cut to 40 characters with an ellipsis), the tables whole."""
    path, _ = named
    out = tmp_path / "r.html"
    result = run("report", path, "-o", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    texts = svg_texts(page)
    assert f"0 {NAMES[0]}" in texts or any(NAMES[0] in t for t in texts)
    long_label = next(t for t in texts if t.startswith("2 xxx"))
    assert len(long_label) == 40 and long_label.endswith("\u2026")
    assert htmllib.escape(NAMES[2]) in page  # whole in the table
    assert "<b>&amp;</b>" not in page  # HTML in a name is escaped


def test_hidden_file_name_keeps_its_legend_entry(run, named, tmp_path):
    """A compared file named _hidden.json (and one named with $...$) is in the legend."""
    path, doc = named
    hidden = save(tmp_path / "_hidden.json", doc)
    math = save(tmp_path / "$x^2$.json", doc)
    out = tmp_path / "r.html"
    result = run("report", path, "--compare", hidden, "--compare", math, "-o", out)
    assert result.exit_code == 0, result.stderr
    texts = svg_texts(out.read_text())
    assert "_hidden.json" in texts
    assert "$x^2$.json" in texts


@pytest.mark.parametrize("entry,value", [
    ("per_image", [1, 2]),
    ("per_image", "images.csv"),
    ("per_image", {"path": 7, "sha256": "ab"}),
    ("object_counts", 5),
    ("object_counts", "abc"),
    ("object_counts", ["a", "b", "c", "d", "e"]),
    ("object_counts", [1, 2, -3, 4, 5]),
    ("object_counts", [1, 2]),
    ("object_pixels_quantiles", 3),
    ("object_pixels_quantiles", [[1, 2, 3, 4, 1e300]] * 5),
    ("object_pixels_quantiles", [[1, 2, "3", 4, 5]] * 5),
    ("object_pixels_quantiles", [{"min": [1]}] * 5),
])
def test_malformed_entries_are_one_error_line(run, named, tmp_path, entry, value):
    """A malformed stats entry is one Error line naming the file and the entry, exit 1, in
    the main stats and in a compared one, and no page is written."""
    path, doc = named
    bad = save(tmp_path / "bad.json", {**doc, entry: value})
    out = tmp_path / "r.html"
    for args in ([bad], [path, "--compare", bad]):
        result = run("report", *args, "-o", out)
        assert result.exit_code == 1, result.stdout
        assert result.stderr.startswith((f"Error: {bad}: {entry}", f"Error: bad.json: {entry}"))
        assert result.stderr.count("\n") == 1
        assert "internal error" not in result.stderr
        assert not out.exists()


@pytest.mark.parametrize("entry,value,where", [
    ("per_image", [1, 2], "per_image"),
    ("per_image", {"path": 7, "sha256": "ab"}, "per_image.path"),
    ("object_counts", 5, "object_counts"),
    ("object_counts", [1, 2, -3, 4, 5], "object_counts[2]"),
    ("object_pixels_quantiles", [[1, 2, 3, 4, 1e300]] * 5, "object_pixels_quantiles[0]"),
    ("object_pixels_quantiles", [{"min": [1]}] * 5, "object_pixels_quantiles[0]"),
])
def test_malformed_entries_of_stats_in_memory(named, entry, value, where):
    """A Stats changed in memory (never read from a file) with a malformed entry: the
    report raises one error naming the entry, not an internal error."""
    from maskstats.core.stats import Stats
    from maskstats.errors import BadStats
    from maskstats.report import ReportMismatch, build_report

    _, doc = named
    stats = Stats.from_dict(doc, "s.json")
    stats.extra[entry] = value
    with pytest.raises(BadStats, match=re.escape(f"the stats: {where}: ")) as info:
        build_report(stats)
    assert isinstance(info.value, ReportMismatch)


def test_control_characters_in_names_are_shown_escaped(run, tmp_path):
    """A terminal escape sequence in a class name reaches neither the page nor its plots raw:
    both show it as the terminal does (``\\x1b]0;t\\x07``)."""
    names = ["road\x1b]0;t\x07", "sky"]
    rng = np.random.default_rng(12)
    counts, ignored, _ = table_counts(rng, 10, len(names))
    path = save(tmp_path / "s.json", stats_dict(counts, ignored, 4096, names=names))
    out = tmp_path / "r.html"
    result = run("report", path, "-o", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text()
    assert "\x1b" not in page and "\x07" not in page
    assert "road\\x1b]0;t\\x07" in page  # the table
    assert any(t.endswith("road\\x1b]0;t\\x07") for t in svg_texts(page))  # the plots
