"""`maskstats merge`: exact, order-free merging of disjoint scans, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_matches, blob_mask, expected_stats, save_png
from hypothesis import given, settings
from hypothesis import strategies as st

from maskstats.core.histogram import Counts, hist_from_array
from maskstats.core.stats import Stats

COUNT_KEYS = ("num_images", "total_pixels", "num_classes", "pixel_counts", "image_counts",
              "image_pixels", "ignored_pixels", "unexpected", "ignore_index")


@pytest.fixture
def shards(tmp_path):
    """Three folders of masks with different class ranges; returns {name: arrays}."""
    rng = np.random.default_rng(77)
    out = {}
    for name, classes in (("a", 3), ("b", 6), ("c", 4)):
        arrays = [blob_mask(rng, shape=(20, 30), classes=classes) for _ in range(4)]
        arrays[0][0, :3] = 255  # a void band in every shard
        for i, a in enumerate(arrays):
            save_png(tmp_path / name / f"{i}.png", a)
        out[name] = arrays
    return out


def scan_to(run, folder: Path, out: Path, *args) -> Path:
    result = run("scan", folder, "-o", out, "--no-progress", "-q", *args)
    assert result.exit_code == 0, result.output + result.stderr
    return out


def merge(run, tmp_path, *files, name="all.json") -> dict:
    out = tmp_path / name
    result = run("merge", *files, "-o", out, "-q")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(out.read_text())


def test_merge_equals_one_scan_of_all_shards(tmp_path, shards, run):
    """Merging per-folder stats gives exactly the counts of the arrays of all folders."""
    files = [scan_to(run, tmp_path / n, tmp_path / f"{n}.json", "--ignore-index", "255")
             for n in "abc"]
    merged = merge(run, tmp_path, *files)
    everything = shards["a"] + shards["b"] + shards["c"]
    assert_matches(merged, expected_stats(everything, ignore=(255,)))
    assert merged["paths"] == [str(tmp_path / n) for n in "abc"]
    assert merged["format"] == "maskstats-stats"


def test_merge_is_associative_and_commutative(tmp_path, shards, run):
    """(a+b)+c, a+(b+c) and c+b+a hold the same counts."""
    a, b, c = (scan_to(run, tmp_path / n, tmp_path / f"{n}.json", "--num-classes", "6",
                       "--ignore-index", "255") for n in "abc")
    ab = merge(run, tmp_path, a, b, name="ab.json")
    bc = merge(run, tmp_path, b, c, name="bc.json")
    left = merge(run, tmp_path, tmp_path / "ab.json", c, name="left.json")
    right = merge(run, tmp_path, a, tmp_path / "bc.json", name="right.json")
    reverse = merge(run, tmp_path, c, b, a, name="rev.json")
    assert ab["num_images"] == 8 and bc["num_images"] == 8
    for key in COUNT_KEYS:
        assert left[key] == right[key] == reverse[key], key
    everything = shards["a"] + shards["b"] + shards["c"]
    assert_matches(left, expected_stats(everything, ignore=(255,), num_classes=6))


def test_merge_pads_unfixed_class_vectors(tmp_path, shards, run):
    """Without --num-classes the shorter class vector is padded with zeros."""
    a = scan_to(run, tmp_path / "a", tmp_path / "a.json", "--ignore-index", "255")
    b = scan_to(run, tmp_path / "b", tmp_path / "b.json", "--ignore-index", "255")
    short = json.loads(a.read_text())["num_classes"]
    merged = merge(run, tmp_path, a, b)
    assert merged["num_classes"] == json.loads(b.read_text())["num_classes"] > short
    assert_matches(merged, expected_stats(shards["a"] + shards["b"], ignore=(255,)))


def test_merge_to_stdout_feeds_weights(tmp_path, shards, run):
    """`merge ... -o -` writes the merged JSON to stdout for a pipe."""
    a = scan_to(run, tmp_path / "a", tmp_path / "a.json", "--ignore-index", "255")
    c = scan_to(run, tmp_path / "c", tmp_path / "c.json", "--ignore-index", "255")
    result = run("merge", a, c, "-o", "-")
    assert result.exit_code == 0
    merged = json.loads(result.stdout)
    assert_matches(merged, expected_stats(shards["a"] + shards["c"], ignore=(255,)))


@pytest.mark.parametrize("args_a, args_b, words", [
    (["--ignore-index", "255"], [], "different ignore values"),
    (["--num-classes", "6"], ["--num-classes", "7"], "num_classes 6 and 7"),
])
def test_merge_refuses_differently_counted_stats(tmp_path, shards, run, args_a, args_b, words):
    """Stats counted with other ignore values or num_classes are refused (exit 2, one line)."""
    a = scan_to(run, tmp_path / "a", tmp_path / "a.json", *args_a)
    b = scan_to(run, tmp_path / "b", tmp_path / "b.json", *args_b)
    result = run("merge", a, b, "-o", tmp_path / "all.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {b}: ") and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "all.json").exists()


def test_merge_refuses_other_remaps_and_units(tmp_path, shards, run):
    """Stats whose count options (e.g. a remap) or unit differ cannot be merged."""
    a = scan_to(run, tmp_path / "a", tmp_path / "a.json")
    doc = json.loads(a.read_text())
    doc["options"]["remap"] = {"0": 255}
    (tmp_path / "remapped.json").write_text(json.dumps(doc))
    result = run("merge", a, tmp_path / "remapped.json")
    assert result.exit_code == 2 and "different options" in result.stderr
    doc = json.loads(a.read_text())
    doc["unit"] = "samples"
    (tmp_path / "samples.json").write_text(json.dumps(doc))
    result = run("merge", a, tmp_path / "samples.json")
    assert result.exit_code == 2 and "samples" in result.stderr


def test_merge_refuses_the_same_file_twice(tmp_path, shards, run):
    """Giving one stats file twice would double its counts: refused."""
    a = scan_to(run, tmp_path / "a", tmp_path / "a.json")
    result = run("merge", a, a)
    assert result.exit_code == 2 and "twice" in result.stderr


def test_merge_of_a_missing_or_bad_file_is_a_data_error(tmp_path, shards, run):
    """A missing or non-stats input is exit 1 naming the file."""
    a = scan_to(run, tmp_path / "a", tmp_path / "a.json")
    result = run("merge", a, tmp_path / "nope.json")
    assert result.exit_code == 1 and str(tmp_path / "nope.json") in result.stderr
    (tmp_path / "x.json").write_text('{"format": "something-else", "version": 1}')
    result = run("merge", a, tmp_path / "x.json")
    assert result.exit_code == 1 and "not a maskstats-stats file" in result.stderr


arrays_strategy = st.lists(
    st.lists(st.integers(0, 6), min_size=1, max_size=30).map(
        lambda v: np.array(v, dtype=np.uint8)),
    min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(a=arrays_strategy, b=arrays_strategy, c=arrays_strategy)
def test_merge_property_associative_commutative_exact(a, b, c):
    """For any three shards, every merge order equals the counts of all their arrays."""
    def stats_of(arrays):
        counts = Counts()
        for arr in arrays:
            counts.add(hist_from_array(arr))
        return Stats.from_counts(counts, ignore_index=[6])

    sa, sb, sc = stats_of(a), stats_of(b), stats_of(c)
    results = [sa.merge(sb).merge(sc), sa.merge(sb.merge(sc)), sc.merge(sa).merge(sb)]
    expected = expected_stats(a + b + c, ignore=(6,))
    for merged in results:
        d = merged.to_dict()
        assert {k: d[k] for k in expected} == expected
