"""``duplicate``: masks that are byte-identical, or hold identical pixels.

Byte-identical files are one finding per group; files that differ as bytes but decode to the
same values (re-saved, another compression level) are another. Masks of one single value (an
empty tile of background, common in tiled datasets) are not compared by pixels, only by bytes.
"""

from __future__ import annotations

from typing import Callable, Iterable

from maskstats.checking.findings import Finding


def duplicate_findings(facts: Iterable, digest: Callable[[str], str | None]) -> list[Finding]:
    """One finding per group of two or more files with the same bytes or the same pixels.

    ``facts`` carry a byte digest and a cheap pixel key; files sharing a key are compared by
    ``digest(path)`` (every value) before they are reported.
    """
    by_bytes: dict[str, list[str]] = {}
    by_pixels: dict[str, list[str]] = {}
    for f in facts:
        if f.byte_digest is not None:
            by_bytes.setdefault(f.byte_digest, []).append(f.path)
        if f.pixel_digest is not None:
            by_pixels.setdefault(f.pixel_digest, []).append(f.path)
    found = []
    grouped: set[str] = set()
    for paths in by_bytes.values():
        if len(paths) > 1:
            found.append(Finding("duplicate", f"{len(paths)} byte-identical files", None,
                                 tuple(paths)))
            grouped.update(paths[1:])  # the copies; the first stands for the group
    for paths in by_pixels.values():
        distinct = [p for p in paths if p not in grouped]
        if len(distinct) < 2:
            continue
        full: dict[str, list[str]] = {}
        for p in distinct:
            d = digest(p)
            if d is not None:
                full.setdefault(d, []).append(p)
        for same in full.values():
            if len(same) > 1:
                found.append(Finding("duplicate", f"{len(same)} files with identical pixels",
                                     None, tuple(same)))
    return found
