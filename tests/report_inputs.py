"""Inputs for the report tests: stats and per-image tables built from arrays the test owns."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import numpy as np

from maskstats.table.load import table_columns


def table_counts(rng: np.random.Generator, n: int, k: int, size: int = 4096,
                 absent=(), objects: bool = False):
    """Per-image counts (n, k) summing to ``size`` - ignored, plus object counts or None."""
    present = rng.random((n, k)) < np.linspace(0.9, 0.15, k)
    present[:, 0] = True
    present[:, list(absent)] = False
    counts = np.where(present, rng.integers(1, size // (2 * k), (n, k)), 0)
    ignored = rng.integers(0, 50, n)
    counts[:, 0] = size - ignored - counts[:, 1:].sum(axis=1)
    objs = np.where(counts > 0, rng.integers(1, 9, (n, k)), 0) if objects else None
    return counts, ignored, objs


def write_table(path: Path, counts: np.ndarray, ignored: np.ndarray, size: int,
                objs: np.ndarray | None = None) -> str:
    """Write a per-image CSV (path, frame, pixels, ignored, unexpected, c<k>, o<k>); return its
    sha256."""
    n, k = counts.shape
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(table_columns(k, objs is not None))
        for i in range(n):
            row = [f"m/{i:04d}.png", 0, size, int(ignored[i]), 0] + counts[i].tolist()
            w.writerow(row + (objs[i].tolist() if objs is not None else []))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stats_dict(counts: np.ndarray, ignored: np.ndarray, size: int, *, unit="pixels",
               names=None, table_sha=None, ignore_index=(255,), **extra) -> dict:
    """The stats JSON that a scan of these images would write (totals from the counts)."""
    present = counts > 0
    d = {"format": "maskstats-stats", "version": 1, "paths": ["m"],
         "num_images": int(counts.shape[0]), "total_pixels": int(size * counts.shape[0]),
         "num_classes": int(counts.shape[1]), "pixel_counts": counts.sum(axis=0).tolist(),
         "image_counts": present.sum(axis=0).tolist(),
         "image_pixels": (present * size).sum(axis=0).tolist(),
         "ignore_index": list(ignore_index), "ignored_pixels": int(ignored.sum()),
         "unexpected": {}, "class_names": names, "unit": unit, "skipped": [],
         "options": {"num_classes": int(counts.shape[1])}}
    if table_sha is not None:
        d["per_image"] = {"path": "images.csv", "sha256": table_sha, "rows": len(counts)}
    d.update(extra)
    return d


def save(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def sections(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)


def plots(html: str) -> list[str]:
    return re.findall(r'<figure id="plot-([^"]+)"', html)


def external_refs(html: str) -> list[str]:
    """Every reference that would make a browser fetch something from the network."""
    refs = re.findall(r'(?:src|href)\s*=\s*["\']?\s*((?:https?:)?//[^"\'\s>]*)', html, re.I)
    refs += re.findall(r'url\(\s*["\']?\s*((?:https?:)?//[^)"\']*)', html, re.I)
    refs += re.findall(r'@import\s+[^;]*', html, re.I)
    return refs
