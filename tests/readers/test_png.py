"""PNG masks: libspng and Pillow give the same exact counts; damaged PNGs are errors.

Every test runs twice: with the compiled kernel (maskstats.readers.fastpng) and with it
switched off (libspng / Pillow, today's path), on the same files.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from maskstats.errors import UnreadableMask
from maskstats.readers import fastpng
from maskstats.readers.png import check_png, read_png, uses_libspng
from maskstats.readers.options import ReadOptions
from pngtools import (SANITIZER_ENV, chunk, chunks, encode_png, idat_ranges, refix_crcs,
                      wrong_adler)

pytest.importorskip("pyspng")

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]
REAL_PNGS = sorted(DATA.rglob("*.png"))
NO_SPNG = "import sys; sys.modules['pyspng'] = None\n"
NO_KERNEL = "import sys; sys.modules['maskstats.readers.pngkernel'] = None\n"


@pytest.fixture(autouse=True, params=["kernel", "python"])
def png_path(request, monkeypatch):
    """Run the test on the compiled kernel, then with the kernel switched off."""
    if request.param == "kernel" and fastpng.kernel() is None:
        pytest.skip("the compiled PNG kernel is not built in this install")
    if request.param == "python":
        monkeypatch.setattr(fastpng, "kernel", lambda: None)
    return request.param


def ihdr_of(path: Path) -> tuple[int, int]:
    """(colour type, bit depth) straight from the file's IHDR bytes."""
    head = path.read_bytes()[:29]
    return head[25], head[24]


def truth(a: np.ndarray) -> dict[int, int]:
    """Pixels per stored value, by np.unique over the array the test wrote."""
    values, counts = np.unique(a, return_counts=True)
    return dict(zip(values.tolist(), counts.tolist()))


def hist_of(path, options: ReadOptions = ReadOptions()) -> dict[int, int]:
    (h,) = list(read_png(str(path), options, lambda _m: None))
    assert int(h.counts.sum()) == h.pixels
    return dict(zip(h.values.tolist(), h.counts.tolist()))


def pillow_truth(path: Path) -> dict[int, int]:
    """Pixels per value as Pillow decodes the file (palette PNGs give their indices)."""
    return truth(np.asarray(Image.open(path)))


GREY8 = [p for p in REAL_PNGS if ihdr_of(p) == (0, 8)]
PALETTE8 = [p for p in REAL_PNGS if ihdr_of(p) == (3, 8)]


def test_corpus_has_grey_and_palette_pngs():
    """The real-mask corpus holds 8-bit grey and palette PNGs for the tests below."""
    assert len(GREY8) >= 5 and len(PALETTE8) >= 2


@pytest.mark.parametrize("path", GREY8 + PALETTE8, ids=lambda p: p.parent.name + "/" + p.name)
def test_libspng_equals_pillow_on_real_masks(path):
    """Every real 8-bit grey/palette mask is decoded by libspng with Pillow's exact counts."""
    header = check_png(str(path), path.read_bytes())
    assert uses_libspng(header, ReadOptions())
    assert hist_of(path) == pillow_truth(path)


GENERATED = {
    "all_256_values": np.arange(256, dtype=np.uint8).reshape(16, 16),
    "odd_37x53": np.random.default_rng(3).integers(0, 256, (37, 53)).astype(np.uint8),
    "row_1x301": np.random.default_rng(4).integers(0, 7, (1, 301)).astype(np.uint8),
    "column_301x1": np.random.default_rng(5).integers(0, 7, (301, 1)).astype(np.uint8),
    "one_pixel": np.array([[200]], np.uint8),
    "blank_640x480": np.zeros((480, 640), np.uint8),
}


@pytest.mark.parametrize("name", sorted(GENERATED))
@pytest.mark.parametrize("palette", [False, True], ids=["grey", "palette"])
def test_libspng_exact_on_generated_masks(tmp_path, name, palette):
    """Pillow-written grey and palette PNGs of awkward shapes count exactly via libspng."""
    a = GENERATED[name]
    path = tmp_path / f"{name}.png"
    im = Image.fromarray(a)
    if palette:
        im = Image.frombytes("P", im.size, a.tobytes())
        im.putpalette([(i * 97 + 31) % 256 for i in range(768)])
    im.save(path)
    assert uses_libspng(check_png(str(path), path.read_bytes()), ReadOptions())
    assert hist_of(path) == truth(a) == pillow_truth(path)


