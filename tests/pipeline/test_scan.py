"""Behaviour of ``maskstats scan`` on real files: exact counts for every reader and option."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from conftest import assert_matches, blob_mask, expected_stats, save_png
from PIL import Image

import maskstats
from maskstats.errors import MaskstatsWarning


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_grey_png_counts_exact(tmp_path, rng, scan_json):
    """8-bit grey PNGs give exact per-class pixel, image and image-pixel counts."""
    arrays = [blob_mask(rng) for _ in range(6)]
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i}.png", a)
    stats = scan_json(tmp_path / "m")
    assert_matches(stats, expected_stats(arrays))
    assert stats["format"] == "maskstats-stats" and stats["version"] == 1
    assert stats["unit"] == "pixels"


def test_palette_png_gives_indices_not_colours(tmp_path, rng, scan_json):
    """A palette PNG is counted by palette index, whatever colours the palette holds."""
    a = blob_mask(rng, classes=21)
    path = save_png(tmp_path / "p.png", a, palette=True)
    assert Image.open(path).mode == "P"
    assert np.asarray(Image.open(path).convert("L")).max() != a.max()  # colours differ
    stats = scan_json(path)
    assert_matches(stats, expected_stats([a]))


def test_16bit_png_values_above_255_survive(tmp_path, rng, scan_json):
    """16-bit PNG values (e.g. Cityscapes instance ids 26002) are counted exactly."""
    a = rng.choice(np.array([0, 7, 300, 26002, 65534], dtype=np.uint16), size=(30, 40))
    path = tmp_path / "i16.png"
    Image.fromarray(a).save(path)
    assert Image.open(path).mode.startswith("I")
    stats = scan_json(path)
    assert stats["num_classes"] == 65535
    assert stats["pixel_counts"][26002] == int((a == 26002).sum())
    assert stats["pixel_counts"][300] == int((a == 300).sum())
    assert_matches(stats, expected_stats([a]))


@pytest.mark.parametrize("bits", [1, 2, 4])
def test_low_bit_depth_grey_png_gives_stored_values(tmp_path, rng, bits):
    """1/2/4-bit grey PNGs give their stored sample values, not Pillow's 0..255 scaling."""
    stored = rng.integers(0, 2 ** bits, size=(17, 23)).astype(np.uint8)
    path = tmp_path / f"g{bits}.png"
    _write_grey_png(path, stored, bits)
    stats = maskstats.scan(path, jobs=1)
    assert stats.pixel_counts == np.bincount(stored.ravel()).tolist()


def _write_grey_png(path, a: np.ndarray, bits: int) -> None:
    """Write a greyscale PNG of the given bit depth by hand (Pillow cannot write 2/4-bit)."""
    h, w = a.shape
    rows = b""
    per_byte = 8 // bits
    for row in a:
        packed = bytearray()
        for i in range(0, w, per_byte):
            byte = 0
            for j in range(per_byte):
                v = int(row[i + j]) if i + j < w else 0
                byte |= v << (8 - bits * (j + 1))
            packed.append(byte)
        rows += b"\x00" + bytes(packed)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, bits, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_tiff_bmp_and_multipage_tiff(tmp_path, rng, scan_json):
    """TIFF (8/16-bit, multi-page: one image per page) and BMP masks count exactly."""
    a8 = blob_mask(rng)
    a16 = (blob_mask(rng).astype(np.uint16) * 1000)
    pages = [blob_mask(rng) for _ in range(3)]
    Image.fromarray(a8).save(tmp_path / "a.tif")
    Image.fromarray(a16).save(tmp_path / "b.tiff")
    Image.fromarray(pages[0]).save(tmp_path / "c.tif", save_all=True,
                                   append_images=[Image.fromarray(p) for p in pages[1:]])
    bmp = blob_mask(rng)
    Image.fromarray(bmp).save(tmp_path / "d.bmp")
    stats = scan_json(tmp_path)
    assert_matches(stats, expected_stats([a8, a16, *pages, bmp]))


def test_npy_2d_and_stack(tmp_path, rng, scan_json):
    """A 2-D .npy is one mask; an (N,H,W) .npy is N images."""
    single = blob_mask(rng).astype(np.int32)
    stack = np.stack([blob_mask(rng) for _ in range(4)])
    np.save(tmp_path / "one.npy", single)
    np.save(tmp_path / "stack.npy", stack)
    stats = scan_json(tmp_path)
    assert_matches(stats, expected_stats([single, *stack]))


