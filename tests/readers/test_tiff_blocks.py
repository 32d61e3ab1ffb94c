"""Huge TIFFs read block by block (tifffile), nodata, damaged blocks: against NumPy."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import expected_stats
from windowtools import read_rows, reference_rows

tifffile = pytest.importorskip("tifffile")
pytest.importorskip("imagecodecs")

import maskstats.pipeline.parts as parts_mod  # noqa: E402
import maskstats.readers.tiff_blocks as blocks_mod  # noqa: E402
from maskstats.pipeline.parts import Part, expand_parts  # noqa: E402

NODATA = [(42113, "s", 0, "255", False)]


@pytest.fixture
def blocks_always(monkeypatch):
    """Every TIFF counts as huge: read block by block, split between workers."""
    monkeypatch.setattr(blocks_mod, "BLOCK_PIXELS", 0)
    monkeypatch.setattr(parts_mod, "MIN_PART_BYTES", 0)


def raster(dtype=np.uint8, shape=(203, 171), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 6, shape)
    a[40:90, 20:60] = 3
    return (a * (1 if dtype == np.uint8 else 1000)).astype(dtype)


TILE, STRIP = {"tile": (64, 48)}, {"rowsperstrip": 19}


@pytest.mark.parametrize("compression, layout, dtype, bigtiff", [
    ("zlib", TILE, np.uint8, False), ("zlib", STRIP, np.uint16, True),
    ("lzw", TILE, np.uint16, False), ("lzw", STRIP, np.uint8, True),
    ("zstd", TILE, np.uint8, True), ("zstd", STRIP, np.uint16, False),
    ("packbits", TILE, np.uint16, True), ("packbits", STRIP, np.uint8, False),
    (None, TILE, np.uint8, False), (None, STRIP, np.uint16, True)])
def test_blocks_match_numpy(run, tmp_path, blocks_always, compression, layout, dtype, bigtiff):
    """Tiled/striped, every codec, 8/16-bit, BigTIFF: stats and window rows equal NumPy's."""
    a = raster(dtype)
    path = tmp_path / "r.tif"
    tifffile.imwrite(path, a, compression=compression, bigtiff=bigtiff, **layout)
    assert blocks_mod.use_blocks(str(path))
    out, table = tmp_path / "s.json", tmp_path / "w.csv"
    result = run("scan", path, "-o", out, "-q", "--window", "50x70", "--stride", "30x40",
                 "--per-image", table, "--num-classes", 6000)
    assert result.exit_code == 0, result.stderr
    stats = json.loads(out.read_text())
    want = expected_stats([a], num_classes=6000)
    assert stats["pixel_counts"] == want["pixel_counts"]
    assert stats["total_pixels"] == a.size
    _, rows = read_rows(table)
    assert rows == reference_rows(str(path), 0, a, (50, 70), (30, 40), 6000)


