"""One huge deflate-tiled label raster: `maskstats scan` against `gdalinfo -hist`.

Writes (once) a 32768 x 32768 8-bit GeoTIFF-style raster, 256 x 256 deflate tiles, with a
GDAL_NODATA value, then times whole processes in this run: `gdalinfo -hist` (GDAL's exact
histogram; PAM off so no .aux.xml cache is reused), `maskstats scan -j1`, `-j2`, and
`-j1 --window 512`. The peak memory is the largest summed resident set of the process and
all its descendants, sampled every 10 ms from /proc (Linux); CPU time is the user + system
time of the process and its waited-for children (wait4). On a machine shared with other
work, wall ratios are noisy: read them beside the CPU ones.

Goals : scan -j1 >= 0.8x the speed of gdalinfo -hist; -j2 >= 1.6x -j1; peak
< 400 MB; --window adds <= 20%.

    python benchmarks/huge_raster.py [--size 32768] [--tile 256] [--dir /tmp/maskstats-bench]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def tiles(size: int, tile: int, seed: int = 0):
    """Tiles of a land-cover-like label map: 16-pixel parcels of 9 classes with ragged
    edges, diagonal roads (class 9), a nodata (255) corner; row-major, as tifffile writes."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 9, (size // 16 + 1, size // 16 + 1)).astype(np.uint8)
    yy, xx = np.mgrid[0:tile, 0:tile]
    for ty in range(0, size, tile):
        for tx in range(0, size, tile):
            jy = yy + ty + rng.integers(0, 4, (tile, tile))  # ragged parcel edges
            jx = xx + tx + rng.integers(0, 4, (tile, tile))
            t = coarse[jy // 16, jx // 16]
            t[((xx + tx) + 2 * (yy + ty)) % 997 < 7] = 9
            if ty + tile <= size // 8 and tx + tile <= size // 8:
                t[:] = 255
            yield t


def write_raster(path: Path, size: int, tile: int) -> None:
    import tifffile

    if path.exists():
        return
    tmp = path.with_suffix(".part")
    tifffile.imwrite(tmp, tiles(size, tile), shape=(size, size), dtype=np.uint8,
                     tile=(tile, tile), compression="zlib", bigtiff=True,
                     extratags=[(42113, "s", 0, "255", False)])
    tmp.rename(path)


def tree_rss(root: int) -> int:
    """Summed VmRSS (bytes) of ``root`` and its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    tree, todo = {root}, [root]
    while todo:
        pid = todo.pop()
        kids = [p for p, pp in parents.items() if pp == pid and p not in tree]
        tree.update(kids)
        todo.extend(kids)
    return sum(rss.get(p, 0) for p in tree)


def run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system of the process and its waited-for
    children) and peak process-tree RSS (MB) of ``cmd``."""
    env = dict(os.environ, GDAL_PAM_ENABLED="NO")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss(proc.pid))
        time.sleep(0.01)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=32768)
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "maskstats-bench")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    raster = args.dir / f"huge-{args.size}-{args.tile}.tif"
    write_raster(raster, args.size, args.tile)
    print(f"{raster}: {args.size}x{args.size} uint8, {raster.stat().st_size / 2**20:.0f} MB "
          "on disk")
    scan = [sys.executable, "-m", "maskstats", "scan", str(raster), "-o",
            str(args.dir / "huge.json"), "-q", "--no-progress"]
    runs = {}
    if shutil.which("gdalinfo"):
        runs["gdalinfo -hist"] = run(["gdalinfo", "-hist", str(raster)])
    runs["scan -j1"] = run(scan + ["-j", "1"])
    runs["scan -j2"] = run(scan + ["-j", "2"])
    runs["scan -j1 --window 512"] = run(scan + ["-j", "1", "--window", "512", "--per-image",
                                                str(args.dir / "huge-windows.csv")])
    for name, (wall, cpu, peak) in runs.items():
        print(f"{name:24s} {wall:7.2f} s wall {cpu:7.2f} s CPU   peak tree RSS {peak:6.0f} MB")
    j1 = runs["scan -j1"][0]
    if "gdalinfo -hist" in runs:
        gdal = runs["gdalinfo -hist"]
        print(f"scan -j1 speed / gdalinfo -hist speed: {gdal[0] / j1:.2f}x wall, "
              f"{gdal[1] / runs['scan -j1'][1]:.2f}x CPU (goal >= 0.8)")
    print(f"scan -j2 speed / -j1 speed: {j1 / runs['scan -j2'][0]:.2f}x (goal >= 1.6)")
    print(f"--window 512 time / plain: {runs['scan -j1 --window 512'][0] / j1:.2f}x "
          "(goal <= 1.2)")


if __name__ == "__main__":
    main()
