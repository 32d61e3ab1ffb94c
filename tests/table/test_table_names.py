"""Per-image tables round-trip every Unicode file name (CSV quoting, Parquet strings), refuse
names that are not UTF-8 before writing anything, and keep formula-like cells verbatim."""

from __future__ import annotations

import csv
import os
import random

import numpy as np
import pytest

from conftest import save_png
from perimage_data import write_table

from maskstats.table.load import load_table

#: pieces of hostile file names (no "/" and no NUL: a file name cannot hold them)
PIECES = ["a", "\r", "\n", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\t", ",", '"', "'",
          " ", "=", "+", "-", "@", "[red]", "\x1b[2J", "é", "😀"]


def hostile_file_names(seed: int, n: int) -> list[str]:
    """``n`` distinct file names, random mixes of the pieces, ending in .png."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < n:
        names.add("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6))) + ".png")
    return sorted(names)


@pytest.fixture
def hostile_dataset(tmp_path):
    """Masks under hostile names: (folder, {name: array})."""
    rng = np.random.default_rng(2)
    folder = tmp_path / "ds"
    arrays = {}
    for name in hostile_file_names(2, 14) + ["=HYPERLINK(1).png", "+1.png", "-1.png", "@x.png"]:
        arrays[name] = rng.integers(0, 3, (6, 7)).astype(np.uint8)
        save_png(folder / name, arrays[name])
    return folder, arrays


@pytest.mark.parametrize("ext", [".csv", ".parquet"])
def test_hostile_names_round_trip(run, tmp_path, hostile_dataset, ext):
    """Every name comes back exactly from the table, with its own counts."""
    if ext == ".parquet":
        pytest.importorskip("pyarrow")
    folder, arrays = hostile_dataset
    table = tmp_path / f"t{ext}"
    result = run("scan", folder, "-o", tmp_path / "s.json", "--per-image", table, "-q",
                 "--no-progress", "--num-classes", 3)
    assert result.exit_code == 0, result.stderr
    t = load_table(table)
    assert sorted(t.paths) == sorted(arrays)
    for i, path in enumerate(t.paths):
        expect = np.bincount(arrays[path].ravel(), minlength=3)
        assert t.counts[i].tolist() == expect.tolist()
        assert t.pixels[i] == arrays[path].size
    if ext == ".csv":  # other readers see the same names
        with open(table, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert sorted(r[0] for r in rows[1:]) == sorted(arrays)
        pd = pytest.importorskip("pandas")
        assert sorted(pd.read_csv(table, keep_default_na=False)["path"]) == sorted(arrays)
    result = run("sample-weights", table, "--method", "inverse-presence", "-o",
                 tmp_path / "w.json")
    assert result.exit_code == 0, result.stderr
    result = run("images", table, "--class", 1, "-f", "json")
    assert result.exit_code == 0, result.stderr


def test_formula_cells_are_kept_verbatim(run, tmp_path, hostile_dataset):
    """Names starting with = + - @ are written as they are (no guard quote added)."""
    folder, _ = hostile_dataset
    table = tmp_path / "t.csv"
    assert run("scan", folder, "-o", tmp_path / "s.json", "--per-image", table, "-q",
               "--no-progress").exit_code == 0
    lines = table.read_bytes().decode("utf-8").split("\n")
    for name in ("=HYPERLINK(1).png", "+1.png", "-1.png", "@x.png"):
        assert any(line.startswith(name + ",") for line in lines)


@pytest.mark.parametrize("ext", [".csv", ".parquet"])
def test_name_not_utf8_is_refused_before_writing(run, tmp_path, ext):
    """A file name that is not UTF-8 stops the scan with one line naming it; neither the
    stats nor the table (nor a temporary file) is written."""
    if ext == ".parquet":
        pytest.importorskip("pyarrow")
    folder = tmp_path / "ds"
    save_png(folder / "ok.png", np.zeros((4, 4), np.uint8))
    bad = os.path.join(os.fsencode(folder), b"bad\xff\xfename.png")
    with open(os.path.join(os.fsencode(folder), b"ok.png"), "rb") as fh:
        data = fh.read()
    with open(bad, "wb") as fh:
        fh.write(data)
    out = tmp_path / "out"
    out.mkdir()
    result = run("scan", folder, "-o", out / "s.json", "--per-image", out / f"t{ext}",
                 "--no-progress")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "bad\\udcff\\udcfename.png: the file name is not valid UTF-8 (byte ff" in \
        result.stderr
    assert os.listdir(out) == []


def test_row_pixels_below_its_classes_is_refused(run, tmp_path):
    """A row whose class columns, ignored and unexpected exceed its pixels is refused by
    images, sample-weights and split with one line naming the row."""
    rng = np.random.default_rng(4)
    counts = rng.integers(1, 100, (30, 3))
    path = write_table(tmp_path / "t.csv", counts, ignored=np.full(30, 2))
    lines = path.read_text().splitlines()
    cells = lines[8].split(",")  # row 8: pixels one short of its sum
    cells[2] = str(int(cells[2]) - 1)
    lines[8] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    for args in (["images", path, "--class", 1],
                 ["sample-weights", path, "--method", "balanced"],
                 ["split", path, "--ratios", "0.5,0.5", "-o", tmp_path / "splits"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert result.stderr.startswith(f"Error: {path}: row 8 (img_007.png): ")
        assert f"more than its pixels ({int(cells[2]):,})" in result.stderr
    assert not (tmp_path / "splits").exists()


def test_row_sum_that_wraps_int64_is_refused(tmp_path):
    """Class cells whose sum passes 2**64 (wrapping int64 back to a small number) are caught."""
    from maskstats.table.core import BadTable

    counts = np.array([[2**62, 2**62, 2**62, 2**62, 5], [1, 2, 3, 4, 5]], dtype=np.int64)
    path = write_table(tmp_path / "t.csv", counts)
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = "10"  # the int64 sum 2**64 + 5 wraps to 5
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadTable, match="row 1 "):
        load_table(path)
