"""Window tables downstream: load, images, sample-weights, split, report."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from conftest import save_png
from windowtools import reference_rows

from maskstats.table.load import load_table


@pytest.fixture
def window_table(run, tmp_path):
    """Three masks scanned with 10x12 windows at stride 8x9; the reference rows."""
    rng = np.random.default_rng(31)
    arrays = {}
    for name, shape in (("a.png", (23, 31)), ("b.png", (30, 20)), ("c.png", (17, 40))):
        a = rng.integers(0, 3, shape).astype(np.uint8)
        a[rng.random(shape) < 0.02] = 3  # a rare class
        save_png(tmp_path / "m" / name, a)
        arrays[name] = a
    table, stats = tmp_path / "w.csv", tmp_path / "s.json"
    result = run("scan", tmp_path / "m", "--window", "10x12", "--stride", "8x9",
                 "--per-image", table, "-o", stats, "-q", "--num-classes", "4")
    assert result.exit_code == 0, result.stderr
    rows = [r for name, a in arrays.items()
            for r in reference_rows(name, 0, a, (10, 12), (8, 9), 4)]
    return table, stats, rows


def test_load_keeps_window_columns(window_table, tmp_path, run):
    """CSV and Parquet window tables load with their y, x, height, width and counts."""
    table, _, rows = window_table
    t = load_table(table)
    assert t.windows.tolist() == [r[2:6] for r in rows]
    assert t.counts.tolist() == [r[9:] for r in rows]
    assert t.pixels.tolist() == [r[6] for r in rows] and t.frames.tolist() == [0] * len(rows)
    assert t.columns()[:9] == ["path", "frame", "y", "x", "height", "width", "pixels",
                               "ignored", "unexpected"]
    pytest.importorskip("pyarrow")
    pq = tmp_path / "w.parquet"
    assert run("scan", tmp_path / "m", "--window", "10x12", "--stride", "8x9", "--per-image",
               pq, "-o", tmp_path / "p.json", "-q", "--num-classes", "4").exit_code == 0
    p = load_table(pq)
    assert p.windows.tolist() == t.windows.tolist() and p.counts.tolist() == t.counts.tolist()


def test_images_lists_windows(window_table, run):
    """images -f csv names each matching window by its place."""
    table, _, rows = window_table
    result = run("images", table, "--class", "3", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    got = list(csv.reader(io.StringIO(result.stdout)))
    assert got[0][:6] == ["path", "frame", "y", "x", "height", "width"]
    want = [r[:6] for r in rows if r[9 + 3] > 0]
    assert [[g[0], *map(int, g[1:6])] for g in got[1:]] == want


def test_sample_weights_one_per_window(window_table, run):
    """sample-weights gives one weight per window, with the window's place."""
    table, _, rows = window_table
    result = run("sample-weights", table, "--method", "inverse-presence", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    got = list(csv.reader(io.StringIO(result.stdout)))
    assert got[0] == ["path", "frame", "y", "x", "height", "width", "weight"]
    assert [[g[0], *map(int, g[1:6])] for g in got[1:]] == [r[:6] for r in rows]
    holding = np.array([[r[9 + c] > 0 for c in range(4)] for r in rows])
    share = holding.mean(axis=0)
    want = [max(1 / share[c] for c in range(4) if h[c]) for h in holding]
    assert [float(g[6]) for g in got[1:]] == pytest.approx(want, rel=1e-12)
    doc = json.loads(run("sample-weights", table, "--method", "inverse-presence").stdout)
    assert doc["windows"] == [r[2:6] for r in rows]


def test_split_keeps_files_whole_or_groups_blocks(window_table, run, tmp_path):
    """By default every file's windows share a split; --block groups windows by the block
    of their top-left pixel; either way <name>.windows.csv lists the split's windows."""
    table, stats, rows = window_table
    out = tmp_path / "splits"
    result = run("split", table, "--ratios", "0.6,0.4", "--names", "train,val", "--stats",
                 stats, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    seen = {}
    for name in ("train", "val"):
        listed = list(csv.reader((out / f"{name}.windows.csv").open()))[1:]
        for r in listed:
            seen.setdefault(r[0], set()).add(name)
        paths = (out / f"{name}.txt").read_text().split()
        assert sorted(paths) == sorted({r[0] for r in listed})
        doc = json.loads((out / f"{name}.json").read_text())
        want = [sum(r[9 + c] for r in rows if [r[0], *map(str, r[1:6])] in listed)
                for c in range(4)]
        assert doc["pixel_counts"] == want
    assert all(len(s) == 1 for s in seen.values()) and len(seen) == 3
    blocks = tmp_path / "blocks"
    result = run("split", table, "--ratios", "0.5,0.5", "--block", "16", "-o", blocks, "-q",
                 "--stats", stats)
    assert result.exit_code == 0, result.stderr
    where = {}
    for name in ("train", "val"):
        for r in list(csv.reader((blocks / f"{name}.windows.csv").open()))[1:]:
            where.setdefault((r[0], int(r[2]) // 16, int(r[3]) // 16), set()).add(name)
    assert all(len(s) == 1 for s in where.values())
    assert len({s.pop() for s in where.values()}) == 2


def test_block_needs_a_window_table(run, tmp_path):
    """--block on a per-image table is a usage error."""
    save_png(tmp_path / "m" / "a.png", np.zeros((4, 4), np.uint8))
    save_png(tmp_path / "m" / "b.png", np.ones((4, 4), np.uint8))
    table = tmp_path / "t.csv"
    assert run("scan", tmp_path / "m", "--per-image", table, "-o", tmp_path / "s.json",
               "-q").exit_code == 0
    result = run("split", table, "--ratios", "0.5,0.5", "--block", "8", "-o", tmp_path / "o")
    assert result.exit_code == 2 and "window table" in result.stderr
    assert not (tmp_path / "o").exists()


def test_report_takes_a_window_table(window_table, run, tmp_path):
    """report --per-image accepts a window table (its rows are the windows)."""
    pytest.importorskip("matplotlib")
    table, stats, _ = window_table
    result = run("report", stats, "--per-image", table, "-o", tmp_path / "r.html")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "r.html").stat().st_size > 0
