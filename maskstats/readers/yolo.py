"""Ultralytics YOLO datasets: ``data.yaml``, image folders and one label file per image.

``data.yaml`` gives ``path`` (the dataset root), ``train``/``val``/``test`` (folders of
images or ``.txt`` lists of image paths, relative to the root) and ``names`` (a list, or a
mapping id -> name). The label file of ``.../images/.../x.jpg`` is ``.../labels/.../x.txt``
(Ultralytics' ``img2label_paths``); an image without one is a background image. Each label
line is ``cls x1 y1 x2 y2 x3 y3 ...`` (a polygon, normalised coordinates) or
``cls cx cy w h`` (a box).

Pixels follow Ultralytics' ``polygon2mask`` at full resolution: the normalised coordinates
(float32, as Ultralytics reads them) times the image width and height, truncated to int32,
filled with ``cv2.fillPoly`` (the ``yolo`` extra: opencv-python-headless). A box is the
polygon of its four corners by the same rule, i.e. the pixels from column ``int(x1)`` to
``int(x2)`` and row ``int(y1)`` to ``int(y2)``, both included, inside the image (no OpenCV
needed). Image sizes come from the image headers (PIL, without decoding), swapped for JPEG
EXIF orientations 6 and 8 as Ultralytics' ``exif_size`` does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from maskstats.errors import UnreadableMask, UsageProblem

#: Ultralytics' image suffixes (``IMG_FORMATS``)
IMG_FORMATS = {"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"}
SPLITS = ("train", "val", "test")
_I64 = np.int64


def _yaml():
    try:
        import yaml
    except ImportError:
        raise UsageProblem("--yolo needs the 'yolo' extra: pip install 'maskstats[yolo]' "
                           "(PyYAML, opencv-python-headless)") from None
    return yaml


def cv2_module():
    try:
        import cv2
    except ImportError:
        raise UsageProblem("YOLO polygons are filled with cv2.fillPoly: pip install "
                           "'maskstats[yolo]' (opencv-python-headless)") from None
    return cv2


def load_data_yaml(path: str | os.PathLike) -> dict[str, Any]:
    """The parsed ``data.yaml`` with ``names`` as a list and ``path`` resolved."""
    yaml = _yaml()
    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageProblem(f"{source}: not a readable dataset YAML "
                           f"({getattr(exc, 'strerror', None) or exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise UnreadableMask(source, f"not valid YAML{line}") from None
    if not isinstance(data, dict) or "names" not in data:
        raise UnreadableMask(source, "not an Ultralytics dataset YAML (no 'names')")
    data["names"] = _names(data["names"], source)
    root = data.get("path")
    base = Path(source).resolve().parent
    if root is None:
        data["path"] = str(base)
    else:
        found = [p for p in (Path(str(root)), base / str(root)) if p.is_dir()]
        if not found:
            raise UnreadableMask(source, f"path {str(root)!r} is not a folder (relative to "
                                         f"the current folder or to {base})")
        data["path"] = str(found[0].resolve())
    return data


def _names(names: Any, source: str) -> list[str]:
    if isinstance(names, list):
        return [str(n) for n in names]
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        if sorted(names) != list(range(len(names))):
            raise UnreadableMask(source, "'names' ids must be 0..N-1")
        return [str(names[k]) for k in range(len(names))]
    raise UnreadableMask(source, "'names' must be a list or a mapping id: name")


def label_path(image: str) -> str:
    """Ultralytics' ``img2label_paths``: the last ``/images/`` becomes ``/labels/``."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    return sb.join(image.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt"


def _is_image(name: str) -> bool:
    return name.rsplit(".", 1)[-1].lower() in IMG_FORMATS if "." in name else False


def split_images(data: dict[str, Any], split: str | None, source: str) -> list[str]:
    """Absolute image paths of one split, or of every split the YAML lists, each once."""
    root = Path(data["path"])
    keys = [split] if split is not None else [k for k in SPLITS if data.get(k)]
    if split is not None and not data.get(split):
        raise UsageProblem(f"{source} has no split {split!r} (it has: "
                           f"{', '.join(k for k in SPLITS if data.get(k)) or 'none'})")
    if not keys:
        raise UnreadableMask(source, "lists no train, val or test images")
    out: dict[str, None] = {}
    for key in keys:
        entries = data[key] if isinstance(data[key], list) else [data[key]]
        for entry in entries:
            out.update(dict.fromkeys(_entry_images(root / str(entry), source, key)))
    return list(out)


def _entry_images(where: Path, source: str, key: str) -> list[str]:
    if where.is_dir():
        return sorted(str(p) for p in where.rglob("*") if p.is_file() and _is_image(p.name))
    if where.is_file() and where.suffix == ".txt":
        lines = [s.strip() for s in where.read_text(encoding="utf-8").splitlines()]
        parent = str(where.parent) + os.sep
        return [os.path.abspath(s.replace("./", parent, 1) if s.startswith("./") else s)
                for s in lines if s]
    raise UnreadableMask(source, f"{key}: {str(where)!r} is neither a folder of images nor "
                                 "a .txt list of images")


