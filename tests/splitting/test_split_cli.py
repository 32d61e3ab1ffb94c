"""maskstats split: split stats merge back to the scan exactly; bad input refused, nothing written."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from conftest import blob_mask, save_png
from splittools import GROUP, grouped_counts, write_table

COMPARED = ("pixel_counts", "image_counts", "image_pixels", "num_images", "total_pixels",
            "ignored_pixels", "unexpected", "ignore_index", "class_names", "unit", "options",
            "num_classes")


def scanned_dataset(tmp_path, run, num_classes=None, groups=8, per_group=4):
    """Masks on disk in seqNN/ folders, their scan stats, and a table built from the arrays."""
    rng = np.random.default_rng(1)
    root = tmp_path / "masks"
    paths, rows, ignored, unexpected = [], [], [], []
    k = num_classes or 6
    for g in range(groups):
        for i in range(per_group):
            a = blob_mask(rng, classes=6 if num_classes is None else 7)
            a[:2, :3] = 255  # some ignored pixels
            rel = f"seq{g:02d}/m{i}.png"
            save_png(root / rel, a)
            vals = a.ravel()
            kept = vals[vals != 255]
            rows.append(np.bincount(kept[kept < k], minlength=k)[:k])
            ignored.append(int((vals == 255).sum()))
            unexpected.append(int((kept >= k).sum()))
            paths.append(rel)
    names = tmp_path / "names.txt"
    names.write_text("".join(f"c{c}\n" for c in range(k)))
    stats_file = tmp_path / "all.json"
    args = ["scan", root, "--ignore-index", "255", "--class-names", names, "-o", stats_file,
            "--no-progress", "-q"]
    if num_classes:
        args += ["--num-classes", num_classes]
    assert run(*args).exit_code == 0
    table = write_table(tmp_path / "images.csv", paths, np.array(rows), ignored=ignored,
                        unexpected=unexpected)
    return table, stats_file


def csv_paths(table) -> list[str]:
    with open(table, newline="") as fh:
        return [row["path"] for row in csv.DictReader(fh)]


def test_split_stats_merge_back_to_the_scan_exactly(tmp_path, run):
    """Merging the split JSONs gives the dataset's scan stats, key for key."""
    table, stats_file = scanned_dataset(tmp_path, run)
    out = tmp_path / "splits"
    result = run("split", table, "--ratios", "0.5,0.25,0.25", "--group", GROUP,
                 "--stats", stats_file, "-o", out)
    assert result.exit_code == 0, result.stderr
    merged = tmp_path / "merged.json"
    assert run("merge", out / "train.json", out / "val.json", out / "test.json",
               "-o", merged, "-q").exit_code == 0
    whole, back = json.loads(stats_file.read_text()), json.loads(merged.read_text())
    for key in COMPARED:
        assert back[key] == whole[key], key
    files = sorted(set(csv_paths(table)))
    assert sorted(back["paths"]) == files  # each split lists its own files, disjointly
    assert "c0" in result.stdout  # class names from --stats in the table


def test_unexpected_pixels_of_one_value_are_carried_exactly(tmp_path, run):
    """With --num-classes below the data, the single unexpected value merges back exactly."""
    table, stats_file = scanned_dataset(tmp_path, run, num_classes=6)
    whole = json.loads(stats_file.read_text())
    if len(whole["unexpected"]) != 1:
        pytest.skip("the generated masks did not produce exactly one unexpected value")
    out = tmp_path / "splits"
    assert run("split", table, "--ratios", "0.5,0.5", "--group", GROUP, "--stats", stats_file,
               "-o", out).exit_code == 0
    merged = tmp_path / "m.json"
    assert run("merge", out / "train.json", out / "val.json", "-o", merged, "-q").exit_code == 0
    assert json.loads(merged.read_text())["unexpected"] == whole["unexpected"]


