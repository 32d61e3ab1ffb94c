"""`scan --objects` throughput against a plain scan of the same masks, in the same run.

Every figure is a whole `maskstats scan` process (start-up included), best of --repeats, the
two commands alternated so that load changes hit both alike. Goal (issue #15): --objects at
least 0.5x the plain scan's throughput on 2000 masks 512x512 with 20 classes.

    python benchmarks/objects_speed.py [--n 2000] [--size 512] [--jobs 1] [--repeats 3]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402
from _masks import timed  # noqa: E402
from per_image_overhead import write_masks  # noqa: E402


def main() -> None:
    args = parser(__doc__, n=2000, size=512, jobs=1, repeats=3, dir=DEFAULT_DIR).parse_args()

    folder = args.dir / f"per-image-{args.n}-{args.size}"
    write_masks(folder, args.n, args.size)
    base = [sys.executable, "-m", "maskstats", "scan", str(folder), "--ignore-index", "255",
            "-j", str(args.jobs), "-o", str(args.dir / "obj-stats.json"), "--no-progress", "-q"]
    plain, objects = [], []
    for _ in range(args.repeats):
        plain.append(timed(base))
        objects.append(timed(base + ["--objects"]))
    t_plain, t_obj = min(plain), min(objects)
    print(f"{args.n} masks {args.size}x{args.size} 8-bit PNG, 20 classes, -j{args.jobs}, "
          f"{os.cpu_count()} cores, best of {args.repeats}")
    print(f"{'':20} {'seconds':>8} {'files/s':>8}")
    print(f"{'plain scan':20} {t_plain:8.2f} {args.n / t_plain:8.0f}")
    print(f"{'scan --objects':20} {t_obj:8.2f} {args.n / t_obj:8.0f}")
    print(f"\n--objects throughput / plain: {t_plain / t_obj:.2f}x (goal >= 0.5)")


if __name__ == "__main__":
    main()
