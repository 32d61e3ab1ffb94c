"""maskstats report on bad input: one Error line, the right exit code, no file written."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from conftest import blob_mask, save_png
from report_inputs import save, stats_dict, table_counts, write_table

pytest.importorskip("matplotlib")

from maskstats.report import build_report  # noqa: E402

SIZE = 4096


@pytest.fixture
def rng():
    return np.random.default_rng(15)


@pytest.fixture
def scanned(tmp_path, rng, run):
    """A scan of a few generated masks, as a stats file."""
    for i in range(3):
        save_png(tmp_path / "m" / f"{i:02d}.png", blob_mask(rng, classes=4))
    out = tmp_path / "stats.json"
    result = run("scan", tmp_path / "m", "-o", out, "-q", "--no-progress")
    assert result.exit_code == 0, result.output
    return out, None


def test_per_image_section_without_table(scanned, tmp_path, run):
    """Asking for the per-image section without a table is a usage error (exit 2)."""
    path, _ = scanned
    result = run("report", path, "--sections", "summary,per-image", "-o", tmp_path / "r.html")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the per-image section needs a per-image table")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_unknown_section(scanned, tmp_path, run):
    """A section name that does not exist is a usage error naming the choices."""
    path, _ = scanned
    result = run("report", path, "--sections", "summary,nope")
    assert result.exit_code == 2
    assert "nope" in result.stderr and "per-image" in result.stderr


@pytest.mark.parametrize("problem", ["classes", "sha256"])
def test_table_that_does_not_belong_to_the_stats(tmp_path, rng, run, problem):
    """A table with other class columns, or another sha256 than recorded: exit 1, one line."""
    counts, ignored, _ = table_counts(rng, 10, 4, SIZE)
    sha = write_table(tmp_path / "images.csv", counts, ignored, SIZE)
    if problem == "classes":
        doc = stats_dict(counts[:, :3], ignored, SIZE)
    else:
        doc = stats_dict(counts, ignored, SIZE, table_sha="0" * 64)
        assert sha != "0" * 64
    stats = save(tmp_path / "s.json", doc)
    out = tmp_path / "r.html"
    out.write_text("old report")
    result = run("report", stats, "--per-image", tmp_path / "images.csv", "-o", out)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {tmp_path / 'images.csv'}: ")
    assert ("4 class columns" in lines[0]) if problem == "classes" else ("sha256" in lines[0])
    assert out.read_text() == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.csv", "r.html", "s.json"]


def test_missing_matplotlib_is_one_error_line(scanned, tmp_path, run, monkeypatch):
    """Without matplotlib the command says which extra to install (exit 1)."""
    path, _ = scanned
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = run("report", path, "-o", tmp_path / "r.html")
    assert result.exit_code == 1
    assert result.stderr == ("Error: the report needs matplotlib, the 'report' extra: "
                             "pip install 'maskstats[report]'\n")
    assert not (tmp_path / "r.html").exists()


def test_output_folder_is_a_usage_error(scanned, tmp_path, run):
    """-o naming a folder is refused before any work (exit 2)."""
    path, _ = scanned
    result = run("report", path, "-o", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: {tmp_path}: is a folder; give a file name such "
                                     "as report.html")


def test_compare_with_other_unit(tmp_path, rng, run):
    """Comparing pixel stats with sample stats is a usage error."""
    a, ia, _ = table_counts(rng, 5, 3, SIZE)
    main = save(tmp_path / "a.json", stats_dict(a, ia, SIZE))
    other = save(tmp_path / "b.json", stats_dict(a, ia, SIZE, unit="samples"))
    result = run("report", main, "--compare", other, "-o", tmp_path / "r.html")
    assert result.exit_code == 2
    assert "b.json: counts samples" in result.stderr


def test_missing_stats_file(tmp_path, run):
    """A stats path that does not exist: one Error line naming it, exit 1."""
    result = run("report", tmp_path / "nope.json", "-o", tmp_path / "r.html")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope.json'}: no such file\n"


def test_bad_object_quantiles(rng):
    """object_pixels_quantiles rows that are not five numbers are refused, naming the class:
    when the stats are read, and in a Stats built in memory."""
    from maskstats.core.stats import Stats
    from maskstats.errors import BadStats
    from maskstats.report import ReportMismatch

    counts, ignored, _ = table_counts(rng, 5, 2, SIZE)
    doc = stats_dict(counts, ignored, SIZE, object_pixels_quantiles=[[1, 2, 3], None])
    with pytest.raises(BadStats, match=r"object_pixels_quantiles: class 0 must list min"):
        build_report(doc)
    assert json.loads(json.dumps(doc))  # the input itself is valid JSON
    stats = Stats.from_dict({k: v for k, v in doc.items() if k != "object_pixels_quantiles"})
    stats.extra["object_pixels_quantiles"] = [[1, 2, 3], None]
    with pytest.raises(ReportMismatch, match=r"object_pixels_quantiles\[0\]"):
        build_report(stats)
