"""Scan throughput against baselines measured in the same run, on grey and palette PNG sets.

Baselines (each a whole Python process over the same files, like maskstats):
  decode-only: np.asarray(Image.open(p)) for every file, nothing counted (the yardstick)
  naive:       np.unique(np.asarray(Image.open(p)), return_counts=True) summed in a dict
Then `maskstats scan -j1` and `-j2` on each set. Goals (issue #16): grey set -j1 >= 1.3x
decode-only (stretch 1.5x), palette set -j1 >= 0.95x, -j2 >= 1.7x -j1 (2 cores).
`--checksums` adds `scan -j1 --verify-checksums`; `--no-libspng` runs maskstats with pyspng
made unimportable (the Pillow fallback). Each row gives wall time and the CPU time of the
process tree (user + system): on a shared, loaded machine the CPU ratios are the steadier
ones; -j2 is judged by wall time.

    python benchmarks/scan_speed.py [--n 800] [--repeats 3] [--checksums] [--no-libspng]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402
from _masks import best_wall_cpu, write_set  # noqa: E402

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

NO_LIBSPNG = ("import sys, runpy; sys.modules['pyspng'] = None; "
              "runpy.run_module('maskstats', run_name='__main__')")


def main() -> None:
    ap = parser(__doc__, n=800, repeats=3, dir=DEFAULT_DIR)
    ap.add_argument("--height", type=int, default=768)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--sets", default="grey,palette")
    ap.add_argument("--no-libspng", action="store_true",
                    help="also time maskstats -j1 with pyspng unimportable (Pillow only)")
    ap.add_argument("--checksums", action="store_true",
                    help="also time maskstats -j1 --verify-checksums (the adler32 check)")
    args = ap.parse_args()
    py = sys.executable
    scripts = {}
    for name, code in (("decode", DECODE_ONLY), ("naive", NAIVE)):
        scripts[name] = args.dir / f"{name}.py"
        scripts[name].parent.mkdir(parents=True, exist_ok=True)
        scripts[name].write_text(code)
    out = str(args.dir / "stats.json")
    print(f"{os.cpu_count()} cores, best of {args.repeats}, whole processes")
    for kind in args.sets.split(","):
        folder = args.dir / f"speed-{kind}-{args.n}-{args.height}x{args.width}"
        paths = write_set(folder, args.n, kind, args.height, args.width)
        listing = args.dir / f"speed-{kind}-files.txt"
        listing.write_text("\n".join(map(str, paths)))
        n, mpix = len(paths), len(paths) * args.height * args.width / 1e6
        scan = ["scan", str(folder), "-o", out, "--no-progress", "-q"]
        times = {"decode-only Pillow": best_wall_cpu(args.repeats, [py, str(scripts["decode"]),
                                                              str(listing)])}
        if kind == "grey":
            times["naive np.unique"] = best_wall_cpu(  # slow: fewer repeats
                max(1, args.repeats // 3), [py, str(scripts["naive"]), str(listing)])
        for jobs in (1, 2):
            times[f"maskstats scan -j{jobs}"] = best_wall_cpu(
                args.repeats, [py, "-m", "maskstats", *scan, "-j", str(jobs)])
        if args.no_libspng:
            times["scan -j1, Pillow only"] = best_wall_cpu(
                args.repeats, [py, "-c", NO_LIBSPNG, *scan, "-j", "1"])
        if args.checksums:
            times["scan -j1 --verify-chk"] = best_wall_cpu(
                args.repeats, [py, "-m", "maskstats", *scan, "-j", "1", "--verify-checksums"])
        base, base_cpu = times["decode-only Pillow"]
        print(f"\n{kind} set: {n} 8-bit {kind} PNG masks {args.width}x{args.height}, "
              f"{sum(p.stat().st_size for p in paths) / n / 1024:.1f} KiB each")
        print(f"{'':24} {'seconds':>8} {'files/s':>8} {'Mpix/s':>8} {'vs decode':>10} "
              f"{'cpu s':>7} {'cpu vs decode':>13}")
        for name, (t, cpu) in times.items():
            print(f"{name:24} {t:8.2f} {n / t:8.0f} {mpix / t:8.1f} {base / t:9.2f}x "
                  f"{cpu:7.2f} {base_cpu / cpu:12.2f}x")
        (j1, j1_cpu), (j2, _) = times["maskstats scan -j1"], times["maskstats scan -j2"]
        goal = "goal >= 1.30, stretch 1.50" if kind == "grey" else "goal >= 0.95"
        print(f"-j1 vs decode-only: {base / j1:.2f}x wall, {base_cpu / j1_cpu:.2f}x CPU ({goal})")
        print(f"-j2 vs -j1:         {j1 / j2:.2f}x wall (goal >= 1.70)")
        if args.checksums:
            wall, cpu = times["scan -j1 --verify-chk"]
            print(f"--verify-checksums: {wall / j1:.2f}x the wall time, {cpu / j1_cpu:.2f}x "
                  "the CPU time of -j1")
        if "naive np.unique" in times:
            print(f"-j1 vs naive:       {times['naive np.unique'][0] / j1:.2f}x (goal >= 3)")


if __name__ == "__main__":
    main()
