"""COCO panoptic annotations generated with known per-class totals."""

from __future__ import annotations
import json
from collections import Counter
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
import maskstats
from maskstats.errors import UnreadableMask


CATEGORIES = [{"id": 1, "name": "person", "isthing": 1}, {"id": 7, "name": "train", "isthing": 1},
              {"id": 92, "name": "banner", "isthing": 0}, {"id": 200, "name": "rug", "isthing": 0}]


def make_panoptic(root: Path, n_images=4, seed=0):
    """Write panoptic PNGs + JSON; return (json path, png folder, per-image id arrays, segs)."""
    rng = np.random.default_rng(seed)
    png_dir = root / "panoptic"
    png_dir.mkdir(parents=True)
    images, annotations, arrays, segs = [], [], [], []
    for i in range(n_images):
        h, w = int(rng.integers(20, 40)), int(rng.integers(20, 50))
        ids = np.zeros((h, w), dtype=np.int64)  # 0 = void where no segment is painted
        info = {}
        for _ in range(int(rng.integers(2, 6))):
            sid = int(rng.integers(1, 1 << 24))
            y, x = int(rng.integers(0, h - 5)), int(rng.integers(0, w - 5))
            ids[y:y + int(rng.integers(3, h)), x:x + int(rng.integers(3, w))] = sid
            info[sid] = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]["id"]
        present, counts = np.unique(ids, return_counts=True)
        area = dict(zip(present.tolist(), counts.tolist()))
        segments = [{"id": sid, "category_id": cat, "area": area[sid], "iscrowd": 0}
                    for sid, cat in info.items() if sid in area]
        rgb = np.stack([ids % 256, ids // 256 % 256, ids // 65536], axis=-1).astype(np.uint8)
        name = f"{i:012d}.png"
        Image.fromarray(rgb).save(png_dir / name)
        images.append({"id": 100 + i, "width": w, "height": h, "file_name": f"{i:012d}.jpg"})
        annotations.append({"image_id": 100 + i, "file_name": name, "segments_info": segments})
        arrays.append(ids)
        segs.append(segments)
    path = root / "panoptic.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations,
                                "categories": CATEGORIES}))
    return path, png_dir, arrays, segs


def expected(arrays, segs):
    """Per-class totals computed from the id arrays (class = position in CATEGORIES)."""
    index = {c["id"]: i for i, c in enumerate(CATEGORIES)}
    pix, imgs, ipix = Counter(), Counter(), Counter()
    void = 0
    for ids, segments in zip(arrays, segs):
        cat_of = {s["id"]: index[s["category_id"]] for s in segments}
        seen = set()
        for sid, n in zip(*np.unique(ids, return_counts=True)):
            if sid == 0:
                void += int(n)
                continue
            pix[cat_of[int(sid)]] += int(n)
            seen.add(cat_of[int(sid)])
        for c in seen:
            imgs[c] += 1
            ipix[c] += ids.size
    k = len(CATEGORIES)
    return ([pix[c] for c in range(k)], [imgs[c] for c in range(k)],
            [ipix[c] for c in range(k)], void)
