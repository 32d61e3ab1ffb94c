"""`split` replaces its set of files (DIR/<name>.txt and .json) as a whole or not at all."""

from __future__ import annotations

import os

from splittools import grouped_counts, write_table


def test_failing_split_keeps_the_previous_set(run, tmp_path):
    """A folder where val.json goes: exit 1, one line, the earlier split byte-identical."""
    paths, counts = grouped_counts(seed=1)[:2]
    table = write_table(tmp_path / "t.csv", paths, counts)
    out = tmp_path / "splits"
    first = run("split", table, "--ratios", "0.8,0.1,0.1", "-o", out, "--seed", "1")
    assert first.exit_code == 0, first.stderr
    before = {n: (out / n).read_bytes() for n in sorted(os.listdir(out))}
    (out / "val.json").unlink()
    (out / "val.json").mkdir()
    del before["val.json"]
    second = run("split", table, "--ratios", "0.8,0.1,0.1", "-o", out, "--seed", "2",
                 "--force")
    assert second.exit_code == 1
    assert second.stderr == f"Error: {out / 'val.json'}: is a folder, not a file; nothing " \
                            "was written\n"
    after = {n: (out / n).read_bytes() for n in sorted(os.listdir(out)) if (out / n).is_file()}
    assert after == before
    assert sorted(os.listdir(out)) == sorted([*before, "val.json"])


def test_failing_split_into_a_new_folder_leaves_no_folder(run, tmp_path, monkeypatch):
    """When the first write into a new folder fails, the folder it created is removed."""
    import maskstats.core.fileset as fileset

    paths, counts = grouped_counts(seed=2)[:2]
    table = write_table(tmp_path / "t.csv", paths, counts)

    def full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileset, "_write_temp", full)
    result = run("split", table, "--ratios", "0.5,0.5", "-o", tmp_path / "new")
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert not (tmp_path / "new").exists()


def test_scan_with_table_writes_nothing_when_the_stats_cannot_be_written(run, tmp_path):
    """scan --per-image whose -o is a folder: exit 1, the old table untouched, no stray file."""
    import numpy as np

    from conftest import save_png

    save_png(tmp_path / "m" / "a.png", np.arange(12, dtype=np.uint8).reshape(3, 4))
    out = tmp_path / "out"
    out.mkdir()
    (out / "t.csv").write_bytes(b"old table\n")
    (out / "s.json").mkdir()
    result = run("scan", tmp_path / "m", "-o", out / "s.json", "--per-image", out / "t.csv",
                 "--no-progress")
    assert result.exit_code == 1
    assert result.stderr.endswith("is a folder, not a file; nothing was written\n")
    assert (out / "t.csv").read_bytes() == b"old table\n"
    assert sorted(os.listdir(out)) == ["s.json", "t.csv"]
