"""The compiled PNG kernel against Pillow and the arrays the tests wrote, on every PNG kind it
counts, every filter type, odd sizes, windows of rows and columns, and damaged data."""

from __future__ import annotations

import io
import json
import os
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
from maskstats.readers.options import ReadOptions
from maskstats.readers.png import check_png, png_window_hists, read_png_bytes
from pngtools import SIGNATURE, chunk, encode_png, filter_rows

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]

#: CI sets MASKSTATS_REQUIRE_KERNEL=1: a kernel that failed to build then fails here
REQUIRED = os.environ.get("MASKSTATS_REQUIRE_KERNEL") == "1"
if not REQUIRED and fastpng.kernel() is None:
    pytest.skip("the compiled PNG kernel is not built in this install", allow_module_level=True)


def test_kernel_is_built():
    """The extension was built and loads (CI requires it: gcc and zlib's header are there)."""
    assert fastpng.kernel() is not None, "maskstats.readers.pngkernel did not build or load"

KINDS = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (3, 1), (3, 2), (3, 4), (3, 8)]
SIZES = [(1, 1), (1, 37), (37, 1), (5, 13), (19, 33), (8, 64)]  # (height, width)
FILTERS = {"none": (0,), "sub": (1,), "up": (2,), "average": (3,), "paeth": (4,),
           "mixed": (4, 3, 0, 1, 2)}


def mask(height: int, width: int, depth: int, seed: int) -> np.ndarray:
    """Random stored values with runs (rows of one value, repeated pixels), all depths."""
    rng = np.random.default_rng(seed)
    top = (1 << depth) - 1
    a = rng.integers(0, top + 1, (height, width))
    a[::3] = rng.integers(0, top + 1)  # whole rows of one value
    a = np.repeat(a[:, ::2], 2, axis=1)[:, :width]  # pairs of equal pixels
    a[0, 0], a[-1, -1] = 0, top  # the extremes
    return a.astype(np.uint16 if depth == 16 else np.uint8)


def truth(a: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(a, return_counts=True)
    return dict(zip(values.tolist(), counts.tolist()))


def as_dict(h) -> dict[int, int]:
    assert int(h.counts.sum()) == h.pixels
    return dict(zip(h.values.tolist(), h.counts.tolist()))


def pillow_values(data: bytes, color: int, depth: int) -> np.ndarray:
    """The stored values as Pillow decodes them (low-bit grey comes scaled to 0..255)."""
    arr = np.asarray(Image.open(io.BytesIO(data))).astype(np.int64)
    if color == 0 and depth < 8:
        arr = arr // (255 // ((1 << depth) - 1)) if arr.max() > (1 << depth) - 1 else arr
    return arr


def kernel_hist(data: bytes, **kw):
    return fastpng.count_png("m.png", data, check_png("m.png", data), **kw)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"c{k[0]}d{k[1]}")
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("filters", sorted(FILTERS))
def test_kernel_equals_pillow_on_every_kind_filter_and_size(kind, size, filters):
    """Each kind, filter type and odd size counts exactly what was written and Pillow reads."""
    color, depth = kind
    a = mask(*size, depth, seed=depth * 1000 + size[0] * 37 + size[1])
    data = encode_png(a, color, depth, filters=FILTERS[filters], idat_pieces=3)
    assert fastpng.handles(check_png("m.png", data))
    assert as_dict(kernel_hist(data)) == truth(a) == truth(pillow_values(data, color, depth))


@pytest.mark.parametrize("filters", sorted(FILTERS))
def test_kernel_and_python_readers_agree_on_the_same_files(monkeypatch, filters):
    """The reader's fast path and today's readers give the same histogram for one file."""
    a = mask(41, 57, 8, seed=5)
    data = encode_png(a, 3, 8, filters=FILTERS[filters])
    (fast,) = read_png_bytes("m.png", data, ReadOptions(), lambda _m: None)
    monkeypatch.setattr(fastpng, "kernel", lambda: None)
    (slow,) = read_png_bytes("m.png", data, ReadOptions(), lambda _m: None)
    assert as_dict(fast) == as_dict(slow) == truth(a)
    assert fast.pixels == slow.pixels == a.size


def test_wide_image_crosses_the_inflate_buffer():
    """Rows longer than the 256 KiB inflate buffer (16-bit, 140000 wide) count exactly."""
    a = mask(3, 140000, 16, seed=9)
    data = encode_png(a, 0, 16, filters=(4, 1, 3))
    assert as_dict(kernel_hist(data)) == truth(a)


