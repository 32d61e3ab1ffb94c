"""HDF5 masks stored as one big compressed chunk against the same data in 512x512 chunks.

A compressed chunk is inflated whole by HDF5 for every read that touches it; reading such a
file in row pieces used to inflate the chunk once per piece. Both files hold the same
random uint8 mask (gzip level 1); each is scanned in a fresh process, and the whole-process
wall time and peak RSS (ru_maxrss of the child) are printed with the ratio of the big-chunk
file to the small-chunk baseline measured in the same run.

    python benchmarks/hdf5_chunks.py [--size 8192] [--repeats 1] [--root CHECKOUT]

``--root`` measures another checkout of maskstats (e.g. an older commit, for before/after):
run from outside this checkout, with a Python where maskstats is not installed editable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402

PROBE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(cmd: list[str], root: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of ``cmd`` run in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True,
                         check=True, env=env)
    return time.perf_counter() - t0, int(out.stdout.strip()) / 1024


def make(path: Path, side: int, chunk: int) -> None:
    import h5py

    if path.exists():
        return
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as fh:
        ds = fh.create_dataset("masks", (side, side), np.uint8, chunks=(chunk, chunk),
                               compression="gzip", compression_opts=1)
        for start in range(0, side, 1024):  # bounded memory while writing
            rows = min(1024, side - start)
            ds[start:start + rows] = rng.integers(0, 20, (rows, side), dtype=np.uint8)


def main() -> None:
    ap = parser(__doc__, size=8192, repeats=1, dir=Path("/tmp/maskstats-bench"))
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the maskstats checkout to measure (default: this one)")
    args = ap.parse_args()
    side = int(args.size)
    args.dir.mkdir(parents=True, exist_ok=True)
    files = {"512x512 chunks": args.dir / f"h5-{side}-small.h5",
             "one chunk": args.dir / f"h5-{side}-one.h5"}
    make(files["512x512 chunks"], side, 512)
    make(files["one chunk"], side, side)
    scan = [sys.executable, "-m", "maskstats", "scan", "-j", "1", "-q", "-o", os.devnull]
    results = {}
    for label, path in files.items():
        runs = [measure(scan + [str(path)], args.root) for _ in range(args.repeats)]
        results[label] = (min(r[0] for r in runs), max(r[1] for r in runs))
    pixels_mb = side * side / 2**20
    base_t, base_m = results["512x512 chunks"]
    print(f"{side}x{side} uint8 ({pixels_mb:.0f} MB decoded), checkout {args.root}")
    for label, (t, m) in results.items():
        print(f"{label:16s} wall {t:7.2f} s ({t / base_t:5.2f}x)  peak RSS {m:7.1f} MB "
              f"({m / base_m:4.2f}x)")


if __name__ == "__main__":
    main()
