"""``maskstats compare``: class distributions of several stats files side by side."""

from __future__ import annotations

import math
import os

import click

from maskstats.cli.common import console, debug_option
from maskstats.cli.options import emit, format_option
from maskstats.cli.text import plain, shown

_MAX_ROWS = 40


def _finite(_ctx, _param, value: float | None) -> float | None:
    """A NaN or infinite D never fails a check (nothing compares above NaN): refuse it."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number (divergences are 0..1)")
    return value


@click.command()
@click.argument("stats_files", nargs=-1, required=True, metavar="STATS STATS...")
@format_option(["table", "json"], help="table: a table for people (default); json: for "
                                        "scripts.")
@click.option("--fail-above", type=click.FloatRange(min=0.0), metavar="D", callback=_finite,
              help="Exit 1 when the Jensen-Shannon divergence of a file against the first "
                   "is above D (a data check in CI).")
@debug_option
def compare(stats_files, fmt, fail_above) -> None:
    """Compare the class distributions of stats files (e.g. train, val and test).

    Per class: its pixel share and image share in each file and their ratio to the first
    file's; the classes present in some files and absent in others; and the Jensen-Shannon
    divergence (base 2: 0 same, 1 disjoint) of each file's pixel shares against the first.
    Works for pixel, voxel and sample stats.

    \b
    Examples:
      maskstats compare splits/train.json splits/val.json splits/test.json
      maskstats compare train.json val.json -f json
      maskstats compare train.json val.json --fail-above 0.01 || echo "val drifted"
    """
    from maskstats.comparison.compare import compare as compare_stats
    from maskstats.core.jsonio import dumps_json

    if len(stats_files) < 2:
        raise click.UsageError("give at least two stats files")
    result = compare_stats(*stats_files)
    if fmt == "json":
        doc = result.to_dict()
        if fail_above is not None:
            doc["fail_above"] = fail_above
            doc["failed"] = [n for n, _ in result.above(fail_above)]
        emit(dumps_json(doc), None)
    else:
        _print(result)
    if fail_above is not None:
        over = result.above(fail_above)
        if over:
            raise click.ClickException(plain(
                "; ".join(f"{n}: Jensen-Shannon divergence {d:.6f} against {result.names[0]} "
                          f"is above --fail-above {fail_above:g}" for n, d in over)))


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def _times(x: float | None) -> str:
    return "-" if x is None else f"x{x:.2f}"


def _short(names: list[str]) -> list[str]:
    """Column labels: the file names without folder and .json when that keeps them apart."""
    stems = [os.path.splitext(os.path.basename(n))[0] for n in names]
    return stems if len(set(stems)) == len(stems) else list(names)


def _print(result) -> None:
    from rich.table import Table

    out = console(stderr=False)
    unit = result.unit
    table = Table(title=f"compare: {unit} and image shares, ratios to {shown(result.names[0])}",
                  title_justify="left")
    table.add_column("class", justify="right")
    if result.class_names:
        table.add_column("name")
    for name in _short(result.names):
        table.add_column(f"{shown(name)}\n{unit}", justify="right")
        table.add_column(f"{shown(name)}\nimages", justify="right")
    rows = list(range(result.num_classes))
    if len(rows) > _MAX_ROWS:  # many classes: those that differ most
        spread = [max(abs(result.pixel_share[f][c] - result.pixel_share[0][c])
                      for f in range(len(result.names))) for c in rows]
        rows = sorted(sorted(rows, key=lambda c: -spread[c])[:_MAX_ROWS])
        table.caption = (f"the {_MAX_ROWS} of {result.num_classes} classes whose shares "
                         "differ most; -f json has all")
    for c in rows:
        row = [str(c)] + ([shown(result.class_names[c])] if result.class_names else [])
        for f in range(len(result.names)):
            px, im = _pct(result.pixel_share[f][c]), _pct(result.image_share[f][c])
            if f:
                px += f" {_times(result.pixel_ratio(f, c))}"
                im += f" {_times(result.image_ratio(f, c))}"
            row += [px, im]
        table.add_row(*row)
    out.print(table)
    for item in result.absent():
        label = f"{item['class']} ({item['name']})" if item["name"] else str(item["class"])
        out.print(shown(f"class {label}: absent in {', '.join(item['absent_in'])}, present in "
                        f"{', '.join(item['present_in'])}"))
    for name, d in zip(result.names[1:], result.divergence[1:]):
        out.print(shown(f"Jensen-Shannon divergence {name} vs {result.names[0]}: {d:.6f}"))
