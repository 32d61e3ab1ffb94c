"""One value must not cost gigabytes: bounded class vectors and streamed .npz members."""

from __future__ import annotations

import io
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from maskstats.core.limits import CLASS_LIMIT, MAX_NUM_CLASSES
from peakrss import run_measured

HINT = "see --remap / --preset"


def one_pixel(value, dtype, shape=(16, 16)) -> np.ndarray:
    a = np.zeros(shape, dtype)
    a[3, 5] = value
    return a


def test_one_huge_value_in_npy_is_refused_with_flat_memory(tmp_path):
    """A single 20,000,000 pixel in a .npy is one Error naming file, value and cause,
    in bounded memory (it used to take 5.6 GB)."""
    np.save(tmp_path / "one.npy", one_pixel(20_000_000, np.int64))
    code, err, rss = run_measured("scan", tmp_path / "one.npy", "-j", "1", "-q",
                                  "-o", tmp_path / "s.json")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith(f"Error: {tmp_path / 'one.npy'}: value "
                                                   "20,000,000 is not a plausible class id")
    assert HINT in err
    assert rss < 300 * 2**20
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("value,dtype", [(2_000_000_000, np.int64), (2**63 - 1, np.int64),
                                         (CLASS_LIMIT, np.int32), (-(2**63), np.int64)])
def test_values_beyond_the_class_limit_are_refused(run, tmp_path, value, dtype):
    """2e9, INT64_MAX, 65,536 are refused naming the value; a negative one is unexpected."""
    np.save(tmp_path / "m.npy", one_pixel(value, dtype))
    result = run("scan", tmp_path / "m.npy", "-j", "1", "-q", "-o", tmp_path / "s.json")
    if value < 0:
        assert result.exit_code == 0, result.stderr
        stats = json.loads((tmp_path / "s.json").read_text())
        assert stats["unexpected"] == {str(value): 1} and stats["pixel_counts"] == [255]
        return
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 'm.npy'}: value {value:,} is not a plausible "
                             "class id (without --num-classes, classes are 0..65,535): instance "
                             "ids or colour codes? see --remap / --preset, or pass "
                             "--num-classes K to report such values as unexpected\n")


