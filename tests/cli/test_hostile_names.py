"""Class names and file names from a dataset are printed literally: no rich markup, no emoji
codes, no terminal control sequences reach the terminal."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from conftest import save_png
from perimage_data import write_stats, write_table

#: pieces a hostile name is built from: markup, emoji codes, escape sequences, mathtext
PIECES = ["[/]", "[bold red]", "[/bold red]", "[link=http://x]", ":smile:", "\\", "[",
          "\x1b]0;title\x07", "\x1b[2J", "\x1b[31m", "\r", "\n", "\t", "\x7f", "\u2028",
          "$\\frac{a}{$", "car", "_x", "%s", "{0}"]


def hostile_names(seed: int, n: int) -> list[str]:
    """``n`` distinct names, each a random mix of the pieces above."""
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < n:
        name = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 5)))
        if name not in names:
            names.append(name)
    return names


def literal(name: str) -> str:
    """How a name must appear: control characters as Python escapes, everything else as is."""
    return "".join(repr(ch)[1:-1] if ch in "\r\n\t\x1b\x07\x7f\u2028" else ch for ch in name)


def assert_clean(text: str) -> None:
    """No control character but the newline ends up in the output."""
    bad = [ch for ch in text if (ord(ch) < 32 and ch != "\n") or ch in "\x7f\u2028"]
    assert not bad, bad


@pytest.fixture
def named_stats(run, tmp_path):
    """A scan of generated masks with hostile class names: (stats path, names, run result)."""
    rng = np.random.default_rng(3)
    names = hostile_names(3, 4)
    for i in range(3):
        save_png(tmp_path / "m" / f"{i}.png", rng.integers(0, 4, (8, 8)).astype(np.uint8))
    (tmp_path / "names.json").write_text(json.dumps(names))
    out = tmp_path / "s.json"
    result = run("scan", tmp_path / "m", "--class-names", tmp_path / "names.json",
                 "-o", out, "--no-progress")
    return out, names, result


def test_scan_summary_shows_names_literally(named_stats):
    """The scan summary shows every hostile class name escaped, and exits 0."""
    out, names, result = named_stats
    assert result.exit_code == 0, result.stderr
    assert_clean(result.stdout)
    flat = result.stdout.replace("\n", "").replace("│", "").replace(" ", "")
    for name in names:
        assert literal(name).replace(" ", "") in flat


def test_weights_explain_and_compare_escape_names(run, named_stats):
    """weights --explain and compare print the names escaped, with no markup error."""
    out, names, _ = named_stats
    result = run("weights", out, "--explain", "-o", out.with_name("w.json"))
    assert result.exit_code == 0, result.stderr
    assert_clean(result.stdout)
    result = run("compare", out, out)
    assert result.exit_code == 0, result.stderr
    assert_clean(result.stdout)
    assert "Jensen-Shannon divergence" in result.stdout


def test_sample_weights_and_split_escape_names(run, tmp_path):
    """sample-weights --explain and split print class names and paths escaped."""
    rng = np.random.default_rng(5)
    counts = rng.integers(1, 50, (12, 3))
    names = hostile_names(5, 3)
    paths = [f"{i}{n}.png".replace("/", "").replace("\r", "").replace("\n", "") for i, n in
             enumerate(hostile_names(6, 12))]
    table = write_table(tmp_path / "t.csv", counts, paths=paths)
    stats = write_stats(tmp_path / "s.json", table, counts, names=names)
    doc = json.loads(stats.read_text())  # the fields split checks against the table
    doc.update(num_images=12, total_pixels=int(counts.sum()), ignored_pixels=0, unexpected={},
               image_pixels=(counts > 0).T.astype(int).dot(counts.sum(axis=1)).tolist())
    stats.write_text(json.dumps(doc))
    result = run("sample-weights", table, "--method", "balanced", "--stats", stats,
                 "--explain", "-o", tmp_path / "w.json")
    assert result.exit_code == 0, result.stderr
    assert_clean(result.stdout + result.stderr)
    result = run("split", table, "--ratios", "0.5,0.5", "--stats", stats,
                 "-o", tmp_path / "[red]splits\x1b[2J")
    assert result.exit_code == 0, result.stderr
    assert_clean(result.stdout)
    assert "[red]splits\\x1b[2J" in result.stdout.replace("\n", "")


def test_error_messages_escape_names(run, tmp_path):
    """An error naming a hostile path is one line with the control characters escaped."""
    result = run("weights", tmp_path / "no\x1b]0;t\x07[/]such.json")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "no\\x1b]0;t\\x07[/]such.json" in result.stderr


def test_scan_failing_after_counting_writes_nothing(run, tmp_path, monkeypatch):
    """When the summary fails after the counting, neither the stats nor the table exist."""
    import maskstats.cli.summary as summary

    def broken(*_args, **_kwargs):
        raise RuntimeError("summary failed")

    monkeypatch.setattr(summary, "print_summary", broken)
    save_png(tmp_path / "m" / "a.png", np.arange(12, dtype=np.uint8).reshape(3, 4))
    out = tmp_path / "out"
    out.mkdir()
    result = run("scan", tmp_path / "m", "-o", out / "s.json", "--per-image", out / "t.csv",
                 "--no-progress")
    assert result.exit_code == 1
    assert "summary failed" in result.stderr
    assert list(out.iterdir()) == []


def test_data_output_to_a_terminal_is_escaped(run, tmp_path, monkeypatch):
    """`images` paths go to a pipe exactly, to a terminal with control characters escaped."""
    import maskstats.cli.text as text

    counts = np.array([[3, 1], [2, 0]])
    table = write_table(tmp_path / "t.csv", counts, paths=["a\x1b]0;x\x07.png", "b.png"])
    piped = run("images", table, "--class", 0)
    assert piped.stdout == "a\x1b]0;x\x07.png\nb.png\n"
    monkeypatch.setattr(text, "stdout_is_terminal", lambda: True)
    shown_ = run("images", table, "--class", 0)
    assert shown_.stdout == "a\\x1b]0;x\\x07.png\nb.png\n"
