"""Outputs of one path per line refuse a path with a line break instead of splitting it in two."""

from __future__ import annotations

import numpy as np


def _table(run, tmp_path):
    folder = tmp_path / "masks"
    folder.mkdir()
    np.save(folder / "a\nb.npy", np.ones((2, 2), np.uint8))
    np.save(folder / "c.npy", np.zeros((2, 2), np.uint8))
    np.save(folder / "d.npy", np.zeros((2, 2), np.uint8))
    result = run("scan", folder, "-q", "-o", tmp_path / "s.json", "--per-image",
                 tmp_path / "t.csv")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "t.csv"


def test_images_paths_refuse_a_newline_path(run, tmp_path):
    """`images` in its paths format exits 1 with one line naming the path escaped; CSV quotes it."""
    table = _table(run, tmp_path)
    result = run("images", table, "--class", "1")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: images: the path 'a\\nb.npy' holds a line break, so one path per line cannot "
        "hold it; use -f csv or -f json, which quote it"]
    csv = run("images", table, "--class", "1", "-f", "csv")
    assert csv.exit_code == 0
    assert csv.stdout.startswith('path,frame,pixels,share,c1\n"a\nb.npy",0,4,')


def test_split_refuses_a_newline_path_and_writes_nothing(run, tmp_path):
    """`split` exits 1 with one Error line and creates no output folder when a path has a newline."""
    table = _table(run, tmp_path)
    out = tmp_path / "splits"
    result = run("split", table, "--ratios", "0.5,0.5", "-o", out, "-q")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "the path 'a\\nb.npy' holds a line break" in lines[0]
    assert not out.exists()
