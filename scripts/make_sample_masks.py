"""Generate sample_masks/: a small, deterministic demo dataset for maskstats.

It shows what real segmentation data looks like to a loss function:
- strong imbalance: class 0 (background) covers about 60% of the pixels, class 5 well under 1%;
- an ignore value: a 255 "void" band around objects, as in Pascal VOC;
- an absent class: class 4 never occurs (so its weight must not become NaN or Infinity);
- two storage formats: palette PNGs (VOC colours; the palette INDEX is the class) in
  sample_masks/palette/ and 8-bit grey PNGs in sample_masks/grey/.

Run:  python scripts/make_sample_masks.py   (rewrites sample_masks/)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "sample_masks"
H, W = 96, 128
N_PALETTE, N_GREY = 12, 12


def voc_palette() -> list[int]:
    """The Pascal VOC colour map (bit-interleaved), index 255 = (224, 224, 192)."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def ellipse(yy, xx, cy, cx, ry, rx):
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def make_mask(rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    mask = np.zeros((H, W), np.uint8)
    horizon = int(rng.integers(60, 72))
    mask[horizon:, :] = 1  # class 1: a "road" band at the bottom
    objects = np.zeros((H, W), bool)
    for cls, count, size in ((2, 2, (10, 18)), (3, 2, (4, 8)), (5, 1, (2, 3))):
        for _ in range(int(rng.integers(0, count + 1))):
            ry, rx = (int(rng.integers(*size)) for _ in range(2))
            cy, cx = int(rng.integers(ry, H - ry)), int(rng.integers(rx, W - rx))
            blob = ellipse(yy, xx, cy, cx, ry, rx)
            mask[blob] = cls
            objects |= blob
    # a 1-2 pixel void band around objects, like VOC's boundary
    grown = objects.copy()
    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1), (2, 0), (0, 2)):
        grown |= np.roll(np.roll(objects, dy, 0), dx, 1)
    mask[grown & ~objects] = 255
    return mask


def main() -> None:
    rng = np.random.default_rng(2024)
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "palette").mkdir(parents=True)
    (OUT / "grey").mkdir(parents=True)
    palette = voc_palette()
    for i in range(N_PALETTE):
        im = Image.fromarray(make_mask(rng), mode="L")
        im = Image.frombytes("P", im.size, im.tobytes())
        im.putpalette(palette)
        im.save(OUT / "palette" / f"{i:04d}.png", optimize=True)
    for i in range(N_GREY):
        Image.fromarray(make_mask(rng)).save(OUT / "grey" / f"{i:04d}.png", optimize=True)
    print(f"wrote {N_PALETTE + N_GREY} masks to {OUT}")


if __name__ == "__main__":
    main()
