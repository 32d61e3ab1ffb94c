"""Fixed-seed fuzz of real PNG masks: every damaged copy counts exactly or is one Error line.

Hundreds of copies of a VOC palette mask and a Cityscapes grey mask, each with a few bytes
changed at random places, go through ``maskstats scan`` (in a subprocess, through the CLI) on
the compiled kernel (maskstats.readers.fastpng), on the libspng path (the kernel made
unimportable) and on the Pillow fallback (pyspng unimportable too). A copy
whose bytes changed is expected to fail its CRCs; a copy whose damage left the pixels intact
(bytes after IEND) must count exactly the original. Nothing may print a traceback or a raw
Python warning. A second set re-fixes the CRCs over deflate damage: ``--verify-checksums``
must then catch every copy whose pixels changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pngtools import SANITIZER_ENV, idat_ranges, refix_crcs

pytest.importorskip("pyspng")

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "palette": DATA / "voc" / "SegmentationClass_2007_000063.png",
    "grey": DATA / "cityscapes_labelids" / "frankfurt_000000_000294_gtFine_labelIds.png",
}
CASES = 150  # per source and kind of damage


def flipped_copies(data: bytes, seed: int, refix: bool) -> list[bytes]:
    """``CASES`` copies with 1-3 random bytes XOR-ed (inside the image data if ``refix``)."""
    rng = np.random.default_rng(seed)
    lo, hi = (idat_ranges(data)[0][0], idat_ranges(data)[-1][1]) if refix else (0, len(data))
    out = []
    for _ in range(CASES):
        d = bytearray(data)
        for where in rng.integers(lo, hi, int(rng.integers(1, 4))):
            d[where] ^= int(rng.integers(1, 256))
        out.append(refix_crcs(d) if refix else bytes(d))
    return out


def truth(path: Path) -> dict:
    values, counts = np.unique(np.asarray(Image.open(path)), return_counts=True)
    return dict(zip(map(str, values.tolist()), counts.tolist()))


# runs in a subprocess: scan each file with the CLI, print one JSON line per file
RUNNER = r"""
import json, sys, io, contextlib, warnings
if sys.argv[1] != "kernel":
    sys.modules["maskstats.readers.pngkernel"] = None
if sys.argv[1] == "fallback":
    sys.modules["pyspng"] = None
from click.testing import CliRunner
from maskstats.cli import cli
from maskstats.readers.fastpng import kernel
from maskstats.readers.spng import decoder
assert (decoder() is None) == (sys.argv[1] == "fallback")
assert (kernel() is None) == (sys.argv[1] != "kernel")
runner = CliRunner()
for path in sys.argv[3:]:
    out = path + ".json"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        args = ["scan", path, "-o", out, "-q", "--no-progress", "-j", "1"]
        if sys.argv[2] == "verify":
            args.append("--verify-checksums")
        r = runner.invoke(cli, args)
    counts = None
    if r.exit_code == 0:
        stats = json.load(open(out))
        counts = {str(i): n for i, n in enumerate(stats["pixel_counts"]) if n}
    print(json.dumps({"path": path, "code": r.exit_code, "stderr": r.stderr, "counts": counts,
                      "exception": repr(r.exception) if r.exit_code not in (0, 1) else None,
                      "warnings": [str(w.message) for w in caught]}))
"""


def run_cases(tmp_path: Path, files: list[Path], path_kind: str, verify: bool) -> list[dict]:
    if path_kind == "kernel":
        from maskstats.readers.fastpng import kernel

        if kernel() is None:
            pytest.skip("the compiled PNG kernel is not built in this install")
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, path_kind, "verify" if verify else "plain",
         *map(str, files)], capture_output=True, text=True, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "", **SANITIZER_ENV}, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return [json.loads(line) for line in proc.stdout.splitlines()]


def check(results: list[dict], expected: dict, must_fail: set[str]) -> tuple[int, int]:
    """Each result counts exactly ``expected`` or is one Error line; returns (ok, errors)."""
    exact = errors = 0
    for r in results:
        assert r["warnings"] == [], r
        assert "Traceback" not in r["stderr"], r
        if r["code"] == 0:
            assert r["counts"] == expected, r["path"]
            assert r["path"] not in must_fail, r["path"]
            exact += 1
        else:
            assert r["code"] == 1, r
            lines = r["stderr"].strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"Error: {r['path']}: "), r
            errors += 1
    return exact, errors


@pytest.mark.parametrize("path_kind", ["kernel", "libspng", "fallback"])
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_byte_flipped_pngs_count_exactly_or_fail_in_one_line(tmp_path, source, path_kind):
    """Random byte flips: exact counts (damage after IEND) or one Error line, never silence."""
    src = SOURCES[source]
    data = src.read_bytes()
    files = []
    for i, damaged in enumerate(flipped_copies(data, seed=2026 + len(source), refix=False)):
        files.append(tmp_path / f"{source}_{i:03d}.png")
        files[-1].write_bytes(damaged)
    results = run_cases(tmp_path, files, path_kind, verify=False)
    assert len(results) == CASES
    exact, errors = check(results, truth(src), must_fail=set())
    assert errors >= CASES * 0.9  # almost every flip lands inside a chunk: its CRC breaks


@pytest.mark.parametrize("path_kind", ["kernel", "libspng", "fallback"])
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_refixed_crcs_over_deflate_damage_caught_by_verify_checksums(tmp_path, source,
                                                                     path_kind):
    """Deflate damage under re-fixed CRCs: with --verify-checksums, exact or one Error line."""
    src = SOURCES[source]
    files = []
    for i, damaged in enumerate(flipped_copies(src.read_bytes(), seed=7 + len(source),
                                               refix=True)):
        files.append(tmp_path / f"{source}_{i:03d}.png")
        files[-1].write_bytes(damaged)
    results = run_cases(tmp_path, files, path_kind, verify=True)
    assert len(results) == CASES
    exact, errors = check(results, truth(src), must_fail=set())
    assert errors >= CASES * 0.95


def test_fuzz_sources_are_the_expected_png_kinds():
    """The fuzzed masks are an 8-bit palette PNG and an 8-bit grey PNG."""
    with warnings.catch_warnings():
        assert Image.open(SOURCES["palette"]).mode == "P"
        assert Image.open(SOURCES["grey"]).mode == "L"
