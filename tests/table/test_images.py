"""`maskstats images` and the per-image table reader: exact image sets, formats, bad tables."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from maskstats.table.load import BadTable, load_table
from perimage_data import random_counts, write_stats, write_table


@pytest.fixture
def table(tmp_path):
    """A 40-row, 6-class table; returns (path, counts, paths)."""
    rng = np.random.default_rng(7)
    counts = random_counts(rng, 40, 6, density=0.4)
    paths = [f"sub/img_{i:02d}.png" for i in range(40)]
    return write_table(tmp_path / "images.csv", counts, paths), counts, paths


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln]


def test_load_table_reads_every_cell_exactly(tmp_path):
    """load_table returns the paths, frames and counts the file was written from."""
    rng = np.random.default_rng(1)
    counts = random_counts(rng, 25, 9)
    counts[3, 2] = 2**62 + 12345  # beyond float64's exact integers
    frames = np.arange(25) % 3
    ignored = rng.integers(0, 99, 25)
    path = write_table(tmp_path / "t.csv", counts, frames=frames, ignored=ignored)
    t = load_table(path)
    assert t.paths == [f"img_{i:03d}.png" for i in range(25)]
    assert t.frames.tolist() == frames.tolist()
    assert t.ignored.tolist() == ignored.tolist()
    assert t.counts.dtype == np.int64 and (t.counts == counts).all()
    assert t.pixels.tolist() == (counts.sum(axis=1) + ignored).tolist()
    assert t.objects is None and t.num_classes == 9 and t.num_images == 25


def test_load_table_quoted_paths_and_crlf(tmp_path):
    """Paths with commas or quotes (quoted CSV) and CRLF line ends load unchanged."""
    names = ['a,b.png', 'say "hi".png', "plain.png"]
    counts = np.array([[1, 0], [0, 2], [3, 4]])
    path = write_table(tmp_path / "q.csv", counts, names)
    assert load_table(path).paths == names
    crlf = tmp_path / "crlf.csv"
    plain = write_table(tmp_path / "p.csv", counts)
    crlf.write_bytes(plain.read_bytes().replace(b"\n", b"\r\n"))
    assert (load_table(crlf).counts == counts).all()


def test_load_table_with_object_columns(tmp_path):
    """o0..o<K-1> columns load into Table.objects."""
    counts = np.array([[5, 0, 7], [0, 3, 0]])
    objects = np.array([[1, 0, 2], [0, 1, 0]])
    t = load_table(write_table(tmp_path / "o.csv", counts, objects=objects))
    assert (t.objects == objects).all() and (t.counts == counts).all()


def test_parquet_table_loads_like_csv(tmp_path):
    """A Parquet table gives the same arrays as the CSV of the same counts."""
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(3)
    counts = random_counts(rng, 30, 5)
    a = load_table(write_table(tmp_path / "t.parquet", counts, frames=np.arange(30)))
    b = load_table(write_table(tmp_path / "t.csv", counts, frames=np.arange(30)))
    assert (a.counts == b.counts).all() and a.paths == b.paths
    assert a.frames.tolist() == list(range(30))


@pytest.mark.parametrize("content, fragment", [
    ("", "empty file"),
    ("path,frame,pixels,ignored,unexpected,c0\n", "no rows"),
    ("path,frame,pixels,c0\na.png,0,1,1\n", "missing the column(s) ignored, unexpected"),
    ("path,frame,pixels,ignored,unexpected\na.png,0,1,0,0\n", "class columns"),
    ("path,frame,pixels,ignored,unexpected,c0,c2\na.png,0,1,0,0,1,0\n", "class columns"),
    ("path,frame,pixels,ignored,unexpected,c0,c1\na.png,0,3,0,0,1,2\nb.png,0,3,0,0,-1,2\n",
     "line 3: column c0: -1 is negative"),
    ("path,frame,pixels,ignored,unexpected,c0,c1\na.png,0,3,0,0,1.5,2\n",
     "line 2: column c0: '1.5' is not a whole number"),
    ("path,frame,pixels,ignored,unexpected,c0,c1\na.png,0,3,0,0,x,2\n",
     "column c0: 'x' is not a whole number"),
    ("path,frame,pixels,ignored,unexpected,c0,c1\na.png,0,3,0,0,1,2\nb.png,0,3,0,0,1\n",
     "line 3: 6 fields, expected 7"),
    ("path,frame,pixels,ignored,unexpected,c0,c1\na.png,0,3,0,0,1,99999999999999999999\n",
     "out of range"),
])
def test_bad_tables_are_one_error_line(tmp_path, run, content, fragment):
    """Every kind of bad table exits 1 (an empty one 2) with one Error line naming the file and
    writes nothing."""
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = tmp_path / "out.txt"
    for cmd in (["images", path, "--class", "0", "-o", out],
                ["sample-weights", path, "--method", "repeat-factor", "-o", out]):
        result = run(*cmd)
        assert result.exit_code == (2 if fragment == "no rows" else 1)  # empty: usage error
        assert result.stdout == ""
        assert lines(result.stderr) == [lines(result.stderr)[0]]
        assert result.stderr.startswith(f"Error: {path}: ") and fragment in result.stderr
        assert not out.exists()
    with pytest.raises(BadTable):
        load_table(path)


def test_missing_table_and_parquet_without_extra(tmp_path, run, monkeypatch):
    """A missing file, and a Parquet table without pyarrow, are one-line errors (exit 1)."""
    result = run("images", tmp_path / "nope.csv", "--class", "0")
    assert result.exit_code == 1 and "no such file" in result.stderr
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = run("images", tmp_path / "t.parquet", "--class", "0")
    assert result.exit_code == 1
    assert "parquet' extra" in result.stderr and len(lines(result.stderr)) == 1


def test_class_returns_exactly_the_images_holding_it(table, run):
    """--class c prints the paths of exactly the rows with pixels of c, in table order."""
    path, counts, paths = table
    for c in range(6):
        result = run("images", path, "--class", c)
        assert result.exit_code == 0, result.stderr
        assert lines(result.stdout) == [paths[i] for i in range(40) if counts[i, c] > 0]


def test_repeated_class_absent_and_min_pixels(table, run):
    """--class repeated means all of them; --absent excludes; --min-pixels applies to --class."""
    path, counts, paths = table
    result = run("images", path, "--class", 1, "--class", 2, "--absent", 3,
                 "--min-pixels", 1000)
    want = [paths[i] for i in range(40)
            if counts[i, 1] >= 1000 and counts[i, 2] >= 1000 and counts[i, 3] == 0]
    assert result.exit_code == 0 and lines(result.stdout) == want
    result = run("images", path, "--absent", 0, "--absent", 5)
    assert lines(result.stdout) == [paths[i] for i in range(40)
                                    if counts[i, 0] == 0 and counts[i, 5] == 0]


def test_sort_and_top(table, run):
    """--sort pixels/share put the largest first; --top keeps the first N rows."""
    path, counts, paths = table
    held = [i for i in range(40) if counts[i, 4] > 0]
    by_pixels = sorted(held, key=lambda i: -counts[i, 4])
    result = run("images", path, "--class", 4, "--sort", "pixels", "--top", 5)
    assert lines(result.stdout) == [paths[i] for i in by_pixels[:5]]
    by_share = sorted(held, key=lambda i: -counts[i, 4] / counts[i].sum())
    result = run("images", path, "--class", 4, "--sort", "share")
    assert lines(result.stdout) == [paths[i] for i in by_share]
    result = run("images", path, "--class", 4, "--sort", "path", "--top", 0)
    assert result.exit_code == 0 and result.stdout == ""


def test_csv_and_json_formats(table, run, tmp_path):
    """CSV and JSON give path, frame, pixels, share and the asked classes' counts per row."""
    path, counts, paths = table
    held = [i for i in range(40) if counts[i, 2] > 0 and counts[i, 5] > 0]
    result = run("images", path, "--class", 2, "--class", 5, "-f", "csv")
    rows = [ln.split(",") for ln in lines(result.stdout)]
    assert rows[0] == ["path", "frame", "pixels", "share", "c2", "c5"]
    for row, i in zip(rows[1:], held, strict=True):
        total = counts[i, 2] + counts[i, 5]
        assert row[0] == paths[i] and row[1] == "0" and int(row[2]) == total
        assert float(row[3]) == pytest.approx(total / counts[i].sum())
        assert [int(row[4]), int(row[5])] == [counts[i, 2], counts[i, 5]]
    out = tmp_path / "sel.json"
    assert run("images", path, "--class", 2, "--class", 5, "-o", out).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["format"] == "maskstats-images" and doc["num_images"] == len(held)
    assert [im["path"] for im in doc["images"]] == [paths[i] for i in held]
    assert doc["images"][0]["counts"] == {"2": int(counts[held[0], 2]),
                                          "5": int(counts[held[0], 5])}
    assert run("images", path, "--class", 2, "-o", tmp_path / "x.json", "-f", "csv"
               ).exit_code == 2


