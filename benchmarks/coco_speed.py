"""scan --coco on a generated file the size of COCO's instances_val2017.json.

Writes 5,000 image entries (640x480 and 480x640) and 36,781 annotations over 80 categories:
polygons of 8 to 40 vertices (one to three per annotation) and about 1% crowd regions as
uncompressed RLE, as in the real file. Then, in this one run:

* baseline: a whole process that only parses the JSON (``json.load``), the floor of any tool;
* ``maskstats scan --coco`` as whole processes (start-up included) with ``-j 1`` and ``-j N``,
  best of ``--repeats``, and their peak memory (max RSS);
* the CPU time of those processes (user + system, workers included), which a busy machine
  does not inflate as it does wall time, and the in-process CPU time of
  ``maskstats.scan(coco=...)`` with ``jobs=1``;
* with pycocotools installed, its ``annToMask`` union per image and category (in process),
  and a check that both give the same per-class pixel totals.

    python benchmarks/coco_speed.py [--images 5000] [--annotations 36781] [--jobs 2] [--repeats 3]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _masks import best_of  # noqa: E402
from common import parser  # noqa: E402


def polygon(rng: np.random.Generator, w: int, h: int) -> list[float]:
    """A star-shaped polygon of 8-40 vertices, radius log-uniform in 2..200 pixels (median
    area about 1,000 pixels, mean about 10,000, as in COCO), partly outside at times."""
    k = int(rng.integers(8, 41))
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    r = np.exp(rng.uniform(np.log(2), np.log(200))) * rng.uniform(0.6, 1.0, k)
    t = np.sort(rng.uniform(0, 2 * np.pi, k))
    xy = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1)
    return [round(float(v), 2) for v in xy.reshape(-1)]


def crowd_counts(rng: np.random.Generator, w: int, h: int) -> list[int]:
    m = np.zeros((h, w), np.uint8)
    y, x = int(rng.integers(0, h - 40)), int(rng.integers(0, w - 40))
    m[y:y + int(rng.integers(20, h // 2)), x:x + int(rng.integers(20, w // 2))] = 1
    flat = m.T.reshape(-1).astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    return np.diff(bounds).tolist()


def write_instances(path: Path, images: int, annotations: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    sizes = [(640, 480) if rng.random() < 0.7 else (480, 640) for _ in range(images)]
    imgs = [{"id": i + 1, "file_name": f"{i + 1:012d}.jpg", "width": w, "height": h}
            for i, (w, h) in enumerate(sizes)]
    owner = np.sort(rng.integers(0, images, annotations))
    anns = []
    for a, i in enumerate(owner.tolist()):
        w, h = sizes[i]
        crowd = rng.random() < 0.01
        segm = {"size": [h, w], "counts": crowd_counts(rng, w, h)} if crowd else \
            [polygon(rng, w, h) for _ in range(1 + int(rng.random() < 0.1) * 2)]
        anns.append({"id": a + 1, "image_id": i + 1, "category_id": int(rng.integers(1, 81)),
                     "iscrowd": int(crowd), "segmentation": segm, "area": 0.0,
                     "bbox": [0, 0, 1, 1]})
    path.write_text(json.dumps({"info": {}, "licenses": [], "images": imgs,
                                "annotations": anns, "categories": [
                                    {"id": c, "name": f"cat{c}"} for c in range(1, 81)]}))


def pycocotools_totals(path: Path) -> tuple[list[int], float] | None:
    """Per-class pixels of the union of annToMask masks per image, and the seconds taken."""
    try:
        from pycocotools.coco import COCO
    except ImportError:
        return None
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        api = COCO(str(path))
    cats = sorted(api.getCatIds())
    index = {c: k for k, c in enumerate(cats)}
    totals = [0] * len(cats)
    start = time.process_time()
    for img_id in api.getImgIds():
        img = api.imgs[img_id]
        unions: dict[int, np.ndarray] = {}
        for ann in api.imgToAnns[img_id]:
            m = api.annToMask(ann).astype(bool)
            k = index[ann["category_id"]]
            unions[k] = unions[k] | m if k in unions else m
        for k, m in unions.items():
            totals[k] += int(m.sum())
        del img
    return totals, time.process_time() - start


def usage(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, user + system, of the process and its workers; max RSS in MiB of the
    largest of them) of one whole process, measured by a wrapper process of its own."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
             "stdout=subprocess.DEVNULL); r = resource.getrusage(resource.RUSAGE_CHILDREN); "
             "print(r.ru_utime + r.ru_stime, r.ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[-2]), int(out[-1]) / 1024


def main() -> None:
    ap = parser(__doc__, images=5000, jobs=2, repeats=3)
    ap.add_argument("--annotations", type=int, default=36781,
                    help="number of annotations (default: %(default)s)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "instances.json"
        write_instances(path, args.images, args.annotations)
        mib = path.stat().st_size / 2 ** 20
        parse = best_of(args.repeats, [sys.executable, "-c",
                                      f"import json; json.load(open({str(path)!r}))"])
        base = [sys.executable, "-m", "maskstats", "scan", "--coco", str(path), "-q",
                "--no-progress", "-o", str(root / "s.json")]
        serial = best_of(args.repeats, base + ["-j", "1"])
        parallel = best_of(args.repeats, base + ["-j", str(args.jobs)])
        cpu_serial, rss = usage(base + ["-j", "1"])
        cpu_parallel, _ = usage(base + ["-j", str(args.jobs)])
        cpu_parse, _ = usage([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"])
        import maskstats

        cpu = time.process_time()
        stats = maskstats.scan([], coco=path, jobs=1)
        cpu = time.process_time() - cpu
        print(f"{args.images:,} images, {args.annotations:,} annotations, {mib:.1f} MiB JSON; "
              f"best of {args.repeats}")
        print("  whole processes: wall (best) and CPU (user + system, workers included)")
        print(f"  baseline: json.load              wall {parse:6.2f} s   CPU {cpu_parse:6.2f} s")
        print(f"  scan --coco -j 1                 wall {serial:6.2f} s   CPU {cpu_serial:6.2f} s"
              f"  ({cpu_serial / cpu_parse:.1f}x the parse's CPU; peak RSS {rss:.0f} MiB, "
              f"{rss / mib:.1f}x the file)")
        print(f"  scan --coco -j {args.jobs}                 wall {parallel:6.2f} s   CPU "
              f"{cpu_parallel:6.2f} s  (wall {serial / parallel:.2f}x faster than -j 1)")
        print(f"  in process: maskstats.scan(coco=..., jobs=1)       CPU {cpu:6.2f} s")
        ref = pycocotools_totals(path)
        if ref is not None:
            same = ref[0] == stats.pixel_counts
            print(f"  in process: pycocotools annToMask unions           CPU {ref[1]:6.2f} s  "
                  f"(same per-class pixels: {'yes' if same else 'NO'}; "
                  f"{ref[1] / cpu:.1f}x maskstats)")
            if not same:
                sys.exit("maskstats and pycocotools disagree")


if __name__ == "__main__":
    main()
