"""Array files in `maskstats scan`: .npy/.npz/HDF5, --layout and --key."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import assert_matches, blob_mask, expected_stats, save_png
from hypothesis import given, settings
from hypothesis import strategies as st

import maskstats
from maskstats.readers import arrays
from maskstats.errors import MaskstatsWarning


def one_hot_expected(oh: np.ndarray) -> dict:
    """Class counts of a (N,H,W,C) 0/1 array, from pixels whose channels sum to 1 only."""
    n, h, w, c = oh.shape
    sums = oh.sum(axis=-1)
    single = sums == 1
    winner = oh.argmax(axis=-1)
    pixel_counts = [int(np.sum(single & (winner == k))) for k in range(c)]
    image_counts = [int(sum(np.any(single[i] & (winner[i] == k)) for i in range(n)))
                    for k in range(c)]
    return {
        "num_images": n,
        "total_pixels": n * h * w,
        "pixel_counts": pixel_counts,
        "image_counts": image_counts,
        "image_pixels": [m * h * w for m in image_counts],
        "one_hot": {"unlabelled_pixels": int(np.sum(sums == 0)),
                    "overlap_pixels": int(np.sum(sums > 1))},
    }


def damaged_one_hot(rng: np.random.Generator, n=4, h=20, w=24, c=5, dtype=np.uint8):
    """A one-hot stack with some unlabelled pixels and some pixels of two classes."""
    labels = np.stack([blob_mask(rng, (h, w), classes=c) for _ in range(n)])
    oh = (labels[..., None] == np.arange(c)).astype(dtype)
    oh[0, :3, :] = 0  # unlabelled band
    oh[1 % n, 5, :7, c - 1] = 1  # overlap: a second class on 7 pixels (one may already be c-1)
    oh[2 % n, 0, 0, :] = 1  # every class at once
    return oh


def test_stack_equals_png_files(tmp_path, scan_json):
    """A (N,H,W) .npy stack and the same masks as PNG files give identical stats."""
    rng = np.random.default_rng(1)
    masks = [blob_mask(rng, classes=7) for _ in range(9)]
    for i, m in enumerate(masks):
        save_png(tmp_path / "png" / f"{i:02d}.png", m)
    np.save(tmp_path / "stack.npy", np.stack(masks))
    from_png = scan_json(tmp_path / "png")
    from_npy = scan_json(tmp_path / "stack.npy")
    assert_matches(from_npy, expected_stats(masks))
    for key in set(from_png) | set(from_npy):
        if key != "paths":
            assert from_npy[key] == from_png[key], key


def test_stack_with_trailing_axis_of_16_bit_values(tmp_path, scan_json):
    """(N,H,W,1) uint16 arrays are stacks; 16-bit values are counted exactly."""
    rng = np.random.default_rng(2)
    stack = rng.choice(np.array([0, 7, 1000, 40000], np.uint16), size=(5, 16, 12, 1))
    np.save(tmp_path / "y.npy", stack)
    stats = scan_json(tmp_path / "y.npy", "--num-classes", "8")
    expected = expected_stats([stack[i, ..., 0] for i in range(5)], num_classes=8)
    assert_matches(stats, expected)
    assert set(stats["unexpected"]) == {"1000", "40000"}


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32, np.bool_])
def test_one_hot_reports_unlabelled_and_overlapping_pixels(tmp_path, scan_json, dtype):
    """One-hot counts leave out pixels with no class or several, and report both."""
    oh = damaged_one_hot(np.random.default_rng(3), dtype=dtype)
    np.save(tmp_path / "oh.npy", oh)
    stats = scan_json(tmp_path / "oh.npy", "--layout", "one-hot")
    assert_matches(stats, one_hot_expected(oh.astype(np.int64)))
    assert stats["one_hot"]["unlabelled_pixels"] >= 3 * 24
    assert stats["one_hot"]["overlap_pixels"] >= 1


def test_one_hot_with_many_channels(tmp_path, scan_json):
    """More than 16 one-hot channels (summed, not packed) give the same exact counts."""
    oh = damaged_one_hot(np.random.default_rng(4), c=21)
    np.save(tmp_path / "oh.npy", oh)
    assert_matches(scan_json(tmp_path / "oh.npy", "--layout", "one-hot"),
                   one_hot_expected(oh.astype(np.int64)))


def test_one_hot_single_image(tmp_path, scan_json):
    """An (H,W,C) one-hot array is one image."""
    oh = damaged_one_hot(np.random.default_rng(5), n=1)[0]
    np.save(tmp_path / "oh.npy", oh)
    stats = scan_json(tmp_path / "oh.npy", "--layout", "one-hot")
    assert_matches(stats, one_hot_expected(oh[None].astype(np.int64)))
    assert stats["num_images"] == 1


def test_one_hot_non_integral_values_are_an_error(tmp_path, run):
    """A soft label (0.5) in a one-hot array stops the scan with an error naming the file."""
    oh = damaged_one_hot(np.random.default_rng(6), dtype=np.float32)
    oh[3, 4, 5, :2] = 0.5
    np.save(tmp_path / "soft.npy", oh)
    result = run("scan", tmp_path / "soft.npy", "--layout", "one-hot", "-o", tmp_path / "o.json")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {tmp_path / 'soft.npy'}: ")
    assert "non-integral value 0.5 in image 3" in lines[0]
    assert not (tmp_path / "o.json").exists()


def test_one_hot_values_other_than_0_and_1_are_an_error(tmp_path, run):
    """A 0/255 array is not one-hot: the error names the value."""
    oh = (np.random.default_rng(7).integers(0, 2, (2, 4, 4, 3)) * 255).astype(np.uint8)
    np.save(tmp_path / "x.npy", oh)
    result = run("scan", tmp_path / "x.npy", "--layout", "one-hot", "-o", tmp_path / "o.json")
    assert result.exit_code == 1
    assert "one-hot values must be 0 or 1: value 255" in result.stderr


@pytest.mark.parametrize("on_value", [1, 255])
def test_multi_label_channels_counted_independently(tmp_path, scan_json, on_value):
    """Each channel counts its non-zero pixels; one pixel may count for several classes."""
    rng = np.random.default_rng(8)
    ml = (rng.random((6, 10, 14, 3)) < [0.5, 0.1, 0.02]).astype(np.uint8) * on_value
    ml[2, ..., 2] = 0  # class 2 absent from image 2
    np.save(tmp_path / "ml.npy", ml)
    stats = scan_json(tmp_path / "ml.npy", "--layout", "multi-label")
    present = [[bool(ml[i, ..., c].any()) for i in range(6)] for c in range(3)]
    assert_matches(stats, {
        "num_images": 6,
        "total_pixels": 6 * 10 * 14,
        "pixel_counts": [int(np.count_nonzero(ml[..., c])) for c in range(3)],
        "image_counts": [sum(p) for p in present],
        "image_pixels": [sum(p) * 140 for p in present],
    })
    assert "one_hot" not in stats


def test_multi_label_multi_band_tiff(tmp_path, scan_json):
    """A 3-band TIFF read with --layout multi-label counts each band as a class."""
    from PIL import Image

    rng = np.random.default_rng(9)
    bands = (rng.random((12, 16, 3)) < [0.6, 0.2, 0.05]).astype(np.uint8) * 255
    Image.fromarray(bands, mode="RGB").save(tmp_path / "tile.tif")
    stats = scan_json(tmp_path / "tile.tif", "--layout", "multi-label")
    assert stats["pixel_counts"] == [int(np.count_nonzero(bands[..., c])) for c in range(3)]
    assert stats["num_images"] == 1 and stats["total_pixels"] == 12 * 16


def test_multi_label_non_integral_floats_are_an_error(tmp_path, run):
    """Probabilities in a multi-label array are refused, not thresholded."""
    np.save(tmp_path / "p.npy", np.full((2, 3, 3, 2), 0.3, np.float32))
    result = run("scan", tmp_path / "p.npy", "--layout", "multi-label", "-o", tmp_path / "o")
    assert result.exit_code == 1
    assert "non-integral value 0.3" in result.stderr


def test_mask_layout_counts_a_volume_as_one_image(tmp_path, scan_json):
    """--layout mask counts a 3-D volume as a single image."""
    vol = np.random.default_rng(10).integers(0, 4, (6, 8, 9)).astype(np.uint8)
    np.save(tmp_path / "vol.npy", vol)
    assert_matches(scan_json(tmp_path / "vol.npy", "--layout", "mask"), expected_stats([vol]))


def test_auto_layout_refuses_channels_with_a_usage_error(tmp_path, run):
    """auto on (N,H,W,C) with C > 1 is a usage error naming the shape and the layouts."""
    np.save(tmp_path / "oh.npy", np.zeros((2, 4, 4, 3), np.uint8))
    result = run("scan", tmp_path / "oh.npy", "-o", tmp_path / "o.json")
    assert result.exit_code == 2
    assert "(2, 4, 4, 3)" in result.stderr
    assert "one-hot" in result.stderr and "multi-label" in result.stderr


def test_float_stack_of_whole_numbers_and_fortran_order(tmp_path, scan_json):
    """Whole-number float labels and Fortran-ordered files count like integer arrays."""
    masks = np.random.default_rng(11).integers(0, 5, (3, 7, 5))
    np.save(tmp_path / "f.npy", np.asfortranarray(masks.astype(np.float64)))
    assert_matches(scan_json(tmp_path / "f.npy"), expected_stats(list(masks)))


def test_pieces_smaller_than_an_image_give_the_same_counts(tmp_path, monkeypatch):
    """Reading in pieces smaller than one image (huge images) changes no count."""
    rng = np.random.default_rng(12)
    stack = np.stack([blob_mask(rng, (30, 40), classes=6) for _ in range(3)])
    oh = damaged_one_hot(rng, n=3, c=20)
    np.save(tmp_path / "s.npy", stack)
    np.save(tmp_path / "oh.npy", oh)
    whole_s = maskstats.scan(tmp_path / "s.npy").to_dict()
    whole_v = maskstats.scan(tmp_path / "s.npy", layout="mask").to_dict()
    whole_oh = maskstats.scan(tmp_path / "oh.npy", layout="one-hot", num_classes=20).to_dict()
    monkeypatch.setattr(arrays, "CHUNK_ELEMENTS", 50)
    assert maskstats.scan(tmp_path / "s.npy").to_dict() == whole_s
    assert maskstats.scan(tmp_path / "s.npy", layout="mask").to_dict() == whole_v
    assert maskstats.scan(tmp_path / "oh.npy", layout="one-hot", num_classes=20).to_dict() == \
        whole_oh
    assert whole_v["num_images"] == 1 and whole_v["pixel_counts"] == whole_s["pixel_counts"]


def test_corrupt_npy_is_skipped_with_on_error_skip(tmp_path, scan_json):
    """A truncated .npy names its file under 'skipped'; the other files are counted."""
    good = np.random.default_rng(13).integers(0, 3, (2, 5, 5)).astype(np.uint8)
    np.save(tmp_path / "a.npy", good)
    np.save(tmp_path / "b.npy", good)
    data = (tmp_path / "b.npy").read_bytes()
    (tmp_path / "b.npy").write_bytes(data[:-10])
    stats = scan_json(tmp_path, "--on-error", "skip", "-j", "1")
    assert_matches(stats, expected_stats(list(good)))
    assert [s["path"] for s in stats["skipped"]] == [str(tmp_path / "b.npy")]


# ---------------------------------------------------------------------------------- npz
def test_npz_only_array_and_default_names(tmp_path, scan_json):
    """An .npz with one array reads it; with several, the one named masks/labels/y/y_train."""
    rng = np.random.default_rng(14)
    y = rng.integers(0, 4, (3, 6, 6)).astype(np.uint8)
    np.savez(tmp_path / "one.npz", anything=y)
    np.savez_compressed(tmp_path / "two.npz", x_train=rng.random((3, 6, 6)), y_train=y)
    assert_matches(scan_json(tmp_path / "one.npz"), expected_stats(list(y)))
    assert_matches(scan_json(tmp_path / "two.npz"), expected_stats(list(y)))


def test_npz_key_picks_an_array(tmp_path, scan_json):
    """--key picks one array of an .npz, whatever the others are called."""
    rng = np.random.default_rng(15)
    a, b = (rng.integers(0, 3, (2, 4, 4)).astype(np.uint8) for _ in range(2))
    np.savez(tmp_path / "d.npz", masks=a, other=b + 3)
    assert_matches(scan_json(tmp_path / "d.npz", "--key", "other"), expected_stats(list(b + 3)))


@pytest.mark.parametrize("names,key", [(("a", "b"), None), (("masks", "labels"), None),
                                       (("masks", "b"), "nope")])
def test_npz_ambiguous_or_unknown_key_is_a_usage_error(tmp_path, run, names, key):
    """Without a unique default, or with an unknown --key, exit 2 listing the arrays."""
    np.savez(tmp_path / "d.npz", **{n: np.zeros((2, 2), np.uint8) for n in names})
    args = ["scan", tmp_path / "d.npz", "-o", tmp_path / "o.json"]
    result = run(*args, *(["--key", key] if key else []))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 'd.npz'}: ")
    assert f"arrays: {', '.join(names)}" in result.stderr


# --------------------------------------------------------------------------------- HDF5
def test_hdf5_chunked_dataset_in_a_group(tmp_path, scan_json):
    """An HDF5 dataset (chunked, compressed, in a group) counts like the same .npy."""
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(16)
    y = np.stack([blob_mask(rng, (24, 32), classes=9) for _ in range(11)])
    with h5py.File(tmp_path / "d.h5", "w") as fh:
        fh.create_dataset("train/images", data=rng.random((11, 2, 2)))
        fh.create_dataset("train/masks", data=y, chunks=(4, 24, 32), compression="gzip")
    assert_matches(scan_json(tmp_path / "d.h5"), expected_stats(list(y)))
    assert_matches(scan_json(tmp_path / "d.h5", "--key", "train/masks"),
                   expected_stats(list(y)))


def test_hdf5_one_hot_and_key_errors(tmp_path, scan_json, run):
    """HDF5 one-hot datasets are read chunk by chunk; an unknown key lists the datasets."""
    h5py = pytest.importorskip("h5py")
    oh = damaged_one_hot(np.random.default_rng(17), n=5)
    with h5py.File(tmp_path / "d.hdf5", "w") as fh:
        fh.create_dataset("seg", data=oh, chunks=(2, 20, 24, 5))
        fh.create_dataset("other", data=oh[:1])
    assert_matches(scan_json(tmp_path / "d.hdf5", "--key", "seg", "--layout", "one-hot"),
                   one_hot_expected(oh.astype(np.int64)))
    result = run("scan", tmp_path / "d.hdf5", "-o", tmp_path / "o.json")
    assert result.exit_code == 2
    assert "arrays: other, seg" in result.stderr and "--key" in result.stderr


# ------------------------------------------------------------------------------ property
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_splitting_a_stack_into_chunks_changes_nothing(data):
    """A stack counted whole or as any sequence of chunks gives the same stats."""
    n = data.draw(st.integers(1, 12), label="images")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    layout = data.draw(st.sampled_from(["stack", "one-hot", "multi-label"]), label="layout")
    rng = np.random.default_rng(seed)
    if layout == "stack":
        stack = rng.integers(0, 6, (n, 5, 4)).astype(np.uint8)
    else:  # random 0/1 channels: labelled, unlabelled and overlapping pixels
        stack = (rng.random((n, 5, 4, 3)) < 0.4).astype(np.uint8)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=6), label="cuts"))
    chunks = np.split(stack, cuts)
    k = None if layout == "stack" else 3  # keep channels that happen to be empty
    whole = maskstats.count_arrays([stack], layout=layout, num_classes=k).to_dict()
    split = maskstats.count_arrays(chunks, layout=layout, num_classes=k).to_dict()
    assert split == whole
    assert whole["num_images"] == n and whole["total_pixels"] == n * 20
    if layout == "stack":
        assert whole["pixel_counts"] == np.bincount(stack.ravel()).tolist()


def test_summary_reports_one_hot_anomalies(tmp_path, run):
    """The scan summary says how many one-hot pixels were left out, and why."""
    oh = damaged_one_hot(np.random.default_rng(18))
    np.save(tmp_path / "oh.npy", oh)
    result = run("scan", tmp_path / "oh.npy", "--layout", "one-hot", "-o", tmp_path / "o.json",
                 "--no-progress")
    assert result.exit_code == 0
    expected = one_hot_expected(oh.astype(np.int64))["one_hot"]
    assert f"{expected['unlabelled_pixels']:,} unlabelled" in result.output
    assert f"{expected['overlap_pixels']:,} overlapping" in result.output


def test_parallel_array_scan_equals_serial(tmp_path):
    """Several one-hot files scanned by 2 workers give the stats of 1 worker."""
    for i in range(4):
        np.save(tmp_path / f"{i}.npy", damaged_one_hot(np.random.default_rng(30 + i)))
    serial = maskstats.scan(tmp_path, layout="one-hot", jobs=1).to_dict()
    assert maskstats.scan(tmp_path, layout="one-hot", jobs=2).to_dict() == serial
    assert serial["num_images"] == 16


def test_hdf5_without_h5py_names_the_extra(tmp_path, run, monkeypatch):
    """Without h5py an .h5 file is an error (exit 1) that says which extra to install."""
    import sys

    (tmp_path / "d.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now raises ImportError
    result = run("scan", tmp_path / "d.h5", "-o", tmp_path / "o.json")
    assert result.exit_code == 1
    assert "pip install 'maskstats[hdf5]'" in result.stderr


def test_layout_names_match_the_cli_choices(run):
    """Every layout of the library is a --layout choice of scan, and documented in --help."""
    help_text = run("scan", "--help").output
    for layout in arrays.LAYOUTS:
        assert layout in help_text
    assert "--key NAME" in help_text


def test_signed_16_bit_stack_over_the_full_range(tmp_path, scan_json):
    """int16 labels from -32768 to 32767 are counted exactly (negatives are unexpected)."""
    stack = np.array([[[-32768, 32767], [0, 1]], [[1, 1], [2, -5]]], np.int16)
    np.save(tmp_path / "s.npy", stack)
    stats = scan_json(tmp_path / "s.npy", "--num-classes", "3")
    assert_matches(stats, expected_stats(list(stack), num_classes=3))
    assert stats["unexpected"] == {"-32768": 1, "-5": 1, "32767": 1}


@pytest.mark.parametrize("channels", [2, 8, 9, 12, 16, 17, 33])
def test_one_hot_and_multi_label_for_any_channel_count(channels):
    """Counts are exact for channel counts around the 8-channel packing boundaries."""
    rng = np.random.default_rng(channels)
    oh = damaged_one_hot(rng, n=3, c=channels, dtype=np.float32)
    oh[1, 2, 3] = -0.0  # negative zero is a zero
    stats = maskstats.count_arrays(oh, layout="one-hot", num_classes=channels).to_dict()
    assert_matches(stats, one_hot_expected(oh.astype(np.int64)))
    ml = (rng.random((3, 6, 5, channels)) < 0.3).astype(np.uint8)
    counts = maskstats.count_arrays(ml, layout="multi-label", num_classes=channels).pixel_counts
    assert counts == [int(np.count_nonzero(ml[..., c])) for c in range(channels)]


def test_trailing_channels_that_never_occur_are_warned_about(tmp_path, run):
    """A one-hot class that never occurs at the end of the channels is named in a warning."""
    oh = np.zeros((2, 3, 3, 5), np.uint8)
    oh[..., 1] = 1  # classes 2..4 never occur
    np.save(tmp_path / "oh.npy", oh)
    result = run("scan", tmp_path / "oh.npy", "--layout", "one-hot", "-o", tmp_path / "o.json")
    assert result.exit_code == 0
    assert "5 channels but classes 2..4 never occur" in result.stderr
    with pytest.warns(MaskstatsWarning, match="pass --num-classes 5"):
        assert maskstats.count_arrays(oh, layout="one-hot").pixel_counts == [0, 18]
    kept = run("scan", tmp_path / "oh.npy", "--layout", "one-hot", "--num-classes", "5",
               "-o", tmp_path / "k.json")
    assert json.loads((tmp_path / "k.json").read_text())["pixel_counts"] == [0, 18, 0, 0, 0]
    assert "never occur" not in kept.stderr


def test_many_arrays_listed_as_a_few_and_a_count(tmp_path, run):
    """An .npz of 20,000 arrays without --key: the error lists five names and 'and N more'."""
    arrays = {f"a{i:05d}": np.zeros((1, 1), np.uint8) for i in range(20_000)}
    np.savez(tmp_path / "many.npz", **arrays)
    result = run("scan", tmp_path / "many.npz", "-o", tmp_path / "s.json")
    line, = result.stderr.strip().splitlines()
    assert "a00000, a00001, a00002, a00003, a00004 and 19995 more" in line
    assert len(line) < 400 and result.exit_code == 2
