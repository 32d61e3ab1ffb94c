"""How well `maskstats split` stratifies, against a random group split and a group-unaware
multi-label stratifier, and how long it takes on 100,000 images x 150 classes.

Quality: for each class present in at least 10 groups, and each split, the relative deviation
|share of the class's images in the split - ratio| / ratio; the mean and max over those.
Rarer classes are left out: the every-split guarantee moves their shares on purpose.

Datasets:
- generated: 60 groups (sequences) of 5-40 images, 25 classes, 5 of them in only 3-6 groups;
- real: the ISPRS and LoveDA masks of tests/data cut into 64x64 tiles, a group = the tiles of
  one 256x256 block (neighbouring tiles share content: the classic leak), table built by
  `maskstats.scan(..., per_image=...)`.

Baselines: (a) random group split, mean over 20 seeds; (b) `iterative-stratification`
(MultilabelStratifiedKFold, 10 folds: 1 test, 1 val, 8 train) on images, which ignores groups:
its leak is the share of groups found in more than one split. Skipped if not installed
(pip install 'maskstats[bench]').

Run: python benchmarks/split_quality.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from maskstats.splitting.split import build_groups, group_keys, split  # noqa: E402
from maskstats.table.load import Table, load_table  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402

RATIOS = np.array([0.8, 0.1, 0.1])
MIN_GROUPS = 10


def generated(seed=0, groups=60, classes=25, rare=5) -> tuple[Table, str]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(5, 41, groups)
    common = classes - rare
    prevalence = rng.uniform(0.05, 0.9, common)
    rare_groups = [set(rng.choice(groups, int(rng.integers(3, 7)), replace=False).tolist())
                   for _ in range(rare)]
    paths, rows = [], []
    for g in range(groups):
        p = np.clip(prevalence * rng.uniform(0.2, 1.8, common), 0, 1)  # sequences differ
        for i in range(sizes[g]):
            present = np.zeros(classes, bool)
            present[:common] = rng.random(common) < p
            present[0] = True
            for r, members in enumerate(rare_groups):
                present[common + r] = g in members and rng.random() < 0.5
            rows.append(np.where(present, rng.integers(10, 5000, classes), 0))
            paths.append(f"seq{g:03d}/img{i:03d}.png")
    counts = np.array(rows, dtype=np.int64)
    zeros = np.zeros(len(paths), np.int64)
    return (Table(paths=paths, frames=zeros, pixels=counts.sum(axis=1), ignored=zeros,
                  unexpected=zeros, counts=counts), r"^(seq\d+)/")


def real(folder: Path) -> tuple[Table, str]:
    """Tiles of the aerial masks, scanned into a per-image table by the library."""
    import maskstats

    tiles = folder / "tiles"
    offset = 0
    for dataset in ("loveda", "isprs"):
        top = 0
        for n, path in enumerate(sorted((ROOT / "tests" / "data" / dataset).glob("*.png"))):
            a = np.asarray(Image.open(path)).astype(np.int64)
            top = max(top, int(a.max()) + 1)
            a = (a + offset).astype(np.uint8)
            for by in range(0, a.shape[0] - 255, 256):
                for bx in range(0, a.shape[1] - 255, 256):
                    block = tiles / f"{dataset}{n}" / f"b{by // 256}{bx // 256}"
                    block.mkdir(parents=True)
                    for ty in range(4):
                        for tx in range(4):
                            t = a[by + 64 * ty:by + 64 * ty + 64, bx + 64 * tx:bx + 64 * tx + 64]
                            Image.fromarray(t).save(block / f"t{ty}{tx}.png")
        offset += top
    csv = folder / "images.csv"
    maskstats.scan([str(tiles)], per_image=str(csv), jobs=1)
    return load_table(csv), r"^([^/]+/b\d+)/"


def deviation(table: Table, assign: np.ndarray, eligible: np.ndarray) -> tuple[float, float]:
    present = (table.counts > 0).astype(np.int64)
    per = np.zeros((len(RATIOS), table.num_classes))
    np.add.at(per, assign, present)
    share = per[:, eligible] / present[:, eligible].sum(axis=0)
    dev = np.abs(share - RATIOS[:, None]) / RATIOS[:, None]
    return float(dev.mean()), float(dev.max())


def random_group_split(row_group: np.ndarray, sizes: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sizes))
    middle = np.cumsum(sizes[order]) - sizes[order] / 2
    cuts = np.cumsum(RATIOS)[:-1] * sizes.sum()
    per_group = np.empty(len(sizes), dtype=np.int64)
    per_group[order] = np.searchsorted(cuts, middle)
    return per_group[row_group]


def iterstrat_split(table: Table, seed: int) -> np.ndarray | None:
    try:
        from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
    except ImportError:
        return None
    y = (table.counts > 0).astype(int)
    folds = MultilabelStratifiedKFold(n_splits=10, shuffle=True, random_state=seed)
    assign = np.zeros(len(y), dtype=np.int64)
    for f, (_, test) in enumerate(folds.split(np.zeros((len(y), 1)), y)):
        if f < 2:
            assign[test] = 2 - f  # fold 0 -> test, fold 1 -> val
    return assign


def leak(row_group: np.ndarray, assign: np.ndarray) -> float:
    pairs = np.unique(np.stack([row_group, assign]), axis=1)
    return float((np.bincount(pairs[0]) > 1).mean())


def quality(name: str, table: Table, group: str, seeds: int) -> None:
    groups, _, row_group = build_groups(table, group_keys(table.paths, group))
    eligible = groups.groups_per_class() >= MIN_GROUPS
    print(f"\n== {name}: {table.num_images} images, {groups.num_groups} groups, "
          f"{table.num_classes} classes ({int(eligible.sum())} in >= {MIN_GROUPS} groups)")
    ours, spent, missing = [], 0.0, set()
    for s in range(seeds):
        t0 = time.perf_counter()
        result = split(table, RATIOS, group=group, seed=s)
        spent += time.perf_counter() - t0
        ours.append(deviation(table, result.assignment, eligible))
        missing |= set(result.missing)
        assert leak(row_group, result.assignment) == 0.0
    rand = [deviation(table, random_group_split(row_group, groups.sizes, s), eligible)
            for s in range(20)]
    m_ours, m_rand = np.mean(ours, axis=0), np.mean(rand, axis=0)
    print(f"maskstats split   mean {m_ours[0]:.4f}  max {m_ours[1]:.4f}  leak 0  "
          f"({seeds} seeds, {spent / seeds:.2f} s each; not in every split: "
          f"{sorted(missing) or 'none'})")
    print(f"random group      mean {m_rand[0]:.4f}  max {m_rand[1]:.4f}  leak 0  (20 seeds)")
    print(f"  -> random / maskstats mean deviation: {m_rand[0] / m_ours[0]:.2f}x (goal >= 2)")
    runs = [iterstrat_split(table, s) for s in range(min(seeds, 5))]
    if runs[0] is None:
        print("iterative-stratification not installed: baseline (b) skipped")
        return
    its = [deviation(table, a, eligible) for a in runs]
    m_its = np.mean(its, axis=0)
    leaks = np.mean([leak(row_group, a) for a in runs])
    print(f"iterstrat (images) mean {m_its[0]:.4f}  max {m_its[1]:.4f}  "
          f"leak {100 * leaks:.0f}% of groups in several splits")
    print(f"  -> maskstats / iterstrat mean deviation: {m_ours[0] / m_its[0]:.2f}x "
          "(goal <= 1.5, with no leak)")


def speed(images: int, classes: int) -> None:
    rng = np.random.default_rng(0)
    p = 0.5 / np.arange(1, classes + 1) ** 0.7  # a long tail of class frequencies
    present = rng.random((images, classes)) < p
    present[:, 0] = True
    counts = np.where(present, rng.integers(1, 5000, (images, classes)), 0).astype(np.int64)
    zeros = np.zeros(images, np.int64)
    table = Table(paths=[f"img{i:06d}.png" for i in range(images)], frames=zeros,
                  pixels=counts.sum(axis=1), ignored=zeros, unexpected=zeros, counts=counts)
    t0 = time.perf_counter()
    np.unique(np.asarray(table.paths))  # baseline: sorting the paths once
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = split(table, RATIOS, seed=0)
    took = time.perf_counter() - t0
    print(f"\n== speed: {images:,} images x {classes} classes: split {took:.2f} s "
          f"(goal < 10 s; {took / base:.0f}x the time to sort the paths once, {base:.3f} s); "
          f"sizes {result.sizes}")


def main() -> None:
    ap = parser(__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer seeds, 20,000 images")
    args = ap.parse_args()
    seeds = 2 if args.quick else 5
    quality("generated (60 groups of 5-40 images)", *generated(), seeds=seeds)
    with tempfile.TemporaryDirectory() as tmp:
        quality("real (ISPRS + LoveDA tiles)", *real(Path(tmp)), seeds=seeds)
    speed(20_000 if args.quick else 100_000, 150)


if __name__ == "__main__":
    main()
