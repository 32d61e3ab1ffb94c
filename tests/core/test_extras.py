"""The extra-entry registry: each known entry is checked when stats are read, with one line
``<file>: <entry>: <problem>``; well-formed entries and unknown keys pass through unchanged."""

from __future__ import annotations

import json
import math

import pytest

import maskstats.core.extras as extras
from maskstats.core.stats import Stats
from maskstats.errors import BadStats

#: a well-formed value of every registered entry, for a stats document with 2 classes
GOOD = {
    extras.ONE_HOT: {"no_class": 3, "several_classes": 0},
    extras.MULTI_LABEL: {"samples": 4},
    extras.PANOPTIC: {"annotations": "panoptic.json", "category_ids": [1, 7],
                      "unlabelled_pixels": 5, "verified_images": 0},
    extras.UNKNOWN_COLORS: {"pixels": 2, "colors": 1, "top": {
        "#010203": {"pixels": 2, "images": 1, "files": ["a.png"]}}},
    extras.PER_IMAGE: {"path": "images.csv", "sha256": "ab" * 32, "rows": 4},
    extras.SELECTION: {"include": ["*.png"], "exclude": []},
    extras.OBJECT_COUNTS: [2, None],
    extras.OBJECT_PIXELS_QUANTILES: [{"min": 1, "p10": 1, "p50": 2, "p90": 3, "max": 3}, None],
    extras.OBJECT_SIZES: [[[1, 1], [3, 1]], []],
    extras.OBJECTS: {"connectivity": 4},
    extras.COCO: {"annotations": "instances.json", "sha256": "ab" * 32, "category_ids": [1, 9],
                  "crowd_annotations": 1, "crowd_without_pixels": 0,
                  "neg_category_ids": [0, 2]},
    extras.YOLO: {"data": "data.yaml", "root": "/data", "split": None, "label_files": 3},
    extras.NODATA: {"pixels": 6},
    extras.WINDOWS: {"size": [2, 2], "stride": [1, 2], "rows": 2},
    extras.CROP: {"size": [2, 2], "counts": [1.5, 0.5], "presence": [1.0, 0.25]},
}


def document(**entries) -> dict:
    """A minimal stats document (2 classes) with the given extra entries."""
    return {"format": "maskstats-stats", "version": 1, "pixel_counts": [3, 1],
            "image_counts": [1, 1], "image_pixels": [4, 4], "num_images": 1,
            "total_pixels": 4, **entries}


def test_every_registered_entry_has_a_check_and_a_good_example():
    """The registry's keys are exactly the entries this test knows well-formed values of."""
    assert set(extras.CHECKS) == set(GOOD)
    assert set(extras.DROPPED) | set(extras.OBJECT_KEYS) <= set(extras.CHECKS)


def test_well_formed_entries_and_unknown_keys_load_unchanged():
    """Valid entries, and a key no maskstats version registers, come back as written."""
    doc = document(**GOOD, written_by_a_newer_version=[1, "x", {"y": None}])
    stats = Stats.from_dict(json.loads(json.dumps(doc)), "s.json")
    assert stats.extra == {**GOOD, "written_by_a_newer_version": [1, "x", {"y": None}]}
    assert {k: v for k, v in stats.to_dict().items() if k in stats.extra} == stats.extra


