"""maskstats check: every finding kind on files with known defects; no false alarm on clean masks."""

from __future__ import annotations

import importlib.util
import json
import shutil

import numpy as np
import pytest
from conftest import DATA, save_png
from PIL import Image

from maskstats.checking import KINDS, check

REAL_LABELS = sorted(p for p in DATA.rglob("*.png")
                     if Image.open(p).mode in ("L", "P", "I;16"))


def kinds(report):
    return sorted({f.kind for f in report.findings})


def test_real_masks_are_clean():
    """The repository's real masks (Cityscapes, VOC, EM, ISPRS, LoveDA, ...) give no finding."""
    nifti = importlib.util.find_spec("nibabel") is not None  # the NIfTI volume needs it
    report = check(DATA, jobs=2, exclude=[] if nifti else ["*.nii.gz"])
    assert report.files == len([p for p in DATA.rglob("*") if p.suffix == ".png"
                                or (nifti and p.suffix == ".gz")])
    assert report.findings == []


def test_missing_extra_is_a_usage_error(tmp_path, monkeypatch):
    """A format whose extra is missing stops the check (as in scan), it is no finding."""
    import sys

    from maskstats.errors import UsageProblem

    shutil.copy(next(DATA.rglob("*.nii.gz")), tmp_path / "v.nii.gz")
    monkeypatch.setitem(sys.modules, "nibabel", None)
    with pytest.raises(UsageProblem, match="nifti"):
        check(tmp_path, jobs=1)


@pytest.mark.parametrize("path", REAL_LABELS, ids=lambda p: p.parent.name)
def test_nearest_resized_real_masks_are_not_interpolated(path, tmp_path):
    """Real masks resized with nearest neighbour (down and up) are never 'interpolated'."""
    im = Image.open(path)
    for i, scale in enumerate((0.5, 0.75, 1.5)):
        size = (max(3, int(im.width * scale)), max(3, int(im.height * scale)))
        im.resize(size, Image.NEAREST).save(tmp_path / f"n{i}.png")
    assert [f for f in check(tmp_path, jobs=1).findings if f.kind == "interpolated"] == []


def blocks():
    """Classes 0, 5 and 10 in blocks: every boundary has |a - b| >= 5."""
    a = np.zeros((60, 80), np.uint8)
    a[10:40, 10:50] = 5
    a[30:55, 40:75] = 10
    return a


@pytest.mark.parametrize("resample", [Image.BILINEAR, Image.BICUBIC])
def test_bilinear_resized_mask_is_interpolated(resample, tmp_path):
    """A mask resized with a smoothing filter: values between the classes are reported."""
    Image.fromarray(blocks()).resize((130, 97), resample).save(tmp_path / "r.png")
    report = check(tmp_path, jobs=1)
    found = [f for f in report.findings if f.kind == "interpolated"]
    assert len(found) == 1 and found[0].path.endswith("r.png")
    values = [int(v) for v in found[0].detail.split("values ")[1].split(" (")[0]
              .split(" and ")[0].split(", ")]
    assert values and all(v not in (0, 5, 10) for v in values)


def test_thin_real_class_between_same_class_is_not_interpolated(tmp_path):
    """A 1-pixel line of class 3 inside class 9 (a pole in the sky) is a real class."""
    a = np.full((40, 40), 9, np.uint8)
    a[:20] = 0
    a[5:35, 20] = 3  # crosses the 0 | 9 boundary, but most of it has 9 or 0 on both sides
    save_png(tmp_path / "pole.png", a)
    assert check(tmp_path, jobs=1).findings == []


def test_lossy_alpha_photo(tmp_path):
    """A grey JPEG is lossy; LA and RGBA PNGs carry alpha; a noisy RGB JPEG is a photo."""
    a = blocks()
    Image.fromarray(a).save(tmp_path / "j.jpg", quality=95)
    Image.fromarray(a).convert("LA").save(tmp_path / "la.png")
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:4, :, 0] = 200
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "p.jpg")
    by_path = {}
    for f in check(tmp_path, jobs=1).findings:
        by_path.setdefault(f.path or "", set()).add(f.kind)
    assert "lossy" in by_path[str(tmp_path / "j.jpg")]
    assert by_path[str(tmp_path / "la.png")] == {"alpha"}
    assert by_path[str(tmp_path / "rgba.png")] == {"alpha"}
    assert by_path[str(tmp_path / "p.jpg")] == {"photo"}


def test_duplicates_by_bytes_and_by_pixels(tmp_path):
    """Byte copies are one finding; a re-compressed copy is a pixel duplicate; constant
    masks (empty tiles) are not compared by pixels."""
    a = blocks()
    save_png(tmp_path / "a.png", a)
    shutil.copy(tmp_path / "a.png", tmp_path / "b.png")
    Image.fromarray(a).save(tmp_path / "c.png", compress_level=1)
    b = a.copy()
    b[0, 0] = 10  # differs in one pixel (not on the 4-pixel grid of the cheap key)
    b[0, 1] = 0
    save_png(tmp_path / "d.png", b)
    save_png(tmp_path / "e.png", np.zeros((5, 5), np.uint8))
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(tmp_path / "f.png", compress_level=1)
    dupes = [f for f in check(tmp_path, jobs=2).findings if f.kind == "duplicate"]
    groups = sorted(tuple(p.rsplit("/", 1)[1] for p in f.paths) for f in dupes)
    assert groups == [("a.png", "b.png"), ("a.png", "c.png")]


