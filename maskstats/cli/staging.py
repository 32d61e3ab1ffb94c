"""``scan --per-image``: the table and the stats JSON are one set, written whole or not at all.

The scan streams the table into a hidden file beside its target (:func:`stage_table`); the
stats JSON is then written with it by :func:`save_with_table`, both moved into place
together (:func:`maskstats.core.fileset.replace_files`). A scan that fails at any point,
before or after counting, leaves the old table and stats untouched and no file behind.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from maskstats.core.jsonio import dumps_json
from maskstats.core.fileset import Staged, replace_files, staging_name


@contextlib.contextmanager
def stage_table(options: dict) -> Iterator[tuple[str, str] | None]:
    """Point ``options["per_image"]`` at a staging file; yield (target, staging) or None
    when there is no table to stage (none asked for, or a device such as /dev/null)."""
    target = options.get("per_image")
    stage = staging_name(target) if target not in (None, "-") else None
    if stage is None:
        yield None
        return
    options["per_image"] = stage
    try:
        yield os.fspath(target), stage
    finally:  # moved into place on success; removed otherwise
        with contextlib.suppress(OSError):
            os.unlink(stage)


def record_target(stats, staged: tuple[str, str] | None) -> None:
    """The stats name the table as the user did, not by its staging name."""
    if staged is not None and isinstance(stats.extra.get("per_image"), dict):
        stats.extra["per_image"]["path"] = staged[0]


def save_with_table(stats, output: str, staged: tuple[str, str] | None) -> None:
    """Write the stats (``-`` = stdout) and move the staged table into place, as one set."""
    if staged is None:
        stats.save(output)
        return
    table = {staged[0]: Staged(staged[1])}
    special = output == "-" or (os.path.exists(output) and not os.path.isfile(output)
                                and not os.path.isdir(output))
    if special:  # stdout or a device: the table is the only file to replace
        replace_files(table)
        stats.save(output)
        return
    replace_files({**table, output: dumps_json(stats.to_dict()).encode("utf-8")})
