"""What the `balanced` floor (min_ratio) costs and buys: one line per min_ratio.

For each min_ratio, on a per-image table: images with weight 0, Kish's effective number of
images (sum w)^2 / sum w^2, the expected number of distinct images in an epoch of n draws
with replacement (WeightedRandomSampler's default: sum_i 1 - (1 - p_i)^n), and the
smallest / largest expected class pixel share (1 = perfectly balanced; uniform sampling's
value is printed first). Tables: the repository's sample_masks/ (scanned here) and a
generated 3,000-image street-scene-like table (Zipf-like class frequencies), or --table FILE.

    python benchmarks/sampling_floor.py [--table images.csv] [--rows 3000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
from sampling_speed import make_table  # noqa: E402

FLOORS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def report(table: str, label: str) -> None:
    from maskstats.sampling import sample_weights

    print(f"\n{label}")
    print(f"{'min_ratio':>9} {'zeros':>6} {'Kish':>8} {'distinct':>9} {'min/max share':>14}")
    for floor in FLOORS:
        r = sample_weights(table, "balanced", min_ratio=floor, on_warning=lambda _m: None)
        e = r.epoch()
        rows = r.explain()
        shares = [row["pixels_after"] for row in rows]
        if floor == FLOORS[0]:
            before = [row["pixels_before"] for row in rows]
            print(f"{'uniform':>9} {0:6d} {e['images']:8.0f} "
                  f"{e['images'] * (1 - (1 - 1 / e['images']) ** e['images']):9.0f} "
                  f"{min(before) / max(before):14.4f}")
        print(f"{floor:9.2f} {int((r.weights == 0).sum()):6d} {e['effective_images']:8.0f} "
              f"{e['distinct_images']:9.0f} {min(shares) / max(shares):14.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--table", help="a per-image table to measure instead")
    ap.add_argument("--rows", type=int, default=3000)
    args = ap.parse_args()
    if args.table:
        report(args.table, args.table)
        return
    import maskstats

    with tempfile.TemporaryDirectory() as tmp:
        sample = str(Path(tmp) / "sample.csv")
        maskstats.scan(ROOT / "sample_masks", ignore_index=[255], per_image=sample, jobs=1)
        report(sample, "sample_masks/ (24 images, 6 classes)")
        big = Path(tmp) / "big.csv"
        make_table(big, args.rows, 19)
        report(str(big), f"generated: {args.rows} images, 19 Zipf-like classes")


if __name__ == "__main__":
    main()
