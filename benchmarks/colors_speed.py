"""Colour-coded RGB masks: `maskstats scan --colors` vs decode-only Pillow reading.

Writes blob masks painted with a 32-colour table as RGB PNGs (plus a class_dict.csv) to a
temporary folder, then times whole processes, best of ``--repeat``:

* yardstick: ``np.asarray(Image.open(p))`` for every file (decode only, no counting);
* maskstats: ``maskstats scan DIR --colors class_dict.csv -j 1``.

    python benchmarks/colors_speed.py [--images 200] [--size 1024x768] [--repeat 3]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402
from _masks import best_of, blob_mask  # noqa: E402

DECODE = ("import sys, os, numpy as np\nfrom PIL import Image\n"
          "for n in sorted(os.listdir(sys.argv[1])):\n"
          "    np.asarray(Image.open(os.path.join(sys.argv[1], n)))\n")


def main() -> None:
    args = parser(__doc__, images=200, size="1024x768", repeats=3).parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    rng = np.random.default_rng(0)
    palette = rng.integers(0, 256, size=(32, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        masks = root / "masks"
        masks.mkdir()
        for i in range(args.images):
            ids = blob_mask(rng, h, w, 30) % 32
            Image.fromarray(palette[ids]).save(masks / f"m{i:05d}.png")
        table = root / "class_dict.csv"
        table.write_text("name,r,g,b\n" + "".join(
            f"class{i},{r},{g},{b}\n" for i, (r, g, b) in enumerate(palette.tolist())))
        decode = root / "decode.py"
        decode.write_text(DECODE)
        t_decode = best_of(args.repeats, [sys.executable, str(decode), str(masks)])
        t_scan = best_of(args.repeats, [sys.executable, "-m", "maskstats", "scan", str(masks),
                                       "--colors", str(table), "-j", "1", "-q",
                                       "--no-progress", "-o", str(root / "s.json")])
    print(f"{args.images} RGB masks {w}x{h}, one process each side, best of {args.repeats}")
    print(f"  decode only (np.asarray(Image.open(p))): {t_decode:7.3f} s")
    print(f"  maskstats scan --colors -j 1:            {t_scan:7.3f} s")
    print(f"  maskstats runs at {t_decode / t_scan:.2f}x the decode-only yardstick")


if __name__ == "__main__":
    main()