def test_size_mismatch_and_unpaired(tmp_path):
    """--images: a mask whose image has another size; a mask without image; an image
    without mask."""
    masks, images = tmp_path / "masks", tmp_path / "images"
    save_png(masks / "a_mask.png", blocks())
    save_png(masks / "b_mask.png", blocks())
    save_png(masks / "lonely_mask.png", blocks())
    images.mkdir()
    Image.new("RGB", (80, 60)).save(images / "a.jpg")
    Image.new("RGB", (100, 60)).save(images / "b.jpg")
    Image.new("RGB", (80, 60)).save(images / "z.jpg")
    found = [f for f in check(masks, images=images, jobs=1).findings
             if f.kind == "size-mismatch"]
    assert len(found) == 3
    assert found[0].path.endswith("b_mask.png") and "80x60" in found[0].detail \
        and "100x60" in found[0].detail
    assert [p.rsplit("/", 1)[1] for p in found[1].paths] == ["lonely_mask.png"]
    assert [p.rsplit("/", 1)[1] for p in found[2].paths] == ["z.jpg"]


def test_mixed_encodings(tmp_path):
    """A Cityscapes frame in three encodings is one mixed-encodings finding with 3 paths;
    under --preset cityscapes only labelIds are read and nothing is found."""
    for sub in ("cityscapes_labelids", "cityscapes_instanceids", "cityscapes_trainids"):
        for f in (DATA / sub).glob("*.png"):
            shutil.copy(f, tmp_path / f.name)
    found = check(tmp_path, jobs=1).findings
    mixed = [f for f in found if f.kind == "mixed-encodings"]
    assert len(mixed) == 1 and len(mixed[0].paths) == 3
    preset = check(tmp_path, preset="cityscapes", jobs=1)
    assert preset.files == 1 and preset.findings == []


def test_out_of_range_and_empty(tmp_path):
    """Values >= --num-classes are out-of-range; a mask of ignore values only is empty."""
    a = blocks()
    save_png(tmp_path / "a.png", a)
    save_png(tmp_path / "void.png", np.full((6, 6), 255, np.uint8))
    report = check(tmp_path, num_classes=6, ignore_index=[255], jobs=1)
    out = [f for f in report.findings if f.kind == "out-of-range"]
    assert len(out) == 1 and out[0].path.endswith("a.png")
    assert f"10: {int((a == 10).sum()):,}" in out[0].detail
    empty = [f for f in report.findings if f.kind == "empty"]
    assert len(empty) == 1 and empty[0].path.endswith("void.png")


def test_binary_preset_judges_values(tmp_path):
    """Under --preset binary, 0/255 masks are in range and a 128 is out-of-range."""
    a = np.zeros((10, 10), np.uint8)
    a[:5] = 255
    save_png(tmp_path / "ok.png", a)
    a[0, 0] = 128
    save_png(tmp_path / "bad.png", a)
    out = [f.path for f in check(tmp_path, preset="binary", jobs=1).findings
           if f.kind == "out-of-range"]
    assert len(out) == 1 and out[0].endswith("bad.png")


def test_cli_json_text_and_exit_codes(run, tmp_path):
    """-f json is {files, findings}; text groups by kind; exit 1 with findings, 0 clean."""
    save_png(tmp_path / "a.png", blocks())
    shutil.copy(tmp_path / "a.png", tmp_path / "b.png")
    result = run("check", str(tmp_path), "-f", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["files"] == 2
    assert doc["findings"] == [{"kind": "duplicate", "paths": [str(tmp_path / "a.png"),
                                                               str(tmp_path / "b.png")],
                                "detail": "2 byte-identical files"}]
    text = run("check", str(tmp_path))
    assert text.exit_code == 1 and "duplicate: 1" in text.stdout
    (tmp_path / "b.png").unlink()
    clean = run("check", str(tmp_path))
    assert clean.exit_code == 0 and "clean" in clean.stdout


def test_jobs_do_not_change_the_report(tmp_path):
    """The same findings in the same order for -j1 and -j2."""
    rng = np.random.default_rng(3)
    for i in range(12):
        a = blocks()
        a[rng.integers(0, 60), :] = 250
        img = Image.fromarray(a)
        (img.resize((90, 70), Image.BILINEAR) if i % 3 == 0 else img).save(tmp_path / f"{i}.png")
    assert check(tmp_path, jobs=1).to_dict() == check(tmp_path, jobs=2).to_dict()


def test_every_kind_is_documented():
    """docs/check.md describes every kind."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "check.md").read_text()
    for kind in KINDS:
        assert f"`{kind}`" in text, kind
