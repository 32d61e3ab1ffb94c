"""scan --coco: per-image class pixels (union of masks), instances, presence, LVIS, errors."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from annotationtools import coco_file

CATS = (1, 5, 9, 12)


def _table(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _expected(doc, mask_of):
    """Per image: (pixels per class, instances per class, classes annotated)."""
    index = {c["id"]: i for i, c in enumerate(doc["categories"])}
    out = []
    for img in doc["images"]:
        h, w = img["height"], img["width"]
        union = np.zeros((len(index), h, w), bool)
        inst = [0] * len(index)
        present = set()
        for a in doc["annotations"]:
            if a["image_id"] != img["id"]:
                continue
            k = index[a["category_id"]]
            union[k] |= mask_of(a, h, w).astype(bool)
            inst[k] += a["iscrowd"] == 0
            present.add(k)
        out.append(([int(u.sum()) for u in union], inst, present))
    return out


def _rle_mask(ann, h, w):
    return ann["_mask"]


def test_rle_counts_without_pycocotools(tmp_path, run):
    """Compressed and uncompressed RLE (crowd included) give union pixels per class; o<k>
    counts only iscrowd 0; empty images have zero rows; stats sum the rows."""
    doc = coco_file(tmp_path / "inst.json", polygons=False)
    out, table = tmp_path / "s.json", tmp_path / "t.csv"
    r = run("scan", "--coco", tmp_path / "inst.json", "-o", out, "--per-image", table, "-q")
    assert r.exit_code == 0, r.stderr
    rows, want = _table(table), _expected(doc, _rle_mask)
    assert [row["path"] for row in rows] == [img["file_name"] for img in doc["images"]]
    for row, (pix, inst, _present), img in zip(rows, want, doc["images"]):
        assert [int(row[f"c{k}"]) for k in range(4)] == pix
        assert [int(row[f"o{k}"]) for k in range(4)] == inst
        assert int(row["pixels"]) == img["width"] * img["height"]
    stats = json.loads(out.read_text())
    assert stats["pixel_counts"] == [sum(p[k] for p, _, _ in want) for k in range(4)]
    assert stats["image_counts"] == [sum(p[k] > 0 for p, _, _ in want) for k in range(4)]
    assert stats["object_counts"] == [sum(i[k] for _, i, _ in want) for k in range(4)]
    assert stats["class_names"] == [f"cat{c}" for c in CATS]
    assert stats["coco"]["category_ids"] == list(CATS)
    assert stats["coco"]["crowd_annotations"] == sum(a["iscrowd"] for a in doc["annotations"])
    assert stats["multi_label"] == {"samples": stats["total_pixels"]}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_polygons_and_rle_match_pycocotools(tmp_path, run):
    """Every image's c<k> is the pixel count of the union of pycocotools' annToMask masks."""
    pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO

    coco_file(tmp_path / "inst.json", seed=2, images=30)
    api = COCO(str(tmp_path / "inst.json"))
    table = tmp_path / "t.csv"
    assert run("scan", "--coco", tmp_path / "inst.json", "-o", tmp_path / "s.json",
               "--per-image", table, "-q", "-j", "2").exit_code == 0
    rows = _table(table)
    cat_ids = sorted(api.getCatIds())
    for row, img_id in zip(rows, [img["id"] for img in api.dataset["images"]]):
        img = api.imgs[img_id]
        for k, cid in enumerate(cat_ids):
            union = np.zeros((img["height"], img["width"]), bool)
            for ann in api.loadAnns(api.getAnnIds(imgIds=[img_id], catIds=[cid])):
                union |= api.annToMask(ann).astype(bool)
            assert int(row[f"c{k}"]) == int(union.sum()), (row["path"], k)


def test_same_table_for_any_jobs(tmp_path, run):
    """-j 1 and -j 2 write the same table and stats."""
    coco_file(tmp_path / "inst.json", seed=4, images=40)
    outs = []
    for j in ("1", "2"):
        r = run("scan", "--coco", tmp_path / "inst.json", "-o", tmp_path / f"s{j}.json",
                "--per-image", tmp_path / f"t{j}.csv", "-q", "-j", j)
        assert r.exit_code == 0, r.stderr
        outs.append(((tmp_path / f"t{j}.csv").read_bytes(),
                     json.loads((tmp_path / f"s{j}.json").read_text())["pixel_counts"]))
    assert outs[0] == outs[1]


def _repeat_factors(doc, t):
    """detectron2 RepeatFactorTrainingSampler.repeat_factors_from_category_frequency, on
    load_coco_json's dicts: every annotation (crowd too) makes its category present."""
    cats = [{a["category_id"] for a in doc["annotations"] if a["image_id"] == img["id"]}
            for img in doc["images"]]
    n = len(cats)
    freq = {c: sum(c in s for s in cats) / n for c in {c for s in cats for c in s}}
    r_c = {c: max(1.0, math.sqrt(t / f)) for c, f in freq.items()}
    return [max((r_c[c] for c in s), default=1.0) for s in cats]