def test_windows_of_rows_and_columns():
    """A row range and column band counts exactly that part of the image."""
    a = mask(50, 43, 8, seed=11)
    data = encode_png(a, 0, 8, filters=(0, 1, 2, 3, 4))
    for rows, cols in [((0, 50), (0, 43)), ((10, 11), (0, 43)), ((49, 50), (42, 43)),
                       ((7, 31), (5, 20))]:
        h = kernel_hist(data, rows=rows, cols=cols)
        assert as_dict(h) == truth(a[rows[0]:rows[1], cols[0]:cols[1]])


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_low_bit_column_bands_split_bytes(depth):
    """Column bands of 1/2/4-bit images that start and end inside a byte count exactly."""
    a = mask(9, 29, depth, seed=depth)
    data = encode_png(a, 0, depth, filters=(2, 4))
    for c0, c1 in [(1, 2), (3, 17), (0, 29), (28, 29)]:
        assert as_dict(kernel_hist(data, cols=(c0, c1))) == truth(a[:, c0:c1])


def test_row_blocks_in_one_pass():
    """count_png_blocks gives one histogram per block of rows; the last block is shorter."""
    a = mask(23, 17, 16, seed=13)
    data = encode_png(a, 0, 16, filters=(3,))
    blocks = fastpng.count_png_blocks("m.png", data, check_png("m.png", data), block=5)
    assert len(blocks) == 5
    for i, h in enumerate(blocks):
        assert as_dict(h) == truth(a[5 * i:5 * i + 5])
        assert h.pixels == a[5 * i:5 * i + 5].size


def test_window_outside_the_image_is_refused():
    """Row or column ranges beyond the image are a ValueError, never a read past a buffer."""
    data = encode_png(mask(4, 4, 8, seed=1), 0, 8)
    for rows, cols in [((0, 5), None), ((3, 3), None), (None, (2, 9)), ((-1, 2), None)]:
        with pytest.raises(ValueError):
            kernel_hist(data, rows=rows, cols=cols)


def png_of_stream(stream: bytes, width: int, height: int, depth: int = 8,
                  color: int = 0) -> bytes:
    """A PNG whose image data is exactly ``stream`` (CRCs right)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def raw_rows(height: int, width: int, filt: int = 0) -> bytes:
    return filter_rows([bytes(range(i, i + width)) for i in range(height)], 1, (filt,))


DAMAGED_STREAMS = {  # name: (stream, expected message part) for an 8x6 grey image
    "filter type 5": (zlib.compress(raw_rows(6, 8)[:9 * 2] + b"\x05" + raw_rows(6, 8)[19:]),
                      "invalid filter type 5 in pixel row 2"),
    "rows missing": (zlib.compress(raw_rows(5, 8)), "ends before the last pixel row"),
    "stream cut": (zlib.compress(raw_rows(6, 8), 0)[:30], "the zlib stream is incomplete"),
    "not zlib": (b"\xff" * 40, "zlib: incorrect header check"),
    "bad deflate": (b"\x78\x9c\xff\xff\xff\xff" + bytes(30), "zlib: "),
}


@pytest.mark.parametrize("name", sorted(DAMAGED_STREAMS))
@pytest.mark.parametrize("verify", [False, True])
def test_damaged_image_data_is_one_error(name, verify):
    """Bad filter bytes, short, cut or invalid zlib streams raise UnreadableMask."""
    stream, message = DAMAGED_STREAMS[name]
    data = png_of_stream(stream, 8, 6)
    with pytest.raises(UnreadableMask, match=r"corrupt PNG image data \(.*" + message):
        kernel_hist(data, verify=verify)


def test_stream_running_long_counts_its_rows():
    """Extra rows after the last one (a stream that runs long) are ignored, as Pillow does."""
    data = png_of_stream(zlib.compress(raw_rows(7, 8, 4)), 8, 6)
    a = np.array([list(range(i, i + 8)) for i in range(6)])
    assert as_dict(kernel_hist(data)) == truth(a) == as_dict(kernel_hist(data, verify=True))
    assert truth(np.asarray(Image.open(io.BytesIO(data)))) == truth(a)


def test_adler32_checked_only_when_asked():
    """A wrong adler32 counts without verify (as today's readers) and fails with it."""
    stream = bytearray(zlib.compress(raw_rows(6, 8, 1)))
    stream[-1] ^= 1
    data = png_of_stream(bytes(stream), 8, 6)
    a = np.array([list(range(i, i + 8)) for i in range(6)])
    assert as_dict(kernel_hist(data)) == truth(a)
    with pytest.raises(UnreadableMask, match="zlib: incorrect data check"):
        kernel_hist(data, verify=True)


REAL = sorted(p for p in DATA.rglob("*.png")
              if fastpng.handles(check_png(str(p), p.read_bytes())))


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.parent.name + "/" + p.name)
def test_real_masks_exact(path):
    """Every real grey/palette mask of the corpus counts what Pillow decodes, adler32 checked."""
    data = path.read_bytes()
    header = check_png(str(path), data)
    expected = truth(pillow_values(data, header.color_type, header.bit_depth))
    assert as_dict(kernel_hist(data, verify=True)) == expected


