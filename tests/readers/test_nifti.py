"""NIfTI label volumes (.nii, .nii.gz): voxel counts, streamed slab by slab (extra 'nifti')."""

from __future__ import annotations

import json
import sys
import tracemalloc
from collections import Counter

import numpy as np
import pytest
from conftest import save_png

import maskstats
from maskstats.readers import nifti


@pytest.fixture
def nib():
    """nibabel, or skip the test when the 'nifti' extra is not installed."""
    return pytest.importorskip("nibabel")


def save_nifti(nib, path, volume, **header):
    """Write ``volume`` as a NIfTI-1 file (compressed when the name ends in .gz)."""
    img = nib.Nifti1Image(volume, np.eye(4))
    for key, value in header.items():
        img.header[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(img, str(path))
    return path


def per_value(arrays):
    out = Counter()
    for a in arrays:
        for v, n in zip(*np.unique(a, return_counts=True)):
            out[int(v)] += int(n)
    return out


def test_volume_voxel_counts(nib, tmp_path, scan_json):
    """Each .nii.gz volume is one image; counts are voxels per label, unit 'voxels'."""
    rng = np.random.default_rng(0)
    vols = [rng.integers(0, 4, size=(17, 13, 9), dtype=np.uint8) for _ in range(3)]
    for i, v in enumerate(vols):
        save_nifti(nib, tmp_path / "labelsTr" / f"case_{i:03d}.nii.gz", v)
    stats = scan_json(tmp_path / "labelsTr", "-j", "2")
    counts = per_value(vols)
    assert stats["pixel_counts"] == [counts[c] for c in range(4)]
    assert stats["image_counts"] == [sum(int((v == c).any()) for v in vols) for c in range(4)]
    assert stats["num_images"] == 3
    assert stats["total_pixels"] == 3 * 17 * 13 * 9
    assert stats["unit"] == "voxels"


def _peak_while_reading(path) -> tuple[int, object]:
    tracemalloc.start()
    try:
        hist = next(nifti.read_nifti(str(path)))
        return tracemalloc.get_traced_memory()[1], hist
    finally:
        tracemalloc.stop()


def test_streaming_memory_does_not_grow_with_the_volume(nib, tmp_path, monkeypatch):
    """With 32 KiB slabs, reading a 4 MiB volume peaks no higher than a 1 MiB one."""
    rng = np.random.default_rng(1)
    small = rng.integers(0, 3, size=(64, 64, 256), dtype=np.uint8)   # 1 MiB
    big = rng.integers(0, 3, size=(64, 64, 1024), dtype=np.uint8)    # 4 MiB
    small_path = save_nifti(nib, tmp_path / "small.nii", small)
    big_path = save_nifti(nib, tmp_path / "big.nii", big)
    next(nifti.read_nifti(str(small_path)))  # warm up nibabel's lazy imports
    monkeypatch.setattr(nifti, "SLAB_BYTES", 64 * 64 * 8)  # 8 slices
    peak_small, _ = _peak_while_reading(small_path)
    peak_big, hist = _peak_while_reading(big_path)
    assert peak_big < 1.5 * peak_small
    assert peak_big < big.nbytes // 8
    assert hist.values.tolist() == [0, 1, 2]
    assert hist.counts.tolist() == [int((big == c).sum()) for c in range(3)]
    assert hist.pixels == big.size


def test_slabs_cover_the_volume_once():
    """The slab index ranges tile the last axis without gaps or overlap."""
    covered = [s[2] for s in nifti._slabs((10, 10, 23), itemsize=nifti.SLAB_BYTES // 500)]
    assert [(s.start, s.stop) for s in covered] == [(0, 5), (5, 10), (10, 15), (15, 20),
                                                    (20, 23)]


def test_float_volume_with_whole_numbers(nib, tmp_path):
    """A float32 label volume with whole-number values is counted as integers."""
    vol = np.zeros((6, 5, 4), dtype=np.float32)
    vol[:2] = 2.0
    path = save_nifti(nib, tmp_path / "f.nii.gz", vol)
    stats = maskstats.scan(path, jobs=1)
    assert stats.pixel_counts == [80, 0, 40]


def test_fractional_values_are_an_error(nib, tmp_path, run):
    """A volume with fractional values (an image, not labels) exits 1 naming the file."""
    vol = np.full((4, 4, 4), 0.5, dtype=np.float32)
    path = save_nifti(nib, tmp_path / "t1.nii.gz", vol)
    result = run("scan", path, "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {path}: float")


def test_scaled_volume_applies_slope(nib, tmp_path):
    """scl_slope/scl_inter are applied before counting (stored 0,1 with slope 2 -> 1,3)."""
    vol = np.zeros((4, 3, 2), dtype=np.int16)
    vol[0] = 1
    path = save_nifti(nib, tmp_path / "s.nii", vol, scl_slope=2.0, scl_inter=1.0)
    assert maskstats.scan(path, jobs=1).pixel_counts == [0, 18, 0, 6]


def test_negative_labels_are_unexpected(nib, tmp_path):
    """Negative int16 labels are reported as unexpected, not counted."""
    vol = np.zeros((3, 3, 3), dtype=np.int16)
    vol[0, 0] = -1
    stats = maskstats.scan(save_nifti(nib, tmp_path / "n.nii.gz", vol), jobs=1)
    assert stats.pixel_counts == [24]
    assert stats.unexpected == {"-1": 3}


def test_4d_with_singleton_fourth_axis_and_refused_channels(nib, tmp_path):
    """(X,Y,Z,1) volumes are read; (X,Y,Z,3) is an error naming the shape."""
    vol = np.ones((4, 4, 2, 1), dtype=np.uint8)
    assert maskstats.scan(save_nifti(nib, tmp_path / "a.nii", vol), jobs=1).pixel_counts == [0, 32]
    multi = np.ones((4, 4, 2, 3), dtype=np.uint8)
    with pytest.raises(maskstats.UnreadableMask, match=r"shape \(4, 4, 2, 3\)"):
        maskstats.scan(save_nifti(nib, tmp_path / "b.nii", multi), jobs=1)


def test_corrupt_file_is_an_error(nib, tmp_path, run):
    """A truncated .nii.gz exits 1 with one Error line naming it."""
    good = save_nifti(nib, tmp_path / "g.nii.gz", np.ones((8, 8, 8), np.uint8))
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(good.read_bytes()[:40])
    result = run("scan", bad, "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}: ")
    assert "Traceback" not in result.stderr


def test_nnunet_dataset_json_names(nib, tmp_path, scan_json):
    """nnU-Net labelsTr + dataset.json: class names in id order, voxel counts."""
    vol = np.zeros((5, 5, 5), dtype=np.uint8)
    vol[0] = 2
    save_nifti(nib, tmp_path / "labelsTr" / "x_001.nii.gz", vol)
    (tmp_path / "dataset.json").write_text(json.dumps(
        {"labels": {"background": 0, "liver": 1, "tumour": 2}, "file_ending": ".nii.gz"}))
    stats = scan_json(tmp_path / "labelsTr", "--class-names", tmp_path / "dataset.json")
    assert stats["class_names"] == ["background", "liver", "tumour"]
    assert stats["pixel_counts"] == [100, 0, 25]


def test_mixed_png_and_nifti_count_pixels(nib, tmp_path):
    """A scan mixing PNG masks and NIfTI volumes reports unit 'pixels'."""
    save_nifti(nib, tmp_path / "v.nii", np.ones((2, 2, 2), np.uint8))
    save_png(tmp_path / "m.png", np.zeros((2, 2), np.uint8))
    stats = maskstats.scan(tmp_path, jobs=1)
    assert stats.unit == "pixels"
    assert stats.pixel_counts == [4, 8]


def test_missing_nibabel_is_a_usage_error(tmp_path, run, monkeypatch):
    """Without nibabel, a .nii file gives exit 2 and the install command."""
    (tmp_path / "v.nii").write_bytes(b"\0" * 400)
    monkeypatch.setitem(sys.modules, "nibabel", None)  # import nibabel -> ImportError
    result = run("scan", tmp_path / "v.nii", "-o", tmp_path / "s.json", "-j", "1")
    assert result.exit_code == 2
    assert "pip install 'maskstats[nifti]'" in result.stderr


def test_nnunet_ignore_label_becomes_an_ignore_value(nib, tmp_path):
    """An nnU-Net 'ignore' label (highest id) is ignored, not counted as a class."""
    vol = np.zeros((4, 4, 4), dtype=np.uint8)
    vol[0] = 1
    vol[1, :2] = 2  # 8 voxels marked 'ignore'
    path = save_nifti(nib, tmp_path / "labelsTr" / "x_001.nii.gz", vol)
    (tmp_path / "dataset.json").write_text(json.dumps(
        {"labels": {"background": 0, "lesion": 1, "ignore": 2}}))
    stats = maskstats.scan(path, class_names=str(tmp_path / "dataset.json"), jobs=1)
    assert stats.class_names == ["background", "lesion"]
    assert stats.ignore_index == [2]
    assert stats.pixel_counts == [40, 16]
    assert stats.ignored_pixels == 8
