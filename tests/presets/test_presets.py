"""Dataset presets, --remap and --class-names: remaps applied per image before counting."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from conftest import save_png

import maskstats
from maskstats.errors import UsageProblem
from maskstats.presets.files import load_class_names, load_remap
from maskstats.presets.presets import PRESETS, get_preset

# the official Cityscapes labelId -> trainId table, written out independently (labels.py)
CITYSCAPES = {0: 255, 1: 255, 2: 255, 3: 255, 4: 255, 5: 255, 6: 255, 7: 0, 8: 1, 9: 255,
              10: 255, 11: 2, 12: 3, 13: 4, 14: 255, 15: 255, 16: 255, 17: 5, 18: 255, 19: 6,
              20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 29: 255,
              30: 255, 31: 16, 32: 17, 33: 18}


def totals(arrays, k, ignore=255):
    """Pixel, image and image-pixel totals per class of already-mapped arrays."""
    pix, imgs, ipix = Counter(), Counter(), Counter()
    for a in arrays:
        for v, n in zip(*np.unique(a, return_counts=True)):
            pix[int(v)] += int(n)
            imgs[int(v)] += 1
            ipix[int(v)] += a.size
    return ([pix[c] for c in range(k)], [imgs[c] for c in range(k)],
            [ipix[c] for c in range(k)], pix[ignore])


def test_cityscapes_label_ids_map_to_train_ids(tmp_path):
    """--preset cityscapes maps labelIds through the official table, per image."""
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 34, size=(30, 40), dtype=np.uint8) for _ in range(3)]
    for i, a in enumerate(arrays):
        save_png(tmp_path / f"f{i}_gtFine_labelIds.png", a)
    stats = maskstats.scan(tmp_path, preset="cityscapes", jobs=2)
    mapped = [np.vectorize(CITYSCAPES.get)(a) for a in arrays]
    pix, imgs, ipix, ignored = totals(mapped, 19)
    assert stats.pixel_counts == pix
    assert stats.image_counts == imgs
    assert stats.image_pixels == ipix
    assert stats.ignored_pixels == ignored
    assert stats.ignore_index == [255]
    assert stats.class_names[13] == "car" and len(stats.class_names) == 19
    assert stats.options["preset"] == "cityscapes"


def test_cityscapes_instance_ids_equal_label_ids(tmp_path):
    """16-bit instanceIds (labelId*1000+k, or labelId below 1000) give the labelIds result."""
    rng = np.random.default_rng(1)
    label = rng.integers(0, 34, size=(24, 32)).astype(np.uint16)
    instance = label.copy()
    things = label >= 24  # person .. bicycle carry instance numbers
    instance[things] = label[things] * 1000 + rng.integers(0, 7, size=int(things.sum()))
    save_png(tmp_path / "a" / "x_labelIds.png", label.astype(np.uint8))
    save_png(tmp_path / "b" / "x_instanceIds.png", instance)
    from_labels = maskstats.scan(tmp_path / "a", preset="cityscapes", jobs=1)
    from_instances = maskstats.scan(tmp_path / "b", preset="cityscapes", jobs=1,
                                    include=["*_instanceIds.png"])  # the preset reads labelIds
    assert from_instances.pixel_counts == from_labels.pixel_counts
    assert from_instances.image_counts == from_labels.image_counts
    assert from_instances.ignored_pixels == from_labels.ignored_pixels
    expected = totals([np.vectorize(CITYSCAPES.get)(label)], 19)[0]
    assert from_instances.pixel_counts == expected


def test_ade20k_reduce_zero_label(tmp_path):
    """--preset ade20k: 0 becomes ignored, every other value v counts as class v - 1."""
    rng = np.random.default_rng(2)
    arrays = [rng.integers(0, 151, size=(20, 30), dtype=np.uint8) for _ in range(2)]
    for i, a in enumerate(arrays):
        save_png(tmp_path / f"ADE_{i}.png", a)
    stats = maskstats.scan(tmp_path, preset="ade20k", jobs=1)
    shifted = [np.where(a == 0, 255, a.astype(np.int64) - 1) for a in arrays]
    pix, imgs, _, ignored = totals(shifted, 150)
    assert stats.num_classes == 150
    assert stats.pixel_counts == pix and stats.image_counts == imgs
    assert stats.ignored_pixels == ignored == sum(int((a == 0).sum()) for a in arrays)
    assert stats.class_names[0] == "wall" and stats.class_names[149] == "flag"


@pytest.mark.parametrize("name, k, ignore", [("voc", 21, 255), ("cityscapes-trainid", 19, 255),
                                             ("coco-stuff", 182, 255), ("camvid", 11, 11)])
def test_presets_without_remap_count_values_as_stored(name, k, ignore, tmp_path):
    """Presets without a remap count stored values as classes, with their ignore value."""
    rng = np.random.default_rng(3)
    a = rng.integers(0, k, size=(32, 32), dtype=np.uint8)
    a[:2] = ignore
    a[2, :3] = 200  # outside the classes: unexpected (coco-stuff: 200 > 181), under 1%
    save_png(tmp_path / "m.png", a)
    stats = maskstats.scan(tmp_path / "m.png", preset=name, jobs=1)
    pix, _, _, ignored = totals([a], k, ignore)
    assert stats.num_classes == k == len(stats.class_names)
    assert stats.ignore_index == [ignore]
    assert stats.ignored_pixels == ignored == 64
    assert stats.unexpected == {"200": 3}
    assert stats.pixel_counts == [0 if c == ignore else n for c, n in enumerate(pix)]


def test_coco_stuff_names_skip_unused_ids():
    """COCO-Stuff names sit at their raw ids; the 11 unused ids are named 'unused'."""
    names = get_preset("coco-stuff").class_names
    assert names[0] == "person" and names[12] == "stop sign" and names[181] == "wood"
    assert [i for i, n in enumerate(names) if n == "unused"] == [11, 25, 28, 29, 44, 65, 67,
                                                                68, 70, 82, 90]


def test_two_values_mapped_to_one_class_count_the_image_once(tmp_path):
    """A remap merging two stored values counts an image once for the merged class."""
    a = np.array([[1, 1, 2], [2, 2, 0]], dtype=np.uint8)
    save_png(tmp_path / "m.png", a)
    (tmp_path / "r.json").write_text(json.dumps({"2": 1}))
    stats = maskstats.scan(tmp_path / "m.png", remap=tmp_path / "r.json", jobs=1)
    assert stats.pixel_counts == [1, 5]
    assert stats.image_counts == [1, 1]
    assert stats.options["remap"] == {"2": 1}


@pytest.mark.parametrize("text, suffix", [
    ('{"5": 0, "6": 1, "255": 2}', ".json"),
    ("from,to\n5,0\n6,1\n255,2\n", ".csv"),
    ("# stored -> class\n5\t0\n6\t1   # comment\n255\t2\n", ".txt"),
    ("5 0\n6 1\n\n255 2\n", ".txt"),
])
def test_remap_file_forms(text, suffix, tmp_path):
    """A remap file may be JSON, CSV with a header, tab- or space-separated, with comments."""
    path = tmp_path / f"remap{suffix}"
    path.write_text(text)
    assert load_remap(path) == {5: 0, 6: 1, 255: 2}


@pytest.mark.parametrize("text, suffix, message", [
    ("5,0\n5,1\n", ".csv", "line 2: value 5 is mapped twice"),
    ("5,0,1\n", ".csv", "line 1: expected two values"),
    ("5,x\n", ".csv", "line 1: 'x' is not an integer"),
    ('{"a": 1}', ".json", "'a' is not an integer"),
    ("[1, 2]", ".json", "expected a JSON object"),
])
def test_bad_remap_files(text, suffix, message, tmp_path):
    """A malformed remap file is a usage error naming the line or key."""
    path = tmp_path / f"remap{suffix}"
    path.write_text(text)
    with pytest.raises(UsageProblem, match=message):
        load_remap(path)


def test_user_remap_runs_after_the_preset(tmp_path):
    """--remap applies to the preset's output: ade20k then class 3 -> class 0."""
    a = np.array([[0, 1, 4, 4]], dtype=np.uint8)
    save_png(tmp_path / "m.png", a)
    (tmp_path / "r.csv").write_text("3,0\n")
    stats = maskstats.scan(tmp_path / "m.png", preset="ade20k", remap=tmp_path / "r.csv", jobs=1)
    assert stats.pixel_counts[:4] == [3, 0, 0, 0]
    assert stats.image_counts[0] == 1
    assert stats.ignored_pixels == 1


