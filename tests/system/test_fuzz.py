"""Fuzz: byte-flipped copies of real-looking masks, with a fixed seed.

Every copy either counts exactly what the original counts or is one ``Error:`` line (exit 1);
none hangs, prints a traceback or a raw (Python or libtiff) warning. Two rules:

* **exact or error**: PNG copies flipped anywhere (PNG has CRCs and zlib's adler32), and
  deflate-compressed TIFF copies flipped in their strip data (zlib's adler32 guards it);
* **clean failure only**: TIFF copies flipped anywhere, in every compression. A TIFF
  directory has no checksum: a flip there can make another valid TIFF (an other width,
  another photometric interpretation), which no reader can tell from the real one, so
  only "exit 0 or one Error line, no raw output, no hang" can hold.

The CLI runs in a few subprocess scans (``--on-error skip``) for the output rules, and each
copy is also counted in-process for the exact-or-error rule, so the whole file stays fast.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import maskstats
from maskstats.errors import MaskstatsError

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261201
COPIES = 60  # per source: 6 sources, 360 copies


def _mask() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    a = np.zeros((40, 56), np.uint8)
    for c in range(1, 6):
        y, x = rng.integers(0, 30), rng.integers(0, 46)
        a[y:y + int(rng.integers(3, 10)), x:x + int(rng.integers(3, 10))] = c
    a[0, :4] = 255
    return a


def _png(a: np.ndarray, palette: bool) -> bytes:
    buf = io.BytesIO()
    im = Image.fromarray(a)
    if palette:
        im = Image.frombytes("P", im.size, a.tobytes())
        im.putpalette([(i * 37) % 256 for i in range(768)])
    im.save(buf, format="PNG")
    return buf.getvalue()


def _tiff(a: np.ndarray, compression: str | None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="TIFF", compression=compression)
    return buf.getvalue()


def _strip_range(data: bytes) -> tuple[int, int]:
    """Byte range of the (single) strip of a TIFF written by Pillow."""
    im = Image.open(io.BytesIO(data))
    offset, count = im.tag_v2[273][0], im.tag_v2[279][0]
    return offset, offset + count


#: name -> (bytes, extension, which bytes may be flipped, rule)
def _sources() -> dict[str, tuple[bytes, str, tuple[int, int] | None, str]]:
    a = _mask()
    deflate = _tiff(a, "tiff_adobe_deflate")
    # a noisy mask: most flips in its deflate data still decode (to other labels), so only
    # the zlib checksum tells them apart (maskstats/readers/tiff.py)
    noisy = _tiff(np.random.default_rng(SEED).integers(0, 6, (40, 50)).astype(np.uint8),
                  "tiff_adobe_deflate")
    return {
        "tiff_noisy_deflate_data": (noisy, ".tif", _strip_range(noisy), "exact"),
        "png_grey": (_png(a, False), ".png", None, "exact"),
        "png_palette": (_png(a, True), ".png", None, "exact"),
        "tiff_deflate_data": (deflate, ".tif", _strip_range(deflate), "exact"),
        "tiff_deflate": (deflate, ".tif", None, "clean"),
        "tiff_raw": (_tiff(a, None), ".tif", None, "clean"),
        "tiff_lzw_packbits": (_tiff(a, "tiff_lzw"), ".tif", None, "clean"),
    }


def _flipped(data: bytes, span: tuple[int, int] | None, rng: np.random.Generator) -> bytes:
    lo, hi = span if span is not None else (0, len(data))
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):  # one to three bytes changed
        i = int(rng.integers(lo, hi))
        out[i] ^= int(rng.integers(1, 256))
    return bytes(out)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, tuple[Path, Path, str]]:
    """Write the originals and their flipped copies: name -> (original, folder, rule)."""
    root = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(SEED)
    out = {}
    for name, (data, ext, span, rule) in _sources().items():
        folder = root / name
        folder.mkdir()
        original = root / f"{name}{ext}"
        original.write_bytes(data)
        for i in range(COPIES):
            (folder / f"{i:03d}{ext}").write_bytes(_flipped(data, span, rng))
        out[name] = (original, folder, rule)
    return out


def _stats_dict(path: Path) -> dict:
    d = maskstats.scan(path, jobs=1, num_classes=256, on_warning=lambda _m: None).to_dict()
    return {k: d[k] for k in ("num_images", "total_pixels", "pixel_counts", "image_counts",
                              "image_pixels", "unexpected")}


def test_cli_scan_of_every_copy_is_clean(corpus):
    """One CLI scan of all copies with --on-error skip: exit 0, only one-line Warning
    output, no traceback, no raw warning, within the timeout; skip reasons are one line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    folders = [folder for _original, folder, _rule in corpus.values()]
    proc = subprocess.run([sys.executable, "-m", "maskstats", "scan", *folders, "-j", "2",
                           "--num-classes", "256", "--on-error", "skip", "-q", "-o", "-"],
                          env=env, capture_output=True, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert all(line.startswith("Warning: ") for line in err.splitlines()), err
    stats = json.loads(proc.stdout)
    assert stats["skipped"] and all("\n" not in s["reason"] for s in stats["skipped"])
    assert stats["num_images"] + len(stats["skipped"]) == COPIES * len(folders)


def test_every_copy_counts_exactly_or_fails_with_one_error(corpus, run):
    """Each copy of an 'exact' source counts exactly the original or is one Error line
    (exit 1); each copy of a 'clean' source exits 0 or gives one Error line."""
    for name, (original, folder, rule) in corpus.items():
        want = _stats_dict(original)
        differ = []
        for copy in sorted(folder.iterdir()):
            try:
                got = _stats_dict(copy)
            except MaskstatsError:
                result = run("scan", copy, "--num-classes", 256, "-q", "-o", os.devnull)
                assert result.exit_code == 1, (copy, result.stderr)
                assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
                continue
            if got != want:
                differ.append(copy.name)
        if rule == "exact":
            assert differ == [], f"{name}: copies counted differently: {differ}"
