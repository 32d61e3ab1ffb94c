"""Shared helpers for the benchmarks: realistic blob masks on disk, timing whole processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image


def blob_mask(rng: np.random.Generator, h: int, w: int, classes: int, dtype=np.uint8,
              scale: int = 1) -> np.ndarray:
    """A street-scene-like mask: big bands, a dozen ellipses, a 255 void border."""
    yy, xx = np.ogrid[0:h, 0:w]
    a = np.zeros((h, w), dtype)
    a[int(h * 0.6):, :] = 1
    for _ in range(12):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.integers(4, h // 6), rng.integers(4, w // 6)
        a[((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1] = rng.integers(2, classes) * scale
    a[:2, :] = 255 if dtype == np.uint8 else 65535
    return a


def write_dataset(folder: Path, n8: int, n16: int, size: int = 512, seed: int = 0) -> list[Path]:
    """Write n8 8-bit and n16 16-bit PNG masks (size x size) once; reuse if present."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".done-{n8}-{n16}-{size}-{seed}"
    paths = [folder / f"m8_{i:05d}.png" for i in range(n8)]
    paths += [folder / f"m16_{i:05d}.png" for i in range(n16)]
    if marker.exists():
        return paths
    rng = np.random.default_rng(seed)
    for i in range(n8):
        Image.fromarray(blob_mask(rng, size, size, 30)).save(paths[i], compress_level=6)
    for i in range(n16):
        Image.fromarray(blob_mask(rng, size, size, 30, np.uint16, scale=1000)).save(
            paths[n8 + i], compress_level=6)
    marker.write_text("ok")
    return paths


def write_set(folder: Path, n: int, kind: str, h: int = 768, w: int = 1024,
              seed: int = 0) -> list[Path]:
    """Write n masks of one ``kind`` once: 'grey' (8-bit, mode L), 'palette' (8-bit, mode P)
    or 'grey16' (16-bit grey, class ids times 1000)."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".done-{kind}-{n}-{h}x{w}-{seed}"
    paths = [folder / f"{kind}_{i:05d}.png" for i in range(n)]
    if marker.exists():
        return paths
    rng = np.random.default_rng(seed)
    palette = [(i * 97 + 31) % 256 for i in range(768)]
    for p in paths:
        if kind == "grey16":
            Image.fromarray(blob_mask(rng, h, w, 30, np.uint16, scale=1000)).save(
                p, compress_level=6)
            continue
        im = Image.fromarray(blob_mask(rng, h, w, 30))
        if kind == "palette":  # VOC-style: the index is the class, colours from a palette
            im = Image.frombytes("P", im.size, im.tobytes())
            im.putpalette(palette)
        im.save(p, compress_level=6)
    marker.write_text("ok")
    return paths


def timed(cmd: list[str], env: dict | None = None) -> float:
    """Wall time of a whole process (start-up included), failing loudly on error."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr}")
    return elapsed


def best_of(repeats: int, cmd: list[str]) -> float:
    return min(timed(cmd) for _ in range(repeats))


def best_wall_cpu(repeats: int, cmd: list[str]) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds of the process tree): CPU time is what a loaded
    machine distorts least; wall time is what parallel runs (-j2) are judged by."""
    import resource

    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        walls.append(timed(cmd))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)
