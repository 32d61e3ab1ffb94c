"""`maskstats check` speed against `maskstats scan` of the same folder, in the same run.

Both are whole Python processes over the same grey PNG masks (street-scene-like blobs with a
255 void border), at -j1 and -j2; each row gives the best wall time and the CPU time of the
process tree (user + system) over the repeats. Goal: check at no less than half the speed of
a plain scan (ratio scan time / check time >= 0.5), judged by CPU time at -j1 (steadier on a
loaded machine) and by wall time at -j2.

    python benchmarks/check_speed.py [--n 400] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _masks import best_wall_cpu, timed, write_set  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=400, help="masks")
    ap.add_argument("--height", type=int, default=768)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "maskstats-bench")
    args = ap.parse_args()
    py = sys.executable
    folder = args.dir / f"check-grey-{args.n}-{args.height}x{args.width}"
    paths = write_set(folder, args.n, "grey", args.height, args.width)
    out = str(args.dir / "check-stats.json")
    print(f"{os.cpu_count()} cores, best of {args.repeats}, whole processes; {len(paths)} grey "
          f"PNG masks {args.width}x{args.height}")
    timed([py, "-m", "maskstats", "--version"])  # warm the imports' file cache
    times = {}
    for jobs in (1, 2):
        times[f"scan -j{jobs}"] = best_wall_cpu(args.repeats, [
            py, "-m", "maskstats", "scan", str(folder), "-o", out, "-q", "--no-progress",
            "-j", str(jobs)])
        times[f"check -j{jobs}"] = best_wall_cpu(args.repeats, [
            py, "-c", "import runpy, sys; sys.argv[0] = 'maskstats'; "
            "sys.exit(runpy.run_module('maskstats', run_name='__main__'))",
            "check", str(folder), "--no-progress", "-j", str(jobs)])
    print(f"{'':12} {'wall s':>8} {'files/s':>8} {'cpu s':>8}")
    for name, (wall, cpu) in times.items():
        print(f"{name:12} {wall:8.2f} {len(paths) / wall:8.0f} {cpu:8.2f}")
    for jobs in (1, 2):
        (sw, sc), (cw, cc) = times[f"scan -j{jobs}"], times[f"check -j{jobs}"]
        print(f"-j{jobs}: check speed / scan speed = {sw / cw:.2f} wall, {sc / cc:.2f} CPU "
              "(goal >= 0.5)")


if __name__ == "__main__":
    main()
