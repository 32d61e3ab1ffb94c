"""scan --window --per-image: one exact row per window, checked against NumPy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import expected_stats, save_png
from windowtools import read_rows, reference_rows

import maskstats


@pytest.fixture
def rasters(tmp_path):
    """Odd-sized 8-bit and 16-bit PNGs, one smaller than the window; 255 is an ignore value."""
    rng = np.random.default_rng(22)
    arrays = {
        "a.png": rng.integers(0, 5, (37, 53)).astype(np.uint8),
        "b.png": (rng.integers(0, 4, (41, 23)) * 2).astype(np.uint16),
        "c.png": rng.integers(0, 3, (9, 11)).astype(np.uint8),
    }
    arrays["a.png"][3:9, 40:50] = 255
    arrays["b.png"][0, :] = 7  # a top-row class
    for name, a in arrays.items():
        save_png(tmp_path / "m" / name, a)
    return tmp_path / "m", arrays


def expected_table(arrays, window, stride, k, ignore=()):
    rows = []
    for name, a in arrays.items():
        rows += reference_rows(name, 0, a, window, stride, k, ignore)
    return rows


@pytest.mark.parametrize("window, stride", [("16x20", "10x7"), ("16x20", None), ("12", "12")])
def test_every_window_row_matches_numpy(run, rasters, tmp_path, window, stride):
    """Each row equals the window's counts; the stats keep whole-image totals."""
    folder, arrays = rasters
    out, table = tmp_path / "s.json", tmp_path / "w.csv"
    args = ["scan", folder, "--window", window, "--per-image", table, "--ignore-index", "255",
            "-o", out, "-q"] + (["--stride", stride] if stride else [])
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    size = tuple(int(v) for v in (window.split("x") * 2)[:2])
    step = tuple(int(v) for v in ((stride or window).split("x") * 2)[:2])
    stats = json.loads(out.read_text())
    want = expected_stats(list(arrays.values()), ignore=(255,))
    for key in ("pixel_counts", "image_counts", "total_pixels", "ignored_pixels"):
        assert stats[key] == want[key], key
    header, rows = read_rows(table)
    k = want["num_classes"]
    assert header == ["path", "frame", "y", "x", "height", "width", "pixels", "ignored",
                      "unexpected"] + [f"c{i}" for i in range(k)]
    assert rows == expected_table(arrays, size, step, k, ignore=(255,))
    assert stats["windows"] == {"size": list(size), "stride": list(step), "rows": len(rows)}
    assert stats["per_image"]["rows"] == len(rows)


def test_small_image_is_one_window_of_its_own_size(run, rasters, tmp_path):
    """An image smaller than the window gives one row: y = x = 0, its own height/width."""
    folder, arrays = rasters
    table = tmp_path / "w.csv"
    assert run("scan", folder / "c.png", "--window", "64", "--per-image", table,
               "-o", tmp_path / "s.json", "-q").exit_code == 0
    _, rows = read_rows(table)
    a = arrays["c.png"]
    assert rows == [[str(folder / "c.png"), 0, 0, 0, 9, 11, a.size, 0, 0,
                     *[int((a == c).sum()) for c in range(3)]]]


def test_same_table_for_any_jobs_and_in_parquet(run, rasters, tmp_path):
    """-j1, -j2 and the Parquet table hold the same rows."""
    pq = pytest.importorskip("pyarrow.parquet")
    folder, arrays = rasters
    for jobs, name in (("1", "one.csv"), ("2", "two.csv"), ("2", "w.parquet")):
        result = run("scan", folder, "--window", "8x16", "--stride", "4x8", "-j", jobs,
                     "--per-image", tmp_path / name, "-o", tmp_path / "s.json", "-q",
                     "--num-classes", "8")
        assert result.exit_code == 0, result.stderr
    one, two = read_rows(tmp_path / "one.csv"), read_rows(tmp_path / "two.csv")
    assert one == two
    parquet = pq.read_table(tmp_path / "w.parquet").to_pylist()
    assert [list(r.values()) for r in parquet] == one[1]
    assert one[1] == expected_table(arrays, (8, 16), (4, 8), 8)


def test_remap_and_num_classes_apply_per_window(run, rasters, tmp_path):
    """--remap acts before windows are counted; values >= K are 'unexpected' per row."""
    folder, arrays = rasters
    remap = tmp_path / "remap.json"
    remap.write_text(json.dumps({"4": 1}))
    table = tmp_path / "w.csv"
    result = run("scan", folder / "a.png", "--window", "20", "--remap", remap,
                 "--num-classes", "3", "--per-image", table, "-o", tmp_path / "s.json", "-q")
    assert result.exit_code == 0, result.stderr
    a = arrays["a.png"].copy()
    a[a == 4] = 1
    _, rows = read_rows(table)
    assert rows == reference_rows(str(folder / "a.png"), 0, a, (20, 20), (20, 20), 3)


def test_library_call_and_stack_frames(tmp_path):
    """maskstats.scan(window=...) numbers the frames of an image stack."""
    rng = np.random.default_rng(3)
    stack = rng.integers(0, 3, (2, 13, 17)).astype(np.uint8)
    np.save(tmp_path / "s.npy", stack)
    table = tmp_path / "w.csv"
    stats = maskstats.scan(tmp_path / "s.npy", window=(8, 8), stride="5", per_image=table)
    _, rows = read_rows(table)
    name = str(tmp_path / "s.npy")
    want = [r for f in range(2) for r in reference_rows(name, f, stack[f], (8, 8), (5, 5), 3)]
    assert rows == want
    assert stats.pixel_counts == [int((stack == c).sum()) for c in range(3)]


@pytest.mark.parametrize("args, message", [
    (["--window", "0"], "at least 1"),
    (["--window", "-3"], "at least 1"),
    (["--window", "4x0"], "at least 1"),
    (["--window", "big"], "H or HxW"),
    (["--window", "8", "--stride", "9"], "--allow-gaps"),
    (["--stride", "4"], "pass --window"),
    (["--window", "8", "--stride", "0"], "at least 1"),
])
def test_bad_windows_are_one_usage_line(run, rasters, tmp_path, args, message):
    """Bad sizes and strides: exit 2, one Error line, nothing written."""
    folder, _ = rasters
    table, out = tmp_path / "w.csv", tmp_path / "s.json"
    result = run("scan", folder, *args, "--per-image", table, "-o", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert not table.exists() and not out.exists()


def test_window_needs_a_table(run, rasters, tmp_path):
    """--window without --per-image is a usage error naming the missing option."""
    folder, _ = rasters
    result = run("scan", folder, "--window", "8", "-o", tmp_path / "s.json")
    assert result.exit_code == 2 and "--per-image" in result.stderr
    assert not (tmp_path / "s.json").exists()


def test_gaps_when_asked(run, rasters, tmp_path):
    """--allow-gaps accepts a stride above the window; rows follow the same rule."""
    folder, arrays = rasters
    table = tmp_path / "w.csv"
    result = run("scan", folder / "a.png", "--window", "5x6", "--stride", "11x13",
                 "--allow-gaps", "--per-image", table, "-o", tmp_path / "s.json", "-q")
    assert result.exit_code == 0, result.stderr
    _, rows = read_rows(table)
    name = str(folder / "a.png")
    assert rows == reference_rows(name, 0, arrays["a.png"], (5, 6), (11, 13), 256)
    assert [r[2:4] for r in rows] == [[y, x] for y in (0, 11, 22, 32)
                                      for x in (0, 13, 26, 39, 47)]
