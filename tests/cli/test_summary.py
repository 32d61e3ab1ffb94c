"""The terminal summary never hides classes silently; the num-classes hint (#17)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from maskstats.cli.summary import share_bar


@pytest.fixture
def many_classes(tmp_path):
    """A (H, W) .npy mask with 150 classes of distinct sizes (class c has 150 - c + 1 px)."""
    values = np.concatenate([np.full(151 - c, c, dtype=np.uint8) for c in range(150)])
    values = np.random.default_rng(3).permutation(values)
    pad = (-values.size) % 100
    values = np.concatenate([values, np.zeros(pad, np.uint8)]).reshape(-1, 100)
    np.save(tmp_path / "m.npy", values)
    counts = np.bincount(values.ravel(), minlength=150)
    return tmp_path / "m.npy", counts


def table_rows(stdout: str) -> list[list[str]]:
    """The cells of each body row of a rich table."""
    rows = []
    for line in stdout.splitlines():
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
    return rows


def test_many_classes_show_largest_rarest_and_a_summed_row(tmp_path, run, many_classes):
    """150 classes: the 30 largest, one row summing the other 115, then the 5 rarest."""
    path, counts = many_classes
    result = run("scan", path, "-o", tmp_path / "s.json", "--no-progress", "--layout", "mask")
    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    order = sorted(range(150), key=lambda c: (-counts[c], c))
    shown = [int(r[0]) for r in rows if r[0].isdigit()]
    assert shown == order[:30] + order[-5:]
    cut = order[30:-5]
    summed = [r for r in rows if r[0].startswith("...")]
    assert len(summed) == 1
    assert summed[0][0] == f"... {len(cut)} more"
    assert summed[0][1] == f"{counts[cut].sum():,}"
    share = 100 * counts[cut].sum() / counts.sum()
    assert summed[0][2] == f"{share:.2f}%"
    text = " ".join(result.stdout.split())
    rarest = ", ".join(str(c) for c in order[-5:])
    assert f"... 115 more classes, {share:.2f}% of pixels; the 5 rarest: {rarest}." in text
    assert "--all-classes shows every class" in text


def test_all_classes_shows_every_row(tmp_path, run, many_classes):
    """--all-classes lists all 150 classes in id order with their exact counts."""
    path, counts = many_classes
    result = run("scan", path, "-o", tmp_path / "s.json", "--no-progress", "--layout", "mask",
                 "--all-classes")
    rows = table_rows(result.stdout)
    assert [int(r[0]) for r in rows] == list(range(150))
    assert [r[1] for r in rows] == [f"{n:,}" for n in counts]
    assert "more classes" not in result.stdout


@pytest.mark.parametrize("command", ["merge", "labels"])
def test_all_classes_on_merge_and_labels(tmp_path, run, many_classes, command):
    """merge and labels take --all-classes too and print every class."""
    path, counts = many_classes
    if command == "merge":
        run("scan", path, "-o", tmp_path / "s.json", "-q", "--layout", "mask")
        args = [tmp_path / "s.json"]
    else:
        ids = np.repeat(np.arange(150), counts)
        (tmp_path / "l.txt").write_text("\n".join(map(str, ids)) + "\n")
        args = [tmp_path / "l.txt"]
    result = run(command, *args, "-o", tmp_path / "out.json", "--all-classes")
    assert result.exit_code == 0, result.output
    assert [int(r[0]) for r in table_rows(result.stdout)] == list(range(150))
    default = run(command, *args, "-o", tmp_path / "out.json")
    assert "... 115 more" in default.stdout


def test_share_bar_column(tmp_path, run):
    """The share bar is 12 characters for the largest class and in proportion for others."""
    a = np.zeros((10, 40), np.uint8)
    a[:, 20:30] = 1   # 100 px, half of class 0's 200
    a[:, 30:] = 2     # 100 px
    a[0, 0] = 3       # 1 px: still a visible sliver
    np.save(tmp_path / "m.npy", a)
    result = run("scan", tmp_path / "m.npy", "-o", tmp_path / "s.json", "--layout", "mask")
    rows = {int(r[0]): r for r in table_rows(result.stdout)}
    assert rows[0][3] == "█" * 12
    assert rows[1][3] == "█" * 6 and rows[2][3] == "█" * 6
    assert rows[3][3] == "▏"
    assert share_bar(0, 10) == ""
    assert share_bar(10, 10, 4) == "████"
    assert share_bar(5, 10, 3) == "█▌"


def test_hint_when_classes_come_from_the_largest_value(tmp_path, run):
    """Without --num-classes the summary says the length came from the largest value seen."""
    a = np.arange(8, dtype=np.uint8).repeat(4).reshape(4, 8)
    np.save(tmp_path / "m.npy", a)
    result = run("scan", tmp_path / "m.npy", "-o", tmp_path / "s.json", "--layout", "mask")
    assert ("Hint: 8 classes (largest value 7); pass --num-classes if your model has more."
            in " ".join(result.stdout.split()))
    assert json.loads((tmp_path / "s.json").read_text())["options"]["num_classes"] is None
    fixed = run("scan", tmp_path / "m.npy", "-o", tmp_path / "s.json", "--layout", "mask",
                "--num-classes", "10")
    assert "--num-classes if" not in fixed.stdout
    names = tmp_path / "names.txt"
    names.write_text("\n".join(f"c{i}" for i in range(8)) + "\n")
    named = run("scan", tmp_path / "m.npy", "-o", tmp_path / "s.json", "--layout", "mask",
                "--class-names", names)
    assert "--num-classes if" not in named.stdout


def test_no_class_count_hint_next_to_the_ignore_hint(tmp_path, run):
    """When 255 looks like an ignore value, only that hint is shown (256 would mislead)."""
    a = np.zeros((8, 8), np.uint8)
    a[0, :4] = 1
    a[7, :] = 255
    np.save(tmp_path / "m.npy", a)
    result = run("scan", tmp_path / "m.npy", "-o", tmp_path / "s.json", "--layout", "mask")
    assert "--ignore-index 255" in result.stdout
    assert "--num-classes if" not in result.stdout
    assert re.search(r"Hint:", result.stdout)
