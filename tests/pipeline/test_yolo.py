"""scan --yolo: Ultralytics datasets, polygons filled as polygon2mask does, boxes, errors."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from annotationtools import write_image, yolo_dataset

pytest.importorskip("yaml")


def _table(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _line_mask(line: str, w: int, h: int):
    """Ultralytics' rule for one label line, written out: float32 normalised coordinates
    times (w, h), truncated to int32, cv2.fillPoly; a box as the polygon of its corners."""
    cv2 = pytest.importorskip("cv2")
    nums = np.array(line.split()[1:], dtype=np.float32)
    if nums.size == 4:
        cx, cy, bw, bh = nums
        x1, y1 = (cx - bw / 2) * np.float32(w), (cy - bh / 2) * np.float32(h)
        x2, y2 = (cx + bw / 2) * np.float32(w), (cy + bh / 2) * np.float32(h)
        nums = np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float32) / np.array(
            [w, h] * 4, np.float32)
    pts = (nums.reshape(-1, 2) * np.array([w, h], np.float32)).astype(np.int32)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [pts], color=1)
    return mask


def test_polygons_and_boxes_match_polygon2mask(tmp_path, run):
    """c<k>: pixels of the union of the class's polygons and boxes by Ultralytics' rule;
    o<k>: label lines of class k; background images have empty rows; sizes from headers."""
    pytest.importorskip("cv2")
    data = yolo_dataset(tmp_path / "ds", seed=3)
    out, table = tmp_path / "s.json", tmp_path / "t.csv"
    r = run("scan", "--yolo", tmp_path / "ds" / "data.yaml", "-o", out, "--per-image", table,
            "-q", "-j", "2")
    assert r.exit_code == 0, r.stderr
    rows = _table(table)
    expected = data["train"] + data["val"]
    assert [row["path"] for row in rows] == [rel for rel, *_ in expected]
    for row, (rel, w, h, lines) in zip(rows, expected):
        assert int(row["pixels"]) == w * h
        for k in range(3):
            mine = [ln for ln in lines if ln.split()[0] == str(k)]
            union = np.zeros((h, w), bool)
            for ln in mine:
                union |= _line_mask(ln, w, h).astype(bool)
            assert int(row[f"c{k}"]) == int(union.sum()), (rel, k)
            assert int(row[f"o{k}"]) == len(mine)
    stats = json.loads(out.read_text())
    assert stats["class_names"] == ["a", "b", "c"]
    assert stats["num_images"] == len(expected)


def test_split_option_and_exif_size(tmp_path, run):
    """--split val scans only val; a JPEG with EXIF orientation 6 has its sides swapped."""
    from PIL import Image

    data = yolo_dataset(tmp_path / "ds", seed=5)
    jpg = tmp_path / "ds" / "images" / "val" / "rot.jpg"
    exif = Image.Exif()
    exif[274] = 6
    Image.new("RGB", (30, 12)).save(jpg, exif=exif)
    table = tmp_path / "t.csv"
    r = run("scan", "--yolo", tmp_path / "ds" / "data.yaml", "--split", "val", "-o",
            tmp_path / "s.json", "--per-image", table, "-q")
    assert r.exit_code == 0, r.stderr
    rows = {row["path"]: row for row in _table(table)}
    assert set(rows) == {rel for rel, *_ in data["val"]} | {"images/val/rot.jpg"}
    assert rows["images/val/rot.jpg"]["pixels"] == str(30 * 12)
    r = run("scan", "--yolo", tmp_path / "ds" / "data.yaml", "--split", "test")
    assert r.exit_code == 2 and "no split 'test'" in r.stderr


@pytest.mark.parametrize("text, words", [
    ("0 0.5 0.5 0.2 0.2\n7 0.1 0.1 0.2 0.2 0.3 0.1\n", "line 2: class 7 is beyond the 3 names"),
    ("1 0.5 1.5 0.2 0.2\n", "line 1: coordinates must be normalised"),
    ("1 a b c d\n", "line 1: not a list of numbers"),
    ("1 0.1 0.2 0.3 0.4 0.5\n", "line 1: 5 coordinates"),
])
def test_bad_label_lines(tmp_path, run, text, words):
    """A bad label line: exit 1, one Error line naming the label file and the line."""
    yolo_dataset(tmp_path / "ds", seed=1)
    label = tmp_path / "ds" / "labels" / "train" / "im0.txt"
    label.write_text(text)
    r = run("scan", "--yolo", tmp_path / "ds" / "data.yaml", "-o", tmp_path / "s.json", "-q")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {label}: {words}"), lines
    assert not (tmp_path / "s.json").exists()


def test_label_without_image(tmp_path, run):
    """A label file whose image is missing: exit 1, one Error line naming the label file."""
    yolo_dataset(tmp_path / "ds", seed=2)
    orphan = tmp_path / "ds" / "labels" / "train" / "gone.txt"
    orphan.write_text("0 0.5 0.5 0.1 0.1\n")
    r = run("scan", "--yolo", tmp_path / "ds" / "data.yaml", "-o", tmp_path / "s.json", "-q")
    assert r.exit_code == 1
    assert r.stderr.strip() == f"Error: {orphan}: label file without an image (no image of " \
                               "this name beside it under images/)"


def _one_image(tmp_path, labels: str):
    """A dataset of one 20 x 10 image with these label lines and classes x, y."""
    root = tmp_path / "ds"
    write_image(root / "images" / "train" / "a.png", 20, 10)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "labels" / "train" / "a.txt").write_text(labels)
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nnames: [x, y]\n")
    return root


def test_boxes_need_no_opencv(tmp_path, run, monkeypatch):
    """Box labels are counted without OpenCV: the box's pixel rectangle, both ends in."""
    import sys

    monkeypatch.setitem(sys.modules, "cv2", None)
    root = _one_image(tmp_path, "1 0.5 0.5 0.5 0.4\n1 0.5 0.5 0.2 0.2\n")
    table = tmp_path / "t.csv"
    r = run("scan", "--yolo", root / "data.yaml", "-o", tmp_path / "s.json", "--per-image",
            table, "-q")
    assert r.exit_code == 0, r.stderr
    row = _table(table)[0]
    # x from int(0.25 * 20) = 5 to int(0.75 * 20) = 15, y from int(0.3 * 10) = 3 to 7
    assert (row["c1"], row["o1"], row["c0"]) == (str(11 * 5), "2", "0")


