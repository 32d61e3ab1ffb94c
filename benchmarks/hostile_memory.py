"""Peak memory on hostile arrays: one huge value, an .npz zip bomb. It must stay flat.

Baselines measured in the same run: a process that only imports NumPy and the package
(the floor), and ``np.load(bomb.npz)["masks"]`` (what reading an .npz member whole costs).
Peak RSS is ru_maxrss of a fresh child process (Linux: KiB).

    python benchmarks/hostile_memory.py [--images 4] [--size 8192]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402

PROBE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb(cmd: list[str]) -> float:
    """Max RSS (MB) of ``cmd`` run in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True,
                         check=True, env=env)
    return int(out.stdout.strip()) / 1024


def main() -> None:
    args = parser(__doc__, images=4, size=8192).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.npy"
        a = np.zeros((64, 64), np.int64)
        a[3, 5] = 20_000_000
        np.save(one, a)
        bomb = Path(tmp) / "bomb.npz"
        shape = (args.images, args.size, args.size)
        np.savez_compressed(bomb, masks=np.zeros(shape, np.uint8))
        inflated = int(np.prod(shape)) / 2**20
        on_disk = bomb.stat().st_size
        py = sys.executable
        floor = peak_rss_mb([py, "-c", "import numpy, maskstats.cli"])
        whole = peak_rss_mb([py, "-c", f"import numpy as np; np.load({str(bomb)!r})['masks']"])
        scan = [py, "-m", "maskstats", "scan", "-j", "1", "-q", "-o", os.devnull]
        one_pixel = peak_rss_mb(scan + [str(one)])
        one_pixel_k = peak_rss_mb(scan + [str(one), "--num-classes", "3"])
        streamed = peak_rss_mb(scan + [str(bomb)])
    print(f"import floor                       {floor:8.1f} MB")
    print(f"one pixel 20,000,000 (refused)     {one_pixel:8.1f} MB  {one_pixel / floor:5.2f}x floor")
    print(f"same with --num-classes 3          {one_pixel_k:8.1f} MB  {one_pixel_k / floor:5.2f}x floor")
    print(f"np.load of the .npz member whole   {whole:8.1f} MB  ({inflated:.0f} MB inflated, "
          f"{on_disk:,} B on disk)")
    print(f"maskstats scan of the .npz bomb    {streamed:8.1f} MB  {streamed / whole:5.2f}x "
          f"np.load, {streamed / floor:5.2f}x floor")


if __name__ == "__main__":
    main()
