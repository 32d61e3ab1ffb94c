"""Time `maskstats report` on ADE20K-size inputs against the 10 s goal.

150 classes, a 20,000-image per-image table (with object columns) and a compared split: the
stats, table and split are generated (Zipf-like class presence, 512x512 images), then the
report is built in one process, timing the table load and the page build separately.

    python benchmarks/report_speed.py [--images 20000] [--classes 150]

Prints seconds and the ratio to the goal (under 1.0 meets it).
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402

GOAL_S = 10.0
SIZE = 512 * 512


def make(folder: Path, n: int, k: int, seed: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    p = np.clip(0.9 / (np.arange(k) + 1) ** 0.8, 0.0005, 1.0)
    present = rng.random((n, k)) < p
    present[:, 0] = True
    present[:, k - 1] = False  # one absent class
    counts = np.where(present, rng.lognormal(7, 2, (n, k)).astype(np.int64) + 1, 0)
    counts = np.minimum(counts, SIZE // (2 * k))
    ignored = rng.integers(0, 500, n)
    counts[:, 0] = SIZE - counts[:, 1:].sum(axis=1) - ignored
    objs = np.where(counts > 0, rng.integers(1, 12, (n, k)), 0)
    table = folder / f"images{seed}.csv"
    with open(table, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "frame", "pixels", "ignored", "unexpected"]
                   + [f"c{c}" for c in range(k)] + [f"o{c}" for c in range(k)])
        for i in range(n):
            w.writerow([f"img/{i:05d}.png", 0, SIZE, int(ignored[i]), 0]
                       + counts[i].tolist() + objs[i].tolist())
    sha = hashlib.sha256(table.read_bytes()).hexdigest()
    quant = [[1, 20.0, 300.0, 4000.0, 60000] if objs[:, c].any() else None for c in range(k)]
    stats = {"format": "maskstats-stats", "version": 1, "paths": ["img"], "num_images": n,
             "total_pixels": SIZE * n, "num_classes": k,
             "pixel_counts": counts.sum(axis=0).tolist(),
             "image_counts": (counts > 0).sum(axis=0).tolist(),
             "image_pixels": ((counts > 0) * SIZE).sum(axis=0).tolist(),
             "ignore_index": [255], "ignored_pixels": int(ignored.sum()), "unexpected": {},
             "class_names": [f"class_{c}" for c in range(k)], "unit": "pixels",
             "skipped": [], "options": {"num_classes": k},
             "per_image": {"path": str(table), "sha256": sha, "rows": n},
             "object_counts": objs.sum(axis=0).tolist(), "object_pixels_quantiles": quant}
    path = folder / f"stats{seed}.json"
    path.write_text(json.dumps(stats))
    return path, table


def main() -> None:
    args = parser(__doc__, images=20000, classes=150).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stats, table = make(folder, args.images, args.classes, 0)
        other, _ = make(folder, args.images // 5, args.classes, 1)
        start, cpu0 = time.perf_counter(), time.process_time()
        from maskstats.report import build_report, write_report
        from maskstats.table.load import load_table

        loaded = load_table(table)
        t_load, cpu1 = time.perf_counter(), time.process_time()
        html = build_report(str(stats), loaded, [str(other)])
        write_report(folder / "report.html", html)
        end, cpu2 = time.perf_counter(), time.process_time()
    total = end - start
    print(f"report: {args.classes} classes, {args.images:,}-image table with object columns, "
          f"one compared split; page {len(html) / 1e6:.1f} MB")
    print("                        wall      CPU (this process; what a busy machine hides)")
    print(f"  imports + load_table: {t_load - start:6.2f} s  {cpu1 - cpu0:6.2f} s")
    print(f"  build + write:        {end - t_load:6.2f} s  {cpu2 - cpu1:6.2f} s")
    print(f"  total:                {total:6.2f} s  {cpu2 - cpu0:6.2f} s   goal {GOAL_S:.0f} s   "
          f"ratio {total / GOAL_S:.2f} wall, {(cpu2 - cpu0) / GOAL_S:.2f} CPU "
          f"({'meets' if total < GOAL_S else 'misses'} the goal in wall time)")


if __name__ == "__main__":
    main()
