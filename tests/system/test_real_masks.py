"""Real masks from public datasets (tests/data, see NOTICE) scan to their exact stored values.

Expected per-value counts come from tests/data/manifest.json, which was produced with an
independent pure-NumPy PNG decoder (raw stored samples: palette indices, native 16-bit).
"""

from __future__ import annotations

import json

import pytest
from conftest import DATA

import maskstats

MANIFEST = json.loads((DATA / "manifest.json").read_text())
INDEX_FILES = [f for f in MANIFEST["files"]
               if f["format"] == "png" and f["mode"] in ("L", "P", "I;16")]


@pytest.mark.parametrize("entry", INDEX_FILES, ids=[f["path"] for f in INDEX_FILES])
def test_real_png_counts_equal_manifest(entry):
    """Each real PNG gives exactly the manifest's per-value counts (indices, not colours)."""
    stats = maskstats.scan(DATA / entry["path"], jobs=1)
    got = {str(v): n for v, n in enumerate(stats.pixel_counts) if n}
    assert got == entry["counts"]
    h, w = entry["shape"]
    assert stats.total_pixels == h * w
    assert stats.num_images == 1


@pytest.mark.parametrize("dataset", sorted({f["dataset"] for f in INDEX_FILES}))
def test_real_dataset_folder_totals(dataset, run, tmp_path):
    """Scanning a whole dataset folder with -j2 sums the manifest counts of its files."""
    files = [f for f in INDEX_FILES if f["dataset"] == dataset]
    expected: dict[str, int] = {}
    images: dict[str, int] = {}
    for f in files:
        for v, n in f["counts"].items():
            expected[v] = expected.get(v, 0) + n
            images[v] = images.get(v, 0) + 1
    out = tmp_path / "s.json"
    result = run("scan", DATA / dataset, "-j", "2", "-o", out)
    assert result.exit_code == 0, result.stderr
    stats = json.loads(out.read_text())
    assert {str(v): n for v, n in enumerate(stats["pixel_counts"]) if n} == expected
    assert {str(v): n for v, n in enumerate(stats["image_counts"]) if n} == images
    assert stats["num_images"] == len(files)


def test_voc_palette_and_raw_l_both_give_indices():
    """VOC: the palette PNG and the plain-L copy both give class indices 0-20 and 255."""
    for f in (x for x in INDEX_FILES if x["dataset"] == "voc"):
        stats = maskstats.scan(DATA / f["path"], jobs=1, ignore_index=[255])
        present = [c for c, n in enumerate(stats.pixel_counts) if n]
        assert all(c <= 20 for c in present)
        assert stats.ignored_pixels == f["counts"].get("255", 0)
