"""Generated COCO instance files and YOLO datasets, with the masks the tests expect.

Nothing here imports maskstats: the encoders follow pycocotools' and Ultralytics' formats as
documented, so the tests compare maskstats with an independent writer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def mask_counts(mask: np.ndarray) -> list[int]:
    """Uncompressed COCO RLE counts of a (h, w) 0/1 mask: column-major runs, 0s first."""
    flat = mask.T.reshape(-1).astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    return ([0] + runs) if flat.size and flat[0] == 1 else runs


def rle_string(counts: list[int]) -> str:
    """Compressed COCO RLE (pycocotools' rleToString): 5 bits per character, deltas from
    the fourth count on."""
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = x != -1 if ch & 0x10 else x != 0
            out.append(chr((ch | 0x20 if more else ch) + 48))
    return "".join(out)


def blob(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A random rectangle-ish 0/1 mask."""
    m = np.zeros((h, w), np.uint8)
    y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
    m[y0:y0 + int(rng.integers(1, h + 1)), x0:x0 + int(rng.integers(1, w + 1))] = 1
    if rng.random() < 0.5:
        m &= (rng.random((h, w)) < 0.7).astype(np.uint8)
    return m


def coco_file(path: Path, seed: int = 0, images: int = 12, polygons: bool = True,
              lvis: bool = False) -> dict:
    """Write a COCO instances file with polygons (unless ``polygons`` is False), compressed
    and uncompressed RLE, crowd regions, overlapping instances and empty images; returns it.

    Every RLE annotation carries its mask in ``_mask`` (removed from the file written)."""
    rng = np.random.default_rng(seed)
    cats = [{"id": cid, "name": f"cat{cid}", "supercategory": "x"} for cid in (1, 5, 9, 12)]
    imgs, anns, aid = [], [], 100
    for i in range(images):
        h, w = int(rng.integers(8, 40)), int(rng.integers(8, 40))
        img = {"id": 1000 + i, "width": w, "height": h, "license": 1}
        if lvis:
            img["coco_url"] = f"http://images.cocodataset.org/train2017/{i:012d}.jpg"
            img["neg_category_ids"] = [1] if i % 3 == 0 else []
            img["not_exhaustive_category_ids"] = [5, 9] if i % 4 == 0 else []
        else:
            img["file_name"] = f"{i:012d}.jpg"
        imgs.append(img)
        if i % 5 == 4:
            continue  # an empty image
        for _ in range(int(rng.integers(1, 6))):
            kind = int(rng.integers(0, 3 if polygons else 2)) + (0 if polygons else 1)
            ann = {"id": aid, "image_id": img["id"], "category_id": int(rng.choice([1, 5, 9])),
                   "iscrowd": 0, "area": 1.0, "bbox": [0, 0, 1, 1]}
            if kind == 0:
                ann["segmentation"] = [[round(float(v), 2) for v in
                                        rng.uniform(-2, max(h, w) + 2, 2 * int(k))]
                                       for k in rng.integers(3, 8, int(rng.integers(1, 3)))]
            else:
                m = blob(rng, h, w)
                counts = mask_counts(m)
                ann["segmentation"] = {"size": [h, w], "counts": counts if kind == 2 else
                                       rle_string(counts)}
                ann["iscrowd"] = int(kind == 2)
                ann["_mask"] = m
            anns.append(ann)
            aid += 1
    doc = {"info": {"description": "generated"}, "licenses": [{"id": 1, "name": "x"}],
           "images": imgs, "annotations": anns, "categories": cats}
    path.write_text(json.dumps({**doc, "annotations": [
        {k: v for k, v in a.items() if k != "_mask"} for a in anns]}))
    return doc


def write_image(path: Path, w: int, h: int) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (w, h), (10, 20, 30)).save(path)


def yolo_dataset(root: Path, seed: int = 0, per_split: int = 6, names=("a", "b", "c")
                 ) -> dict[str, list[tuple[str, int, int, list[str]]]]:
    """Write ``root/data.yaml`` and train/val images and labels; returns per split
    ``(relative image path, width, height, label lines)``; label lines are [] for an image
    without a label file."""
    rng = np.random.default_rng(seed)
    out = {}
    for split in ("train", "val"):
        rows = []
        for i in range(per_split):
            w, h = int(rng.integers(10, 50)), int(rng.integers(10, 50))
            rel = f"images/{split}/im{i}.png"
            write_image(root / rel, w, h)
            lines = []
            if i % 4 != 3:
                for _ in range(int(rng.integers(1, 5))):
                    cls = int(rng.integers(0, len(names)))
                    if rng.random() < 0.3:
                        cx, cy = rng.uniform(0.1, 0.9, 2)
                        bw, bh = rng.uniform(0.05, 0.5, 2)
                        nums = [cx, cy, bw, bh]
                    else:
                        nums = rng.uniform(0, 1, 2 * int(rng.integers(3, 8))).tolist()
                    lines.append(" ".join([str(cls)] + [f"{v:.6f}" for v in nums]))
                label = root / f"labels/{split}/im{i}.txt"
                label.parent.mkdir(parents=True, exist_ok=True)
                label.write_text("\n".join(lines) + "\n")
            rows.append((rel, w, h, lines))
        out[split] = rows
    (root / "data.yaml").write_text(
        f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n"
        + "".join(f"  {i}: {n}\n" for i, n in enumerate(names)))
    return out
