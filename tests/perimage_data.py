"""Per-image tables written by the tests themselves, from counts the tests generated."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np


def random_counts(rng: np.random.Generator, n: int, k: int, density: float = 0.3,
                  high: int = 5000) -> np.ndarray:
    """An (n, k) int64 matrix of per-image class pixels, about ``density`` of it non-zero."""
    counts = rng.integers(1, high, size=(n, k)) * (rng.random((n, k)) < density)
    return counts.astype(np.int64)


def write_table(path: Path, counts: np.ndarray, paths=None, frames=None, ignored=None,
                unexpected=None, objects=None) -> Path:
    """Write a per-image table (CSV, or Parquet for a .parquet path) with those counts."""
    counts = np.asarray(counts, dtype=np.int64)
    n, k = counts.shape
    paths = [f"img_{i:03d}.png" for i in range(n)] if paths is None else list(paths)
    frames = np.zeros(n, np.int64) if frames is None else np.asarray(frames)
    ignored = np.zeros(n, np.int64) if ignored is None else np.asarray(ignored)
    unexpected = np.zeros(n, np.int64) if unexpected is None else np.asarray(unexpected)
    pixels = counts.sum(axis=1) + ignored + unexpected
    header = ["path", "frame", "pixels", "ignored", "unexpected"] + [f"c{c}" for c in range(k)]
    if objects is not None:
        header += [f"o{c}" for c in range(k)]
    columns = [paths, frames, pixels, ignored, unexpected] + [counts[:, c] for c in range(k)]
    if objects is not None:
        columns += [np.asarray(objects)[:, c] for c in range(k)]
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays = [pa.array(paths, pa.string())] + [pa.array(np.asarray(c, np.int64))
                                                   for c in columns[1:]]
        pq.write_table(pa.Table.from_arrays(arrays, names=header), path)
        return path
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for i in range(n):
            w.writerow([paths[i]] + [int(np.asarray(c)[i]) for c in columns[1:]])
    return path


def write_stats(path: Path, table_path: Path, counts: np.ndarray, names=None,
                ignore_index=(), rows=None, sha256=None) -> Path:
    """A minimal stats JSON that records ``table_path`` under per_image (as scan does)."""
    import hashlib

    counts = np.asarray(counts)
    doc = {"format": "maskstats-stats", "version": 1, "num_classes": counts.shape[1],
           "pixel_counts": counts.sum(axis=0).tolist(),
           "image_counts": (counts > 0).sum(axis=0).tolist(),
           "ignore_index": list(ignore_index), "class_names": names,
           "per_image": {"path": str(table_path),
                         "sha256": sha256 or hashlib.sha256(Path(table_path).read_bytes())
                         .hexdigest(),
                         "rows": counts.shape[0] if rows is None else rows}}
    Path(path).write_text(json.dumps(doc))
    return Path(path)