def test_jpeg_is_read_with_one_warning(tmp_path, rng, run):
    """JPEG masks are counted, with a single warning that lossy masks have stray labels."""
    for i in range(3):
        Image.fromarray(blob_mask(rng) * 40).save(tmp_path / f"{i}.jpg", quality=60)
    result = run("scan", tmp_path, "-o", tmp_path / "o.json", "-j1")
    assert result.exit_code == 0
    assert result.stderr.count("Warning: JPEG masks are lossy") == 1
    stats = json.loads((tmp_path / "o.json").read_text())
    decoded = [np.asarray(Image.open(tmp_path / f"{i}.jpg")) for i in range(3)]
    assert stats["pixel_counts"] == expected_stats(decoded)["pixel_counts"]


def test_api_jpeg_warning_is_a_python_warning(tmp_path, rng):
    """Through the API, data warnings are MaskstatsWarning warnings."""
    Image.fromarray(blob_mask(rng)).save(tmp_path / "x.jpeg")
    with pytest.warns(MaskstatsWarning, match="lossy"):
        maskstats.scan(tmp_path, jobs=1)


def test_ignore_index_and_num_classes(tmp_path, rng, scan_json):
    """Ignored values go to ignored_pixels; values >= K are unexpected, not dropped."""
    arrays = [blob_mask(rng, classes=7) for _ in range(4)]
    arrays[0][:3, :] = 255
    arrays[1][-2:, :] = 250
    for i, a in enumerate(arrays):
        save_png(tmp_path / f"{i}.png", a)
    stats = scan_json(tmp_path, "--ignore-index", "255", "--num-classes", "5")
    assert_matches(stats, expected_stats(arrays, ignore=(255,), num_classes=5))
    assert stats["ignore_index"] == [255]
    assert "250" in stats["unexpected"] and "6" in stats["unexpected"]
    total = sum(stats["pixel_counts"]) + stats["ignored_pixels"] + sum(
        stats["unexpected"].values())
    assert total == stats["total_pixels"]


def test_jobs_do_not_change_the_result(tmp_path, rng, run):
    """-j1 and -j2 (and -j3) write identical stats."""
    for i in range(40):
        save_png(tmp_path / "m" / f"{i:03}.png", blob_mask(rng), palette=i % 2 == 0)
    outputs = []
    for jobs in (1, 2, 3):
        out = tmp_path / f"j{jobs}.json"
        assert run("scan", tmp_path / "m", "-j", jobs, "-o", out).exit_code == 0
        outputs.append(json.loads(out.read_text()))
    assert outputs[0] == outputs[1] == outputs[2]


def test_files_and_folders_nonmask_and_hidden(tmp_path, rng, scan_json):
    """File and folder arguments mix; non-mask and hidden files are passed over and counted."""
    a, b, c = (blob_mask(rng) for _ in range(3))
    save_png(tmp_path / "d" / "sub" / "a.png", a)
    save_png(tmp_path / "d" / "b.png", b)
    save_png(tmp_path / "c.png", c)
    (tmp_path / "d" / "readme.txt").write_text("not a mask")
    (tmp_path / "d" / "labels.csv").write_text("x")
    (tmp_path / "d" / "._b.png").write_bytes(b"AppleDouble junk")  # macOS shadow file
    save_png(tmp_path / "d" / ".hidden" / "h.png", blob_mask(rng))
    stats = scan_json(tmp_path / "d", tmp_path / "c.png", tmp_path / "d" / "b.png")
    assert_matches(stats, expected_stats([a, b, c]))  # b.png given twice, counted once
    assert stats["non_mask_files"] == 2
    assert stats["paths"] == [str(tmp_path / "d"), str(tmp_path / "c.png"),
                              str(tmp_path / "d" / "b.png")]


def test_include_exclude(tmp_path, rng, scan_json):
    """--include/--exclude globs pick files inside folders by relative path or name."""
    keep = blob_mask(rng)
    save_png(tmp_path / "city" / "x_gtFine_labelTrainIds.png", keep)
    save_png(tmp_path / "city" / "x_gtFine_labelIds.png", blob_mask(rng) + 7)
    save_png(tmp_path / "city" / "val" / "y_gtFine_labelTrainIds.png", keep)
    stats = scan_json(tmp_path / "city", "--include", "*_labelTrainIds.png",
                      "--exclude", "val/*")
    assert_matches(stats, expected_stats([keep]))


