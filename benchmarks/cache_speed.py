"""Incremental cache: cold scan vs warm rescan, and a rescan after changing 1% of the files.

Every figure is a whole `maskstats scan` process (start-up included) over the same folder,
measured in this run:
  no cache:   scan without --cache (the baseline)
  cold:       scan --cache into an empty cache folder (counts and stores every file)
  warm:       the same command again on the unchanged folder (reads no mask)
  1% changed: after rewriting 1% of the masks with new content (reads only those)
Goal (issue #6): cold / warm >= 20x for 10k small masks.

    python benchmarks/cache_speed.py [--n 10000] [--size 256] [--jobs 2] [--repeats 3]
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402
from _masks import blob_mask, timed  # noqa: E402


def write_small_masks(folder: Path, n: int, size: int, seed: int = 1) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".done-{n}-{size}-{seed}"
    paths = [folder / f"{i // 1000:02d}" / f"m_{i:05d}.png" for i in range(n)]
    if marker.exists():
        return paths
    rng = np.random.default_rng(seed)
    for p in paths:
        p.parent.mkdir(exist_ok=True)
        Image.fromarray(blob_mask(rng, size, size, 20)).save(p)
    marker.write_text("ok")
    return paths


def main() -> None:
    args = parser(__doc__, n=10000, size=256, jobs=2, repeats=3, dir=DEFAULT_DIR).parse_args()

    folder = args.dir / f"cache-{args.n}-{args.size}"
    paths = write_small_masks(folder, args.n, args.size)
    cache = args.dir / "cache-dir"
    out = str(args.dir / "cache-stats.json")
    py = sys.executable
    base = [py, "-m", "maskstats", "scan", str(folder), "-j", str(args.jobs), "-o", out,
            "--no-progress", "-q"]
    print(f"{len(paths)} masks {args.size}x{args.size} 8-bit PNG, -j{args.jobs}, "
          f"{os.cpu_count()} cores, best of {args.repeats}")

    def cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return timed(base + ["--cache", str(cache)])

    times = {"no cache": min(timed(base) for _ in range(args.repeats)),
             "cold (--cache, empty)": min(cold() for _ in range(args.repeats)),
             "warm (unchanged)": min(timed(base + ["--cache", str(cache)])
                                     for _ in range(args.repeats))}
    rng = np.random.default_rng(2)
    changed = []
    for _ in range(args.repeats):
        for p in rng.choice(len(paths), size=max(1, len(paths) // 100), replace=False):
            Image.fromarray(blob_mask(rng, args.size, args.size, 20)).save(paths[p])
        changed.append(timed(base + ["--cache", str(cache)]))
    times["1% changed"] = min(changed)
    cold_t = times["cold (--cache, empty)"]
    print(f"{'':24} {'seconds':>8} {'files/s':>9}")
    for name, t in times.items():
        print(f"{name:24} {t:8.2f} {len(paths) / t:9.0f}")
    print(f"\ncold / warm:            {cold_t / times['warm (unchanged)']:.1f}x (goal >= 20)")
    print(f"cold / 1% changed:      {cold_t / times['1% changed']:.1f}x")
    print(f"cold / no cache:        {cold_t / times['no cache']:.2f}x (cost of storing)")

    # the same in this process (maskstats.scan), without interpreter and import start-up
    import maskstats

    def lib(cache_dir=None) -> float:
        t0 = time.perf_counter()
        maskstats.scan([folder], jobs=args.jobs, cache=cache_dir)
        return time.perf_counter() - t0

    def lib_cold() -> float:
        shutil.rmtree(cache, ignore_errors=True)
        return lib(cache)

    cold_lib = min(lib_cold() for _ in range(args.repeats))
    warm_lib = min(lib(cache) for _ in range(args.repeats))
    print(f"\nin-process maskstats.scan: cold {cold_lib:.2f} s, warm {warm_lib:.3f} s, "
          f"cold / warm {cold_lib / warm_lib:.1f}x")


if __name__ == "__main__":
    main()
