"""``maskstats check``: lint masks before training (exit 1 when anything is found)."""

from __future__ import annotations

import sys

import click

from maskstats.cli.common import debug_option
from maskstats.cli.options import format_option
from maskstats.cli.scan import scan as scan_command
from maskstats.errors import one_line

#: example paths shown per kind in the text output
EXAMPLES = 3


@click.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--images", type=click.Path(file_okay=False, exists=True), metavar="DIR",
              help="Folder of the images: a mask whose image (same stem) has another size is "
                   "a size-mismatch; masks without an image and images without a mask are "
                   "listed too.")
@format_option(["text", "json"], help="text: findings grouped by kind, with a few example "
                                      "paths (default); json: every finding.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@debug_option
def check(paths, images, fmt, jobs, no_progress, **options) -> None:
    """Lint masks before training: find masks that would give wrong statistics.

    Reads PATH with the walker, options and presets of 'scan' and reports: interpolated
    (resized with a non-nearest filter), lossy (JPEG), alpha, duplicate, size-mismatch
    (with --images), mixed-encodings, photo, out-of-range, empty and unreadable files.
    Exit 1 when anything is found, 0 when the masks are clean.

    \b
    Examples:
      maskstats check masks/
      maskstats check gtFine/val --preset cityscapes
      maskstats check masks/ --images images/ -f json
      maskstats check labels/ --num-classes 21 --ignore-index 255 -j 4
    """
    from maskstats.checking import check as run_check
    from maskstats.core.jsonio import dumps_json

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if no_progress or not sys.stderr.isatty():
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="file", file=sys.stderr, desc="checking")
        bar.update(done - bar.n)

    try:
        report = run_check(list(paths), images=images, jobs=jobs, progress=progress,
                           **options)
    finally:
        if bar is not None:
            bar.close()
    if fmt == "json":
        click.echo(dumps_json(report.to_dict()), nl=False)
    else:
        print_report(report)
    if not report.clean:
        sys.exit(1)


#: the options check takes from scan, with the same meaning and help
SCAN_OPTIONS = ("include", "exclude", "preset", "num_classes", "ignore_index", "class_names",
                "remap", "colors", "layout", "key", "jobs")
check.params[1:1] = [p for p in scan_command.params if p.name in SCAN_OPTIONS]


def print_report(report) -> None:
    """Findings grouped by kind: a count and a few examples each (paths escaped)."""
    groups = report.by_kind()
    total = len(report.findings)
    click.echo(f"maskstats check: {report.files:,} files, "
               + (f"{total:,} finding(s)" if total else "no findings: clean"))
    for kind, found in groups.items():
        click.echo(f"{kind}: {len(found):,}")
        for f in found[:EXAMPLES]:
            where = f.path if f.path is not None else _paths(f.paths)
            click.echo(one_line(f"  {where}: {f.detail}"))
        if len(found) > EXAMPLES:
            click.echo(f"  ... and {len(found) - EXAMPLES:,} more (-f json lists all)")


def _paths(paths) -> str:
    shown = ", ".join(paths[:EXAMPLES])
    return shown + (f", ... ({len(paths)} files)" if len(paths) > EXAMPLES else "")
