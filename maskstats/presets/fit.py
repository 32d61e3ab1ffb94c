"""After a scan under a preset: refuse masks the preset does not describe.

A preset says which stored values are classes and which are ignored; values outside both are
counted apart (``unexpected``). A few such pixels are stray labels; many mean the masks are in
another encoding (the 32-class CamVid release under the 11-class ``camvid`` preset leaves 81%
of the pixels "unexpected"), and the class statistics then describe a fraction of the data. So
more than :data:`FIT_LIMIT` of the pixels outside the preset's classes is an error, unless the
user opts out (``allow_unexpected``, the CLI's ``--allow-unexpected``).

``binary`` is strict: any value other than 0, 1 and 255 is an error naming a file that holds it.
"""

from __future__ import annotations

from typing import Callable, Sequence

from maskstats.core.stats import Stats, id_ranges
from maskstats.errors import MaskstatsError, UnreadableMask

#: the largest share of pixels outside a preset's classes accepted without the opt-out
FIT_LIMIT = 0.01
#: the CLI option that accepts a preset that does not fit
OPT_OUT = "--allow-unexpected"


class PresetMisfit(MaskstatsError):
    """More than :data:`FIT_LIMIT` of the pixels lie outside the preset's classes."""


def values_text(values: Sequence[int], limit: int = 12) -> str:
    """Sorted values as ranges, cut after ``limit`` ranges: '12-31' or '3, 7, 9, ... (40 values)'."""
    text = id_ranges(sorted(values))
    parts = text.split(", ")
    if len(parts) > limit:
        text = ", ".join(parts[:limit]) + f", ... ({len(values):,} values)"
    return text


def check_fit(stats: Stats, preset: str | None, allow_unexpected: bool = False,
              find_file: Callable[[set[int]], tuple[str, int] | None] | None = None
              ) -> None:
    """Raise when ``stats`` (of a scan under ``preset``) does not fit the preset.

    ``find_file(values)``: ``(path, value)`` of the first scanned file holding one of
    ``values`` (only called on the error path of ``binary``, to name a file).
    """
    if preset is None or not stats.unexpected:
        return
    values = sorted(int(v) for v in stats.unexpected)
    outside = sum(stats.unexpected.values())
    if preset == "binary":
        found = find_file(set(values)) if find_file is not None else None
        if found is not None:
            raise UnreadableMask(found[0], f"value {found[1]} in a binary mask (preset "
                                 "binary reads 0 and 255, or 0 and 1); pick another preset "
                                 "or --num-classes")
        raise PresetMisfit(f"values {values_text(values)} in binary masks (preset binary "
                           "reads 0 and 255, or 0 and 1)")
    counted = stats.total_pixels
    if allow_unexpected or counted <= 0 or outside <= FIT_LIMIT * counted:
        return
    top = sorted(stats.unexpected.items(), key=lambda kv: -kv[1])[:3]
    most = ", ".join(f"{v}: {n:,}" for v, n in top)
    ignored = (f" and ignore value(s) {', '.join(map(str, stats.ignore_index))}"
               if stats.ignore_index else "")
    k_hint = f"--num-classes {values[-1] + 1} or " if values[-1] < 1024 else ""
    raise PresetMisfit(
        f"{100 * outside / counted:.1f}% of the {stats.unit} ({outside:,} of {counted:,}) hold "
        f"values outside preset {preset}'s classes 0-{stats.num_classes - 1}{ignored}: values "
        f"{values_text(values)} (most: {most}); the masks use another encoding: pass "
        f"another --preset, or drop it and pass {k_hint}--remap / --colors, or {OPT_OUT} "
        f"to count them apart under 'unexpected'")
