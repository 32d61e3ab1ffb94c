"""Which files a scan reads: a preset's default include, frames stored in several encodings,
photographs among masks.

Datasets ship more than one file per frame. Cityscapes ``gtFine/<split>/<city>/`` holds, per
frame, ``_gtFine_labelIds.png`` (ids 0-33), ``_gtFine_instanceIds.png`` (16-bit),
``_gtFine_labelTrainIds.png`` (0-18, 255) and ``_gtFine_color.png`` (an RGBA render); a scan of
the folder that reads them all counts every frame three or four times, each time under another
meaning. So:

* a preset names the files it reads (:data:`PRESET_FILES`) and a folder scan under it reads only
  those, unless ``--include`` is given (which then wins);
* a selection where one frame appears in several encodings is refused, naming ``--include``
  (:func:`mixed_encodings`, :func:`check_selection`);
* JPEG files among lossless masks are photographs (the images next to their masks), refused
  with the ``--include`` that selects the masks (:func:`photos_among_masks`).

These checks read only names; they run before any mask is decoded.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Sequence

from maskstats.errors import UnsuitableMask, UsageProblem

#: preset -> the globs its folder scans read by default (``--include`` overrides them)
PRESET_FILES: dict[str, tuple[str, ...]] = {
    "cityscapes": ("*_labelIds.png",),  # *_gtFine_labelIds.png, *_gtCoarse_labelIds.png
    "cityscapes-trainid": ("*_labelTrainIds.png",),
}

#: the per-frame suffixes of datasets that store a frame in several encodings (Cityscapes
#: gtFine/gtCoarse, and the same names as written by cityscapesScripts / mmseg converters)
_ENCODING = re.compile(r"^(?P<frame>.+?)(?P<suffix>(?:_gtFine|_gtCoarse)?_(?:labelIds|"
                       r"instanceIds|labelTrainIds|instanceTrainIds|trainIds|color)"
                       r"\.[A-Za-z0-9]+)$")

#: lossy photograph formats; a mask folder holding both these and lossless files holds photos
PHOTO_EXTENSIONS = (".jpg", ".jpeg")


def default_include(preset: str | None, include: Sequence[str]) -> tuple[str, ...]:
    """The include globs of a scan: the user's when given, else the preset's (maybe none)."""
    if include:
        return tuple(include)
    return PRESET_FILES.get(preset or "", ())


def explain_empty(problem: UsageProblem, preset: str | None,
                  include: Sequence[str]) -> UsageProblem:
    """The walker's "no mask files found", saying which files the preset reads by default."""
    chosen = PRESET_FILES.get(preset or "", ())
    if include or not chosen or "no mask files found" not in str(problem):
        return problem
    return UsageProblem(f"{problem}; preset {preset} reads only {', '.join(chosen)} in "
                        "folders: pass --include GLOB to read other files")


def split_encoding(name: str) -> tuple[str, str] | None:
    """``(frame, suffix)`` of a file named with a per-frame encoding suffix, else None."""
    m = _ENCODING.match(name.replace("\\", "/"))
    return (m["frame"], m["suffix"]) if m else None


def mixed_encodings(names: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Frames present in more than one encoding: ``[(frame, [suffix, ...]), ...]`` in order."""
    frames: dict[str, list[str]] = {}
    for name in names:
        split = split_encoding(name)
        if split is not None:
            frames.setdefault(split[0], []).append(split[1])
    return [(frame, suffixes) for frame, suffixes in frames.items() if len(suffixes) > 1]


def is_photo_name(name: str) -> bool:
    return name.lower().endswith(PHOTO_EXTENSIONS)


def photos_among_masks(names: Sequence[str]) -> list[str]:
    """The JPEG files of a selection that also holds lossless masks (else none)."""
    photos = [n for n in names if is_photo_name(n)]
    return photos if photos and len(photos) < len(names) else []


def include_for(names: Sequence[str]) -> str:
    """A glob selecting the given (mask) file names: their common name suffix, e.g.
    ``*_mask.png``, or ``*.<extension>``."""
    bases = [os.path.basename(n.replace("\\", "/")) for n in names]
    suffix = os.path.commonprefix([b[::-1] for b in bases])[::-1]
    cut = min((i for i in (suffix.find("_"), suffix.find("-"), suffix.find("."))
               if i >= 0), default=-1)
    if cut < 0 or not suffix:
        ext = os.path.splitext(bases[0])[1] if bases else ".png"
        return f"*{ext}"
    return "*" + suffix[cut:]


def check_selection(files: Sequence[str], names: Sequence[str], preset: str | None,
                    include: Sequence[str]) -> None:
    """Refuse a selection that mixes encodings of one frame, or photographs with masks.

    Raises :class:`UnsuitableMask` (one line naming a file and the ``--include`` to pass).
    """
    mixed = mixed_encodings(names)
    if mixed:
        frame, suffixes = mixed[0]
        suffixes = sorted(suffixes, key=lambda x: ("_labelIds" not in x, x))  # the usual pick
        path = files[list(names).index(frame + suffixes[0])]
        hint = "; or --preset cityscapes / cityscapes-trainid, which pick their files" \
            if preset is None and not include else ""
        raise UnsuitableMask(path, f"this frame is stored in {len(suffixes)} encodings "
                             f"({', '.join(suffixes)}) and all would be counted; pick one "
                             f"with --include {shlex.quote('*' + suffixes[0])}{hint}")
    photos = photos_among_masks(names)
    if photos:
        masks = [n for n in names if not is_photo_name(n)]
        path = files[list(names).index(photos[0])]
        raise UnsuitableMask(path, f"looks like a photograph (JPEG) among {len(masks):,} "
                             f"mask file(s); read only the masks with --include "
                             f"{shlex.quote(include_for(masks))}")