@pytest.mark.parametrize("key, value, problem", [
    # a list or a string where an object is expected
    (extras.ONE_HOT, [3, 0], "the entry must be an object of counts, not [3, 0]"),
    (extras.MULTI_LABEL, "4", "the entry must be an object of counts, not '4'"),
    (extras.PANOPTIC, ["panoptic.json"], "must be an object, not ['panoptic.json']"),
    (extras.UNKNOWN_COLORS, {"pixels": 2, "colors": 1, "top": ["#010203"]},
     "top must be an object, not ['#010203']"),
    (extras.PER_IMAGE, "images.csv", "must be an object, not 'images.csv'"),
    (extras.OBJECTS, [4], "must be an object, not [4]"),
    # an integer where a list is expected
    (extras.OBJECT_COUNTS, 2, "must be a list of counts per class, not 2"),
    (extras.OBJECT_SIZES, [5, []], "class 0 must be a list of [size, count] pairs, not 5"),
    (extras.SELECTION, {"include": 3}, "include must be a list of strings, not 3"),
    (extras.PANOPTIC, {"category_ids": 7}, "category_ids must be a list of integers, not 7"),
    (extras.UNKNOWN_COLORS, {"pixels": 2, "colors": 1, "top": {
        "#010203": {"pixels": 2, "images": 1, "files": 1}}},
     "top.#010203.files must be a list of strings, not 1"),
    # non-finite numbers, and numbers that are not counts
    (extras.ONE_HOT, {"no_class": math.inf}, "no_class must be a non-negative integer, not "
                                              "the non-finite number inf"),
    (extras.OBJECT_PIXELS_QUANTILES, [{"min": 1, "p50": math.nan, "max": 3}, None],
     "class 0 must hold non-negative numbers, not the non-finite number nan"),
    (extras.OBJECT_PIXELS_QUANTILES, [[1, 2, 3, 4, -math.inf], None],
     "class 0 must hold non-negative numbers, not the non-finite number -inf"),
    (extras.OBJECT_PIXELS_QUANTILES, [[1, 2, 3], None],
     "class 0 must list min, p10, p50, p90 and max, not [1, 2, 3]"),
    (extras.OBJECT_PIXELS_QUANTILES, [{"p50": 2}, None],
     "class 0 min must be a non-negative integer, not None"),
    (extras.MULTI_LABEL, {"samples": 4.0}, "samples must be a non-negative integer, not 4.0"),
    (extras.OBJECT_COUNTS, [2, True], "class 1 must be a non-negative integer, not True"),
    (extras.OBJECT_SIZES, [[[1, 0]], []],
     "class 0 must hold [size, count] pairs of positive integers, not [1, 0]"),
    (extras.COCO, ["instances.json"], "must be an object, not ['instances.json']"),
    (extras.COCO, {"annotations": 3}, "annotations must be text, not 3"),
    (extras.COCO, {"neg_category_ids": [1, -1]}, "neg_category_ids must be a non-negative "
                                                  "integer, not -1"),
    (extras.YOLO, {"label_files": "3"}, "label_files must be a non-negative integer, not '3'"),
])
def test_a_malformed_entry_is_one_line_naming_file_and_entry(key, value, problem):
    """Each malformed entry stops the load with ``<file>: <entry>: <problem>``."""
    with pytest.raises(BadStats) as info:
        Stats.from_dict(document(**{key: value}), "s.json")
    assert str(info.value) == f"s.json: {key}: {problem}"


def test_a_malformed_entry_in_a_file_is_one_error_line(tmp_path, run):
    """Through the CLI: exit 1, one ``Error: <file>: <entry>: ...`` line, nothing written."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document(object_counts={"0": 2})))
    result = run("weights", path, "-o", tmp_path / "w.json")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {path}: object_counts: must be a list of counts per "
                             "class, not {'0': 2}\n")
    assert not (tmp_path / "w.json").exists()


def test_deeply_nested_counters_are_refused_in_one_line():
    """A counter object nested past Python's recursion limit is one line, not a crash."""
    value: dict = {"n": 1}
    for _ in range(5000):
        value = {"n": value}
    with pytest.raises(BadStats, match=r"^s\.json: one_hot: nested too deeply$"):
        Stats.from_dict(document(one_hot=value), "s.json")


def test_one_hot_entry_is_absent_without_counters():
    """Masks that are not one-hot add no entry; one-hot counters become the one_hot entry."""
    assert extras.one_hot_entry({}) == {}
    assert extras.one_hot_entry({"no_class": 2}) == {extras.ONE_HOT: {"no_class": 2}}