def test_stack_rows_print_each_path_once(tmp_path, run):
    """Frames of one stack file print the path once in paths format, with frames in CSV."""
    counts = np.array([[1, 2], [0, 3], [4, 0], [0, 5]])
    path = write_table(tmp_path / "s.csv", counts, ["vol.npy"] * 3 + ["b.png"],
                       frames=[0, 1, 2, 0])
    assert lines(run("images", path, "--class", 1).stdout) == ["vol.npy", "b.png"]
    rows = lines(run("images", path, "--class", 1, "-f", "csv").stdout)[1:]
    assert [r.split(",")[:2] for r in rows] == [["vol.npy", "0"], ["vol.npy", "1"],
                                                 ["b.png", "0"]]


def test_names_resolve_from_stats(table, run, tmp_path):
    """Class names resolve through --stats; unknown names and ids are usage errors."""
    path, counts, paths = table
    names = ["bg", "road", "car", "person", "sign", "tree"]
    stats = write_stats(tmp_path / "maskstats.json", path, counts, names=names)
    result = run("images", path, "--stats", stats, "--class", "car")
    assert lines(result.stdout) == [paths[i] for i in range(40) if counts[i, 2] > 0]
    result = run("images", path, "--stats", stats, "--class", "bus")
    assert result.exit_code == 2 and "unknown class name 'bus'" in result.stderr
    assert "road" in result.stderr and len(lines(result.stderr)) == 1
    result = run("images", path, "--class", "car")
    assert result.exit_code == 2 and "--stats" in result.stderr
    result = run("images", path, "--class", 6)
    assert result.exit_code == 2 and "0..5" in result.stderr and len(lines(result.stderr)) == 1
    result = run("images", path, "--class", 1, "--absent", 1)
    assert result.exit_code == 2