def test_one_raster_split_between_workers(run, tmp_path, blocks_always):
    """-j2 cuts one raster into parts of its blocks; the totals and rows are -j1's."""
    a = raster(np.uint16, (300, 257), seed=4)
    path = tmp_path / "r.tif"
    tifffile.imwrite(path, np.stack([a, a[::-1, ::-1] // 1000]), tile=(32, 32),
                     compression="zlib")
    items = expand_parts([str(path)], 2)
    assert items == [Part(str(path), i, 8) for i in range(8)]
    results = {}
    for jobs in ("1", "2"):
        out, table = tmp_path / f"{jobs}.json", tmp_path / f"{jobs}.csv"
        result = run("scan", path, "-j", jobs, "-o", out, "-q", "--window", "64",
                     "--per-image", table)
        assert result.exit_code == 0, result.stderr
        results[jobs] = json.loads(out.read_text()), read_rows(table)
    assert results["1"][1] == results["2"][1]
    want = expected_stats([a, a[::-1, ::-1] // 1000])
    for key in ("pixel_counts", "image_counts", "image_pixels", "num_images"):
        assert results["1"][0][key] == results["2"][0][key] == want[key], key


@pytest.mark.parametrize("blocks", [True, False])
def test_gdal_nodata_is_ignored(run, tmp_path, monkeypatch, blocks):
    """GDAL_NODATA pixels count as ignored, never as a class (block and Pillow paths);
    --ignore-index adds values; the table's ignored column holds both."""
    if blocks:
        monkeypatch.setattr(blocks_mod, "BLOCK_PIXELS", 0)
    a = raster()
    a[:7] = 255
    path = tmp_path / "g.tif"
    tifffile.imwrite(path, a, tile=(32, 32), compression="zlib", extratags=NODATA)
    assert blocks_mod.use_blocks(str(path)) is blocks
    out, table = tmp_path / "s.json", tmp_path / "t.csv"
    result = run("scan", path, "--ignore-index", "5", "-o", out, "-q", "--per-image", table)
    assert result.exit_code == 0, result.stderr
    stats = json.loads(out.read_text())
    nodata, fives = int((a == 255).sum()), int((a == 5).sum())
    assert stats["num_classes"] == 5
    assert stats["pixel_counts"] == [int((a == c).sum()) for c in range(5)]
    assert stats["ignored_pixels"] == nodata + fives
    assert stats["nodata"] == {"pixels": nodata}
    assert stats["unexpected"] == {}
    _, rows = read_rows(table)
    assert rows[0][1:5] == [0, a.size, nodata + fives, 0]


def test_window_rows_put_nodata_under_ignored(run, tmp_path, blocks_always):
    """Each window row counts its own nodata pixels as ignored."""
    a = raster()
    a[100:150, :] = 255
    path = tmp_path / "g.tif"
    tifffile.imwrite(path, a, tile=(32, 32), compression="zlib", extratags=NODATA)
    table = tmp_path / "w.csv"
    result = run("scan", path, "--window", "60", "--per-image", table, "-o",
                 tmp_path / "s.json", "-q")
    assert result.exit_code == 0, result.stderr
    _, rows = read_rows(table)
    assert rows == reference_rows(str(path), 0, a, (60, 60), (60, 60), 6, ignore=(255,))


def test_nodata_is_per_file(run, tmp_path):
    """Nodata 0 in one GeoTIFF does not hide class 0 of another file."""
    a = raster()
    path = tmp_path / "m" / "g.tif"
    path.parent.mkdir()
    tifffile.imwrite(path, a, extratags=[(42113, "s", 0, "0", False)])
    b = raster(seed=9)
    tifffile.imwrite(tmp_path / "m" / "h.tif", b)
    result = run("scan", tmp_path / "m", "-o", tmp_path / "s.json", "-q")
    assert result.exit_code == 0, result.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["pixel_counts"][0] == int((b == 0).sum())
    assert stats["pixel_counts"][1:] == [int((a == c).sum() + (b == c).sum()) for c in
                                         range(1, 6)]
    assert stats["ignored_pixels"] == int((a == 0).sum())


def damaged(tmp_path, how: str):
    a = raster()
    path = tmp_path / "d.tif"
    tifffile.imwrite(path, a, tile=(64, 64), compression="zlib")
    data = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tf:
        offset, count = tf.pages[0].dataoffsets[2], tf.pages[0].databytecounts[2]
        last = tf.pages[0].dataoffsets[-1]
    if how == "outside":
        data = data[:last + 3]  # the last tile is cut off
    else:
        data[offset + count // 2] ^= 0x5A  # flipped bits inside a deflate tile
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("how, message", [("outside", "lies outside the file"),
                                          ("flipped", "does not decode")])
def test_damaged_blocks_are_one_error_line(run, tmp_path, blocks_always, how, message):
    """A tile beyond the end of the file or one that does not inflate: exit 1, one line,
    nothing written."""
    path = damaged(tmp_path, how)
    out = tmp_path / "s.json"
    result = run("scan", path, "-o", out, "-j", "2")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: ") and message in lines[0]
    assert not out.exists()


def test_several_bands_are_refused(run, tmp_path, blocks_always):
    """A raster with several bands says to extract the label band."""
    path = tmp_path / "rgb.tif"
    tifffile.imwrite(path, np.zeros((40, 40, 3), np.uint8), tile=(16, 16), photometric="rgb")
    assert not blocks_mod.use_blocks(str(path))
    assert "3 bands" in str(pytest.raises(Exception, blocks_mod.pages, str(path)).value)


@pytest.mark.parametrize("name", ["m.png", "m.tif"])
def test_max_pixels_is_the_bomb_limit_of_whole_decodes(run, tmp_path, name):
    """--max-pixels sets the limit of images decoded whole: under it is refused, at it
    scans; block-read TIFFs are not decoded whole and need no raise."""
    from PIL import Image

    a = raster(shape=(40, 50))
    Image.fromarray(a).save(tmp_path / name)
    refused = run("scan", tmp_path / name, "--max-pixels", "1998", "-o", tmp_path / "s.json")
    assert refused.exit_code == 1 and "decompression bomb" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    ok = run("scan", tmp_path / name, "--max-pixels", "2000", "-o", tmp_path / "s.json", "-q")
    assert ok.exit_code == 0, ok.stderr
    stats = json.loads((tmp_path / "s.json").read_text())
    assert stats["pixel_counts"] == [int((a == c).sum()) for c in range(6)]


def test_block_tiffs_ignore_the_whole_decode_limit(run, tmp_path, blocks_always):
    """A TIFF read block by block scans whatever --max-pixels says."""
    a = raster(shape=(40, 50))
    tifffile.imwrite(tmp_path / "m.tif", a, tile=(16, 16))
    result = run("scan", tmp_path / "m.tif", "--max-pixels", "10", "-o", tmp_path / "s.json",
                 "-q")
    assert result.exit_code == 0, result.stderr


def test_a_damaged_raster_split_between_workers_is_skipped_once(run, tmp_path, blocks_always):
    """-j2 --on-error skip: a raster whose share of blocks fails is one skipped file; the
    other file counts exactly."""
    bad = damaged(tmp_path, "flipped")
    good = raster(seed=3)
    tifffile.imwrite(tmp_path / "good.tif", good, tile=(32, 32), compression="zlib")
    out = tmp_path / "s.json"
    result = run("scan", bad, tmp_path / "good.tif", "-j", "2", "--on-error", "skip", "-o",
                 out, "-q")
    assert result.exit_code == 0, result.stderr
    stats = json.loads(out.read_text())
    assert [s["path"] for s in stats["skipped"]] == [str(bad)]
    assert stats["num_images"] == 1
    assert stats["pixel_counts"] == [int((good == c).sum()) for c in range(6)]