OTHER_KINDS = {  # name: (array, colour type, bit depth, interlaced)
    "grey16": (np.random.default_rng(6).integers(0, 65536, (19, 23)), 0, 16, False),
    "grey1": (np.random.default_rng(7).integers(0, 2, (13, 17)), 0, 1, False),
    "grey2": (np.random.default_rng(8).integers(0, 4, (13, 17)), 0, 2, False),
    "grey4": (np.random.default_rng(9).integers(0, 16, (13, 17)), 0, 4, False),
    "palette4": (np.random.default_rng(10).integers(0, 16, (13, 17)), 3, 4, False),
    "palette2": (np.random.default_rng(11).integers(0, 4, (9, 5)), 3, 2, False),
    "grey8_interlaced": (np.random.default_rng(12).integers(0, 256, (29, 31)), 0, 8, True),
    "palette8_interlaced": (np.random.default_rng(13).integers(0, 30, (29, 31)), 3, 8, True),
}


@pytest.mark.parametrize("name", sorted(OTHER_KINDS))
def test_other_png_kinds_go_through_pillow_exactly(tmp_path, name):
    """16-bit, 1/2/4-bit, interlaced PNGs take the Pillow path and count their stored values."""
    a, color, depth, interlace = OTHER_KINDS[name]
    path = tmp_path / f"{name}.png"
    path.write_bytes(encode_png(a, color, depth, interlace=interlace))
    assert not uses_libspng(check_png(str(path), path.read_bytes()), ReadOptions())
    assert hist_of(path) == truth(a)


def test_grey_alpha_png_is_refused_with_its_reason(tmp_path):
    """A grey+alpha PNG is not a label mask: one clear error, on the Pillow path."""
    path = tmp_path / "la.png"
    a = np.dstack([np.arange(12, dtype=np.uint8).reshape(3, 4), np.full((3, 4), 255, np.uint8)])
    path.write_bytes(encode_png(a, 4, 8))
    with pytest.raises(UnreadableMask, match="alpha"):
        hist_of(path)


def test_several_idat_chunks_and_adler_in_its_own_chunk(tmp_path):
    """Image data split over many IDATs (the adler32 alone in the last) counts exactly."""
    a = np.random.default_rng(14).integers(0, 9, (40, 50)).astype(np.uint8)
    data = encode_png(a, 0, 8)
    start, end = idat_ranges(data)[0]
    stream = data[start:end]
    pieces = [stream[:10], stream[10:-4], stream[-4:]]
    split = data[:start - 8] + b"".join(chunk(b"IDAT", p) for p in pieces) + chunk(b"IEND", b"")
    path = tmp_path / "split.png"
    path.write_bytes(split)
    assert hist_of(path) == truth(a)
    path.write_bytes(wrong_adler(split))
    with pytest.raises(UnreadableMask, match="zlib: .*incorrect data check"):
        hist_of(path, ReadOptions(verify_checksums=True))


def test_libspng_alone_misses_an_adler32_in_its_own_chunk(tmp_path):
    """Why maskstats checks the adler32 itself: libspng stops before a separate last IDAT."""
    from maskstats.readers.spng import decoder

    a = np.random.default_rng(14).integers(0, 9, (40, 50)).astype(np.uint8)
    data = encode_png(a, 0, 8)
    start, end = idat_ranges(data)[0]
    stream = data[start:end]
    split = data[:start - 8] + chunk(b"IDAT", stream[:-8]) + chunk(b"IDAT", stream[-8:]) \
        + chunk(b"IEND", b"")
    pixels = decoder()(wrong_adler(split), a.size)  # no error from libspng ...
    assert (pixels.reshape(a.shape) == a).all()
    with pytest.raises(zlib.error, match="incorrect data check"):  # ... but zlib sees it
        zlib.decompress(wrong_adler(split)[start:end - 8] + wrong_adler(split)[end + 4:end + 12])


def _flip(data: bytes, where: int) -> bytes:
    d = bytearray(data)
    d[where] ^= 0x10
    return bytes(d)


