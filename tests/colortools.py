"""Colour tables and RGB masks painted from them, for the colour tests."""

from __future__ import annotations
import json
from collections import Counter
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
import maskstats
from maskstats.readers import colors
from maskstats.readers.colors import ColorTable, load_color_table, pack_pixels
from maskstats.errors import UsageProblem


TABLE = [("sky", (128, 128, 128)), ("road", (128, 64, 128)), ("car", (64, 0, 128)),
         ("void", (0, 0, 0))]


def write_table(folder: Path, form: str) -> Path:
    """Write TABLE in one of the supported colour-table forms."""
    if form == "csv":
        path = folder / "class_dict.csv"
        path.write_text("name,r,g,b\n" + "".join(f"{n},{r},{g},{b}\n" for n, (r, g, b) in TABLE))
    elif form == "labelmap":
        path = folder / "labelmap.txt"
        path.write_text("# label:color_rgb:parts:actions\n"
                        + "".join(f"{n}:{r},{g},{b}::\n" for n, (r, g, b) in TABLE))
    elif form == "json":
        path = folder / "colors.json"
        path.write_text(json.dumps({n: list(c) for n, c in TABLE}))
    else:  # a reference palette PNG: palette index i = class i
        path = folder / "palette.png"
        im = Image.frombytes("P", (4, 1), bytes(range(4)))
        im.putpalette([v for _, c in TABLE for v in c])
        im.save(path)
    return path


def rgb_mask(rng: np.random.Generator, shape=(40, 56), stray=()) -> tuple[np.ndarray, np.ndarray]:
    """An RGB mask painted from TABLE (and optional stray colours); returns (rgb, class ids)."""
    ids = rng.integers(0, len(TABLE), size=shape)
    palette = np.array([c for _, c in TABLE], dtype=np.uint8)
    rgb = palette[ids]
    for k, colour in enumerate(stray):
        rgb[k, : k + 3] = colour
        ids[k, : k + 3] = -1 - k
    return rgb, ids
