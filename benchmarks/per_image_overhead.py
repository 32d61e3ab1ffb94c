"""What `scan --per-image` costs: scans with and without the table, and a warm cache rescan.

Every figure is a whole `maskstats scan` process (start-up included) over the same folder,
measured in this run, best of --repeats. Goals (issue #13):
  --per-image adds at most 10% to a scan of 2000 masks 512x512 (20 classes), at -j1 and -j2;
  a warm --cache rescan with --per-image is at least 10x faster than the cold one.

    python benchmarks/per_image_overhead.py [--n 2000] [--size 512] [--repeats 3]
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from common import DEFAULT_DIR, parser  # noqa: E402
from _masks import blob_mask, timed  # noqa: E402


def write_masks(folder: Path, n: int, size: int, classes: int = 20, seed: int = 13) -> None:
    marker = folder / f".done-{n}-{size}-{classes}-{seed}"
    if marker.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        sub = folder / f"{i // 500:02d}"
        sub.mkdir(exist_ok=True)
        Image.fromarray(blob_mask(rng, size, size, classes)).save(sub / f"m_{i:05d}.png")
    marker.write_text("ok")


def main() -> None:
    args = parser(__doc__, n=2000, size=512, repeats=3, dir=DEFAULT_DIR).parse_args()

    folder = args.dir / f"per-image-{args.n}-{args.size}"
    write_masks(folder, args.n, args.size)
    out, table, cache = args.dir / "pi-stats.json", args.dir / "pi-images.csv", args.dir / "pi-c"
    py = sys.executable
    base = [py, "-m", "maskstats", "scan", str(folder), "--ignore-index", "255", "-o", str(out),
            "--no-progress", "-q"]
    print(f"{args.n} masks {args.size}x{args.size} 8-bit PNG, 20 classes, {os.cpu_count()} "
          f"cores, best of {args.repeats}")

    def best(cmd: list[str], before=None) -> float:
        times = []
        for _ in range(args.repeats):
            if before is not None:
                before()
            times.append(timed(cmd))
        return min(times)

    rows = {}
    for jobs in (1, 2):
        j = ["-j", str(jobs)]
        # alternate the two commands so that load changes hit both alike
        plain, with_table = [], []
        for _ in range(args.repeats):
            plain.append(timed(base + j))
            with_table.append(timed(base + j + ["--per-image", str(table)]))
        rows[f"-j{jobs} plain"] = min(plain)
        rows[f"-j{jobs} --per-image"] = min(with_table)

    def clear() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    cached = base + ["-j", "2", "--cache", str(cache), "--per-image", str(table)]
    rows["cold --cache --per-image"] = best(cached, clear)
    timed(cached)  # make sure the cache is complete
    rows["warm --cache --per-image"] = best(cached)

    print(f"{'':28} {'seconds':>8} {'files/s':>8}")
    for name, t in rows.items():
        print(f"{name:28} {t:8.2f} {args.n / t:8.0f}")
    for jobs in (1, 2):
        ratio = rows[f"-j{jobs} --per-image"] / rows[f"-j{jobs} plain"]
        print(f"\n-j{jobs}: --per-image / plain = {ratio:.3f} (goal <= 1.10)", end="")
    cold, warm = rows["cold --cache --per-image"], rows["warm --cache --per-image"]
    print(f"\ncold / warm with --per-image: {cold / warm:.1f}x (goal >= 10)")
    shutil.rmtree(cache, ignore_errors=True)
    in_process(folder, table, cache, args.repeats)


def in_process(folder: Path, table: Path, cache: Path, repeats: int) -> None:
    """The same comparisons inside one process (no start-up), alternated, best of repeats."""
    import time

    import maskstats

    def t(**kw) -> float:
        t0 = time.perf_counter()
        maskstats.scan(folder, ignore_index=[255], **kw)
        return time.perf_counter() - t0

    for jobs in (1, 2):
        runs: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(repeats):  # alternated, so that load changes hit both alike
            runs[False].append(t(jobs=jobs))
            runs[True].append(t(jobs=jobs, per_image=table))
        plain, with_table = min(runs[False]), min(runs[True])
        print(f"in-process -j{jobs}: plain {plain:.2f} s, --per-image {with_table:.2f} s, "
              f"ratio {with_table / plain:.3f}")
    shutil.rmtree(cache, ignore_errors=True)
    cold = t(jobs=2, cache=cache, per_image=table)
    warm = min(t(jobs=2, cache=cache, per_image=table) for _ in range(repeats))
    print(f"in-process --cache --per-image -j2: cold {cold:.2f} s, warm {warm:.3f} s, "
          f"cold / warm {cold / warm:.1f}x")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