@pytest.mark.parametrize("text, suffix", [
    ("road\nsky\ncar\n\n", ".txt"),
    ('["road", "sky", "car"]', ".json"),
    ('{"labels": {"road": 0, "sky": 1, "car": 2}}', ".json"),        # nnU-Net v2
    ('{"labels": {"0": "road", "2": "car", "1": "sky"}}', ".json"),  # nnU-Net v1
])
def test_class_names_file_forms(text, suffix, tmp_path):
    """Class names come from a text file, a JSON list, or nnU-Net dataset.json labels."""
    path = tmp_path / f"names{suffix}"
    path.write_text(text)
    assert load_class_names(path) == ["road", "sky", "car"]


@pytest.mark.parametrize("text, message", [
    ('{"labels": {"a": 0, "b": 2}}', "id 1 is missing"),
    ('{"labels": {"a": 0, "b": 0}}', "share id 0"),
    ('{"labels": {"a": 0, "b": [1, 2]}}', "region"),
])
def test_bad_dataset_json_labels(text, message, tmp_path):
    """Gaps, clashes and region-based labels in dataset.json are usage errors."""
    path = tmp_path / "dataset.json"
    path.write_text(text)
    with pytest.raises(UsageProblem, match=message):
        load_class_names(path)


def test_class_names_flow_into_stats_and_set_the_class_count(tmp_path, scan_json):
    """--class-names FILE names the classes and fixes the vector length to their number."""
    a = np.array([[0, 0, 1]], dtype=np.uint8)
    save_png(tmp_path / "m" / "m.png", a)
    (tmp_path / "names.txt").write_text("bg\nfg\nother\n")
    stats = scan_json(tmp_path / "m", "--class-names", tmp_path / "names.txt")
    assert stats["class_names"] == ["bg", "fg", "other"]
    assert stats["pixel_counts"] == [2, 1, 0]