def test_unexpected_pixels_without_stats_are_refused(tmp_path, run):
    """A table with unexpected pixels and no --stats cannot give exact stats: exit 2."""
    paths, counts = grouped_counts(groups=6)
    unexpected = np.zeros(len(paths), np.int64)
    unexpected[0] = 7
    table = write_table(tmp_path / "t.csv", paths, counts, unexpected=unexpected)
    result = run("split", table, "--ratios", "0.5,0.5", "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert "unexpected" in result.stderr and "--stats" in result.stderr
    assert not (tmp_path / "o").exists()


def test_stats_of_another_table_are_refused(tmp_path, run):
    """--stats whose counts differ from the table is a usage error naming the class."""
    table, stats_file = scanned_dataset(tmp_path, run)
    d = json.loads(stats_file.read_text())
    d["pixel_counts"][1] += 1
    other = tmp_path / "other.json"
    other.write_text(json.dumps(d))
    result = run("split", table, "--ratios", "0.5,0.5", "--stats", other, "-o", tmp_path / "o")
    assert result.exit_code == 2
    assert "class 1" in result.stderr and result.stderr.startswith("Error:")
    assert not (tmp_path / "o").exists()


def test_stats_recording_another_table_are_refused(tmp_path, run):
    """A per_image record with another row count or sha256 is refused."""
    table, stats_file = scanned_dataset(tmp_path, run)
    d = json.loads(stats_file.read_text())
    d["per_image"] = {"path": "images.csv", "sha256": "0" * 64, "rows": d["num_images"]}
    other = tmp_path / "other.json"
    other.write_text(json.dumps(d))
    result = run("split", table, "--ratios", "0.5,0.5", "--stats", other, "-o", tmp_path / "o")
    assert result.exit_code == 2 and "sha256" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--ratios", "0.8,0.1"], "sum to 1"),
    (["--ratios", "0.9,0.2,-0.1"], "positive"),
    (["--ratios", "1.0,0"], "positive"),
    (["--ratios", "0.8,x"], "comma-separated numbers"),
    (["--ratios", "1"], "at least two"),
    (["--ratios", "0.5,0.5", "--names", "a,b,c"], "3 names"),
    (["--ratios", "0.5,0.5", "--names", "a,a"], "must differ"),
    (["--ratios", "0.5,0.5", "--names", "a,../b"], "cannot be a split name"),
    (["--ratios", "0.5,0.5", "--group", "^(nothing)/"], "matches no path"),
    (["--ratios", "0.5,0.5", "--group", "^(seq00[01])/"], "does not match"),
    (["--ratios", "0.5,0.5", "--group", "(unclosed"], "not a valid regex"),
    (["--ratios", "0.25,0.25,0.25,0.25", "--group", r"^seq00(\d)"], "only 3 groups"),
])
def test_bad_input_is_one_usage_error_and_writes_nothing(tmp_path, run, args, message):
    """Each bad input gives exit 2, one Error line, and no output folder."""
    paths, counts = grouped_counts(groups=3)
    table = write_table(tmp_path / "t.csv", paths, counts)
    result = run("split", table, *args, "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_empty_table_is_refused(tmp_path, run):
    """A table with a header and no rows: exit 2, nothing written."""
    table = write_table(tmp_path / "t.csv", [], np.zeros((0, 3), np.int64))
    result = run("split", table, "--ratios", "0.5,0.5", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "no rows" in result.stderr
    assert not (tmp_path / "out").exists()


def test_folder_with_other_files_needs_force(tmp_path, run):
    """An output folder holding other files is refused, and --force writes next to them."""
    paths, counts = grouped_counts(groups=6)
    table = write_table(tmp_path / "t.csv", paths, counts)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    result = run("split", table, "--ratios", "0.5,0.5", "-o", out)
    assert result.exit_code == 2 and "notes.md" in result.stderr and "--force" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes.md"]
    assert run("split", table, "--ratios", "0.5,0.5", "-o", out, "--force").exit_code == 0
    assert (out / "notes.md").read_text() == "mine"
    assert (out / "train.txt").exists() and (out / "val.json").exists()
    # a rerun into the folder it wrote itself needs no --force
    assert run("split", table, "--ratios", "0.5,0.5", "-o", out, "--seed", "2",
               "--force").exit_code == 0


def test_rerun_into_own_folder_is_allowed(tmp_path, run):
    """A folder holding only this run's files is overwritten without --force."""
    paths, counts = grouped_counts(groups=6)
    table = write_table(tmp_path / "t.csv", paths, counts)
    out = tmp_path / "out"
    assert run("split", table, "--ratios", "0.5,0.5", "-o", out).exit_code == 0
    assert run("split", table, "--ratios", "0.5,0.5", "-o", out, "--seed", "1").exit_code == 0


def test_python_api_takes_a_path(tmp_path):
    """maskstats.splitting.split accepts a table path and returns the split of every row."""
    import maskstats

    paths, counts = grouped_counts(groups=6)
    table = write_table(tmp_path / "t.csv", paths, counts)
    result = maskstats.split(table, [0.5, 0.5], group=GROUP, seed=1)
    assert len(result.assignment) == len(paths)
    assert result.names == ["train", "val"]
    s = result.stats(0)
    assert s.num_images == result.sizes[0]
    assert s.pixel_counts == counts[result.rows(0)].sum(axis=0).tolist()


def test_scan_table_split_merge_end_to_end(tmp_path, run):
    """scan --per-image, split --stats, merge: the merged stats equal the scan's."""
    rng = np.random.default_rng(4)
    root = tmp_path / "masks"
    for g in range(6):
        for i in range(3):
            save_png(root / f"seq{g:02d}" / f"m{i}.png", blob_mask(rng, classes=5))
    stats_file, table = tmp_path / "all.json", tmp_path / "images.csv"
    assert run("scan", root, "--per-image", table, "-o", stats_file, "--no-progress",
               "-q").exit_code == 0
    out = tmp_path / "splits"
    result = run("split", table, "--ratios", "0.5,0.5", "--group", r"(seq\d+)/",
                 "--stats", stats_file, "-o", out)
    assert result.exit_code == 0, result.stderr
    groups = [{line.split("/")[0] for line in (out / f"{n}.txt").read_text().splitlines()}
              for n in ("train", "val")]
    assert not groups[0] & groups[1] and len(groups[0] | groups[1]) == 6
    merged = tmp_path / "merged.json"
    assert run("merge", out / "train.json", out / "val.json", "-o", merged, "-q").exit_code == 0
    whole, back = json.loads(stats_file.read_text()), json.loads(merged.read_text())
    for key in COMPARED:
        assert back[key] == whole[key], key
