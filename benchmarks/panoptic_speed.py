"""COCO panoptic: the JSON path (segments_info areas) vs the decode path (--verify), one run.

Writes a synthetic COCO panoptic dataset to a temporary folder (RGB PNGs whose pixels hold
segment ids R + 256 G + 65536 B, and the JSON with every segment's area), then times two whole
``maskstats scan`` processes on it, start-up included, best of ``--repeat``:

* JSON path:   ``maskstats scan PNGS --panoptic JSON`` (no PNG is opened);
* decode path: ``maskstats scan PNGS --panoptic JSON --verify`` (every PNG decoded and checked).

Both must write the same class totals; the script checks that and prints the speed ratio.

    python benchmarks/panoptic_speed.py [--images 400] [--size 640x480] [--jobs 1] [--repeat 3]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402
from _masks import best_of  # noqa: E402

CATEGORY_IDS = list(range(1, 201, 3))  # sparse ids, like COCO's 1..200


def write_panoptic(root: Path, n: int, h: int, w: int, seed: int = 0) -> tuple[Path, Path]:
    """n panoptic PNGs of h x w with ~15 rectangular segments each, and their JSON."""
    rng = np.random.default_rng(seed)
    png_dir = root / "panoptic"
    png_dir.mkdir()
    images, annotations = [], []
    for i in range(n):
        ids = np.zeros((h, w), dtype=np.int64)
        cats = {}
        for _ in range(15):
            sid = int(rng.integers(1, 1 << 24))
            y, x = int(rng.integers(0, h - 8)), int(rng.integers(0, w - 8))
            ids[y:y + int(rng.integers(8, h // 2)), x:x + int(rng.integers(8, w // 2))] = sid
            cats[sid] = int(rng.choice(CATEGORY_IDS))
        found, counts = np.unique(ids, return_counts=True)
        area = dict(zip(found.tolist(), counts.tolist()))
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], -1).astype(np.uint8)
        name = f"{i:012d}.png"
        Image.fromarray(rgb).save(png_dir / name)
        images.append({"id": i, "width": w, "height": h, "file_name": f"{i:012d}.jpg"})
        annotations.append({"image_id": i, "file_name": name, "segments_info": [
            {"id": s, "category_id": c, "area": area[s], "iscrowd": 0}
            for s, c in cats.items() if s in area]})
    path = root / "panoptic.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": [
        {"id": c, "name": f"category {c}", "isthing": 1} for c in CATEGORY_IDS]}))
    return path, png_dir


def main() -> None:
    args = parser(__doc__, images=400, size="640x480", jobs=1, repeats=3).parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ann, png_dir = write_panoptic(root, args.images, h, w)
        base = [sys.executable, "-m", "maskstats", "scan", str(png_dir), "--panoptic", str(ann),
                "-j", str(args.jobs), "-q", "--no-progress"]
        fast_out, slow_out = root / "json.json", root / "decode.json"
        t_json = best_of(args.repeats, base + ["-o", str(fast_out)])
        t_decode = best_of(args.repeats, base + ["--verify", "-o", str(slow_out)])
        fast, slow = json.loads(fast_out.read_text()), json.loads(slow_out.read_text())
        if fast["pixel_counts"] != slow["pixel_counts"] or \
                fast["ignored_pixels"] != slow["ignored_pixels"]:
            sys.exit("JSON path and decode path disagree")
        print(f"{args.images} panoptic PNGs {w}x{h}, -j {args.jobs}, best of {args.repeats} "
              "(whole processes)")
        print(f"  JSON path   (--panoptic):          {t_json:7.3f} s")
        print(f"  decode path (--panoptic --verify): {t_decode:7.3f} s")
        print(f"  JSON path is {t_decode / t_json:.1f}x faster; both give the same counts")


if __name__ == "__main__":
    main()
