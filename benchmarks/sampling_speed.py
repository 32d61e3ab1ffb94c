"""Time and peak RSS of `maskstats sample-weights` (each method) and `maskstats images --class`
on a per-image table of 200,000 images x 150 classes (ADE20K-sized class list).

Goals (issue #13): sample-weights < 5 s and < 500 MB per method; images --class < 2 s.
Each command runs as a whole process (Python start-up, table load, work, output), measured
with wall-clock time and the child's ru_maxrss. Two baselines are measured in the same run:
`import maskstats` plus reading the file's bytes (what any tool pays), and `pandas.read_csv`
of the table (what a user would otherwise write first); ratios are against the latter. The
machine's load average is printed, and CPU time next to wall time: on shared cores the
wall time of every command, baselines included, grows with the load, the CPU time much less.

The table is generated once (Zipf-like class frequencies, about 10 classes per image, a
background class in most images, a few images with only ignored pixels) and reused:

    python benchmarks/sampling_speed.py [--rows 200000] [--classes 150] [--dir DIR]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - t, r.ru_utime + r.ru_stime, r.ru_maxrss)
"""


def make_table(path: Path, rows: int, classes: int, seed: int = 0) -> None:
    """Write a per-image CSV table with realistic sparsity (written block by block)."""
    rng = np.random.default_rng(seed)
    freq = 1.0 / np.arange(1, classes + 1) ** 1.1  # Zipf-like: class 0 common, tail rare
    freq /= freq.sum()
    header = ["path", "frame", "pixels", "ignored", "unexpected"] + \
        [f"c{k}" for k in range(classes)]
    with open(path, "w", newline="") as fh:
        fh.write(",".join(header) + "\n")
        for start in range(0, rows, 10_000):
            n = min(10_000, rows - start)
            counts = np.zeros((n, classes), dtype=np.int64)
            per_image = rng.integers(3, 18, size=n)
            for i in range(n):
                cls = rng.choice(classes, size=per_image[i], replace=False, p=freq)
                counts[i, cls] = rng.integers(50, 60_000, size=cls.size)
            empty = rng.random(n) < 0.001  # only ignored pixels
            counts[empty] = 0
            ignored = rng.integers(0, 5_000, size=n)
            pixels = counts.sum(axis=1) + ignored
            block = np.column_stack([np.zeros(n, np.int64), pixels, ignored,
                                     np.zeros(n, np.int64), counts])
            lines = [f"img/{start + i:07d}.png," + ",".join(map(str, row))
                     for i, row in enumerate(block.tolist())]
            fh.write("\n".join(lines) + "\n")


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of ``cmd`` run as its own process."""
    out = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    secs, cpu, kib = out.stdout.split()
    return float(secs), float(cpu), int(kib) / 1024


def main() -> None:
    args = parser(__doc__, rows=200_000, classes=150, dir=DEFAULT_DIR).parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    table = args.dir / f"table-{args.rows}x{args.classes}.csv"
    if not table.exists():
        t = time.perf_counter()
        make_table(table, args.rows, args.classes)
        print(f"wrote {table} ({table.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t:.0f} s")
    print(f"table: {args.rows:,} images x {args.classes} classes, "
          f"{table.stat().st_size / 1e6:.0f} MB CSV")
    py = [sys.executable]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'':<44} {'wall':>7} {'CPU':>7} {'peak RSS':>9}")
    read = measure(py + ["-c", f"import maskstats; open({str(table)!r}, 'rb').read()"])
    print(f"{'baseline: import maskstats + read the file':<44} {read[0]:6.2f}s {read[1]:6.2f}s "
          f"{read[2]:6.0f} MB")
    base_s, base_cpu, base_mb = measure(py + ["-c",
                                              f"import pandas; pandas.read_csv({str(table)!r})"])
    print(f"{'baseline: pandas.read_csv(table)':<44} {base_s:6.2f}s {base_cpu:6.2f}s "
          f"{base_mb:6.0f} MB")
    runs = [(f"sample-weights --method {m}", 5.0, 500,
             ["sample-weights", str(table), "--method", m, "-o", str(args.dir / "w.npy")])
            for m in ("repeat-factor", "inverse-presence", "balanced")]
    runs.append(("images --class 140", 2.0, None, ["images", str(table), "--class", "140"]))
    for label, goal_s, goal_mb, argv in runs:
        secs, cpu, mb = measure(py + ["-m", "maskstats", *argv])
        goal = f"goal < {goal_s:g} s" + (f", < {goal_mb} MB" if goal_mb else "")
        ok = cpu < goal_s and (goal_mb is None or mb < goal_mb)
        print(f"{label:<44} {secs:6.2f}s {cpu:6.2f}s {mb:6.0f} MB  (CPU {cpu / base_cpu:4.2f}x "
              f"pandas; {goal}: {'ok' if ok else 'MISSED'} on CPU time)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
