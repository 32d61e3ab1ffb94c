"""What `--window` and `--crop` add to a scan of ordinary masks (whole processes, this run).

Scans the same folder of 8-bit PNG masks with a per-image table, with `--window 256
--stride 128` (a window table), and with `--crop 256`, at -j1; best of --repeats, wall and
CPU time of the process tree. Goals: --window adds at most 20% to the scan; --crop at
most 2x.

    python benchmarks/window_overhead.py [--n 300] [--size 512] [--repeats 3]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402
from _masks import best_wall_cpu, write_dataset  # noqa: E402


def main() -> None:
    args = parser(__doc__, n=300, size=512, repeats=3, dir=DEFAULT_DIR).parse_args()
    folder = args.dir / f"windows-{args.n}-{args.size}"
    write_dataset(folder, n8=args.n, n16=0, size=args.size, seed=22)
    table, out = args.dir / "wo-table.csv", args.dir / "wo.json"
    base = [sys.executable, "-m", "maskstats", "scan", str(folder), "--ignore-index", "255",
            "-j", "1", "-o", str(out), "--no-progress", "-q", "--per-image", str(table)]
    runs = {"plain --per-image": base,
            "--window 256 --stride 128": base + ["--window", "256", "--stride", "128"],
            "--crop 256": base + ["--crop", "256"]}
    results = {name: best_wall_cpu(args.repeats, cmd) for name, cmd in runs.items()}
    print(f"{args.n} masks {args.size}x{args.size} 8-bit PNG, -j1, best of {args.repeats}")
    for name, (wall, cpu) in results.items():
        print(f"{name:28s} {wall:7.2f} s wall {cpu:7.2f} s CPU")
    plain = results["plain --per-image"]
    for name, goal in (("--window 256 --stride 128", "<= 1.2"), ("--crop 256", "<= 2")):
        wall, cpu = results[name]
        print(f"{name} / plain: {wall / plain[0]:.2f}x wall, {cpu / plain[1]:.2f}x CPU "
              f"(goal {goal})")


if __name__ == "__main__":
    main()
