"""Peak memory of `maskstats scan` for N and 4N large masks: it must stay flat.

Goal (issue #3): peak RSS at 4N <= 1.15x peak RSS at N, and under 200 MB.
Peak RSS is the largest resident set of the scanning process or any of its workers
(ru_maxrss of the children, read after each run in a fresh process).

    python benchmarks/scan_memory.py [--n 100] [--size 2048] [--jobs 2]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402
from _masks import write_dataset  # noqa: E402

PROBE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mb(cmd: list[str]) -> float:
    """Max RSS (MB) over the process tree of ``cmd`` (Linux: ru_maxrss is in KiB)."""
    out = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    args = parser(__doc__, n=100, size=2048, jobs=2, dir=DEFAULT_DIR).parse_args()
    results = {}
    for n in (args.n, 4 * args.n):
        folder = args.dir / f"mem-{n}-{args.size}"
        write_dataset(folder, n8=n - n // 5, n16=n // 5, size=args.size, seed=n)
        cmd = [sys.executable, "-m", "maskstats", "scan", str(folder), "-j", str(args.jobs),
               "-o", str(args.dir / "mem.json"), "--no-progress", "-q"]
        results[n] = peak_rss_mb(cmd)
        gb = n * args.size * args.size * 1.2 / 1e9
        print(f"{n:5d} masks {args.size}x{args.size} (~{gb:.1f} GB decoded): "
              f"peak RSS {results[n]:.0f} MB")
    ratio = results[4 * args.n] / results[args.n]
    print(f"4N / N peak RSS: {ratio:.2f}x (goal <= 1.15), max {max(results.values()):.0f} MB "
          f"(goal < 200 MB)")


if __name__ == "__main__":
    main()
