"""scan --objects: connected components per class, checked against scipy.ndimage.label."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, blob_mask, save_png

import maskstats
from maskstats.table.load import load_table

pytest.importorskip("cc3d")
ndimage = pytest.importorskip("scipy.ndimage")

ROOT = Path(__file__).resolve().parents[2]
PIXEL_KEYS = ("num_images", "total_pixels", "num_classes", "pixel_counts", "image_counts",
              "image_pixels", "ignored_pixels", "unexpected", "skipped", "one_hot")


def structure(ndim: int, connectivity: int) -> np.ndarray:
    """The scipy structuring element of a connectivity (4/8 in 2-D, 6/18/26 in 3-D)."""
    rank = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}[connectivity]
    return ndimage.generate_binary_structure(ndim, rank)


def scipy_components(images, k: int, connectivity: int, ignore=()) -> tuple[list, dict]:
    """Per image the component count of each class, and every component size per class."""
    per_image, sizes = [], {c: [] for c in range(k)}
    for img in images:
        row = []
        for c in range(k):
            if c in ignore:
                row.append(0)
                continue
            labels, n = ndimage.label(img == c, structure=structure(img.ndim, connectivity))
            row.append(n)
            sizes[c].extend(np.bincount(labels.ravel())[1:].tolist())
        per_image.append(row)
    return per_image, sizes


def noisy_masks(rng, n=12, shape=(24, 30), classes=5):
    """Masks with many small, diagonal-touching pieces (4- and 8-connectivity differ)."""
    out = []
    for _ in range(n):
        a = blob_mask(rng, shape=shape, classes=classes)
        speckle = rng.random(shape) < 0.15
        a[speckle] = rng.integers(0, classes, size=int(speckle.sum()))
        out.append(a)
    return out


@pytest.fixture
def rng():
    return np.random.default_rng(1515)


@pytest.mark.parametrize("connectivity", [4, 8])
def test_2d_object_counts_equal_scipy(tmp_path, rng, connectivity):
    """Per-class object counts and per-image o<k> columns equal scipy.ndimage.label (2-D)."""
    arrays = noisy_masks(rng)
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i:02d}.png", a)
    stats = maskstats.scan(tmp_path / "m", objects=True, connectivity=connectivity, jobs=1,
                           per_image=tmp_path / "t.csv").to_dict()
    k = stats["num_classes"]
    per_image, sizes = scipy_components(arrays, k, connectivity)
    assert stats["object_counts"] == [len(sizes[c]) for c in range(k)]
    table = load_table(tmp_path / "t.csv")
    assert table.objects.tolist() == per_image
    assert table.objects.sum(axis=0).tolist() == stats["object_counts"]


def test_default_connectivity_is_8_in_2d(tmp_path, rng):
    """Without --connectivity, 2-D masks are 8-connected."""
    arrays = noisy_masks(rng, n=4)
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i:02d}.png", a)
    stats = maskstats.scan(tmp_path / "m", objects=True, jobs=1).to_dict()
    _, sizes = scipy_components(arrays, stats["num_classes"], 8)
    assert stats["object_counts"] == [len(sizes[c]) for c in range(stats["num_classes"])]


@pytest.mark.parametrize("connectivity", [6, 18, 26, None])
def test_3d_object_counts_equal_scipy(tmp_path, rng, connectivity):
    """A 3-D volume (.npy, layout mask) gives scipy's 3-D components (default 26)."""
    vol = rng.integers(0, 3, size=(9, 10, 11)).astype(np.uint8)
    np.save(tmp_path / "v.npy", vol)
    stats = maskstats.scan(tmp_path / "v.npy", layout="mask", objects=True,
                           connectivity=connectivity, jobs=1).to_dict()
    _, sizes = scipy_components([vol], 3, connectivity or 26)
    assert stats["object_counts"] == [len(sizes[c]) for c in range(3)]


def test_quantiles_are_exact_nearest_rank(tmp_path, rng):
    """min/p10/p50/p90/max per class equal numpy's inverted_cdf quantiles of all sizes."""
    arrays = noisy_masks(rng, n=10)
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i:02d}.png", a)
    stats = maskstats.scan(tmp_path / "m", objects=True, jobs=1).to_dict()
    _, sizes = scipy_components(arrays, stats["num_classes"], 8)
    for c, q in enumerate(stats["object_pixels_quantiles"]):
        s = np.array(sizes[c])
        want = {name: int(np.quantile(s, p, method="inverted_cdf"))
                for name, p in (("min", 0), ("p10", .1), ("p50", .5), ("p90", .9), ("max", 1))}
        assert q == want


