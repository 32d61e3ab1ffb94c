"""COCO panoptic: totals from the JSON segments_info, and the PNG decode path (--verify)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import maskstats
from maskstats.errors import UnreadableMask
from panoptictools import CATEGORIES, expected, make_panoptic  # noqa: F401

# sparse category ids, as in COCO (1..200 for 133 categories)


def test_json_path_counts_classes_from_areas(tmp_path, scan_json):
    """--panoptic gives exact class totals, image counts and image pixels from the JSON."""
    path, png_dir, arrays, segs = make_panoptic(tmp_path)
    stats = scan_json(png_dir, "--panoptic", path)
    pix, imgs, ipix, void = expected(arrays, segs)
    assert stats["pixel_counts"] == pix
    assert stats["image_counts"] == imgs
    assert stats["image_pixels"] == ipix
    assert stats["num_classes"] == 4
    assert stats["class_names"] == ["person", "train", "banner", "rug"]
    assert stats["panoptic"]["category_ids"] == [1, 7, 92, 200]
    assert stats["ignored_pixels"] == stats["panoptic"]["unlabelled_pixels"] == void
    assert stats["total_pixels"] == sum(a.size for a in arrays)
    assert sum(pix) + void == stats["total_pixels"]


def test_json_path_reads_no_png(tmp_path):
    """The fast path needs only the JSON: it works with the PNGs deleted."""
    path, png_dir, arrays, segs = make_panoptic(tmp_path, seed=1)
    for png in png_dir.iterdir():
        png.unlink()
    stats = maskstats.scan(png_dir, panoptic=path, jobs=1)
    assert stats.pixel_counts == expected(arrays, segs)[0]


@pytest.mark.parametrize("jobs", [1, 3])
def test_decode_path_equals_json_path(tmp_path, jobs):
    """--verify decodes every PNG and reaches the same statistics as the JSON path."""
    path, png_dir, arrays, segs = make_panoptic(tmp_path, n_images=7, seed=2)
    fast = maskstats.scan(png_dir, panoptic=path, jobs=1)
    slow = maskstats.scan(png_dir, panoptic=path, verify=True, jobs=jobs)
    assert slow.pixel_counts == fast.pixel_counts == expected(arrays, segs)[0]
    assert slow.image_counts == fast.image_counts
    assert slow.image_pixels == fast.image_pixels
    assert slow.ignored_pixels == fast.ignored_pixels
    assert slow.extra["panoptic"]["verified_images"] == 7


def test_verify_reports_area_mismatch_naming_the_png(tmp_path, run):
    """A segment whose JSON area differs from its PNG pixels fails --verify (exit 1)."""
    path, png_dir, _, _ = make_panoptic(tmp_path, seed=3)
    doc = json.loads(path.read_text())
    seg = doc["annotations"][2]["segments_info"][0]
    seg["area"] += 1
    path.write_text(json.dumps(doc))
    ok = run("scan", png_dir, "--panoptic", path, "-o", tmp_path / "a.json")
    assert ok.exit_code == 0  # the JSON alone cannot tell
    result = run("scan", png_dir, "--panoptic", path, "--verify", "-o", tmp_path / "b.json")
    assert result.exit_code == 1
    png = png_dir / doc["annotations"][2]["file_name"]
    assert result.stderr.strip() == (f"Error: {png}: segment {seg['id']} has area {seg['area']} "
                                     f"in the JSON but {seg['area'] - 1} pixels in the PNG")


def test_verify_reports_unlisted_segment(tmp_path):
    """A non-zero segment id in the PNG but not in segments_info fails --verify."""
    path, png_dir, _, _ = make_panoptic(tmp_path, seed=4)
    doc = json.loads(path.read_text())
    dropped = doc["annotations"][0]["segments_info"].pop()
    path.write_text(json.dumps(doc))
    with pytest.raises(UnreadableMask, match=f"segment id {dropped['id']} appears in the PNG"):
        maskstats.scan(png_dir, panoptic=path, verify=True, jobs=1)


def test_verify_checks_image_size(tmp_path):
    """A PNG whose size differs from the JSON width/height fails --verify."""
    path, png_dir, _, _ = make_panoptic(tmp_path, seed=5)
    doc = json.loads(path.read_text())
    doc["images"][1]["width"] += 1
    path.write_text(json.dumps(doc))
    with pytest.raises(UnreadableMask, match="but the JSON says"):
        maskstats.scan(png_dir, panoptic=path, verify=True, jobs=1)


def test_unknown_category_is_an_error(tmp_path):
    """A segment whose category is not in the JSON categories is an error naming the image."""
    path, png_dir, _, _ = make_panoptic(tmp_path, seed=6)
    doc = json.loads(path.read_text())
    doc["annotations"][1]["segments_info"][0]["category_id"] = 55
    path.write_text(json.dumps(doc))
    with pytest.raises(UnreadableMask, match="000000000001.png: .*category_id 55"):
        maskstats.scan(png_dir, panoptic=path, jobs=1)


@pytest.mark.parametrize("extra, message", [
    (["--verify"], "it needs --panoptic"),
    (["--panoptic", "P", "--preset", "voc"], "cannot be combined with --preset"),
])
def test_panoptic_usage_errors(tmp_path, run, extra, message):
    """--verify without --panoptic, or --panoptic with a preset, exit 2."""
    path, png_dir, _, _ = make_panoptic(tmp_path, seed=7)
    args = [str(path) if a == "P" else a for a in extra]
    result = run("scan", png_dir, *args, "-o", tmp_path / "s.json")
    assert result.exit_code == 2
    assert message in result.stderr


def test_panoptic_stats_merge(tmp_path):
    """Two panoptic scans with the same categories merge into the sum of both."""
    a_json, a_dir, a_arrays, a_segs = make_panoptic(tmp_path / "a", seed=8)
    b_json, b_dir, b_arrays, b_segs = make_panoptic(tmp_path / "b", seed=9)
    a = maskstats.scan(a_dir, panoptic=a_json, jobs=1)
    b = maskstats.scan(b_dir, panoptic=b_json, jobs=1)
    merged = a.merge(b)
    assert merged.pixel_counts == expected(a_arrays + b_arrays, a_segs + b_segs)[0]
    assert merged.extra["panoptic"]["unlabelled_pixels"] == (
        expected(a_arrays, a_segs)[3] + expected(b_arrays, b_segs)[3])


def _dup_segment(doc):
    segs = doc["annotations"][0]["segments_info"]
    segs.append(dict(segs[0]))


def _dup_png(doc):
    doc["annotations"][1]["file_name"] = doc["annotations"][0]["file_name"]


@pytest.mark.parametrize("damage, message", [
    (_dup_segment, r"annotations\[0\] \(image_id 100\): segment id \d+ is listed twice"),
    (lambda d: d["annotations"][0]["segments_info"][0].update(area=-3), "has area -3"),
    (lambda d: d["annotations"][0]["segments_info"][0].update(area=2.5), "has area 2.5"),
    (_dup_png, r"annotations\[1\] \(image_id 101\): PNG '000000000000.png' is listed by two"),
    (lambda d: d["images"][2].pop("width"), r"images\[2\] \(id 102\): 'width' must be"),
    (lambda d: d["images"][0].update(height=0), r"images\[0\] \(id 100\): 'height' must be"),
])
def test_lenient_panoptic_entries_are_refused(tmp_path, run, damage, message):
    """Duplicate segment ids or PNGs, bad areas and missing sizes: one Error naming the entry."""
    path, png_dir, _, _ = make_panoptic(tmp_path, seed=8)
    doc = json.loads(path.read_text())
    damage(doc)
    path.write_text(json.dumps(doc))
    result = run("scan", png_dir, "--panoptic", path, "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    line, = result.stderr.strip().splitlines()
    assert re.search(message, line) and line.startswith(f"Error: {path}: ")
    assert not (tmp_path / "s.json").exists()