def orphan_labels(images: Sequence[str]) -> list[str]:
    """Label files in the label folders of ``images`` that belong to no image there."""
    expected = {label_path(p) for p in images}
    folders = {os.path.dirname(p) for p in expected}
    found = []
    for folder in sorted(folders):
        if os.path.isdir(folder):
            found += [os.path.join(folder, f) for f in sorted(os.listdir(folder))
                      if f.endswith(".txt") and os.path.join(folder, f) not in expected]
    return found


def image_size(path: str) -> tuple[int, int]:
    """(width, height) from the header, EXIF-rotated like Ultralytics' ``exif_size``."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if im.format == "JPEG" and im.getexif().get(274) in (6, 8):
                    w, h = h, w
    except FileNotFoundError:
        raise UnreadableMask(path, "image listed in the dataset is missing") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnreadableMask(path, f"cannot read the image header ({exc})") from None
    most = Image.MAX_IMAGE_PIXELS
    if most is not None and w * h > most:
        raise UnreadableMask(path, f"{w}x{h} pixels is more than Pillow's MAX_IMAGE_PIXELS "
                                   f"({most}): refused as a possible decompression bomb")
    return w, h


def parse_labels(path: str, num_classes: int) -> list[tuple[int, np.ndarray]]:
    """``(class, coordinates)`` per line (float32; 4 for a box, 2 n for a polygon)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UnreadableMask(path, f"cannot read the label file "
                                   f"({getattr(exc, 'strerror', None) or exc})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        try:
            values = np.array(fields, dtype=np.float32)
        except ValueError:
            raise UnreadableMask(path, f"line {n}: not a list of numbers") from None
        cls = float(values[0])
        if not np.isfinite(values).all() or not cls.is_integer() or cls < 0:
            raise UnreadableMask(path, f"line {n}: the class must be a whole number >= 0 and "
                                       "every coordinate finite")
        if cls >= num_classes:
            raise UnreadableMask(path, f"line {n}: class {int(cls)} is beyond the "
                                       f"{num_classes} names of the dataset YAML")
        coords = values[1:]
        if coords.size != 4 and (coords.size % 2 or coords.size < 6):
            raise UnreadableMask(path, f"line {n}: {coords.size} coordinates; a box has 4 "
                                       "(cx cy w h), a polygon an even number, at least 6")
        if coords.min() < 0 or coords.max() > 1:
            raise UnreadableMask(path, f"line {n}: coordinates must be normalised to [0, 1]")
        out.append((int(cls), coords))
    return out


def fill(mask: np.ndarray, coords: np.ndarray, w: int, h: int) -> None:
    """Set the pixels of one label line in ``mask`` (h, w) uint8 to 1."""
    size = np.array([w, h], dtype=np.float32)
    if coords.size == 4:
        cx, cy, bw, bh = coords
        lo = ((np.array([cx, cy], np.float32) - np.array([bw, bh], np.float32) / 2) * size)
        hi = ((np.array([cx, cy], np.float32) + np.array([bw, bh], np.float32) / 2) * size)
        x1, y1 = np.maximum(lo.astype(np.int32), 0).tolist()
        x2, y2 = hi.astype(np.int32).tolist()
        mask[y1:y2 + 1, x1:x2 + 1] = 1
        return
    pts = (coords.reshape(-1, 2) * size).astype(np.int32)
    cv2_module().fillPoly(mask, [pts], color=1)


def rasterise_labels(path: str | None, w: int, h: int, num_classes: int
                     ) -> tuple[np.ndarray, ...]:
    """``(classes, pixels, instance classes, instance sizes)`` of one image (int64)."""
    lines = parse_labels(path, num_classes) if path is not None else []
    if not lines:
        empty = np.zeros(0, _I64)
        return empty, empty, empty, empty
    lines.sort(key=lambda item: item[0])
    inst_classes = np.array([c for c, _ in lines], dtype=_I64)
    inst_sizes = np.zeros(len(lines), dtype=_I64)
    values, counts = [], []
    union = np.zeros((h, w), dtype=np.uint8)
    one = np.zeros((h, w), dtype=np.uint8)
    for i, (cls, coords) in enumerate(lines):
        one[:] = 0
        fill(one, coords, w, h)
        inst_sizes[i] = np.count_nonzero(one)
        union |= one
        if i + 1 == len(lines) or lines[i + 1][0] != cls:
            values.append(cls)
            counts.append(np.count_nonzero(union))
            union[:] = 0
    keep = np.array(counts, dtype=_I64) > 0
    return (np.array(values, dtype=_I64)[keep], np.array(counts, dtype=_I64)[keep],
            inst_classes, inst_sizes)
