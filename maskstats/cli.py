"""The ``maskstats`` command line: parses flags, calls the library, formats output.

This is the only module that imports click, tqdm or rich. Library errors become one
``Error: ...`` line with exit code 1 (data) or 2 (usage), in one place: ``MaskstatsGroup``.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from maskstats import __version__
from maskstats.errors import MaskstatsError, UsageProblem

_DEBUG_KEY = "maskstats.debug"


class _UsageError(click.ClickException):
    """A one-line usage error (exit 2) for problems the library detects."""

    exit_code = 2


class MaskstatsGroup(click.Group):
    """Turns library errors into ``Error: ...`` lines; no traceback unless ``--debug``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MaskstatsError as exc:
            if ctx.meta.get(_DEBUG_KEY):
                raise
            cls = _UsageError if isinstance(exc, UsageProblem) else click.ClickException
            raise cls(str(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`): not our error
            raise click.exceptions.Exit(1) from None
        except Exception as exc:
            if ctx.meta.get(_DEBUG_KEY):
                raise
            raise click.ClickException(
                f"internal error: {type(exc).__name__}: {exc} "
                "(please report it; run with --debug for the traceback)"
            ) from None


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_DEBUG_KEY] = True


debug_option = click.option(
    "--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
    help="Show the full traceback on errors.",
)


def _console(stderr: bool):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


@click.group(cls=MaskstatsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="maskstats")
@debug_option
def cli() -> None:
    """Exact per-class pixel statistics for segmentation masks, and class weights.

    \b
    Typical use:
      maskstats scan masks/ --ignore-index 255      # writes maskstats.json
      maskstats weights --scheme inverse-frequency  # reads maskstats.json
    """


# ---------------------------------------------------------------------------------- scan
@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-o", "--output", default="maskstats.json", show_default=True,
              help="Stats JSON file to write; '-' writes to stdout (human output to stderr).")
@click.option("--ignore-index", "ignore_index", type=int, multiple=True, metavar="V",
              help="Value counted as ignored, not as a class (repeatable).")
@click.option("--num-classes", type=click.IntRange(min=1), metavar="K",
              help="Length of the class vector; other values are reported as unexpected.")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Only files whose path (relative to the folder) or name matches (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip files whose path (relative to the folder) or name matches (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Worker processes [default: all cores]. The result is the same for any N.")
@click.option("--on-error", type=click.Choice(["fail", "skip"]), default="fail",
              show_default=True, help="Stop at an unreadable file, or list it under 'skipped'.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("-q", "--quiet", is_flag=True, help="No summary table or hints.")
@debug_option
def scan(paths, output, no_progress, quiet, **options) -> None:
    """Count pixels per class in mask files and write a stats JSON.

    PATH can be folders (walked recursively in sorted order) and files. Supported masks:
    PNG (8-bit, 16-bit, palette: the palette index is the class), TIFF, BMP, JPEG (with a
    warning) and .npy integer arrays. Other files are skipped and counted.

    \b
    Examples:
      maskstats scan data/VOC2012/SegmentationClass --ignore-index 255
      maskstats scan gtFine/ --include '*_labelTrainIds.png' --num-classes 19 --ignore-index 255
      maskstats scan masks/ -o - | maskstats weights - --scheme inverse-max
    """
    from maskstats.scan import scan as run_scan

    to_stdout = output == "-"
    console = _console(stderr=to_stdout)
    show_progress = not no_progress and sys.stderr.isatty()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if not show_progress:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True,
                       desc="scanning")
        bar.update(done - bar.n)

    try:
        # every other option is a keyword argument of maskstats.scan() of the same name
        stats = run_scan(list(paths), progress=progress, on_warning=_warn, **options)
    finally:
        if bar is not None:
            bar.close()
    stats.save(output)
    if not quiet:
        _print_summary(console, stats)
        if not to_stdout:
            console.print(f"Wrote {output}")


# ------------------------------------------------------------------------ weights, schemes
# (weights and schemes commands go here)


_MAX_ROWS = 40


def _ranges(ids: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    parts: list[str] = []
    for i in ids:
        if parts and parts[-1][1] == i - 1:
            parts[-1][1] = i
        else:
            parts.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def _print_summary(console, stats) -> None:
    """A short table: class, name, pixels, share, images; then totals and hints."""
    from rich.table import Table

    from maskstats.histogram import suggest_ignore

    unit = stats.unit
    counted = sum(stats.pixel_counts)
    table = Table(title=f"maskstats: {stats.num_images} images, {stats.total_pixels:,} {unit}",
                  title_justify="left")
    table.add_column("class", justify="right")
    if stats.class_names:
        table.add_column("name")
    table.add_column(unit, justify="right")
    table.add_column("share", justify="right")
    table.add_column("images", justify="right")
    rows = list(enumerate(stats.pixel_counts))
    if len(rows) > _MAX_ROWS:  # many classes: the largest present ones only
        rows = sorted((r for r in rows if r[1]), key=lambda r: -r[1])[:_MAX_ROWS]
        table.caption = (f"the {len(rows)} largest present classes of {stats.num_classes} "
                         "shown; all are in the stats file")
    for c, n in rows:
        share = f"{100 * n / counted:.2f}%" if counted else "-"
        row = [str(c)]
        if stats.class_names:
            row.append(stats.class_names[c])
        row += [f"{n:,}", share, f"{stats.image_counts[c]:,}"]
        table.add_row(*row, style="dim" if n == 0 else None)
    console.print(table)
    absent = [c for c, n in enumerate(stats.pixel_counts) if n == 0]
    if absent:
        console.print(f"absent classes (0 {unit}): {_ranges(absent)}")
    if stats.ignore_index:
        console.print(f"ignored {unit} (values {', '.join(map(str, stats.ignore_index))}): "
                      f"{stats.ignored_pixels:,}")
    if stats.unexpected:
        shown = ", ".join(f"{v}: {n:,}" for v, n in list(stats.unexpected.items())[:10])
        console.print(f"[yellow]unexpected values (outside 0..{stats.num_classes - 1}):[/] "
                      f"{shown}")
    if stats.skipped:
        console.print(f"[yellow]skipped {len(stats.skipped)} unreadable file(s)[/], "
                      "listed under 'skipped' in the stats file")
    if stats.non_mask_files:
        console.print(f"skipped {stats.non_mask_files} non-mask file(s) (by extension)")
    present = {c: (n,) for c, n in enumerate(stats.pixel_counts) if n}
    present.update({int(v): (n,) for v, n in stats.unexpected.items()})
    hint = suggest_ignore(present, stats.ignore_index)
    if hint is not None:
        others = max(v for v in present if v != hint)
        console.print(f"[bold]Hint:[/] value {hint} ({present[hint][0]:,} {unit}) lies far above "
                      f"the other labels (max {others}); if it marks void/ignore pixels, "
                      f"pass --ignore-index {hint}.")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="maskstats")


if __name__ == "__main__":  # pragma: no cover
    main()
