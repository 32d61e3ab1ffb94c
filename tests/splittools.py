"""Per-image tables with groups, generated for the split tests."""

from __future__ import annotations
import csv
import json
import re
from pathlib import Path
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
import maskstats
from maskstats.errors import UsageProblem
from maskstats.splitting.split import split
from maskstats.table.load import Table, load_table, table_columns


RATIOS = [0.8, 0.1, 0.1]


GROUP = r"^(seq\d+)/"


def write_table(path: Path, paths, counts, frames=None, ignored=None, unexpected=None) -> Path:
    """Write a per-image CSV with the columns of table_columns, from counts the test made."""
    counts = np.asarray(counts, dtype=np.int64)
    n, k = counts.shape
    frames = np.zeros(n, np.int64) if frames is None else np.asarray(frames)
    ignored = np.zeros(n, np.int64) if ignored is None else np.asarray(ignored)
    unexpected = np.zeros(n, np.int64) if unexpected is None else np.asarray(unexpected)
    pixels = counts.sum(axis=1) + ignored + unexpected
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(table_columns(k))
        for i in range(n):
            w.writerow([paths[i], int(frames[i]), int(pixels[i]), int(ignored[i]),
                        int(unexpected[i]), *counts[i].tolist()])
    return path


def grouped_counts(seed=0, groups=30, classes=8, rare=2, min_size=3, max_size=12):
    """Paths seqNNN/imgMMM.png and per-image counts; the last `rare` classes in 3-4 groups."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(min_size, max_size + 1, groups)
    rare_groups = [set(rng.choice(groups, int(rng.integers(3, 5)), replace=False).tolist())
                   for _ in range(rare)]
    paths, rows = [], []
    for g in range(groups):
        p = rng.uniform(0.1, 0.9, classes)
        for i in range(sizes[g]):
            present = rng.random(classes) < p
            present[0] = True
            for r, members in enumerate(rare_groups):
                present[classes - rare + r] = g in members and rng.random() < 0.7
            if any(g in m for m in rare_groups) and i == 0:
                for r, members in enumerate(rare_groups):
                    if g in members:
                        present[classes - rare + r] = True
            rows.append(np.where(present, rng.integers(5, 400, classes), 0))
            paths.append(f"seq{g:03d}/img{i:03d}.png")
    return paths, np.array(rows, dtype=np.int64)