DAMAGES = {
    "flipped IDAT byte": lambda d: _flip(d, idat_ranges(d)[0][0] + 5),
    "flipped IHDR byte": lambda d: _flip(d, 18),
    "flipped IEND CRC": lambda d: _flip(d, len(d) - 2),
    "truncated half-way": lambda d: d[:len(d) // 2],
    "no IEND": lambda d: d[:-12],
    "no IHDR": lambda d: d[:8] + d[33:],
    "no IDAT": lambda d: d[:33] + d[-12:] if chunks(d)[1][2] == b"IDAT" else d[:-12],
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("kind", ["grey", "palette"])
def test_damaged_png_is_an_error(tmp_path, damage, kind):
    """A bit flip (broken CRC) or a cut anywhere in a grey or palette PNG is UnreadableMask."""
    src = GREY8[0] if kind == "grey" else PALETTE8[0]
    path = tmp_path / "bad.png"
    path.write_bytes(DAMAGES[damage](src.read_bytes()))
    with pytest.raises(UnreadableMask, match="corrupt|truncated"):
        hist_of(path)


def _refixed_deflate_damage(data: bytes) -> bytes:
    """A byte of the compressed image data changed and every CRC re-fixed over it."""
    start, end = idat_ranges(data)[0]
    return refix_crcs(_flip(data, (start + end) // 2))


@pytest.mark.parametrize("kind", ["grey", "palette"])
def test_verify_checksums_catches_damage_under_refixed_crcs(tmp_path, run, kind):
    """Deflate damage under re-fixed CRCs (a wrong adler32) is an error with the flag."""
    src = GREY8[0] if kind == "grey" else PALETTE8[0]
    path = tmp_path / src.name
    for damaged in (wrong_adler(src.read_bytes()), _refixed_deflate_damage(src.read_bytes())):
        path.write_bytes(damaged)
        # the kernel may meet a filter type the damage made before the adler32
        reason = r"(zlib: .*(incorrect data check|invalid)|invalid filter type \d+ in pixel row)"
        with pytest.raises(UnreadableMask, match=reason):
            hist_of(path, ReadOptions(verify_checksums=True))
        result = run("scan", path, "--verify-checksums", "-o", tmp_path / "o.json", "-q")
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith(f"Error: {path}: corrupt PNG image data (")


def test_only_the_adler32_wrong_counts_exactly_without_the_flag(tmp_path):
    """Without --verify-checksums a PNG whose pixels are intact but adler32 wrong counts."""
    path = tmp_path / "m.png"
    path.write_bytes(wrong_adler(GREY8[0].read_bytes()))
    assert hist_of(path) == pillow_truth(GREY8[0])


def test_wrong_adler32_on_pillow_path_needs_verify_checksums(tmp_path, run):
    """On the Pillow path (here 16-bit) a wrong adler32 is caught with --verify-checksums."""
    a = np.random.default_rng(15).integers(0, 300, (64, 64))
    path = tmp_path / "m16.png"
    path.write_bytes(wrong_adler(encode_png(a, 0, 16)))
    with pytest.raises(UnreadableMask, match=r"zlib: .*incorrect data check"):
        hist_of(path, ReadOptions(verify_checksums=True))
    result = run("scan", path, "--verify-checksums", "-o", tmp_path / "o.json", "-q")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {path}: corrupt PNG image data (zlib: incorrect data check); "
        "the file is damaged (an interrupted download or copy?); re-download or re-export it"]


def test_tiny_file_claiming_huge_size_refused_without_allocating(tmp_path):
    """An IHDR of 100000x100000 over a few bytes of image data is refused before decoding."""
    stream = zlib.compress(b"\x00" * 1000)
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", stream)
                     + chunk(b"IEND", b""))
    with pytest.raises(UnreadableMask, match="more than its .* bytes of image data can hold"):
        hist_of(path)


def test_png_signature_missing_falls_back_to_content_sniffing(tmp_path):
    """A BMP named .png is still read by its content (Pillow), as before."""
    a = np.array([[1, 2], [3, 3]], np.uint8)
    path = tmp_path / "really_bmp.png"
    Image.fromarray(a).save(path, format="BMP")
    assert hist_of(path) == truth(a)


def _scan_json(args: list[str], tmp: Path, block_pyspng: bool,
               block_kernel: bool = True) -> tuple[int, dict | None, str]:
    out = tmp / f"{'fallback' if block_pyspng else 'libspng'}{'' if block_kernel else '-kernel'}.json"
    code = (NO_SPNG if block_pyspng else "") + (NO_KERNEL if block_kernel else "") + (
        "from maskstats.readers.spng import decoder\n"
        f"assert (decoder() is None) == {block_pyspng}\n"
        "from maskstats.cli import main\n"
        f"sys.argv = ['maskstats', *{args!r}, '-o', {str(out)!r}, '-q', '--no-progress']\n"
        "main()\n")
    proc = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True,
                          text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "", **SANITIZER_ENV})
    stats = json.loads(out.read_text()) if out.exists() else None
    return proc.returncode, stats, proc.stderr


def test_fallback_without_pyspng_gives_identical_stats(tmp_path, png_path):
    """The kernel, libspng and (pyspng unimportable) Pillow write identical stats JSON."""
    folder = tmp_path / "masks"
    folder.mkdir()
    for p in GREY8 + PALETTE8:
        (folder / f"{p.parent.name}_{p.name}").write_bytes(p.read_bytes())
    for name, a in GENERATED.items():
        Image.fromarray(a).save(folder / f"gen_{name}.png")
    args = ["scan", str(folder), "-j", "1"]
    code_a, fast, _ = _scan_json(args, tmp_path, block_pyspng=False)
    code_b, slow, err = _scan_json(args, tmp_path, block_pyspng=True)
    assert code_a == code_b == 0, err
    assert fast == slow
    if png_path == "kernel":
        code_c, compiled, err = _scan_json(args, tmp_path, block_pyspng=False, block_kernel=False)
        assert code_c == 0, err
        assert compiled == fast