def test_the_largest_class_id_below_the_limit_is_counted(run, tmp_path):
    """65,535 (every 16-bit value) is still a class without --num-classes."""
    np.save(tmp_path / "m.npy", one_pixel(CLASS_LIMIT - 1, np.int32))
    result = run("scan", tmp_path / "m.npy", "-j", "1", "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["num_classes"] == CLASS_LIMIT
    assert stats["pixel_counts"][0] == 255 and stats["pixel_counts"][-1] == 1


def test_huge_values_go_to_unexpected_with_num_classes(run, tmp_path):
    """With --num-classes the huge values are reported sparsely as unexpected."""
    a = one_pixel(20_000_000, np.int64)
    a[0, 0] = 2**63 - 1
    a[0, 1] = 2
    np.save(tmp_path / "m.npy", a)
    result = run("scan", tmp_path / "m.npy", "--num-classes", 3, "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["num_classes"] == 3
    assert stats["pixel_counts"] == [a.size - 3, 0, 1]
    assert stats["unexpected"] == {"20000000": 1, str(2**63 - 1): 1}


def test_an_ignored_huge_value_is_not_refused(run, tmp_path):
    """A value above the limit that is an --ignore-index value is simply ignored."""
    np.save(tmp_path / "m.npy", one_pixel(1_000_000, np.int64))
    result = run("scan", tmp_path / "m.npy", "--ignore-index", 1_000_000, "-q",
                 "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["ignored_pixels"] == 1 and stats["pixel_counts"] == [255]


def test_uint64_beyond_int64_is_refused_not_wrapped(run, tmp_path):
    """uint64 values >= 2**63 are an error, never counted as -9223372036854775808."""
    np.save(tmp_path / "m.npy", one_pixel(2**63, np.uint64))
    result = run("scan", tmp_path / "m.npy", "--num-classes", 3, "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 'm.npy'}: uint64 value 9,223,372,036,854,775,808 "
                             "does not fit a 64-bit signed class id; label masks hold class ids\n")


def test_float_beyond_int64_is_refused_not_wrapped(run, tmp_path):
    """A float label 1e20 is an error, never wrapped into int64."""
    np.save(tmp_path / "m.npy", one_pixel(1e20, np.float64))
    result = run("scan", tmp_path / "m.npy", "--num-classes", 3, "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 'm.npy'}: float64 value 1e+20 is beyond the "
                             "64-bit integer range; label masks must hold integer class ids\n")


def test_huge_value_in_a_tiff_is_refused(run, tmp_path):
    """The same bound holds for a 32-bit TIFF holding an instance id."""
    Image.fromarray(one_pixel(2_000_000_000, np.int32)).save(tmp_path / "m.tif")
    result = run("scan", tmp_path / "m.tif", "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'm.tif'}: value 2,000,000,000 is not")
    assert HINT in result.stderr and result.stderr.count("\n") == 1


def test_remap_to_a_huge_value_is_refused(run, tmp_path):
    """--remap sending 1 to 1e11 is refused naming the mask and the value."""
    np.save(tmp_path / "m.npy", one_pixel(1, np.uint8))
    (tmp_path / "r.json").write_text(json.dumps({"1": 10**11}))
    result = run("scan", tmp_path / "m.npy", "--remap", tmp_path / "r.json", "-q",
                 "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'm.npy'}: value 100,000,000,000 is not")


def test_remap_beyond_int64_is_a_usage_error(run, tmp_path):
    """A remap target beyond the int64 range is refused when the file is read."""
    np.save(tmp_path / "m.npy", one_pixel(1, np.uint8))
    (tmp_path / "r.json").write_text('{"1": 100000000000000000000}')
    result = run("scan", tmp_path / "m.npy", "--remap", tmp_path / "r.json", "-q")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {tmp_path / 'r.json'}: value of '1': 100000000000000000000 "
                             "is beyond the 64-bit integer range\n")


def test_labels_with_a_huge_id_are_refused(run, tmp_path):
    """labels with id 1e12 is refused at the line holding it."""
    (tmp_path / "ids.txt").write_text("1\n2\n1000000000000\n")
    result = run("labels", tmp_path / "ids.txt", "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'ids.txt'}: line 3: class id "
                                    "1,000,000,000,000 is beyond the 65,536-class limit")


@pytest.mark.parametrize("command", ["scan", "labels"])
def test_num_classes_has_a_sane_maximum(run, tmp_path, command):
    """--num-classes 10000000000 is a usage error, before anything is counted."""
    np.save(tmp_path / "m.npy", one_pixel(1, np.uint8))
    (tmp_path / "ids.txt").write_text("1\n")
    source = tmp_path / ("m.npy" if command == "scan" else "ids.txt")
    result = run(command, source, "--num-classes", 10_000_000_000, "-q")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: num_classes 10,000,000,000 is above the maximum of "
                             f"{MAX_NUM_CLASSES:,} classes\n")


def test_npz_zip_bomb_is_read_in_bounded_memory(tmp_path):
    """A 4x8192x8192 zero .npz (256 MiB inflated, ~260 kB on disk) is counted exactly in
    far less memory than its inflated size."""
    shape = (4, 8192, 8192)
    np.savez_compressed(tmp_path / "bomb.npz", masks=np.zeros(shape, np.uint8))
    inflated = int(np.prod(shape))
    assert os.path.getsize(tmp_path / "bomb.npz") < inflated // 500
    code, err, rss = run_measured("scan", tmp_path / "bomb.npz", "-j", "1", "-q",
                                  "-o", tmp_path / "s.json")
    assert code == 0, err
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["pixel_counts"] == [inflated] and stats["num_images"] == 4
    assert rss < inflated * 0.6


def test_peak_rss_is_the_child_own_not_the_test_process_peak():
    """The measured peak is the child's own: a 200 MB peak in this process (as earlier
    tests in a pytest worker leave) does not show up in a small child's figure."""
    big = np.ones(200 * 2**20, np.uint8)  # touched: this process's high-water mark rises
    assert int(big[::4096].sum()) == big.size // 4096
    del big
    code, err, rss = run_measured("--version")
    assert code == 0, err
    assert rss < 150 * 2**20


def test_streamed_npz_counts_match_numpy(run, tmp_path):
    """Streamed .npz members give numpy's own counts (C, Fortran, big-endian, one-hot)."""
    rng = np.random.default_rng(5)
    cases = {
        "stack": rng.integers(0, 6, (5, 9, 7)).astype(np.uint8),
        "fortran": np.asfortranarray(rng.integers(0, 6, (5, 9, 7)).astype(np.int32)),
        "big_endian": rng.integers(0, 6, (9, 7)).astype(">u2"),
    }
    for name, arr in cases.items():
        np.savez_compressed(tmp_path / f"{name}.npz", masks=arr)
        result = run("scan", tmp_path / f"{name}.npz", "-q", "-o", tmp_path / "s.json")
        assert result.exit_code == 0, result.stderr
        stats = json.loads((tmp_path / "s.json").read_text())
        assert stats["pixel_counts"] == np.bincount(arr.reshape(-1).astype(np.int64)).tolist()
    labels = rng.integers(0, 3, (2, 5, 4))
    np.savez(tmp_path / "onehot.npz", y=np.eye(3, dtype=np.uint8)[labels])
    result = run("scan", tmp_path / "onehot.npz", "--layout", "one-hot", "-q",
                 "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["pixel_counts"] == np.bincount(labels.reshape(-1), minlength=3).tolist()


def test_truncated_npz_member_is_one_error(run, tmp_path):
    """An .npz whose member header promises more data than it holds is one Error line."""
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1000, 1000), np.uint8))
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(tmp_path / "t.npz", "w") as zf:
        zf.writestr("masks.npy", buf.getvalue() + b"\0" * 10)
    result = run("scan", tmp_path / "t.npz", "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 't.npz'}: truncated .npz member")
    assert result.stderr.count("\n") == 1


