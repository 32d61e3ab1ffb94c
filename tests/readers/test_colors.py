"""Colour-coded RGB/RGBA masks counted through a colour table (``--colors``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import maskstats
from maskstats.readers import colors
from maskstats.readers.colors import ColorTable, load_color_table, pack_pixels
from maskstats.errors import UsageProblem
from colortools import TABLE, rgb_mask, write_table  # noqa: F401


def mask_folder(tmp_path: Path, rgbs) -> Path:
    """Save RGB arrays as m0.png, m1.png ... (zero-padded past 9) in tmp_path/masks."""
    folder = tmp_path / "masks"
    folder.mkdir()
    width = 2 if len(rgbs) > 10 else 1
    for i, rgb in enumerate(rgbs):
        Image.fromarray(rgb).save(folder / f"m{i:0{width}d}.png")
    return folder


def expected_from_ids(id_arrays, k=len(TABLE)):
    """Class totals of arrays of class ids (negative = not a class), computed with Counter."""
    pix, imgs = Counter(), Counter()
    for a in id_arrays:
        vals, counts = np.unique(a, return_counts=True)
        for v, n in zip(vals.tolist(), counts.tolist()):
            if v >= 0:
                pix[v] += n
                imgs[v] += 1
    return [pix[c] for c in range(k)], [imgs[c] for c in range(k)]


@pytest.mark.parametrize("form", ["csv", "labelmap", "json", "palette"])
def test_every_table_form_gives_the_same_counts(form, tmp_path, scan_json):
    """CSV, CVAT labelmap, JSON and palette-PNG tables all count RGB masks exactly."""
    rng = np.random.default_rng(1)
    masks = [rgb_mask(rng) for _ in range(3)]
    folder = mask_folder(tmp_path, [rgb for rgb, _ in masks])
    stats = scan_json(folder, "--colors", write_table(tmp_path, form), "-j", "2")
    pixels, images = expected_from_ids([ids for _, ids in masks])
    assert stats["pixel_counts"] == pixels
    assert stats["image_counts"] == images
    assert stats["total_pixels"] == sum(ids.size for _, ids in masks)
    if form == "palette":
        assert stats["class_names"] is None
    else:
        assert stats["class_names"] == [n for n, _ in TABLE]
        assert stats["num_classes"] == len(TABLE)
    assert stats["options"]["colors"]["#808080"] == 0


def test_rgba_masks_count_by_rgb(tmp_path):
    """RGBA masks are counted by their RGB colour; the alpha channel is ignored."""
    rng = np.random.default_rng(2)
    rgb, ids = rgb_mask(rng)
    alpha = rng.integers(0, 256, size=ids.shape, dtype=np.uint8)
    Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA").save(tmp_path / "a.png")
    table = write_table(tmp_path, "json")
    stats = maskstats.scan(tmp_path / "a.png", colors=table, jobs=1)
    assert stats.pixel_counts == expected_from_ids([ids])[0]


def test_class_with_absent_colour_still_in_vector(tmp_path):
    """A table class whose colour never occurs stays in the vector with 0 pixels."""
    rgb = np.zeros((5, 6, 3), dtype=np.uint8)
    rgb[:2] = (128, 128, 128)  # sky 12 px, void 18 px, road and car absent
    Image.fromarray(rgb).save(tmp_path / "m.png")
    stats = maskstats.scan(tmp_path / "m.png", colors=write_table(tmp_path, "csv"), jobs=1)
    assert stats.pixel_counts == [12, 0, 0, 18]
    assert stats.image_counts == [1, 0, 0, 1]


def test_stray_colours_are_an_error_naming_file_and_colour(tmp_path, run):
    """By default a colour not in the table stops the scan (exit 1) naming the file."""
    rng = np.random.default_rng(3)
    rgb, _ = rgb_mask(rng, stray=[(250, 1, 2)])
    folder = mask_folder(tmp_path, [rgb])
    table = write_table(tmp_path, "csv")
    result = run("scan", folder, "--colors", table, "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"Error: {folder / 'm0.png'}: colour #fa0102 is not in the colour "
                           f"table {table} (3 pixels in 1 image(s), this file first;")
    assert "--on-unknown-color report" in line
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "s.json").exists()


def test_stray_colours_reported_per_colour_with_files(tmp_path, scan_json):
    """With report, stray colours are counted per colour with their files, never as a class."""
    rng = np.random.default_rng(4)
    strays = [(250, 1, 2), (7, 7, 7)]
    masks = [rgb_mask(rng, stray=strays if i != 1 else strays[:1]) for i in range(3)]
    folder = mask_folder(tmp_path, [rgb for rgb, _ in masks])
    table = write_table(tmp_path, "labelmap")
    stats = scan_json(folder, "--colors", table, "--on-unknown-color", "report", "-j", "3")
    pixels, _ = expected_from_ids([ids for _, ids in masks])
    assert stats["pixel_counts"] == pixels
    # stray 0 paints 3 px in every file; stray 1 paints 4 px in files 0 and 2
    report = stats["unknown_colors"]
    assert report["pixels"] == 3 * 3 + 2 * 4
    assert report["colors"] == 2
    assert list(report["top"]) == ["#fa0102", "#070707"]
    assert report["top"]["#fa0102"] == {
        "pixels": 9, "images": 3, "files": [str(folder / f"m{i}.png") for i in range(3)]}
    assert report["top"]["#070707"] == {
        "pixels": 8, "images": 2, "files": [str(folder / "m0.png"), str(folder / "m2.png")]}
    assert sum(stats["pixel_counts"]) + report["pixels"] == stats["total_pixels"]
    assert stats["unexpected"] == {}


def test_report_is_identical_for_any_number_of_jobs(tmp_path):
    """The unknown-colour report does not depend on the number of workers."""
    rng = np.random.default_rng(5)
    rgbs = [rgb_mask(rng, shape=(20, 20), stray=[(1, 2, 3)] if i % 3 else [])[0]
            for i in range(12)]
    folder = mask_folder(tmp_path, rgbs)
    table = write_table(tmp_path, "json")
    one = maskstats.scan(folder, colors=table, on_unknown_color="report", jobs=1)
    four = maskstats.scan(folder, colors=table, on_unknown_color="report", jobs=4)
    assert one.to_dict() == four.to_dict()
    assert one.extra["unknown_colors"]["top"]["#010203"]["images"] == 8
    assert one.extra["unknown_colors"]["top"]["#010203"]["files"] == [
        str(folder / f"m{i:02d}.png") for i in (1, 2, 4, 5, 7)]


def test_rgb_mask_without_table_is_refused_with_a_hint(tmp_path, run):
    """Without --colors an RGB mask is an error that points to --colors."""
    rgb, _ = rgb_mask(np.random.default_rng(6))
    Image.fromarray(rgb).save(tmp_path / "c.png")
    result = run("scan", tmp_path / "c.png", "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert "--colors FILE" in result.stderr


def test_palette_masks_keep_indices_with_a_table(tmp_path):
    """A palette ('P') mask is still counted by index when a colour table is given."""
    a = np.array([[0, 1, 1], [2, 2, 2]], dtype=np.uint8)
    im = Image.frombytes("P", (3, 2), a.tobytes())
    im.putpalette([9] * 768)  # every index has the same, unlisted colour
    im.save(tmp_path / "p.png")
    stats = maskstats.scan(tmp_path / "p.png", colors=write_table(tmp_path, "csv"), jobs=1)
    assert stats.pixel_counts == [1, 2, 3, 0]


def test_pack_pixels_matches_the_panoptic_formula():
    """Packed colours equal R + 256 G + 65536 B for RGB and RGBA input."""
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, size=(6, 7, 4), dtype=np.uint8)
    expected = (rgba[..., 0].astype(np.int64) + 256 * rgba[..., 1].astype(np.int64)
                + 65536 * rgba[..., 2].astype(np.int64)).reshape(-1)
    assert pack_pixels(rgba).tolist() == expected.tolist()
    assert pack_pixels(rgba[..., :3].copy()).tolist() == expected.tolist()


@pytest.mark.parametrize("text, message", [
    ("name,r,g,b\nsky,1,2\n", "line 2: expected name,r,g,b"),
    ("name,r,g,b\nsky,1,2,300\n", "must be three integers 0-255"),
    ("name,r,g,b\nsky,1,2,3\nsea,1,2,3\n", "classes 'sky' and 'sea' have the same colour"),
    ("name,r,g,b\nsky,1,2,3\nsky,4,5,6\n", "class name 'sky' is listed twice"),
    ("sky:1,2,x::\n", "line 1: colour"),
])
def test_bad_colour_tables_are_usage_errors(tmp_path, text, message):
    """A malformed colour table is a usage error naming the file and the problem."""
    path = tmp_path / ("labelmap.txt" if "::" in text else "t.csv")
    path.write_text(text)
    with pytest.raises(UsageProblem, match=message):
        load_color_table(path)


def test_bad_table_exits_2_on_the_cli(tmp_path, run):
    """The CLI turns a bad colour table into exit code 2 with one Error line."""
    (tmp_path / "t.json").write_text("[1, 2]")
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "m.png")
    result = run("scan", tmp_path / "m.png", "--colors", tmp_path / "t.json")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 't.json'}: entry 0")


def test_json_hex_colours_and_table_object(tmp_path):
    """JSON tables accept '#rrggbb' strings; a ColorTable object works from Python."""
    (tmp_path / "t.json").write_text(json.dumps({"a": "#000000", "b": "#ff0000"}))
    table = load_color_table(tmp_path / "t.json")
    assert table == ColorTable(((0, 0, 0), (255, 0, 0)), ("a", "b"), str(tmp_path / "t.json"))
    rgb = np.zeros((3, 3, 3), np.uint8)
    rgb[0, :2] = (255, 0, 0)
    Image.fromarray(rgb).save(tmp_path / "m.png")
    assert maskstats.scan(tmp_path / "m.png", colors=table, jobs=1).pixel_counts == [7, 2]


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_numpy_fallback_equals_getcolors_path(mode, tmp_path, monkeypatch):
    """Images with more colours than GETCOLORS_LIMIT take the NumPy path, with equal results."""
    rng = np.random.default_rng(8)
    rgb, ids = rgb_mask(rng, stray=[(5, 6, 7), (250, 1, 2)])
    if mode == "RGBA":
        rgb = np.dstack([rgb, rng.integers(0, 256, size=ids.shape, dtype=np.uint8)])
    Image.fromarray(rgb, mode=mode).save(tmp_path / "m.png")
    table = write_table(tmp_path, "csv")
    kw = dict(colors=table, on_unknown_color="report", jobs=1)
    fast = maskstats.scan(tmp_path / "m.png", **kw)
    monkeypatch.setattr(colors, "GETCOLORS_LIMIT", 1)  # forces np.unique on packed pixels
    slow = maskstats.scan(tmp_path / "m.png", **kw)
    assert fast.to_dict() == slow.to_dict()
    assert fast.pixel_counts == expected_from_ids([ids])[0]
    assert fast.extra["unknown_colors"]["pixels"] == 3 + 4
