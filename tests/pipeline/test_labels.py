"""`maskstats labels`: samples per class from CSV/TSV, text, JSON and ImageFolder sources."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from maskstats.pipeline.labels import count_labels


@pytest.fixture
def labels_json(run, tmp_path):
    """Run ``maskstats labels ARGS -o out.json`` and return the parsed stats."""

    def _labels(*args):
        out = tmp_path / "labels_out.json"
        result = run("labels", *args, "-o", out)
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(out.read_text())

    return _labels


def expected_samples(rows: list[list[str]], names: list[str]) -> dict:
    """Samples per class computed directly from the label rows."""
    count = Counter(label for row in rows for label in set(row))
    n = len(rows)
    counts = [count[name] for name in names]
    return {"unit": "samples", "num_images": n, "total_pixels": n, "num_classes": len(names),
            "pixel_counts": counts, "image_counts": counts,
            "image_pixels": [n if c else 0 for c in counts]}


def check(stats: dict, expected: dict) -> None:
    for key, value in expected.items():
        assert stats[key] == value, key


def test_csv_names_sorted(tmp_path, labels_json):
    """A CSV label column of names: classes are the sorted names, counts are samples."""
    rows = ["dog", "cat", "cat", "bird", "cat", "dog"]
    (tmp_path / "t.csv").write_text("file,label\n" + "".join(
        f"img{i}.jpg,{r}\n" for i, r in enumerate(rows)))
    stats = labels_json(tmp_path / "t.csv")
    check(stats, expected_samples([[r] for r in rows], ["bird", "cat", "dog"]))
    assert stats["class_names"] == ["bird", "cat", "dog"]
    assert stats["paths"] == [str(tmp_path / "t.csv")]


def test_tsv_with_column_option(tmp_path, labels_json):
    """--column picks the label column of a TSV file (tab-separated, quoted cells allowed)."""
    (tmp_path / "t.tsv").write_text('id\tdiagnosis\tnote\n1\tbenign\t"a, b"\n2\tmalignant\tx\n'
                                    '3\tbenign\t\n')
    stats = labels_json(tmp_path / "t.tsv", "--column", "diagnosis")
    check(stats, expected_samples([["benign"], ["malignant"], ["benign"]],
                                  ["benign", "malignant"]))


def test_text_integer_labels_are_class_ids(tmp_path, labels_json):
    """Integer labels are class ids: max id + 1 classes, absent ids count 0, no names."""
    ids = [3, 0, 3, 1, 3, 0]
    (tmp_path / "y.txt").write_text("".join(f"{i}\n" for i in ids))
    stats = labels_json(tmp_path / "y.txt")
    assert stats["pixel_counts"] == [ids.count(c) for c in range(4)]
    assert stats["class_names"] is None and stats["num_images"] == 6
    wider = labels_json(tmp_path / "y.txt", "--num-classes", "6")
    assert wider["pixel_counts"] == [ids.count(c) for c in range(6)]


def test_json_list_of_names_and_of_lists(tmp_path, labels_json):
    """A JSON list of labels, and a JSON list of label lists (multi-label samples)."""
    (tmp_path / "a.json").write_text(json.dumps(["b", "a", "b"]))
    check(labels_json(tmp_path / "a.json"), expected_samples([["b"], ["a"], ["b"]], ["a", "b"]))
    rows = [["x", "y"], ["y"], ["z", "x", "y"]]
    (tmp_path / "m.json").write_text(json.dumps(rows))
    check(labels_json(tmp_path / "m.json"), expected_samples(rows, ["x", "y", "z"]))


def test_image_folder(tmp_path, labels_json):
    """An ImageFolder tree: one class per sub-folder, image files counted, others not."""
    layout = {"cat": ["1.jpg", "2.PNG", "sub/3.jpeg", "notes.txt", ".hidden.jpg"],
              "dog": ["a.png"], "empty": [], ".cache": ["x.png"]}
    for cls, files in layout.items():
        (tmp_path / "train" / cls).mkdir(parents=True)
        for f in files:
            (tmp_path / "train" / cls / f).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "train" / cls / f).write_bytes(b"x")
    (tmp_path / "train" / "stray.jpg").write_bytes(b"x")
    stats = labels_json(tmp_path / "train")
    assert stats["class_names"] == ["cat", "dog", "empty"]
    assert stats["pixel_counts"] == [3, 1, 0]
    assert stats["num_images"] == 4


def test_class_names_fix_the_order(tmp_path, labels_json):
    """--class-names orders the classes; names never seen count 0."""
    (tmp_path / "t.csv").write_text("label\ncat\ndog\ncat\n")
    (tmp_path / "names.txt").write_text("dog\nzebra\ncat\n")
    stats = labels_json(tmp_path / "t.csv", "--class-names", tmp_path / "names.txt")
    assert stats["class_names"] == ["dog", "zebra", "cat"]
    assert stats["pixel_counts"] == [1, 0, 2]


def test_class_names_name_integer_ids(tmp_path, labels_json):
    """With integer labels, --class-names gives the names of ids 0..K-1."""
    (tmp_path / "y.txt").write_text("1\n1\n0\n")
    (tmp_path / "names.json").write_text('["neg", "pos", "unsure"]')
    stats = labels_json(tmp_path / "y.txt", "--class-names", tmp_path / "names.json")
    assert stats["class_names"] == ["neg", "pos", "unsure"]
    assert stats["pixel_counts"] == [1, 2, 0]


def test_multi_label_cells(tmp_path, labels_json):
    """--multi-label splits cells; a sample counts once per class it carries."""
    rows = [["cat", "dog"], ["dog"], ["cat", "bird", "dog"], ["bird"]]
    (tmp_path / "t.csv").write_text("path,tags\n" + "".join(
        f"{i}.jpg,{' ; '.join(r)}\n" for i, r in enumerate(rows)))
    stats = labels_json(tmp_path / "t.csv", "--column", "tags", "--multi-label", ";")
    check(stats, expected_samples(rows, ["bird", "cat", "dog"]))
    assert sum(stats["pixel_counts"]) == 7 and stats["num_images"] == 4


def test_several_sources_add_up(tmp_path, labels_json):
    """Several sources of different kinds are counted together."""
    (tmp_path / "a.csv").write_text("label\nx\ny\n")
    (tmp_path / "b.txt").write_text("y\ny\n")
    check(labels_json(tmp_path / "a.csv", tmp_path / "b.txt"),
          expected_samples([["x"], ["y"], ["y"], ["y"]], ["x", "y"]))


@pytest.mark.parametrize("name,text,args,where", [
    ("t.csv", "file,label\na.jpg,cat\nb.jpg,\nc.jpg,dog\n", [], "line 3: empty label"),
    ("t.csv", "file,label\na.jpg,cat\nb.jpg\n", [], "line 3: only 1 of 2 fields"),
    ("t.txt", "cat\ndog\n\ncat\n", [], "line 3: empty label"),
    ("t.csv", "label\ncat\ndog\nemu\ncat\n", ["--class-names", "names.txt"],
     "line 4: unknown class name 'emu'"),
    ("t.txt", "0\n2\n5\n", ["--num-classes", "3"], "line 3: class id 5 is out of range"),
    ("t.csv", "label\na;;b\n", ["--multi-label", ";"], "line 2: empty label"),
    ("t.json", '["a", "", "b"]', [], "item 1: empty label"),
])
def test_bad_rows_name_the_file_and_line(tmp_path, run, name, text, args, where):
    """A bad row is a one-line error (exit 1) with the file and the line (header = line 1)."""
    (tmp_path / name).write_text(text)
    (tmp_path / "names.txt").write_text("cat\ndog\n")
    args = [str(tmp_path / a) if a == "names.txt" else a for a in args]
    result = run("labels", tmp_path / name, *args, "-o", tmp_path / "o.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / name}: {where}")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.json").exists()


def test_missing_column_is_a_usage_error(tmp_path, run):
    """A CSV without the label column is a usage error listing the columns."""
    (tmp_path / "t.csv").write_text("file,class\na.jpg,cat\n")
    result = run("labels", tmp_path / "t.csv", "-o", tmp_path / "o.json")
    assert result.exit_code == 2
    assert f"{tmp_path / 't.csv'}: line 1: no column 'label' (columns: file, class)" in \
        result.stderr


def test_stdout_feeds_weights_pos_weight(tmp_path, run):
    """labels -o - | weights - --scheme pos-weight gives negatives / positives per class."""
    (tmp_path / "y.txt").write_text("0\n" * 500000 + "1\n" * 31000)
    stats = run("labels", tmp_path / "y.txt", "-o", "-", "-q")
    assert stats.exit_code == 0, stats.stderr
    assert json.loads(stats.stdout)["pixel_counts"] == [500000, 31000]
    result = run("weights", "-", "--scheme", "pos-weight", input=stats.stdout)
    assert result.exit_code == 0, result.stderr
    weights = json.loads(result.stdout)["weights"]
    assert weights == pytest.approx([31000 / 500000, 500000 / 31000])


def test_library_count_labels(tmp_path):
    """count_labels() is the library behind the command, with names given as a list."""
    (tmp_path / "t.csv").write_text("label\nb\na\n")
    stats = count_labels(tmp_path / "t.csv", class_names=["b", "a"])
    assert stats.pixel_counts == [1, 1] and stats.class_names == ["b", "a"]
    assert stats.unit == "samples"


def test_line_numbers_count_physical_lines(tmp_path, run):
    """A quoted cell spanning two lines and a UTF-8 BOM do not shift the reported line."""
    text = '\ufefflabel,note\ncat,"two\nlines"\n,empty\n'
    (tmp_path / "t.csv").write_bytes(text.encode("utf-8"))
    result = run("labels", tmp_path / "t.csv", "-o", tmp_path / "o.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 't.csv'}: line 4: empty label")


def test_not_utf8_is_an_error(tmp_path, run):
    """A label file that is not UTF-8 text is a one-line error naming it."""
    (tmp_path / "y.txt").write_bytes(b"cat\n\xff\xfe\x00dog\n")
    result = run("labels", tmp_path / "y.txt", "-o", tmp_path / "o.json")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'y.txt'}: not a UTF-8 text file\n"