@pytest.mark.parametrize("kind", ["grey", "palette"])
def test_damaged_png_is_an_error_on_the_fallback_path_too(tmp_path, kind):
    """Without pyspng a CRC-broken PNG is still one Error line; a wrong adler32 needs the flag."""
    src = GREY8[0] if kind == "grey" else PALETTE8[0]
    bad = tmp_path / "crc.png"
    bad.write_bytes(DAMAGES["flipped IDAT byte"](src.read_bytes()))
    code, stats, err = _scan_json(["scan", str(bad)], tmp_path, block_pyspng=True)
    assert code == 1 and stats is None
    assert err.strip().splitlines()[-1].startswith(f"Error: {bad}: corrupt PNG: CRC mismatch")
    assert "Traceback" not in err
    adler = tmp_path / "adler.png"
    adler.write_bytes(wrong_adler(src.read_bytes()))
    code, stats, err = _scan_json(["scan", str(adler), "--verify-checksums"], tmp_path, True)
    assert code == 1 and stats is None
    assert err.strip().splitlines() == [
        f"Error: {adler}: corrupt PNG image data (zlib: incorrect data check); "
        "the file is damaged (an interrupted download or copy?); re-download or re-export it"]


def test_crc_damage_is_skippable(tmp_path, run):
    """--on-error skip lists a CRC-broken PNG under 'skipped' and counts the good one."""
    good = tmp_path / "m" / "good.png"
    good.parent.mkdir()
    good.write_bytes(GREY8[0].read_bytes())
    (tmp_path / "m" / "bad.png").write_bytes(DAMAGES["flipped IDAT byte"](GREY8[0].read_bytes()))
    out = tmp_path / "o.json"
    result = run("scan", tmp_path / "m", "--on-error", "skip", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    stats = json.loads(out.read_text())
    assert [s["path"] for s in stats["skipped"]] == [str(tmp_path / "m" / "bad.png")]
    assert "CRC mismatch" in stats["skipped"][0]["reason"]
    assert stats["num_images"] == 1
    assert stats["total_pixels"] == sum(pillow_truth(GREY8[0]).values())


def test_refix_crcs_leaves_a_good_png_unchanged():
    """The test tool that re-fixes CRCs is the identity on an intact PNG (so it is trusted)."""
    data = GREY8[0].read_bytes()
    assert refix_crcs(data) == data


def test_too_many_text_chunks_names_the_limit_not_damage(tmp_path, run, png_path):
    """A PNG with 300,000 text chunks: libspng's error says which limit, not 'damaged';
    the compiled kernel keeps no chunks and counts it."""
    a = np.zeros((4, 5), np.uint8)
    raw = b"".join(b"\0" + row.tobytes() for row in a)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 5, 4, 8, 0, 0, 0, 0))
    png += b"".join(chunk(b"tEXt", b"k\0v%d" % i) for i in range(300_000))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.png").write_bytes(png)
    result = run("scan", tmp_path / "m", "-o", tmp_path / "s.json")
    if png_path == "kernel":
        assert result.exit_code == 0, result.stderr
        assert json.loads((tmp_path / "s.json").read_text())["pixel_counts"] == [20]
        return
    if result.exit_code == 0:  # Pillow (libspng not loadable here) keeps no chunk cache
        pytest.skip("libspng is not in use")
    assert result.exit_code == 1
    assert "ancillary chunk data" in result.stderr and "MiB" in result.stderr
    assert "damaged" not in result.stderr


def test_16bit_image_counted_in_strips_equals_whole(tmp_path, scan_json, monkeypatch):
    """A 16-bit TIFF counted strip by strip (7-pixel strips) equals the .npy of the same array."""
    import maskstats.readers.formats as formats

    monkeypatch.setattr(formats, "STRIP_PIXELS", 7)
    a = (np.arange(37 * 23, dtype=np.uint32) * 7919 % 1000).astype(np.uint16).reshape(37, 23)
    (tmp_path / "m").mkdir()
    Image.fromarray(a).save(tmp_path / "m" / "a.tif")
    np.save(tmp_path / "m" / "b.npy", a)
    values, counts = np.unique(a, return_counts=True)
    expected = np.zeros(1000, np.int64)
    expected[values] = 2 * counts
    stats = scan_json(tmp_path / "m", "-j", "1")
    assert stats["pixel_counts"] == expected.tolist()