def test_repeat_factors_equal_detectron2_rule(tmp_path, run):
    """sample-weights --method repeat-factor on a --coco table gives detectron2's factors,
    also for an annotation too small to cover a pixel centre (present with 0 pixels)."""
    doc = coco_file(tmp_path / "inst.json", seed=6, images=25)
    tiny = {"id": 9999, "image_id": doc["images"][4]["id"], "category_id": 12, "iscrowd": 0,
            "segmentation": [[3.1, 3.1, 3.3, 3.1, 3.2, 3.3]], "area": 0.01, "bbox": [0, 0, 1, 1]}
    doc["annotations"].append(tiny)
    (tmp_path / "inst.json").write_text(json.dumps({**doc, "annotations": [
        {k: v for k, v in a.items() if k != "_mask"} for a in doc["annotations"]]}))
    table = tmp_path / "t.csv"
    assert run("scan", "--coco", tmp_path / "inst.json", "-o", tmp_path / "s.json",
               "--per-image", table, "-q").exit_code == 0
    row = _table(table)[4]
    assert (row["c3"], row["o3"]) == ("0", "1")
    r = run("sample-weights", table, "--method", "repeat-factor", "--param", "t=0.3",
            "-o", tmp_path / "w.json")
    assert r.exit_code == 0, r.stderr
    weights = json.loads((tmp_path / "w.json").read_text())["weights"]
    assert weights == pytest.approx(_repeat_factors(doc, 0.3), rel=1e-12)


def test_lvis_names_and_lists(tmp_path, run):
    """LVIS images (no file_name) are named by coco_url's last two parts; neg and
    not-exhaustive category ids are kept per class in the stats, not counted."""
    doc = coco_file(tmp_path / "lvis.json", seed=8, polygons=False, lvis=True)
    out, table = tmp_path / "s.json", tmp_path / "t.csv"
    assert run("scan", "--coco", tmp_path / "lvis.json", "-o", out, "--per-image", table,
               "-q").exit_code == 0
    assert _table(table)[2]["path"] == "train2017/000000000002.jpg"
    stats = json.loads(out.read_text())
    for key in ("neg_category_ids", "not_exhaustive_category_ids"):
        want = [sum(cid in img[key] for img in doc["images"]) for cid in CATS]
        assert stats["coco"][key] == want
    want = _expected(doc, _rle_mask)
    assert stats["pixel_counts"] == [sum(p[k] for p, _, _ in want) for k in range(4)]


def _bad(tmp_path, run, change):
    doc = coco_file(tmp_path / "inst.json", seed=1, images=6)
    doc = json.loads((tmp_path / "inst.json").read_text())
    change(doc)
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    return run("scan", "--coco", tmp_path / "bad.json", "-o", tmp_path / "s.json", "-q")


def _first_polygon(doc):
    return next(a for a in doc["annotations"] if isinstance(a["segmentation"], list))


def _first_rle(doc):
    return next(a for a in doc["annotations"] if isinstance(a["segmentation"], dict))


@pytest.mark.parametrize("change, words", [
    (lambda d: d["annotations"][0].update(category_id=77), "category_id 77 is not in"),
    (lambda d: d["annotations"][0].update(image_id=5), "image_id 5 is not in 'images'"),
    (lambda d: _first_polygon(d)["segmentation"][0].append(1.0), "odd number of coordinates"),
    (lambda d: _first_polygon(d).update(segmentation=[[1, 1, 2, 2]]), "at least 3"),
    (lambda d: _first_rle(d)["segmentation"].update(size=[1, 1]), "RLE size is 1x1"),
])
def test_bad_annotations_give_one_error_line(tmp_path, run, change, words):
    """Each bad annotation: exit 1, one Error line naming the file and the annotation id."""
    result = _bad(tmp_path, run, change)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {tmp_path / 'bad.json'}: ")
    assert "annotation id " in lines[0] and words in lines[0], lines[0]
    assert not (tmp_path / "s.json").exists()


def test_paths_and_mask_options_are_refused(tmp_path, run):
    """--coco takes no PATH and no mask-only option (usage errors, exit 2)."""
    coco_file(tmp_path / "inst.json")
    r = run("scan", "masks/", "--coco", tmp_path / "inst.json")
    assert r.exit_code == 2 and "give no PATH" in r.stderr
    r = run("scan", "--coco", tmp_path / "inst.json", "--ignore-index", "255")
    assert r.exit_code == 2 and "--ignore-index" in r.stderr
    r = run("scan")
    assert r.exit_code == 2 and "PATH" in r.stderr
    r = run("scan", "--split", "train")
    assert r.exit_code == 2 and "pass --yolo" in r.stderr
    r = run("scan", "--coco", tmp_path / "inst.json", "--yolo", "data.yaml")
    assert r.exit_code == 2 and "cannot be combined" in r.stderr


def test_merge_of_two_coco_scans(tmp_path, run):
    """merge adds the counts and LVIS lists of two scans with the same categories and keeps
    both sources; a stats file with a malformed coco entry is refused with one line."""
    stats = []
    for i in (0, 1):
        coco_file(tmp_path / f"part{i}.json", seed=10 + i, polygons=False, lvis=True)
        out = tmp_path / f"s{i}.json"
        assert run("scan", "--coco", tmp_path / f"part{i}.json", "-o", out, "-q").exit_code == 0
        stats.append(json.loads(out.read_text()))
    r = run("merge", tmp_path / "s0.json", tmp_path / "s1.json", "-o", tmp_path / "m.json")
    assert r.exit_code == 0, r.stderr
    merged = json.loads((tmp_path / "m.json").read_text())["coco"]
    assert merged["annotations"] == [s["coco"]["annotations"] for s in stats]
    assert merged["category_ids"] == list(CATS)
    for key in ("neg_category_ids", "not_exhaustive_category_ids"):
        assert merged[key] == [a + b for a, b in zip(stats[0]["coco"][key],
                                                     stats[1]["coco"][key])]
    assert merged["crowd_annotations"] == sum(s["coco"]["crowd_annotations"] for s in stats)
    bad = dict(stats[0], coco={**stats[0]["coco"], "category_ids": ["x"]})
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    r = run("merge", tmp_path / "bad.json", tmp_path / "s1.json", "-o", tmp_path / "m2.json")
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'bad.json'}: coco: category_ids must hold integers, not 'x'"]
