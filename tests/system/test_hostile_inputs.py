"""Hostile inputs: never count the wrong data, one line never a traceback."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def stats_file(run, tmp_path: Path, name: str = "a") -> Path:
    """Scan one small mask into ``<name>.json`` and return its path."""
    np.save(tmp_path / f"{name}.npy", np.array([[0, 1], [2, 2]], np.uint8))
    out = tmp_path / f"{name}.json"
    result = run("scan", tmp_path / f"{name}.npy", "-q", "-o", out)
    assert result.exit_code == 0, result.stderr
    return out


# ------------------------------------------------------------------------------- JSON
def _edited(path: Path, dest: Path, text_edit) -> Path:
    dest.write_text(text_edit(path.read_text()))
    return dest


@pytest.mark.parametrize("case,message", [
    ("deep", "not valid JSON (nested too deeply)"),
    ("inf", "not valid JSON (the number 1e999 is out of range)"),
    ("digits400", "not valid JSON (a 401-digit integer (100000000000...) is far beyond any "
                  "count or class id)"),
    ("beyond_int64", "'pixel_counts' must be a list of non-negative integers below 2**63"),
    ("float_images", "'num_images' must be a non-negative integer below 2**63, not 1e+300"),
])
def test_hostile_stats_json_is_one_error(run, tmp_path, case, message):
    """Deep nesting, 1e999, a 400-digit count, counts beyond int64: one Error line, exit 1."""
    good = stats_file(run, tmp_path)
    bad = tmp_path / "bad.json"
    if case == "deep":
        bad.write_text("[" * 100_000 + "]" * 100_000)
    elif case == "inf":
        _edited(good, bad, lambda t: t.replace('"num_images": 1', '"num_images": 1e999'))
    elif case == "digits400":
        _edited(good, bad, lambda t: t.replace('"total_pixels": 4',
                                               '"total_pixels": 1' + "0" * 400))
    elif case == "beyond_int64":
        doc = json.loads(good.read_text())
        doc["pixel_counts"][0] = 2**63
        bad.write_text(json.dumps(doc))
    else:
        _edited(good, bad, lambda t: t.replace('"num_images": 1', '"num_images": 1e300'))
    for command in (("weights", bad), ("merge", bad, good)):
        result = run(*command, "-o", tmp_path / "out.json")
        assert result.exit_code == 1, result.stderr
        assert result.stderr == f"Error: {bad}: {message}\n"


def test_deeply_nested_remap_is_one_usage_error(run, tmp_path):
    """A --remap JSON nested 100,000 deep is one Error line, exit 2."""
    np.save(tmp_path / "m.npy", np.zeros((2, 2), np.uint8))
    remap = tmp_path / "r.json"
    remap.write_text('{"0":' * 100_000 + "1" + "}" * 100_000)
    result = run("scan", tmp_path / "m.npy", "--remap", remap, "-q")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {remap}: not valid JSON (nested too deeply)\n"


# ------------------------------------------------------------------------------ merge
def test_merge_refuses_one_file_under_two_names(run, tmp_path, monkeypatch):
    """merge a.json ./a.json and merge a.json link.json are refused (same real file)."""
    stats = stats_file(run, tmp_path)
    (tmp_path / "link.json").symlink_to(stats)
    monkeypatch.chdir(tmp_path)
    for other in ("./a.json", "link.json"):
        result = run("merge", "a.json", other, "-o", "m.json")
        assert result.exit_code == 2
        assert result.stderr == (f"Error: {other}: the same stats file as a.json; merging it "
                                 "would count its masks twice\n")
    assert not (tmp_path / "m.json").exists()


def test_merge_refuses_stats_of_the_same_paths(run, tmp_path):
    """Two stats files counted from the same path are refused, not added."""
    first = stats_file(run, tmp_path)
    second = tmp_path / "again.json"
    second.write_text(first.read_text())
    result = run("merge", first, second, "-o", tmp_path / "m.json")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {second}: both stats were counted from "
                             f"'{tmp_path / 'a.npy'}'; merging them would count those masks "
                             "twice (merge disjoint scans only)\n")


def test_merge_accepts_include_shards_of_one_folder(run, tmp_path):
    """Shards of one folder picked by different --include globs merge to the whole folder's
    stats; the same glob twice is refused."""
    rng = np.random.default_rng(5)
    arrays = {name: rng.integers(0, 4, (6, 7)).astype(np.uint8) for name in ("a1", "a2", "b1")}
    (tmp_path / "m").mkdir()
    for name, a in arrays.items():
        np.save(tmp_path / "m" / f"{name}.npy", a)
    outs = []
    for glob in ("a*", "b*", "a*"):
        outs.append(tmp_path / f"{glob[0]}{len(outs)}.json")
        assert run("scan", tmp_path / "m", "--include", f"{glob}.npy", "-q",
                   "-o", outs[-1]).exit_code == 0
    result = run("merge", outs[0], outs[1], "-o", tmp_path / "all.json", "-q")
    assert result.exit_code == 0, result.stderr
    merged = json.loads((tmp_path / "all.json").read_text())
    together = np.concatenate([a.ravel() for a in arrays.values()])
    assert merged["pixel_counts"] == np.bincount(together, minlength=4).tolist()
    assert merged["num_images"] == 3 and "selection" not in merged
    assert run("merge", outs[0], outs[2], "-o", tmp_path / "x.json").exit_code == 2


# ------------------------------------------------------------------------------- HDF5
def test_hdf5_external_storage_is_refused(run, tmp_path):
    """A dataset whose data is another file (/etc/hostname) is refused, never counted (also
    by the --objects reader)."""
    h5py = pytest.importorskip("h5py")
    size = os.path.getsize("/etc/hostname")
    with h5py.File(tmp_path / "ext.h5", "w") as fh:
        fh.create_dataset("masks", shape=(size,), dtype="u1",
                          external=[("/etc/hostname", 0, size)])
    for extra in ([], ["--objects"]) if importlib.util.find_spec("cc3d") else ([],):
        result = run("scan", tmp_path / "ext.h5", "--layout", "mask", "-q", *extra)
        assert result.exit_code == 1, extra
        assert result.stderr == (f"Error: {tmp_path / 'ext.h5'}: dataset 'masks' uses external "
                                 "storage ('/etc/hostname'); refused: its data is not in this "
                                 "file\n")


def test_hdf5_external_fifo_does_not_hang(tmp_path):
    """External storage on a FIFO is refused before reading: --on-error skip lists it and
    the scan ends (it used to hang forever)."""
    h5py = pytest.importorskip("h5py")
    os.mkfifo(tmp_path / "fifo")
    with h5py.File(tmp_path / "f.h5", "w") as fh:
        fh.create_dataset("masks", shape=(4, 4), dtype="u1", external=[("fifo", 0, 16)])
    np.save(tmp_path / "good.npy", np.ones((2, 2), np.uint8))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "maskstats", "scan", "f.h5", "good.npy",
                           "--on-error", "skip", "-q", "-o", "-"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    assert stats["pixel_counts"] == [0, 4]
    assert stats["skipped"] == [{"path": "f.h5", "reason": "dataset 'masks' uses external "
                                 "storage ('fifo'); refused: its data is not in this file"}]


def test_hdf5_virtual_dataset_is_refused(run, tmp_path):
    """A virtual dataset (data in other files) is refused."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "src.h5", "w") as fh:
        fh["masks"] = np.zeros((2, 4, 4), np.uint8)
    layout = h5py.VirtualLayout(shape=(2, 4, 4), dtype="u1")
    layout[:] = h5py.VirtualSource(str(tmp_path / "src.h5"), "masks", shape=(2, 4, 4))
    with h5py.File(tmp_path / "vds.h5", "w") as fh:
        fh.create_virtual_dataset("masks", layout)
    result = run("scan", tmp_path / "vds.h5", "-q")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 'vds.h5'}: dataset 'masks' is a virtual "
                             "dataset (data in other files); refused: copy the data into the "
                             "file\n")