def test_objects_reader_streams_npz_members_too(run, tmp_path):
    """--objects reads a stacked .npz image by image: four 16 MiB images cost no more memory
    than one (a whole-member read would add 48 MiB), and a small stack's object counts equal
    scipy's per-class labelling."""
    pytest.importorskip("cc3d")
    ndimage = pytest.importorskip("scipy.ndimage")
    peaks = {}
    for n in (1, 4):
        np.savez_compressed(tmp_path / f"bomb{n}.npz", masks=np.zeros((n, 4096, 4096), np.uint8))
        code, err, peaks[n] = run_measured("scan", tmp_path / f"bomb{n}.npz", "-j", "1", "-q",
                                           "--objects", "-o", tmp_path / f"s{n}.json")
        assert code == 0, err
        stats = json.loads((tmp_path / f"s{n}.json").read_text())
        assert stats["pixel_counts"] == [n * 4096 * 4096] and stats["object_counts"] == [n]
    assert peaks[4] < peaks[1] + 32 * 2**20  # allocator noise; a whole read adds 48 MiB
    rng = np.random.default_rng(11)
    stack = (rng.random((3, 20, 24)) < 0.3).astype(np.uint8) * rng.integers(1, 3, (3, 20, 24))
    np.savez_compressed(tmp_path / "small.npz", masks=stack.astype(np.uint8))
    assert run("scan", tmp_path / "small.npz", "--objects", "-q",
               "-o", tmp_path / "o.json").exit_code == 0
    got = json.loads((tmp_path / "o.json").read_text())["object_counts"]
    eight = np.ones((3, 3), int)
    want = [sum(ndimage.label(img == c, structure=eight)[1] for img in stack) for c in range(3)]
    assert got == want