def test_preset_on_the_cli_with_extra_ignore(tmp_path, scan_json):
    """--preset voc --ignore-index 0 ignores both 255 and 0; the summary shows names."""
    a = np.array([[0, 0, 15, 255]], dtype=np.uint8)
    save_png(tmp_path / "m" / "m.png", a, palette=True)
    stats = scan_json(tmp_path / "m", "--preset", "voc", "--ignore-index", "0")
    assert stats["ignore_index"] == [0, 255]
    assert stats["ignored_pixels"] == 3
    assert stats["pixel_counts"][15] == 1 and sum(stats["pixel_counts"]) == 1
    assert stats["class_names"][15] == "person"


def test_unknown_preset_is_a_usage_error(run, tmp_path):
    """An unknown preset name exits 2 listing the choices."""
    result = run("scan", tmp_path, "--preset", "kitti")
    assert result.exit_code == 2
    assert "cityscapes-trainid" in result.stderr
    with pytest.raises(UsageProblem, match="choose from voc, cityscapes"):
        get_preset("kitti")


def test_stats_with_different_presets_do_not_merge(tmp_path):
    """Merging a voc-preset scan with a plain scan is refused (counted differently)."""
    save_png(tmp_path / "m.png", np.zeros((4, 4), np.uint8))
    plain = maskstats.scan(tmp_path / "m.png", jobs=1, num_classes=21, ignore_index=[255])
    voc = maskstats.scan(tmp_path / "m.png", jobs=1, preset="voc")
    with pytest.raises(UsageProblem, match="different options"):
        voc.merge(plain)
    save_png(tmp_path / "m2.png", np.zeros((4, 4), np.uint8))
    other = maskstats.scan(tmp_path / "m2.png", jobs=1, preset="voc")
    assert voc.merge(other).pixel_counts[0] == 32


def test_every_preset_is_consistent():
    """Each preset has one name per class and ignore values outside its classes."""
    for preset in PRESETS.values():
        assert len(preset.class_names) == preset.num_classes
        assert all(v >= preset.num_classes for v in preset.ignore_index)


def test_nnunet_ignore_label_must_be_highest(tmp_path):
    """A dataset.json whose 'ignore' label is not the highest id is a usage error."""
    path = tmp_path / "dataset.json"
    path.write_text('{"labels": {"background": 0, "ignore": 1, "organ": 2}}')
    with pytest.raises(UsageProblem, match="'ignore' label must have the highest id"):
        load_class_names(path)


def test_remap_on_the_cli(tmp_path, scan_json):
    """--remap FILE on the command line maps values before counting and is recorded."""
    a = np.array([[0, 255, 255], [1, 1, 0]], dtype=np.uint8)
    save_png(tmp_path / "m" / "m.png", a)
    (tmp_path / "binary.csv").write_text("255,1\n")
    stats = scan_json(tmp_path / "m", "--remap", tmp_path / "binary.csv")
    assert stats["pixel_counts"] == [2, 4]
    assert stats["options"]["remap"] == {"255": 1}


def test_labels_reads_dataset_json_class_names(tmp_path, run):
    """labels --class-names accepts an nnU-Net dataset.json, as scan does (one reader)."""
    (tmp_path / "t.csv").write_text("label\nliver\nbackground\nliver\n")
    (tmp_path / "dataset.json").write_text('{"labels": {"background": 0, "liver": 1}}')
    result = run("labels", tmp_path / "t.csv", "--class-names", tmp_path / "dataset.json",
                 "-o", "-", "-q")
    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["class_names"] == ["background", "liver"]
    assert stats["pixel_counts"] == [1, 2]


@pytest.mark.parametrize("name, text, where", [
    ("names.txt", "road\nsky\nroad\n", "line 3: class name 'road' appears twice"),
    ("names.txt", "road\n\nsky\n", "line 2: empty class name"),
    ("names.json", '["road", "sky", "road"]', "item 2: class name 'road' appears twice"),
    ("names.json", '["road", " "]', "item 1: empty class name"),
    ("names.json", "[]", "no class names"),
    ("dataset.json", '{"labels": {"0": "road", "1": "road"}}',
     "label 'road': class name 'road' appears twice"),
])
@pytest.mark.parametrize("command", ["scan", "labels"])
def test_bad_class_names_files_are_refused_by_both_commands(tmp_path, run, command, name,
                                                            text, where):
    """An empty or repeated class name is one usage error (exit 2) in scan and labels."""
    (tmp_path / name).write_text(text)
    (tmp_path / "m").mkdir()
    save_png(tmp_path / "m" / "m.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "t.txt").write_text("road\n")
    source = tmp_path / ("m" if command == "scan" else "t.txt")
    result = run(command, source, "--class-names", tmp_path / name, "-o", tmp_path / "o.json")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / name}: {where}\n"
    assert not (tmp_path / "o.json").exists()
