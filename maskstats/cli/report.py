"""``maskstats report``: one self-contained HTML page with plots of a stats file."""

from __future__ import annotations

import click

from maskstats.cli.common import CliUsageError, debug_option, split_values
from maskstats.cli.options import output_option, quiet_option
from maskstats.cli.text import for_terminal, plain, stdout_is_terminal
from maskstats.report import SECTIONS


def _parse_sections(_ctx, _param, value: str | None) -> list[str] | None:
    sections = split_values(value, f"section names from {', '.join(SECTIONS)}", str)
    if sections is not None:
        unknown = [s for s in sections if s not in SECTIONS]
        if unknown:
            raise click.BadParameter(f"unknown section {', '.join(unknown)}; choose from "
                                     f"{', '.join(SECTIONS)}")
    return sections


@click.command()
@click.argument("stats", metavar="STATS")
@click.option("--per-image", "per_image", type=click.Path(dir_okay=False), metavar="TABLE",
              help="Per-image table (scan --per-image) for the classes-per-image, "
                   "pixels-per-image and co-occurrence plots.")
@click.option("--compare", multiple=True, type=click.Path(dir_okay=False),
              metavar="OTHER.json",
              help="Another stats file (e.g. the validation split) to compare shares and "
                   "Jensen-Shannon divergence with (repeatable).")
@click.option("--sections", callback=_parse_sections, metavar="NAME,...",
              help=f"Sections to show, from {', '.join(SECTIONS)} [default: every one the "
                   "inputs allow]; one the inputs cannot fill is an error.")
@click.option("--title", metavar="TEXT", help="Page title [default: the stats file name].")
@output_option("report.html")
@quiet_option
@debug_option
def report(stats, per_image, compare, sections, title, output, quiet) -> None:
    """Write a self-contained HTML report of a stats file, with plots.

    STATS is a file written by 'maskstats scan', 'merge' or 'labels' ('-' reads stdin).
    The page needs no network: CSS and SVG plots are inline. Sections: summary, class pixel
    and image shares (log scale), weights of the main schemes and the loss share, and with
    the inputs for them: per-image plots, object statistics, a comparison. Needs the
    'report' extra (matplotlib).

    \b
    Examples:
      maskstats report maskstats.json -o report.html
      maskstats scan masks/ --objects --per-image images.csv
      maskstats report maskstats.json --per-image images.csv   # + per-image, objects
      maskstats report train.json --compare val.json --compare test.json -o splits.html
    """
    import os

    from maskstats.report import build_report, write_report

    if output != "-" and os.path.isdir(output):
        raise CliUsageError(f"{output}: is a folder; give a file name such as report.html")
    html = build_report(stats, per_image, compare, sections=sections, title=title,
                        source="<stdin>" if stats == "-" else stats)
    if output == "-":
        click.echo(for_terminal(html) if stdout_is_terminal() else html, nl=False)
        return
    write_report(output, html)
    if not quiet:
        click.echo(plain(f"Wrote {output}"))
