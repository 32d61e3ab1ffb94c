"""``size-mismatch``: masks against their images (``check --images DIR``).

A mask is paired with the image of the same stem (file name without extension). Stems are
compared after dropping the usual mask and image suffixes (``_mask``, ``_label``, ``_gt``,
Cityscapes ``_gtFine_labelIds`` / ``_leftImg8bit``, ...), so ``a_mask.png`` pairs with
``a.jpg`` and ``x_gtFine_labelIds.png`` with ``x_leftImg8bit.png``. Image sizes are read
from the file headers (nothing is decoded).
"""

from __future__ import annotations

import os
import re
from typing import Iterable, Mapping

from maskstats.checking.findings import Finding

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
_SUFFIX = re.compile(r"(?:_gtFine|_gtCoarse)?_(?:labelIds|instanceIds|labelTrainIds|"
                     r"instanceTrainIds|trainIds|color)$|[_-](?:masks?|labels?|gt|seg|"
                     r"segmentation|annotation|L|leftImg8bit|img|image|rgb)$", re.IGNORECASE)
#: paths listed in one finding of unpaired files
SHOWN = 1000


def stem(path: str) -> str:
    """The pairing key of a file: its name without extension and usual suffixes."""
    name = os.path.basename(path)
    for ext in (".nii.gz",):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
            break
    else:
        name = os.path.splitext(name)[0]
    return _SUFFIX.sub("", name)


def image_sizes(folder: str) -> dict[str, tuple[str, tuple[int, int] | None]]:
    """``{stem: (path, (width, height) or None)}`` of the images under ``folder``."""
    from PIL import Image

    from maskstats.pipeline.walk import walk_sorted

    found: dict[str, tuple[str, tuple[int, int] | None]] = {}

    def skip(_folder: str, _exc: OSError) -> None:
        return None

    for root, _real, names in walk_sorted(folder, skip):
        for name in names:
            if not name.lower().endswith(IMAGE_EXTENSIONS):
                continue
            path = os.path.join(root, name)
            try:
                with Image.open(path) as im:
                    size = im.size
            except Exception:  # noqa: BLE001 - an unreadable image is "no size"
                size = None
            found.setdefault(stem(path), (path, size))
    return found


def size_findings(masks: Mapping[str, tuple[int, int] | None], folder: str) -> list[Finding]:
    """Masks whose image has another size; masks without an image; images without a mask."""
    images = image_sizes(folder)
    found: list[Finding] = []
    lonely: list[str] = []
    paired: set[str] = set()
    for path, size in masks.items():
        key = stem(path)
        if key not in images:
            lonely.append(path)
            continue
        paired.add(key)
        image, image_size = images[key]
        if size is not None and image_size is not None and size != image_size:
            found.append(Finding("size-mismatch", f"mask {size[0]}x{size[1]}, image "
                                 f"{image_size[0]}x{image_size[1]} ({image})", path))
    unmatched = [p for k, (p, _s) in images.items() if k not in paired]
    found += _unpaired(lonely, f"mask(s) without an image of the same stem in {folder}")
    found += _unpaired(unmatched, "image(s) without a mask of the same stem")
    return found


def _unpaired(paths: Iterable[str], what: str) -> list[Finding]:
    paths = list(paths)
    if not paths:
        return []
    more = f" (the first {SHOWN} listed)" if len(paths) > SHOWN else ""
    return [Finding("size-mismatch", f"{len(paths):,} {what}{more}", None,
                    tuple(paths[:SHOWN]))]