def test_pixel_stats_do_not_change_with_objects(tmp_path, rng):
    """Every pixel statistic is the same with and without --objects, for many formats."""
    from PIL import Image

    a = blob_mask(rng, shape=(20, 24), classes=6)
    save_png(tmp_path / "m" / "grey.png", a)
    save_png(tmp_path / "m" / "pal.png", a, palette=True)
    Image.fromarray(a.astype(np.uint16) * 300).save(tmp_path / "m" / "w16.png")
    pages = [Image.fromarray(blob_mask(rng, shape=(8, 9))) for _ in range(3)]
    pages[0].save(tmp_path / "m" / "multi.tif", save_all=True, append_images=pages[1:])
    Image.fromarray((a % 2).astype(bool)).save(tmp_path / "m" / "bits.png")
    Image.fromarray((a % 4).astype(np.uint8)).convert("L").save(tmp_path / "m" / "bmp.bmp")
    np.save(tmp_path / "m" / "stack.npy", rng.integers(0, 4, size=(3, 5, 6)).astype(np.int16))
    for kw in ({}, {"ignore_index": [0]}, {"remap": {1: 2, 300: 1}}):
        plain = maskstats.scan(tmp_path / "m", jobs=1, **kw).to_dict()
        with_objects = maskstats.scan(tmp_path / "m", jobs=1, objects=True, **kw).to_dict()
        assert {k: plain.get(k) for k in PIXEL_KEYS} == \
            {k: with_objects.get(k) for k in PIXEL_KEYS}


def test_real_masks_and_presets_keep_their_pixel_stats(tmp_path):
    """Every real dataset mask in tests/data (and a preset) counts the same pixels."""
    pytest.importorskip("nibabel")
    folders = [(d, {"on_error": "skip"}) for d in sorted(DATA.iterdir())
               if d.is_dir() and d.name not in ("LICENSES", "coco_panoptic")]
    folders.append((DATA / "cityscapes_labelids", {"preset": "cityscapes"}))
    for folder, kw in folders:
        plain = maskstats.scan(folder, jobs=1, **kw).to_dict()
        with_objects = maskstats.scan(folder, jobs=1, objects=True, **kw).to_dict()
        assert {k: plain.get(k) for k in PIXEL_KEYS} == \
            {k: with_objects.get(k) for k in PIXEL_KEYS}, folder.name
        assert len(with_objects["object_counts"]) == with_objects["num_classes"]


def test_ignored_values_have_no_objects(tmp_path, rng):
    """An ignore value inside the class vector gets object count 0 and no quantiles."""
    arrays = noisy_masks(rng, n=3)
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i}.png", a)
    stats = maskstats.scan(tmp_path / "m", objects=True, ignore_index=[2], num_classes=5,
                           jobs=1).to_dict()
    assert stats["object_counts"][2] == 0
    assert stats["object_pixels_quantiles"][2] is None


def test_cache_and_workers_give_the_same_objects(tmp_path, rng):
    """-j2 and a warm --cache give the same object stats and table as -j1."""
    arrays = noisy_masks(rng, n=20)
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i:02d}.png", a)
    runs = []
    for name, kw in (("j1", {}), ("j2", {"jobs": 2}), ("cold", {"cache": tmp_path / "c"}),
                     ("warm", {"cache": tmp_path / "c"})):
        kw.setdefault("jobs", 1)
        stats = maskstats.scan(tmp_path / "m", objects=True, per_image=tmp_path / f"{name}.csv",
                               **kw).to_dict()
        stats.pop("per_image")
        runs.append((stats, (tmp_path / f"{name}.csv").read_bytes()))
    assert all(r == runs[0] for r in runs)


def test_plain_cache_is_not_used_for_objects(tmp_path, rng):
    """A cache filled without --objects does not serve a scan with --objects."""
    arrays = noisy_masks(rng, n=4)
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i:02d}.png", a)
    maskstats.scan(tmp_path / "m", cache=tmp_path / "c", jobs=1)
    stats = maskstats.scan(tmp_path / "m", cache=tmp_path / "c", objects=True, jobs=1).to_dict()
    _, sizes = scipy_components(arrays, stats["num_classes"], 8)
    assert stats["object_counts"] == [len(sizes[c]) for c in range(stats["num_classes"])]