@pytest.mark.parametrize("change, fragment", [
    ({"rows": 39}, "has 40 rows"),
    ({"sha256": "0" * 64}, "sha256 differs"),
])
def test_stats_that_disagree_with_the_table(table, run, tmp_path, change, fragment):
    """A table whose rows or sha256 differ from the stats' per_image record is refused."""
    path, counts, _ = table
    stats = write_stats(tmp_path / "s.json", path, counts, **change)
    result = run("images", path, "--stats", stats, "--class", 0)
    assert result.exit_code == 1 and fragment in result.stderr
    assert len(lines(result.stderr)) == 1 and result.stdout == ""


def test_stats_with_other_num_classes(table, run, tmp_path):
    """A stats file with another num_classes than the table's columns is refused."""
    path, counts, _ = table
    stats = write_stats(tmp_path / "s.json", path, counts[:, :5])
    result = run("sample-weights", path, "--stats", stats, "--method", "balanced")
    assert result.exit_code == 1 and "num_classes 5" in result.stderr


def test_no_match_is_a_warning(table, run):
    """A query no image matches prints nothing on stdout and a warning, exit 0."""
    path, counts, _ = table
    result = run("images", path, "--class", 0, "--min-pixels", int(counts.max()) + 1)
    assert result.exit_code == 0 and result.stdout == ""
    assert "no image" in result.stderr


def test_small_blocks_odd_cells_and_line_numbers(tmp_path, monkeypatch):
    """Parsed in many small blocks, a table with leading zeros, 18- and 19-digit cells reads
    exactly, and a bad cell far down is named by its own line number."""
    import maskstats.table.csv as table_csv

    monkeypatch.setattr(table_csv, "_BLOCK", 64)
    rng = np.random.default_rng(9)
    counts = random_counts(rng, 60, 4, density=0.5)
    counts[5, 1] = 10**17 + 3
    counts[6] = 0
    counts[6, 2] = 2**63 - 2  # 19 digits: the exact slow path
    path = write_table(tmp_path / "t.csv", counts, frames=np.arange(60) % 2)
    text = path.read_text().replace("\nimg_010.png,0,", "\nimg_010.png,000,")
    path.write_text(text)
    t = load_table(path)
    assert (t.counts == counts).all() and t.frames.tolist() == (np.arange(60) % 2).tolist()
    lines_ = path.read_text().splitlines()
    lines_[41] = lines_[41].rsplit(",", 1)[0] + ",-3"
    path.write_text("\n".join(lines_) + "\n")
    with pytest.raises(BadTable, match=r"line 42: column c3: -3 is negative"):
        load_table(path)
