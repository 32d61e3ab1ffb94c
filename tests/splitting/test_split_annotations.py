"""split of --coco / --yolo tables: one COCO JSON or one image list per split."""

from __future__ import annotations

import json

import pytest

from annotationtools import coco_file, yolo_dataset


def _scan_and_split(run, tmp_path, flag, source, *extra):
    stats, table = tmp_path / "s.json", tmp_path / "t.csv"
    r = run("scan", flag, source, "-o", stats, "--per-image", table, "-q")
    assert r.exit_code == 0, r.stderr
    r = run("split", table, "--ratios", "0.6,0.4", "--names", "train,val", "--stats", stats,
            "-o", tmp_path / "out", "-q", *extra)
    assert r.exit_code == 0, r.stderr
    return tmp_path / "out"


def test_coco_split_files(tmp_path, run):
    """Each <name>.coco.json holds the split's images (the paths in <name>.txt), exactly
    their annotations in file order, and the other entries copied; together: the file."""
    doc = json.loads(json.dumps(coco_file(tmp_path / "inst.json", images=20), default=lambda
                                m: None))
    out = _scan_and_split(run, tmp_path, "--coco", tmp_path / "inst.json")
    seen_images, seen_anns = [], []
    for name in ("train", "val"):
        part = json.loads((out / f"{name}.coco.json").read_text())
        names = (out / f"{name}.txt").read_text().splitlines()
        assert [img["file_name"] for img in part["images"]] == \
            [img["file_name"] for img in doc["images"] if img["file_name"] in names]
        ids = {img["id"] for img in part["images"]}
        assert [a["id"] for a in part["annotations"]] == \
            [a["id"] for a in doc["annotations"] if a["image_id"] in ids]
        for key in ("info", "licenses", "categories"):
            assert part[key] == doc[key]
        seen_images += [img["id"] for img in part["images"]]
        seen_anns += [a["id"] for a in part["annotations"]]
    assert sorted(seen_images) == sorted(img["id"] for img in doc["images"])
    assert sorted(seen_anns) == sorted(a["id"] for a in doc["annotations"])


def test_coco_split_refuses_a_changed_file(tmp_path, run):
    """The annotation file changed after the scan: one Error line, nothing written."""
    coco_file(tmp_path / "inst.json")
    stats, table = tmp_path / "s.json", tmp_path / "t.csv"
    assert run("scan", "--coco", tmp_path / "inst.json", "-o", stats, "--per-image", table,
               "-q").exit_code == 0
    with open(tmp_path / "inst.json", "a") as f:
        f.write(" ")
    r = run("split", table, "--ratios", "0.5,0.5", "--stats", stats, "-o", tmp_path / "out")
    assert r.exit_code == 2 and "changed since the scan" in r.stderr
    assert not (tmp_path / "out").exists()


def test_yolo_split_lists(tmp_path, run):
    """<name>.images.txt lists the absolute paths of the split's images."""
    pytest.importorskip("yaml")
    pytest.importorskip("cv2")
    yolo_dataset(tmp_path / "ds")
    out = _scan_and_split(run, tmp_path, "--yolo", tmp_path / "ds" / "data.yaml")
    for name in ("train", "val"):
        rel = (out / f"{name}.txt").read_text().splitlines()
        absolute = (out / f"{name}.images.txt").read_text().splitlines()
        assert absolute == [str(tmp_path / "ds" / p) for p in rel]
