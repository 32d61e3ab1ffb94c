"""Shared fixtures: write masks with known content, run the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from maskstats.cli import cli

DATA = Path(__file__).parent / "data"


def blob_mask(rng: np.random.Generator, shape=(48, 64), classes=5, dtype=np.uint8) -> np.ndarray:
    """A mask with a dominant background and a few rectangles of other classes."""
    a = np.zeros(shape, dtype=dtype)
    for _ in range(int(rng.integers(1, 6))):
        c = int(rng.integers(1, classes))
        y, x = int(rng.integers(0, shape[0])), int(rng.integers(0, shape[1]))
        h, w = int(rng.integers(1, shape[0] // 2)), int(rng.integers(1, shape[1] // 2))
        a[y:y + h, x:x + w] = c
    return a


def save_png(path: Path, a: np.ndarray, palette: bool = False) -> Path:
    """Save ``a`` as a grey PNG, or as a palette PNG whose colours differ from the indices."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if palette:
        im = Image.fromarray(a.astype(np.uint8), mode="L").convert("P")
        im = Image.frombytes("P", im.size, a.astype(np.uint8).tobytes())
        # colours deliberately unrelated to the index (index 1 -> bright yellow ...)
        im.putpalette([(i * 97 + 31) % 256 for i in range(768)])
        im.save(path)
    else:
        Image.fromarray(a).save(path)
    return path


def expected_stats(arrays: list[np.ndarray], ignore=(), num_classes=None) -> dict:
    """Per-class totals computed directly from the arrays (independent of maskstats)."""
    pix: Counter = Counter()
    imgs: Counter = Counter()
    ipix: Counter = Counter()
    for a in arrays:
        vals, counts = np.unique(a, return_counts=True)
        for v, n in zip(vals.tolist(), counts.tolist()):
            pix[v] += n
            imgs[v] += 1
            ipix[v] += a.size
    classes = [v for v in pix if v not in ignore]
    k = num_classes if num_classes is not None else (max(classes) + 1 if classes else 0)
    return {
        "num_images": len(arrays),
        "total_pixels": sum(a.size for a in arrays),
        "num_classes": k,
        "pixel_counts": [pix.get(c, 0) if c not in ignore else 0 for c in range(k)],
        "image_counts": [imgs.get(c, 0) if c not in ignore else 0 for c in range(k)],
        "image_pixels": [ipix.get(c, 0) if c not in ignore else 0 for c in range(k)],
        "ignored_pixels": sum(pix[v] for v in ignore),
        "unexpected": {str(v): n for v, n in sorted(pix.items())
                       if v not in ignore and not 0 <= v < k},
    }


def assert_matches(stats: dict, expected: dict) -> None:
    for key, value in expected.items():
        assert stats[key] == value, key


@pytest.fixture
def run():
    """Run the CLI in-process; returns the click Result (stdout and stderr separate)."""
    runner = CliRunner()

    def _run(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return _run


@pytest.fixture
def scan_json(run, tmp_path):
    """Run ``maskstats scan ARGS -o out.json`` and return the parsed stats."""

    def _scan(*args):
        out = tmp_path / "out.json"
        result = run("scan", *args, "-o", out, "--no-progress")
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(out.read_text())

    return _scan
