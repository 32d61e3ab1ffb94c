"""Crop-aware statistics against a brute-force enumeration of every crop position."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from conftest import save_png
from hypothesis import given, settings, strategies as st

from maskstats.windows.crops import coverage, crop_counts


def brute(a: np.ndarray, size) -> tuple[dict, dict, int]:
    """Summed pixels per value over all crop positions, positions holding each value, and
    the number of positions (an axis shorter than the crop is taken whole)."""
    h, w = min(size[0], a.shape[0]), min(size[1], a.shape[1])
    pixels: dict = {}
    holding: dict = {}
    n = 0
    for y in range(a.shape[0] - h + 1):
        for x in range(a.shape[1] - w + 1):
            n += 1
            values, counts = np.unique(a[y:y + h, x:x + w], return_counts=True)
            for v, c in zip(values.tolist(), counts.tolist()):
                pixels[v] = pixels.get(v, 0) + c
                holding[v] = holding.get(v, 0) + 1
    return pixels, holding, n


@given(st.integers(1, 14), st.integers(1, 14), st.integers(1, 16), st.integers(1, 16),
       st.integers(0, 2 ** 32 - 1), st.sampled_from([np.uint8, np.uint16, np.int32]))
@settings(max_examples=120, deadline=None)
def test_crop_counts_equal_enumeration(height, width, ch, cw, seed, dtype):
    """Numerators and positions equal the enumeration of all crops, any sizes and types."""
    rng = np.random.default_rng(seed)
    a = (rng.integers(0, 4, (height, width)) * (1 if dtype != np.int32 else -7)).astype(dtype)
    if dtype == np.uint16:
        a[rng.random(a.shape) < 0.1] = 60000
    got = crop_counts(a, (ch, cw))
    pixels, holding, n = brute(a, (ch, cw))
    assert got.positions == n
    assert dict(zip(got.values.tolist(), got.expected.tolist())) == pixels
    assert dict(zip(got.values.tolist(), got.presence.tolist())) == holding


def test_coverage_weights():
    """a(y) counts the crop positions covering each row: ramps up, flat, ramps down."""
    assert coverage(7, 3).tolist() == [1, 2, 3, 3, 3, 2, 1]
    assert coverage(4, 9).tolist() == [1, 1, 1, 1]
    assert coverage(5, 5).tolist() == [1, 1, 1, 1, 1]


def test_scan_crop_entry(run, tmp_path):
    """scan --crop sums exact fractions over images; ignored values and nodata are no
    class; a border class gets a lower crop share than its pixel share."""
    rng = np.random.default_rng(7)
    a = rng.integers(1, 4, (21, 30)).astype(np.uint8)
    a[:3] = 0  # "sky" along the top edge
    a[10, 10:14] = 255
    b = rng.integers(0, 3, (6, 40)).astype(np.uint16)  # shorter than the crop: whole height
    save_png(tmp_path / "m" / "a.png", a)
    save_png(tmp_path / "m" / "b.png", b)
    out = tmp_path / "s.json"
    result = run("scan", tmp_path / "m", "--crop", "8x12", "--ignore-index", "255", "-o",
                 out, "-q")
    assert result.exit_code == 0, result.stderr
    crop = json.loads(out.read_text())["crop"]
    counts = [Fraction(0)] * 4
    presence = [Fraction(0)] * 4
    for arr in (a, b):
        pixels, holding, n = brute(arr, (8, 12))
        for c in range(4):
            counts[c] += Fraction(pixels.get(c, 0), n)
            presence[c] += Fraction(holding.get(c, 0), n)
    assert crop == {"size": [8, 12], "counts": [float(c) for c in counts],
                    "presence": [float(p) for p in presence]}
    share_crop = Fraction(crop["counts"][0]) / sum(map(Fraction, crop["counts"]))
    share_pixels = Fraction(int((a == 0).sum() + (b == 0).sum()),
                            int((a != 255).sum() + b.size))
    assert share_crop < share_pixels


@pytest.mark.parametrize("value", ["0", "-2", "3x0", "x"])
def test_bad_crop_sizes(run, tmp_path, value):
    """A crop of 0 or negative size is a usage error, nothing written."""
    save_png(tmp_path / "a.png", np.zeros((5, 5), np.uint8))
    out = tmp_path / "s.json"
    result = run("scan", tmp_path / "a.png", "--crop", value, "-o", out)
    assert result.exit_code == 2 and "--crop" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


def test_weights_by_crops(run, tmp_path):
    """weights --unit crops weights classes by crop.counts (N / (C n_c) by hand); stats
    without crop statistics are refused with one line."""
    rng = np.random.default_rng(11)
    a = rng.integers(0, 3, (15, 19)).astype(np.uint8)
    a[:2] = 3
    save_png(tmp_path / "a.png", a)
    out = tmp_path / "s.json"
    assert run("scan", tmp_path / "a.png", "--crop", "6x5", "-o", out, "-q").exit_code == 0
    pixels, _, n = brute(a, (6, 5))
    counts = [Fraction(pixels.get(c, 0), n) for c in range(4)]
    result = run("weights", out, "--unit", "crops", "--scheme", "inverse-frequency",
                 "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["unit"] == "crops"
    assert doc["weights"] == pytest.approx([float(sum(counts) / (4 * c)) for c in counts],
                                           rel=1e-12)
    plain = tmp_path / "p.json"
    assert run("scan", tmp_path / "a.png", "-o", plain, "-q").exit_code == 0
    refused = run("weights", plain, "--unit", "crops")
    assert refused.exit_code == 1 and "--crop" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_merge_adds_crop_statistics(run, tmp_path):
    """merge of two scans with one crop size equals one scan of both; other sizes refused."""
    rng = np.random.default_rng(12)
    for name in ("a", "b"):
        save_png(tmp_path / name / "m.png", rng.integers(0, 3, (12, 14)).astype(np.uint8))
    outs = {}
    for name, args in (("a", [tmp_path / "a"]), ("b", [tmp_path / "b"]),
                       ("ab", [tmp_path / "a", tmp_path / "b"]), ("c", [tmp_path / "b"])):
        outs[name] = tmp_path / f"{name}.json"
        crop = "7x5" if name != "c" else "6"
        assert run("scan", *args, "--crop", crop, "-o", outs[name], "-q").exit_code == 0
    merged = tmp_path / "m.json"
    assert run("merge", outs["a"], outs["b"], "-o", merged).exit_code == 0
    got = json.loads(merged.read_text())["crop"]
    want = json.loads(outs["ab"].read_text())["crop"]
    assert got["size"] == want["size"]
    assert got["counts"] == pytest.approx(want["counts"], rel=1e-12)
    assert got["presence"] == pytest.approx(want["presence"], rel=1e-12)
    refused = run("merge", outs["a"], outs["c"], "-o", tmp_path / "x.json")
    assert refused.exit_code == 2 and "--crop" in refused.stderr


@pytest.mark.parametrize("entry, value, problem", [
    ("crop", {"size": [4, 0], "counts": [1.0], "presence": [0.5]}, "positive integers"),
    ("crop", {"size": [4, 4], "counts": [-1.0], "presence": [0.5]}, "non-negative number"),
    ("windows", {"size": [8, 8], "stride": [8], "rows": 3}, "positive integers"),
    ("nodata", {"pixels": -3}, "non-negative integer"),
])
def test_malformed_entries_are_one_line(run, tmp_path, entry, value, problem):
    """A stats file whose crop, windows or nodata entry is malformed is refused by name."""
    save_png(tmp_path / "a.png", np.zeros((4, 4), np.uint8))
    out = tmp_path / "s.json"
    assert run("scan", tmp_path / "a.png", "-o", out, "-q").exit_code == 0
    doc = json.loads(out.read_text())
    doc[entry] = value
    out.write_text(json.dumps(doc))
    result = run("weights", out)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{out}: {entry}: " in lines[0] and problem in lines[0]