def test_corpus_is_real_and_uses_paeth_rows():
    """The real masks above number at least ten and use None, Sub, Up and Paeth rows
    (Average rows are covered by the generated files above)."""
    seen = set()
    for path in REAL:
        data = path.read_bytes()
        header = check_png(str(path), data)
        stream = zlib.decompress(b"".join(data[s:e] for s, e in header.idat))
        row = (header.width * header.bit_depth + 7) // 8 + 1
        seen |= set(stream[::row][:header.height])
    assert len(REAL) >= 10 and {0, 1, 2, 4} <= seen


def test_interlaced_and_other_kinds_are_not_the_kernels():
    """Interlaced, RGB, grey+alpha PNGs go to the existing readers (handles() is False)."""
    a = mask(9, 9, 8, seed=2)
    assert not fastpng.handles(check_png("m", encode_png(a, 0, 8, interlace=True)))
    assert not fastpng.handles(check_png("m", encode_png(np.dstack([a, a, a]), 2, 8)))
    assert not fastpng.handles(check_png("m", encode_png(np.dstack([a, a]), 4, 8)))


def test_kernel_switched_off_when_unimportable():
    """With the extension unimportable the reader says so and the Python readers serve."""
    code = ("import sys; sys.modules['maskstats.readers.pngkernel'] = None\n"
            "from maskstats.readers import fastpng\n"
            "print(fastpng.kernel() is None, fastpng.describe())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("True PNG masks: Python readers")


def test_describe_names_the_inflate_library():
    """describe() names the compiled kernel and its inflate (zlib-ng when installed)."""
    text = fastpng.describe()
    assert text.startswith("PNG masks: compiled kernel, inflate by zlib")
    if fastpng.zlib_ng_library():
        assert "zlib-ng 2." in text


def test_version_and_debug_name_the_path(run, tmp_path):
    """`maskstats --version` and `--debug` say that the compiled kernel counts PNGs."""
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == fastpng.describe()
    assert "compiled kernel" in result.stdout
    path = tmp_path / "m.png"
    path.write_bytes(encode_png(mask(6, 7, 8, seed=3), 0, 8))
    result = run("scan", path, "--debug", "-q", "-o", tmp_path / "o.json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [f"debug: {fastpng.describe()}"]


def test_per_image_table_and_cache_equal_on_both_paths(run, tmp_path, monkeypatch):
    """--per-image and --cache give the same table and stats with the kernel and without it."""
    folder = tmp_path / "masks"
    folder.mkdir()
    written = {}
    for i, (color, depth) in enumerate(KINDS):
        a = mask(11 + i, 13, depth, seed=40 + i)
        (folder / f"m{i}.png").write_bytes(encode_png(a, color, depth, filters=(4, 3, 2, 1, 0)))
        written[f"m{i}.png"] = a

    def scan(name: str) -> tuple[str, dict]:
        out, table = tmp_path / f"{name}.json", tmp_path / f"{name}.csv"
        result = run("scan", folder, "-q", "--no-progress", "-j", "1", "-o", out,
                     "--per-image", table, "--cache", tmp_path / f"cache-{name}")
        assert result.exit_code == 0, result.stderr
        stats = json.loads(out.read_text())
        assert stats["per_image"].pop("path") == str(table)  # the one field that differs
        return table.read_text(), stats

    fast = scan("kernel")
    monkeypatch.setattr(fastpng, "kernel", lambda: None)
    assert scan("python") == fast
    total = {}
    for a in written.values():
        for v, n in truth(a).items():
            total[v] = total.get(v, 0) + n
    counts = fast[1]["pixel_counts"]
    assert {v: n for v, n in enumerate(counts) if n} == total


@pytest.mark.parametrize("kind", [(0, 8), (3, 4), (0, 16)], ids=["grey8", "palette4", "grey16"])
def test_window_hists_equal_on_both_paths(monkeypatch, kind):
    """png_window_hists: the kernel and the decode-and-cut fallback give the same blocks."""
    color, depth = kind
    a = mask(37, 29, depth, seed=21)
    data = encode_png(a, color, depth, filters=(1, 4, 3))

    def blocks() -> list[dict[int, int]]:
        hists = png_window_hists("m.png", data, ReadOptions(), lambda _m: None,
                                 rows=(3, 34), cols=(2, 27), block=8)
        return [as_dict(h) for h in hists]

    fast = blocks()
    monkeypatch.setattr(fastpng, "kernel", lambda: None)
    assert blocks() == fast == [truth(a[y:min(y + 8, 34), 2:27]) for y in range(3, 34, 8)]
