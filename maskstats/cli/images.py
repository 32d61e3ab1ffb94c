"""``maskstats images``: which images hold (or lack) given classes."""

from __future__ import annotations

import click

from maskstats.cli.common import debug_option, warn
from maskstats.cli.options import emit, format_option, output_option, quiet_option, stats_option
from maskstats.table.query import FORMATS, SORTS

EXTENSIONS = {".csv": "csv", ".json": "json", ".txt": "paths"}


@click.command()
@click.argument("table", metavar="TABLE")
@stats_option
@click.option("--class", "classes", multiple=True, metavar="C",
              help="Keep images holding class C (id, or name with --stats); repeated: "
                   "images holding all of them.")
@click.option("--absent", "absent", multiple=True, metavar="C",
              help="Keep images without class C (repeatable).")
@click.option("--min-pixels", type=int, default=1, show_default=True, metavar="N",
              help="Pixels each --class class needs in an image to count as held.")
@click.option("--sort", type=click.Choice(SORTS),
              help="pixels / share: most pixels (or largest share of the image's counted "
                   "pixels) of the --class classes first; path: by path then frame. "
                   "Default: table order.")
@click.option("--top", type=click.IntRange(min=0), metavar="N",
              help="Keep only the first N matching rows (after --sort).")
@format_option(FORMATS,
               help="paths: one path per line, each file once (default); csv: path, frame, "
                    "pixels, share and the --class counts; json: the same with the query. "
                    "Default: from the -o extension (.csv, .json, .txt), else paths.")
@output_option()
@quiet_option
@debug_option
def images(table, stats, classes, absent, min_pixels, sort, top, fmt, output, quiet) -> None:
    """List the images of a per-image table that hold (or lack) classes.

    TABLE is the file written by 'maskstats scan --per-image' (.csv, or .parquet with the
    parquet extra). Paths are printed as the table names them, one per line, so the
    output feeds xargs, rsync --files-from, or a training list.

    \b
    Examples:
      maskstats images images.csv --class 3
      maskstats images images.csv --class 3 --absent 0 --sort pixels --top 20
      maskstats images images.csv --stats maskstats.json --class car --min-pixels 500
      maskstats images images.csv --class 2 --class 4 -f csv -o both.csv
    """
    from maskstats.table.query import select_images
    from maskstats.core.files import format_for
    from maskstats.table.load import load_table
    from maskstats.table.check import class_info

    fmt = format_for(output, fmt, EXTENSIONS, "paths")
    t = load_table(table)
    info = class_info(t, stats)
    selection = select_images(t, info, classes, absent, min_pixels=min_pixels, sort=sort,
                              top=top)
    if not len(selection.rows):
        warn(f"no image of {table} matches")
    emit(selection.to_bytes(fmt), output)