def test_huge_image_header_is_refused(tmp_path, run):
    """An image whose header promises more pixels than Pillow's limit: one Error line
    naming the image (no mask of that size is allocated)."""
    import struct
    import zlib

    root = tmp_path / "ds"
    (root / "images" / "train").mkdir(parents=True)
    big = root / "images" / "train" / "big.png"
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    big.write_bytes(b"\x89PNG\r\n\x1a\n"
                    + chunk(b"IHDR", struct.pack(">IIBBBBB", 12_000, 10_000, 8, 0, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nnames: [x]\n")
    r = run("scan", "--yolo", root / "data.yaml", "-o", tmp_path / "s.json", "-q")
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {big}: ") and "bomb" in lines[0]


def test_polygons_without_opencv_name_the_extra(tmp_path, run, monkeypatch):
    """A polygon label without OpenCV installed: a usage error naming the 'yolo' extra."""
    import sys

    monkeypatch.setitem(sys.modules, "cv2", None)
    root = _one_image(tmp_path, "0 0.1 0.1 0.9 0.1 0.5 0.9\n")
    r = run("scan", "--yolo", root / "data.yaml", "-o", tmp_path / "s.json", "-q", "-j", "1")
    assert r.exit_code == 2
    assert "pip install 'maskstats[yolo]'" in r.stderr and len(r.stderr.splitlines()) == 1
