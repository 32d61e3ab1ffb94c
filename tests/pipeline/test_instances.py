"""--objects counts instance ids where the encoding holds them, components elsewhere."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DATA, save_png
from PIL import Image

import maskstats

pytest.importorskip("cc3d")

INSTANCE_FILE = DATA / "cityscapes_instanceids" / \
    "frankfurt_000000_000294_gtFine_instanceIds.png"
PERSON, CAR = 11, 13  # trainIds


def test_cityscapes_instance_ids_are_objects():
    """Under --preset cityscapes an instance id (>= 1000) is one object: the real frame's
    4 touching persons are 4 objects, where its labelIds give fewer components."""
    a = np.asarray(Image.open(INSTANCE_FILE)).astype(np.int64)
    persons = np.unique(a[(a >= 24000) & (a < 25000)])
    cars = np.unique(a[(a >= 26000) & (a < 27000)])
    stats = maskstats.scan(INSTANCE_FILE.parent, preset="cityscapes", objects=True, jobs=1,
                           include=["*_instanceIds.png"])
    assert stats.extra["object_counts"][PERSON] == persons.size == 4
    assert stats.extra["object_counts"][CAR] == cars.size
    sizes = sorted(int((a == v).sum()) for v in persons)
    assert sorted(s for s, n in stats.extra["object_sizes"][PERSON] for _ in range(n)) == sizes
    labels = maskstats.scan(DATA / "cityscapes_labelids", preset="cityscapes", objects=True,
                            jobs=1)
    assert labels.extra["object_counts"][PERSON] < 4
    assert stats.pixel_counts == labels.pixel_counts  # pixels do not change
    assert "instance ids" in stats.extra["objects"]["connectivity"]


def test_instances_preset_counts_ids_not_components(tmp_path):
    """Plain instance labels: two touching cells are two objects; one id in two pieces is
    one object; pixels are background / object."""
    a = np.zeros((20, 20), np.uint16)
    a[2:8, 2:6] = 7
    a[2:8, 6:10] = 9        # touches 7
    a[12:14, 2:4] = 300
    a[12:14, 10:12] = 300   # the same id, apart
    save_png(tmp_path / "cells.png", a)
    stats = maskstats.scan(tmp_path, preset="instances", objects=True, jobs=1,
                           per_image=tmp_path / "t.csv")
    assert stats.class_names == ["background", "object"]
    assert stats.pixel_counts == [int((a == 0).sum()), int((a != 0).sum())]
    assert stats.extra["object_counts"] == [1, 3]
    assert sorted(s for s, n in stats.extra["object_sizes"][1] for _ in range(n)) == [8, 24, 24]
    row = (tmp_path / "t.csv").read_text().splitlines()[1].split(",")
    assert row[-2:] == ["1", "3"]  # o0, o1


def test_instances_preset_without_objects_is_binary(tmp_path):
    """Without --objects the instances preset only says: 0 background, the rest object."""
    a = np.arange(16, dtype=np.uint8).reshape(4, 4)
    save_png(tmp_path / "m.png", a)
    stats = maskstats.scan(tmp_path, preset="instances", jobs=1)
    assert stats.pixel_counts == [1, 15]


@pytest.mark.parametrize("verify", [False, True])
def test_panoptic_objects_are_segments(verify):
    """COCO panoptic: one object per non-crowd segment, of its category, sized by its area
    (from the JSON, or from the decoded PNGs with --verify)."""
    folder = DATA / "coco_panoptic"
    doc = json.loads((folder / "panoptic_examples.json").read_text())
    cats = sorted(c["id"] for c in doc["categories"])
    want = [0] * len(cats)
    for ann in doc["annotations"]:
        for seg in ann["segments_info"]:
            if not seg.get("iscrowd") and seg["area"] > 0:
                want[cats.index(seg["category_id"])] += 1
    stats = maskstats.scan(folder, panoptic=folder / "panoptic_examples.json", objects=True,
                           verify=verify, jobs=1)
    assert stats.extra["object_counts"] == want
    assert stats.extra["objects"]["connectivity"] == "segments"


def test_panoptic_objects_refuse_connectivity():
    """--connectivity has no meaning for panoptic segments: a usage error."""
    folder = DATA / "coco_panoptic"
    with pytest.raises(maskstats.UsageProblem, match="segment"):
        maskstats.scan(folder, panoptic=folder / "panoptic_examples.json", objects=True,
                       connectivity=4, jobs=1)


def test_instance_objects_identical_for_any_jobs_and_cache(tmp_path):
    """Instance objects are the same with -j1, -j2 and from the cache."""
    rng = np.random.default_rng(0)
    for i in range(6):
        a = np.zeros((30, 30), np.uint16)
        for k in range(1, 6):
            y, x = rng.integers(0, 25, 2)
            a[y:y + 5, x:x + 5] = 24000 + k if k % 2 else 7
        save_png(tmp_path / "m" / f"{i}_instanceIds.png", a)
    kw = dict(preset="cityscapes", objects=True, include=["*_instanceIds.png"])
    one = maskstats.scan(tmp_path / "m", jobs=1, **kw)
    two = maskstats.scan(tmp_path / "m", jobs=2, **kw)
    maskstats.scan(tmp_path / "m", jobs=1, cache=tmp_path / "c", **kw)
    cached = maskstats.scan(tmp_path / "m", jobs=1, cache=tmp_path / "c", **kw)
    assert one.to_dict() == two.to_dict() == cached.to_dict()
