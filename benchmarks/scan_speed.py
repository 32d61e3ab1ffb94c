"""Scan throughput against baselines measured in the same run.

Baselines (each a whole Python process over the same files, like maskstats):
  decode-only: np.asarray(Image.open(p)) for every file, nothing counted (the yardstick)
  naive:       np.unique(np.asarray(Image.open(p)), return_counts=True) summed in a dict
Then `maskstats scan -j1` and `-j2`. Goals (issue #3): -j1 >= 0.90x decode-only,
-j2 >= 1.7x -j1, and >= 3x the naive script.

    python benchmarks/scan_speed.py [--n8 1500] [--n16 300] [--repeats 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _masks import best_of, write_dataset  # noqa: E402

DECODE_ONLY = """
import sys, numpy as np
from PIL import Image
for p in open(sys.argv[1]).read().split():
    np.asarray(Image.open(p))
"""

NAIVE = """
import sys, numpy as np
from PIL import Image
totals = {}
for p in open(sys.argv[1]).read().split():
    vals, counts = np.unique(np.asarray(Image.open(p)), return_counts=True)
    for v, n in zip(vals.tolist(), counts.tolist()):
        totals[v] = totals.get(v, 0) + n
print(len(totals))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n8", type=int, default=1500)
    ap.add_argument("--n16", type=int, default=300)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "maskstats-bench")
    args = ap.parse_args()

    folder = args.dir / "speed"
    paths = write_dataset(folder, args.n8, args.n16, args.size)
    listing = args.dir / "speed-files.txt"
    listing.write_text("\n".join(map(str, paths)))
    scripts = {}
    for name, code in (("decode", DECODE_ONLY), ("naive", NAIVE)):
        scripts[name] = args.dir / f"{name}.py"
        scripts[name].write_text(code)
    py = sys.executable
    out = str(args.dir / "stats.json")
    n = len(paths)
    mpix = n * args.size * args.size / 1e6
    print(f"{n} masks ({args.n8} 8-bit + {args.n16} 16-bit), {args.size}x{args.size}, "
          f"{os.cpu_count()} cores, best of {args.repeats}")

    times = {
        "decode-only Pillow": best_of(args.repeats, [py, str(scripts["decode"]), str(listing)]),
        "naive np.unique": best_of(args.repeats, [py, str(scripts["naive"]), str(listing)]),
    }
    for jobs in (1, 2):
        times[f"maskstats scan -j{jobs}"] = best_of(args.repeats, [
            py, "-m", "maskstats", "scan", str(folder), "-j", str(jobs), "-o", out,
            "--no-progress", "-q"])
    base = times["decode-only Pillow"]
    print(f"{'':24} {'seconds':>8} {'files/s':>8} {'Mpix/s':>8} {'vs decode':>10}")
    for name, t in times.items():
        print(f"{name:24} {t:8.2f} {n / t:8.0f} {mpix / t:8.1f} {base / t:9.2f}x")
    j1, j2 = times["maskstats scan -j1"], times["maskstats scan -j2"]
    print(f"\n-j1 vs decode-only: {base / j1:.2f}x (goal >= 0.90)")
    print(f"-j2 vs -j1:         {j1 / j2:.2f}x (goal >= 1.70)")
    print(f"-j1 vs naive:       {times['naive np.unique'] / j1:.2f}x (goal >= 3)")


if __name__ == "__main__":
    main()
