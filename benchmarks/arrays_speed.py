"""Array stacks: `maskstats scan` on a big .npy vs a one-process chunked NumPy script.

Goals (issue #8), measured in one run on the same memory-mapped files:
* a 1.5 GB uint8 stack (N,H,W): peak RSS under 250 MB, throughput >= 0.8x of a chunked
  ``np.bincount`` over the memory-mapped file;
* a float32 one-hot stack (N,H,W,C): throughput >= 0.8x of a chunked
  ``arr.sum(axis=(0,1,2))`` (which counts the same classes, but neither per image nor the
  unlabelled/overlap pixels).

Both sides are whole processes (start-up included), best of ``--repeat`` runs, after one
untimed read that puts the file in the page cache. The data is written to a temporary folder
and deleted at the end.

    python benchmarks/arrays_speed.py [--gb 1.5] [--onehot-gb 1.0] [--classes 4] [--repeat 3]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402

# runs a command, then prints its wall time, the peak RSS (KiB on Linux) and the CPU time
# (user + system) of its tree
PROBE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, capture_output=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - t0, r.ru_maxrss, r.ru_utime + r.ru_stime)
"""

BINCOUNT = """
import sys, numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
bins = np.zeros(256, np.int64)
step = max(1, (1 << 25) // (a[0].size))
for i in range(0, a.shape[0], step):
    bins += np.bincount(a[i:i + step].ravel(), minlength=256)
print(bins[bins > 0].tolist())
"""

CHANNEL_SUM = """
import sys, numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
total = np.zeros(a.shape[-1], np.float64)
step = max(1, (1 << 25) // (a[0].size * a.itemsize))
for i in range(0, a.shape[0], step):
    total += a[i:i + step].sum(axis=(0, 1, 2))
print(total.tolist())
"""


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(seconds, peak RSS in MB, CPU seconds) of one whole process."""
    out = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{out.stderr}")
    seconds, rss, cpu = out.stdout.split()
    return float(seconds), int(rss) / 1024, float(cpu)


def best(repeat: int, cmd: list[str]) -> tuple[float, float, float]:
    runs = [run(cmd) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), min(r[2] for r in runs)


def write_stack(path: Path, gb: float, h: int = 1024, w: int = 1024) -> tuple:
    """A uint8 (N,H,W) stack of ~gb GB with 20 classes, written in pieces."""
    n = max(1, int(gb * 1e9) // (h * w))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, h, w))
    rng = np.random.default_rng(0)
    for i in range(0, n, 64):
        out[i:i + 64] = rng.integers(0, 20, (min(64, n - i), h, w), dtype=np.uint8)
    out.flush()
    del out
    return (n, h, w)


def write_onehot(path: Path, gb: float, classes: int, h: int = 512, w: int = 512) -> tuple:
    """A float32 (N,H,W,C) one-hot stack of ~gb GB, every pixel labelled once."""
    n = max(1, int(gb * 1e9) // (h * w * classes * 4))
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                    shape=(n, h, w, classes))
    rng = np.random.default_rng(1)
    eye = np.eye(classes, dtype=np.float32)
    for i in range(0, n, 16):
        out[i:i + 16] = eye[rng.integers(0, classes, (min(16, n - i), h, w))]
    out.flush()
    del out
    return (n, h, w, classes)


def compare(name: str, path: Path, shape: tuple, script: str, layout: str, repeat: int,
            folder: Path) -> None:
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # page cache
    out = folder / "stats.json"
    ours = best(repeat, [sys.executable, "-m", "maskstats", "scan", str(path), "--layout",
                         layout, "-o", str(out), "-q", "--no-progress", "-j", "1"])
    base = best(repeat, [sys.executable, "-c", script, str(path)])
    size = path.stat().st_size / 1e9
    stats = json.loads(out.read_text())
    print(f"{name}: shape {shape}, {size:.2f} GB, {stats['num_images']} images")
    print(f"  maskstats scan --layout {layout}: {ours[0]:.2f} s ({size / ours[0]:.2f} GB/s), "
          f"peak RSS {ours[1]:.0f} MB")
    print(f"  chunked NumPy script:            {base[0]:.2f} s ({size / base[0]:.2f} GB/s), "
          f"peak RSS {base[1]:.0f} MB")
    print(f"  throughput ratio maskstats / NumPy: {base[0] / ours[0]:.2f}x (goal >= 0.8)")
    print(f"  CPU time: maskstats {ours[2]:.2f} s, NumPy {base[2]:.2f} s, ratio "
          f"{base[2] / ours[2]:.2f}x (steadier than wall time on a loaded machine)")


def main() -> None:
    ap = parser(__doc__, classes=4, repeats=3)
    ap.add_argument("--gb", type=float, default=1.5, help="size of the uint8 stack")
    ap.add_argument("--onehot-gb", type=float, default=1.0, help="size of the one-hot stack")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="maskstats-arrays-") as tmp:
        folder = Path(tmp)
        stack = folder / "stack.npy"
        shape = write_stack(stack, args.gb)
        compare("uint8 stack", stack, shape, BINCOUNT, "stack", args.repeats, folder)
        stack.unlink()
        onehot = folder / "onehot.npy"
        shape = write_onehot(onehot, args.onehot_gb, args.classes)
        compare("float32 one-hot", onehot, shape, CHANNEL_SUM, "one-hot", args.repeats, folder)


if __name__ == "__main__":
    main()