def test_weights_unit_objects(tmp_path, rng, run):
    """`weights --unit objects` is inverse frequency computed on the object counts."""
    arrays = noisy_masks(rng, n=6)
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i}.png", a)
    out = tmp_path / "s.json"
    result = run("scan", tmp_path / "m", "--objects", "-o", out, "-q", "--no-progress")
    assert result.exit_code == 0, result.stderr
    counts = json.loads(out.read_text())["object_counts"]
    result = run("weights", out, "--unit", "objects", "--scheme", "inverse-frequency",
                 "-f", "list")
    assert result.exit_code == 0, result.stderr
    present = [n for n in counts if n]
    want = [sum(present) / (len(present) * n) if n else 0.0 for n in counts]
    assert json.loads(result.stdout) == pytest.approx(want, rel=1e-12)
    # the weights JSON says what its counts count
    doc = json.loads(run("weights", out, "--unit", "objects").stdout)
    assert doc["unit"] == "objects" and doc["counts"] == counts
    assert json.loads(run("weights", out).stdout)["unit"] == "pixels"
    assert json.loads(run("weights", "--counts", "3,1").stdout)["unit"] is None


def test_weights_unit_objects_without_object_stats(tmp_path, rng, run):
    """Stats scanned without --objects give one Error line for --unit objects."""
    save_png(tmp_path / "m" / "0.png", blob_mask(rng))
    out = tmp_path / "s.json"
    run("scan", tmp_path / "m", "-o", out, "-q", "--no-progress")
    result = run("weights", out, "--unit", "objects")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "--objects" in result.stderr


def test_connectivity_errors(tmp_path, rng, run):
    """--connectivity without --objects, or 26 on a 2-D mask, is a usage error (exit 2)."""
    save_png(tmp_path / "m" / "0.png", blob_mask(rng))
    for args in (["--connectivity", "8"], ["--objects", "--connectivity", "26"]):
        result = run("scan", tmp_path / "m", "-o", tmp_path / "s.json", "-q", "--no-progress",
                     *args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


def test_missing_cc3d_is_one_error_line(tmp_path, rng):
    """Without cc3d, --objects fails at once with one Error line naming the extra."""
    save_png(tmp_path / "m" / "0.png", blob_mask(rng))
    code = ("import sys; sys.modules['cc3d'] = None\n"
            "from maskstats.cli import main; sys.argv[0] = 'maskstats'; main()")
    proc = subprocess.run([sys.executable, "-c", code, "scan", str(tmp_path / "m"), "--objects",
                           "-o", str(tmp_path / "s.json"), "--no-progress", "-q"],
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: ") and proc.stderr.count("\n") == 1
    assert "objects" in proc.stderr
    assert not (tmp_path / "s.json").exists()


def test_any_8bit_values_are_labelled(tmp_path, rng):
    """Masks holding value 167, or all 256 values, still give scipy's components for all."""
    a = noisy_masks(rng, n=1, shape=(20, 20))[0]
    a[a == 3] = 167
    b = np.arange(256, dtype=np.uint8).reshape(16, 16)
    b[4:8, 4:8] = 0
    for name, arr in (("a", a), ("b", b)):
        save_png(tmp_path / name / "0.png", arr)
        stats = maskstats.scan(tmp_path / name, objects=True, jobs=1).to_dict()
        _, sizes = scipy_components([arr], stats["num_classes"], 8)
        assert stats["object_counts"] == [len(sizes[c]) for c in range(stats["num_classes"])]


def test_read_only_label_arrays_are_labelled(tmp_path):
    """A read-only label array (as libspng's buffer view or a memory map gives) is labelled
    like a writable one: the counts equal scipy's per-class labelling."""
    from maskstats.pipeline.objects import components

    label = blob_mask(np.random.default_rng(3), (40, 52), classes=4)
    frozen = label.copy()
    frozen.flags.writeable = False
    found, hist = components("frozen.png", frozen, 8)
    (per_class,), _ = scipy_components([label], 4, 8)
    assert [int((found.classes == c).sum()) for c in range(4)] == per_class
    assert hist.pixels == label.size and int(found.sizes.sum()) == label.size