# ------------------------------------------------------------------ names and warnings
def test_file_name_with_a_newline_gives_one_line(run, tmp_path):
    """An unreadable mask named 'bad\\nname.npy' gives one Error line with the name escaped."""
    bad = tmp_path / "bad\nname.npy"
    bad.write_bytes(b"not an array at all")
    result = run("scan", bad, "-q")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {tmp_path}/bad\\nname.npy: not a valid .npy array")


def _tiff_with_a_tag_past_the_end(path: Path, a: np.ndarray) -> None:
    """A TIFF whose Software tag points beyond the end of the file (Pillow warns)."""
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="TIFF", tiffinfo={305: "maskstats test software"})
    data = bytearray(buf.getvalue())
    ifd = struct.unpack("<I", data[4:8])[0]
    for k in range(struct.unpack("<H", data[ifd:ifd + 2])[0]):
        entry = ifd + 2 + 12 * k
        if struct.unpack("<H", data[entry:entry + 2])[0] == 305:
            data[entry + 8:entry + 12] = struct.pack("<I", 10**6)
    path.write_bytes(bytes(data))


def test_library_warnings_become_maskstats_warning_lines(run, tmp_path):
    """A Pillow UserWarning while reading a mask is one 'Warning: <file>: ...' line, not a
    raw Python warning, and the mask is still counted."""
    a = np.array([[0, 1], [1, 2]], np.uint8)
    path = tmp_path / "m.tif"
    _tiff_with_a_tag_past_the_end(path, a)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Image.open(path) as im:
            im.load()
    messages = sorted({str(w.message) for w in caught})
    assert messages, "this Pillow build does not warn on this file; the test needs a warning"
    result = run("scan", path, "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "".join(f"Warning: {path}: {m}\n" for m in messages)
    assert json.loads((tmp_path / "s.json").read_text())["pixel_counts"] == [1, 2, 1]


def test_any_python_warning_in_a_command_is_one_line(run, tmp_path, monkeypatch):
    """A warning raised by a library while a command runs prints as one 'Warning:' line
    (not Python's two-line 'file:line: UserWarning' form)."""
    from maskstats.core.stats import Stats

    stats = stats_file(run, tmp_path)
    real = Stats.load.__func__

    def load(cls, path):
        warnings.warn("a library\nwarning", UserWarning)
        return real(cls, path)

    monkeypatch.setattr(Stats, "load", classmethod(load))
    result = run("merge", stats, "-q", "-o", tmp_path / "m.json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "Warning: a library\\nwarning\n"


# --------------------------------------------------------------- skippable odd arrays
def test_on_error_skip_skips_odd_shaped_arrays(run, tmp_path):
    """1-D, 5-D, 0-d, string and two-array .npz files are skipped, the good mask counted."""
    folder = tmp_path / "masks"
    folder.mkdir()
    good = np.array([[0, 1], [1, 1]], np.uint8)
    np.save(folder / "good.npy", good)
    np.save(folder / "one_d.npy", np.zeros(7, np.uint8))
    np.save(folder / "five_d.npy", np.zeros((1, 2, 2, 2, 3), np.uint8))
    np.save(folder / "scalar.npy", np.array(3, np.uint8))
    np.save(folder / "strings.npy", np.array([["a", "b"], ["c", "d"]]))
    np.savez(folder / "two.npz", first=good, second=good)
    result = run("scan", folder, "--on-error", "skip", "-q", "-o", tmp_path / "s.json")
    assert result.exit_code == 0, result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["pixel_counts"] == np.bincount(good.reshape(-1)).tolist()
    assert [s["path"] for s in stats["skipped"]] == [
        str(folder / n) for n in ("five_d.npy", "one_d.npy", "scalar.npy", "strings.npy",
                                  "two.npz")]
    for name in ("one_d.npy", "two.npz"):  # without skip they stay usage errors (exit 2)
        result = run("scan", folder / name, "-q")
        assert result.exit_code == 2 and result.stderr.count("\n") == 1
