"""``maskstats merge``: add up the stats of disjoint scans."""

from __future__ import annotations

import os

import click

from maskstats.cli.common import CliUsageError, debug_option
from maskstats.cli.options import output_option, quiet_option
from maskstats.cli.summary import all_classes_option, save_and_summarise
from maskstats.errors import BadStats, UsageProblem, one_line


@click.command()
@click.argument("stats_files", nargs=-1, required=True, metavar="STATS...")
@output_option("maskstats.json")
@quiet_option
@all_classes_option
@debug_option
def merge(stats_files, output, quiet, all_classes) -> None:
    """Merge the stats of disjoint scans (shards, splits) into one stats JSON, exactly.

    Counts are added as integers, so the order of the files does not matter. Files counted
    differently (unit, ignore values, remaps or other count options, fixed --num-classes)
    are refused. Layout-specific entries (objects, one-hot, panoptic, unknown colours) merge
    exactly or are refused; object quantiles come from the added object_sizes tables. The
    per_image record is dropped: it names one scan's table.

    \b
    Examples:
      maskstats scan train/ -o train.json && maskstats scan val/ -o val.json
      maskstats merge train.json val.json -o all.json
      maskstats merge shards/*.json -o - | maskstats weights -
    """
    from maskstats.core.stats import Stats

    seen: dict[str, str] = {}
    for path in stats_files:  # the same file under two names (./a.json, a symlink) too
        real = path if path == "-" else os.path.realpath(path)
        if real in seen:
            raise CliUsageError(f"{one_line(path)}: the same stats file as "
                                f"{one_line(seen[real])}; merging it would count its masks "
                                "twice")
        seen[real] = path
    merged = Stats.load(stats_files[0])
    for path in stats_files[1:]:
        other = Stats.load(path)  # its own errors name the file already
        try:
            merged = merged.merge(other)
        except UsageProblem as exc:
            raise UsageProblem(f"{path}: {exc}") from None
        except BadStats as exc:
            raise BadStats(f"{path}: {exc}") from None
    save_and_summarise(merged, output, quiet,
                        f"Merged {len(stats_files)} files into {output}", all_classes=all_classes)