def test_output_to_stdout_keeps_human_output_on_stderr(tmp_path, rng, run):
    """-o - writes only JSON on stdout; the summary goes to stderr."""
    a = blob_mask(rng)
    save_png(tmp_path / "a.png", a)
    result = run("scan", tmp_path / "a.png", "-o", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["pixel_counts"] == expected_stats([a])["pixel_counts"]
    assert "share" in result.stderr


def test_default_output_file_and_summary(tmp_path, rng, run, monkeypatch):
    """Without -o, maskstats.json is written in the current folder and a summary printed."""
    a = blob_mask(rng)
    save_png(tmp_path / "m" / "a.png", a)
    monkeypatch.chdir(tmp_path)
    result = run("scan", "m")
    assert result.exit_code == 0
    stats = json.loads((tmp_path / "maskstats.json").read_text())
    assert stats["pixel_counts"] == expected_stats([a])["pixel_counts"]
    assert f"{int((a == 0).sum()):,}" in result.stdout


def test_ignore_hint_for_255(tmp_path, rng, run):
    """A 255 far above the other labels prompts a hint to pass --ignore-index 255."""
    a = blob_mask(rng)
    a[0, :] = 255
    save_png(tmp_path / "a.png", a)
    hinted = run("scan", tmp_path, "-o", tmp_path / "o.json")
    assert "--ignore-index 255" in hinted.stdout
    quiet = run("scan", tmp_path, "-o", tmp_path / "o.json", "--ignore-index", "255")
    assert "--ignore-index" not in quiet.stdout


def test_binary_0_255_mask_gets_no_ignore_hint(tmp_path, rng, run):
    """A 0/255 binary mask (255 = foreground) is not mistaken for an ignore value."""
    a = (rng.random((20, 20)) > 0.5).astype(np.uint8) * 255
    save_png(tmp_path / "a.png", a)
    result = run("scan", tmp_path, "-o", tmp_path / "o.json")
    assert "--ignore-index" not in result.stdout


def test_atomic_output_failed_scan_keeps_old_file(tmp_path, rng, run):
    """A failed scan leaves an existing output untouched and no temp files behind."""
    save_png(tmp_path / "m" / "a.png", blob_mask(rng))
    (tmp_path / "m" / "b.png").write_bytes(b"")
    out = tmp_path / "out.json"
    out.write_text("previous contents")
    result = run("scan", tmp_path / "m", "-o", out)
    assert result.exit_code == 1
    assert out.read_text() == "previous contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "out.json"]


def _bomb_png(path) -> None:
    """A valid PNG header claiming 30000 x 30000 pixels (over Pillow's bomb limit)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))


BAD_FILES = {
    "empty.png": (lambda p, a: p.write_bytes(b""), "empty file"),
    "truncated.png": (lambda p, a: (save_png(p, a), p.write_bytes(p.read_bytes()[:80])),
                      "truncated or corrupt"),
    "text.png": (lambda p, a: p.write_text("this is not an image"), "not an image"),
    "bomb.png": (lambda p, a: _bomb_png(p), "decompression bomb"),
    "colour.png": (lambda p, a: Image.fromarray(
        np.stack([a * 50, a * 20, a * 90], -1).astype(np.uint8)).save(p), "colour-coded RGB"),
    "grey_as_rgb.png": (lambda p, a: Image.fromarray(np.stack([a] * 3, -1)).save(p),
                        "three channels are equal"),
    "float.npy": (lambda p, a: np.save(p, a.astype(np.float32) + 0.5), "integer"),
    "broken.npy": (lambda p, a: p.write_bytes(b"\x93NUMPY garbage"), "not a valid .npy"),
    "dangling.png": (lambda p, a: os.symlink(p.parent / "missing-target.png", p),
                     "cannot read"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_one_line_error_exit_1(tmp_path, rng, run, name):
    """Every bad file gives 'Error: <path>: <problem>', exit 1, and no traceback."""
    make, problem = BAD_FILES[name]
    path = tmp_path / name
    make(path, blob_mask(rng))
    result = run("scan", tmp_path, "-o", tmp_path / "o.json")  # the folder holds only `path`
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"Error: {path}: ") and problem in lines[-1], lines
    assert "Traceback" not in result.output + result.stderr
    assert not (tmp_path / "o.json").exists()


def test_on_error_skip_lists_every_bad_file(tmp_path, rng, scan_json):
    """--on-error skip finishes, counts the good files and lists each bad one with a reason."""
    good = [blob_mask(rng) for _ in range(3)]
    for i, a in enumerate(good):
        save_png(tmp_path / f"good{i}.png", a)
    for name in ("empty.png", "text.png", "colour.png", "float.npy"):
        BAD_FILES[name][0](tmp_path / name, blob_mask(rng))
    stats = scan_json(tmp_path, "--on-error", "skip", "-j", "2")
    assert_matches(stats, expected_stats(good))
    skipped = {os.path.basename(s["path"]): s["reason"] for s in stats["skipped"]}
    assert sorted(skipped) == ["colour.png", "empty.png", "float.npy", "text.png"]
    assert "empty file" in skipped["empty.png"]
    assert "colour-coded" in skipped["colour.png"]


@pytest.mark.parametrize("setup, problem", [
    ("missing", "no such file or folder"),
    ("empty", "empty folder"),
    ("nomasks", "no mask files found"),
])
def test_bad_arguments_exit_2(tmp_path, run, setup, problem):
    """A missing path, an empty folder or a folder without masks is a usage error (exit 2)."""
    target = tmp_path / "x"
    if setup == "empty":
        target.mkdir()
    elif setup == "nomasks":
        target.mkdir()
        (target / "notes.txt").write_text("x")
    result = run("scan", target, "-o", tmp_path / "o.json")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {target}: {problem}" or \
        result.stderr.strip().startswith(f"Error: {target}: {problem}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_option_value_is_usage_error(tmp_path, run):
    """A bad flag value exits 2 through click."""
    assert run("scan", tmp_path, "--jobs", "0").exit_code == 2
    assert run("scan", tmp_path, "--on-error", "maybe").exit_code == 2


def test_debug_shows_traceback(tmp_path):
    """--debug lets the exception through with its traceback."""
    (tmp_path / "e.png").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "maskstats", "scan", str(tmp_path / "e.png"),
                           "--debug", "-o", str(tmp_path / "o.json")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "UnreadableMask" in proc.stderr


def test_python_m_and_version():
    """python -m maskstats works and --version prints the package version."""
    proc = subprocess.run([sys.executable, "-m", "maskstats", "--version"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert maskstats.__version__ in proc.stdout


def test_api_scan_equals_cli(tmp_path, rng, scan_json):
    """maskstats.pipeline.scan() returns the same statistics the CLI writes."""
    for i in range(5):
        save_png(tmp_path / "m" / f"{i}.png", blob_mask(rng))
    cli_stats = scan_json(tmp_path / "m", "--ignore-index", "4")
    api_stats = maskstats.scan([tmp_path / "m"], ignore_index=[4], jobs=2).to_dict()
    api_stats["paths"] = cli_stats["paths"]
    assert api_stats == cli_stats


def test_stats_round_trip(tmp_path, rng):
    """Stats.save then Stats.load gives back the same statistics."""
    save_png(tmp_path / "a.png", blob_mask(rng))
    stats = maskstats.scan(tmp_path / "a.png", jobs=1)
    stats.save(tmp_path / "s.json")
    again = maskstats.Stats.load(tmp_path / "s.json")
    assert again.to_dict() == stats.to_dict()


def test_progress_callback_reaches_total(tmp_path, rng):
    """The progress callback is told every file, ending at (total, total)."""
    for i in range(70):
        save_png(tmp_path / f"{i}.png", blob_mask(rng, shape=(8, 8)))
    calls = []
    maskstats.scan(tmp_path, jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (70, 70)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_unwritable_output_is_one_line_error(tmp_path, rng, run):
    """An output path in a missing folder gives 'Error: <file>: cannot write', exit 1."""
    save_png(tmp_path / "a.png", blob_mask(rng))
    out = tmp_path / "no" / "such" / "dir" / "s.json"
    result = run("scan", tmp_path / "a.png", "-o", out)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(f"Error: {out}: cannot write")
