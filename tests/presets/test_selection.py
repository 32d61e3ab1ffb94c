"""Presets know their files: default includes, one frame in several encodings, photos among masks."""

from __future__ import annotations

import shutil
from collections import Counter

import numpy as np
import pytest
from conftest import DATA, save_png
from PIL import Image

import maskstats
from maskstats.errors import UnsuitableMask, UsageProblem
from maskstats.presets.selection import include_for, mixed_encodings, split_encoding

FRAME = "frankfurt_000000_000294"


@pytest.fixture
def cityscapes_folder(tmp_path):
    """A Cityscapes city folder as it ships: one frame in labelIds, instanceIds, trainIds."""
    city = tmp_path / "gtFine" / "val" / "frankfurt"
    city.mkdir(parents=True)
    for sub in ("cityscapes_labelids", "cityscapes_instanceids", "cityscapes_trainids"):
        for f in (DATA / sub).glob("*.png"):
            shutil.copy(f, city / f.name)
    return tmp_path / "gtFine"


def pixel_counts(path, k, mapping=None):
    """Per-class pixels of one file computed here (values mapped, 255 ignored)."""
    a = np.asarray(Image.open(path)).astype(np.int64)
    c = Counter((mapping or {}).get(v, v) for v in a.ravel().tolist())
    return [c[i] for i in range(k)]


def test_cityscapes_preset_reads_label_ids_only(cityscapes_folder):
    """--preset cityscapes on a folder as shipped counts the frame once, from its labelIds."""
    from test_presets import CITYSCAPES

    stats = maskstats.scan(cityscapes_folder, preset="cityscapes", jobs=1)
    label = next(cityscapes_folder.rglob("*_gtFine_labelIds.png"))
    assert stats.num_images == 1
    assert stats.pixel_counts == pixel_counts(label, 19, CITYSCAPES)


def test_cityscapes_trainid_preset_reads_train_ids_only(cityscapes_folder):
    """--preset cityscapes-trainid reads *_labelTrainIds.png only: stored ids, 255 ignored."""
    stats = maskstats.scan(cityscapes_folder, preset="cityscapes-trainid", jobs=1)
    train = next(cityscapes_folder.rglob("*_labelTrainIds.png"))
    a = np.asarray(Image.open(train))
    assert stats.num_images == 1
    assert stats.pixel_counts == pixel_counts(train, 19)
    assert stats.ignored_pixels == int((a == 255).sum())


def test_include_overrides_the_preset_files(cityscapes_folder):
    """--include wins over the preset's files: instanceIds under --preset cityscapes."""
    stats = maskstats.scan(cityscapes_folder, preset="cityscapes", jobs=1,
                           include=["*_instanceIds.png"])
    assert stats.num_images == 1
    assert stats.extra["selection"]["include"] == ["*_instanceIds.png"]


def test_several_encodings_of_one_frame_is_an_error_naming_include(cityscapes_folder):
    """Without a preset or include, a frame in 3 encodings stops the scan, naming --include."""
    with pytest.raises(UnsuitableMask) as err:
        maskstats.scan(cityscapes_folder, jobs=1)
    text = str(err.value)
    assert FRAME in text and "3 encodings" in text
    assert "--include '*_gtFine_labelIds.png'" in text


def test_several_encodings_cli_exit_code(run, cityscapes_folder, tmp_path):
    """The CLI says it in one Error line (exit 2) and writes nothing."""
    out = tmp_path / "s.json"
    result = run("scan", str(cityscapes_folder), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "--include" in result.stderr and not out.exists()


def test_include_selecting_several_encodings_is_refused(cityscapes_folder):
    """An include that still selects two encodings of the frame is refused too."""
    with pytest.raises(UnsuitableMask, match="2 encodings"):
        maskstats.scan(cityscapes_folder, jobs=1, include=["*Ids.png"],
                       exclude=["*instanceIds*"])


def test_preset_with_no_file_of_its_kind_says_so(tmp_path):
    """A folder without the preset's files: the error names the preset's glob and --include."""
    save_png(tmp_path / "x_instanceIds.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(UsageProblem, match=r"reads only \*_labelIds.png.*--include"):
        maskstats.scan(tmp_path, preset="cityscapes", jobs=1)


def test_split_encoding_and_mixed_frames():
    """Frame keys strip the encoding suffix; frames in different folders never mix."""
    assert split_encoding("a/b_gtFine_labelIds.png") == ("a/b", "_gtFine_labelIds.png")
    assert split_encoding("b_color.png") == ("b", "_color.png")
    assert split_encoding("b_mask.png") is None
    names = ["gtFine/x_gtFine_labelIds.png", "gtCoarse/x_gtCoarse_labelIds.png",
             "gtFine/y_gtFine_labelIds.png", "gtFine/y_gtFine_color.png"]
    assert mixed_encodings(names) == [("gtFine/y", ["_gtFine_labelIds.png",
                                                    "_gtFine_color.png"])]


def test_photos_among_masks_is_one_error_naming_include(tmp_path, run):
    """img1.jpg beside img1_mask.png: one Error naming the JPEG and --include '*_mask.png'."""
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(
            tmp_path / f"img{i}.jpg")
        save_png(tmp_path / f"img{i}_mask.png", (rng.random((16, 16)) > 0.5).astype(np.uint8))
    result = run("scan", str(tmp_path), "-o", str(tmp_path / "s.json"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "img0.jpg" in result.stderr and "--include '*_mask.png'" in result.stderr
    ok = run("scan", str(tmp_path), "--include", "*.png", "-o", str(tmp_path / "s.json"))
    assert ok.exit_code == 0, ok.stderr


def test_include_for_names_the_common_suffix():
    """The suggested glob is the masks' common name suffix, else their extension."""
    assert include_for(["a/img1_mask.png", "img22_mask.png"]) == "*_mask.png"
    assert include_for(["1.png", "22.png"]) == "*.png"
    assert include_for(["a.tif", "b.tif"]) == "*.tif"


def test_rgb_photo_png_is_refused_as_a_photo(tmp_path):
    """An RGB PNG with thousands of colours is called a photograph, naming --include."""
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (80, 80, 3), dtype=np.uint8)).save(tmp_path / "p.png")
    with pytest.raises(maskstats.UnreadableMask, match="photograph.*--include"):
        maskstats.scan(tmp_path / "p.png", jobs=1)


def test_colour_mask_is_not_called_a_photo(tmp_path):
    """An RGB mask of a few colours keeps the --colors advice."""
    a = np.zeros((8, 8, 3), np.uint8)
    a[:4] = (128, 64, 128)
    Image.fromarray(a).save(tmp_path / "c.png")
    with pytest.raises(maskstats.UnreadableMask, match="--colors"):
        maskstats.scan(tmp_path / "c.png", jobs=1)
