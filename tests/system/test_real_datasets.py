"""Real dataset samples (tests/data, see NOTICE) give the manifest's exact counts after each
dataset's documented convention: presets, reduce-zero remaps, COCO panoptic JSON, NIfTI.

Expected values are derived from tests/data/manifest.json (counted by an independent decoder)
and from the conventions written out here, never from running maskstats.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import DATA

import maskstats

MANIFEST = json.loads((DATA / "manifest.json").read_text())
FILES = {f["path"]: f for f in MANIFEST["files"]}

# Cityscapes labelId -> trainId (cityscapesScripts labels.py); unlisted labelIds are void
TRAIN_ID = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11,
            25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}


def dataset_files(name):
    return [f for f in MANIFEST["files"] if f["dataset"] == name]


def mapped_totals(files, mapping, k, ignore=255):
    """Per-class pixels and images after ``mapping`` (a function), plus ignored pixels."""
    pix, imgs = Counter(), Counter()
    for f in files:
        seen = set()
        for v, n in f["counts"].items():
            c = mapping(int(v))
            pix[c] += n
            seen.add(c)
        for c in seen:
            imgs[c] += 1
    return [pix[c] for c in range(k)], [imgs[c] for c in range(k)], pix[ignore]


def test_cityscapes_label_ids_preset():
    """labelIds with --preset cityscapes = the manifest counts through the official table."""
    files = dataset_files("cityscapes_labelids")
    stats = maskstats.scan(DATA / "cityscapes_labelids", preset="cityscapes", jobs=1)
    pix, imgs, ignored = mapped_totals(files, lambda v: TRAIN_ID.get(v, 255), 19)
    assert stats.pixel_counts == pix
    assert stats.image_counts == imgs
    assert stats.ignored_pixels == ignored == 1890 + 987 + 764 + 233
    assert stats.class_names[2] == "building"


def test_cityscapes_instance_ids_preset_equals_label_ids():
    """16-bit instanceIds (26002 = car #2) with --preset cityscapes equal the labelIds result."""
    files = dataset_files("cityscapes_instanceids")
    stats = maskstats.scan(DATA / "cityscapes_instanceids", preset="cityscapes", jobs=1,
                           include=["*_instanceIds.png"])  # the preset reads labelIds
    pix, _, ignored = mapped_totals(
        files, lambda v: TRAIN_ID.get(v // 1000 if v >= 1000 else v, 255), 19)
    assert stats.pixel_counts == pix
    assert stats.ignored_pixels == ignored
    labels = maskstats.scan(DATA / "cityscapes_labelids", preset="cityscapes", jobs=1)
    assert stats.pixel_counts == labels.pixel_counts
    assert stats.pixel_counts[13] == 6 + 224 + 1572  # car instances 26000-26002


def test_cityscapes_train_ids_preset():
    """labelTrainIds with --preset cityscapes-trainid: stored ids, 255 ignored."""
    files = dataset_files("cityscapes_trainids")
    stats = maskstats.scan(DATA / "cityscapes_trainids", preset="cityscapes-trainid", jobs=1)
    pix, imgs, ignored = mapped_totals(files, lambda v: v, 19)
    assert stats.pixel_counts == pix and stats.image_counts == imgs
    assert stats.ignored_pixels == ignored == 3869


def test_voc_preset_palette_and_plain_files():
    """VOC (one palette PNG, one plain-L PNG) with --preset voc: 21 classes, 255 ignored."""
    stats = maskstats.scan(DATA / "voc", preset="voc", jobs=2)
    pix, imgs, ignored = mapped_totals(dataset_files("voc"), lambda v: v, 21)
    assert stats.pixel_counts == pix and stats.image_counts == imgs
    assert stats.ignored_pixels == ignored == 8714 + 17285
    assert [stats.class_names[c] for c in (9, 12, 15)] == ["chair", "dog", "person"]


@pytest.mark.parametrize("dataset, k", [("loveda", 7), ("isprs", 6)])
def test_reduce_zero_label_via_remap_file(dataset, k, tmp_path):
    """LoveDA and ISPRS (mmseg convention): 0 -> ignore 255, stored k -> class k - 1."""
    remap = tmp_path / "reduce_zero.csv"
    remap.write_text("from,to\n0,255\n" + "".join(f"{v},{v - 1}\n" for v in range(1, 255)))
    stats = maskstats.scan(DATA / dataset, remap=remap, ignore_index=[255], num_classes=k,
                           jobs=2)
    files = dataset_files(dataset)
    pix, imgs, ignored = mapped_totals(files, lambda v: 255 if v == 0 else v - 1, k)
    assert stats.pixel_counts == pix and stats.image_counts == imgs
    assert stats.ignored_pixels == ignored
    assert stats.total_pixels == sum(f["shape"][0] * f["shape"][1] for f in files)


@pytest.mark.parametrize("dataset, k", [("mapillary_v1.2", 66), ("mapillary_v2.0", 124)])
def test_mapillary_indices_not_colours(dataset, k):
    """Mapillary palette PNGs count palette indices in their 66/124-class spaces."""
    stats = maskstats.scan(DATA / dataset, num_classes=k, jobs=1)
    pix, _, _ = mapped_totals(dataset_files(dataset), lambda v: v, k)
    assert stats.pixel_counts == pix
    assert stats.unexpected == {}


def test_em_membrane_binary_remap(tmp_path):
    """ISBI EM 0/255 masks with --remap 255 -> 1: class 0 membrane, class 1 cell."""
    remap = tmp_path / "binary.json"
    remap.write_text('{"255": 1}')
    stats = maskstats.scan(DATA / "em_membrane", remap=remap, jobs=2)
    assert stats.pixel_counts == [160018, 626414]
    assert stats.image_counts == [3, 3]


def test_medical_nifti_voxels():
    """The mmseg biomedical NIfTI volume gives the manifest's voxel counts."""
    pytest.importorskip("nibabel")
    entry = FILES["medical_nifti/biomedical_ann.nii.gz"]
    stats = maskstats.scan(DATA / "medical_nifti", jobs=1)
    assert stats.pixel_counts == [entry["counts"][str(c)] for c in range(3)]
    assert stats.unit == "voxels"
    assert stats.total_pixels == 35 * 51 * 35


@pytest.mark.parametrize("verify", [False, True])
def test_coco_panoptic_json_and_decode_paths(verify):
    """COCO panoptic samples: per-category totals equal the manifest, with and without --verify."""
    files = dataset_files("coco_panoptic")
    doc = json.loads((DATA / "coco_panoptic" / "panoptic_examples.json").read_text())
    cat_ids = [c["id"] for c in doc["categories"]]
    stats = maskstats.scan(DATA / "coco_panoptic", panoptic=DATA / "coco_panoptic" /
                           "panoptic_examples.json", verify=verify, jobs=2)
    pix, imgs = Counter(), Counter()
    for f in files:
        for cat, n in f["category_counts"].items():
            pix[int(cat)] += n
            imgs[int(cat)] += 1
    assert stats.pixel_counts == [pix[c] for c in cat_ids]
    assert stats.image_counts == [imgs[c] for c in cat_ids]
    void = sum(f["segment_counts"]["0"] for f in files)
    assert stats.ignored_pixels == stats.extra["panoptic"]["unlabelled_pixels"] == void == 9901
    assert stats.total_pixels == 427 * 640 + 360 * 640
    assert stats.class_names[cat_ids.index(184)] == "tree-merged"
