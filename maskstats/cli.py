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
from maskstats.arrays import LAYOUTS  # noqa: E402
from maskstats.presets import list_presets  # noqa: E402


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
@click.option("--cache", type=click.Path(file_okay=False), metavar="DIR",
              help="Per-file cache folder (e.g. ~/.cache/maskstats): a rescan reads only new "
                   "or changed files, and an interrupted scan resumes.")
@click.option("--backend", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Run on local worker processes or on Dask (extra "
                                      "'dask'; a LocalCluster of -j workers).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Address of a running Dask scheduler (e.g. tcp://host:8786); implies "
                   "--backend dask.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
              help="Axes of .npy/.npz/.h5 arrays: mask = one mask; stack = first axis indexes "
                   "images; one-hot = last axis holds C classes with one 1 per pixel; "
                   "multi-label = last axis holds C channels counted independently (also "
                   "multi-band TIFFs); auto = 2-D mask, 3-D or (N,H,W,1) stack.")
@click.option("--key", metavar="NAME",
              help="Array in an .npz or dataset in an HDF5 file [default: the only one, else "
                   "one named masks, labels, y or y_train].")
@click.option("--preset", type=click.Choice(list_presets()), metavar="NAME",
              help="Dataset convention: classes, ignore values, names and value remap "
                   f"({', '.join(list_presets())}). --ignore-index adds to its ignore values.")
@click.option("--remap", type=click.Path(dir_okay=False), metavar="FILE",
              help="Map stored values to classes before counting: JSON {\"from\": to} or "
                   "two columns 'from,to' per line; unlisted values stay.")
@click.option("--class-names", "class_names", type=click.Path(dir_okay=False), metavar="FILE",
              help="Class names: one per line, a JSON list, or an nnU-Net dataset.json "
                   "('labels'); sets --num-classes to their number unless given.")
@click.option("--colors", type=click.Path(dir_okay=False), metavar="FILE",
              help="Colour table for RGB/RGBA masks: class_dict.csv (name,r,g,b), CVAT "
                   "labelmap.txt, JSON {name: [r,g,b]}, or a palette PNG.")
@click.option("--on-unknown-color", type=click.Choice(["error", "report"]), default="error",
              show_default=True, help="Colours not in --colors: fail (exit 1, naming the top "
                                      "colours and files) or report them under "
                                      "'unknown_colors' and go on.")
@click.option("--panoptic", type=click.Path(dir_okay=False), metavar="JSON",
              help="COCO panoptic annotations: counts come from segments_info areas (PNGs not "
                   "decoded); PATH is the folder of the panoptic PNGs.")
@click.option("--verify", is_flag=True,
              help="With --panoptic: decode every PNG (id = R + 256 G + 65536 B) and check "
                   "each segment's area against the JSON.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("-q", "--quiet", is_flag=True, help="No summary table or hints.")
@debug_option
def scan(paths, output, no_progress, quiet, **options) -> None:
    """Count pixels per class in mask files and write a stats JSON.

    PATH can be folders (walked recursively in sorted order) and files. Supported masks:
    PNG (8-bit, 16-bit, palette: the palette index is the class), TIFF, BMP, JPEG (with a
    warning), .npy/.npz arrays, HDF5 datasets (extra 'hdf5'), NIfTI .nii/.nii.gz volumes
    (extra 'nifti'; counted in voxels) and RGB/RGBA colour masks with --colors. Other files
    are skipped and counted.

    \b
    Examples:
      maskstats scan data/VOC2012/SegmentationClass --ignore-index 255
      maskstats scan gtFine/ --include '*_labelTrainIds.png' --num-classes 19 --ignore-index 255
      maskstats scan masks/ -o - | maskstats weights - --scheme inverse-max
      maskstats scan masks/ --cache ~/.cache/maskstats   # rescans read changed files only
      maskstats scan y_train.npy --layout one-hot          # Keras (N,H,W,C) one-hot stack
      maskstats scan data.npz --key y_val                  # pick one array of an .npz
      maskstats scan gtFine/ --include '*_labelIds.png' --preset cityscapes
      maskstats scan CamVid/train_labels --colors class_dict.csv
      maskstats scan panoptic_val2017/ --panoptic panoptic_val2017.json
      maskstats scan labelsTr/ --class-names dataset.json  # NIfTI (extra 'nifti'), voxels
    """
    from maskstats.scan import scan as run_scan

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
    _save_and_summarise(stats, output, quiet)


# --------------------------------------------------------------------------------- merge
@cli.command()
@click.argument("stats_files", nargs=-1, required=True, metavar="STATS...")
@click.option("-o", "--output", default="maskstats.json", show_default=True,
              help="Merged stats JSON to write; '-' writes to stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary table.")
@debug_option
def merge(stats_files, output, quiet) -> None:
    """Merge the stats of disjoint scans (shards, splits) into one stats JSON, exactly.

    Counts are added as integers, so the order of the files does not matter. Files counted
    differently (unit, ignore values, remaps or other count options, fixed --num-classes)
    are refused.

    \b
    Examples:
      maskstats scan train/ -o train.json && maskstats scan val/ -o val.json
      maskstats merge train.json val.json -o all.json
      maskstats merge shards/*.json -o - | maskstats weights -
    """
    from maskstats.stats import Stats

    if len({str(p) for p in stats_files}) != len(stats_files):
        raise _UsageError("the same stats file is given twice; merging it would count its "
                          "masks twice")
    merged = Stats.load(stats_files[0])
    for path in stats_files[1:]:
        try:
            merged = merged.merge(Stats.load(path))
        except UsageProblem as exc:
            raise UsageProblem(f"{path}: {exc}") from None
    _save_and_summarise(merged, output, quiet,
                        f"Merged {len(stats_files)} files into {output}")


# -------------------------------------------------------------------------------- labels
@cli.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("-o", "--output", default="maskstats.json", show_default=True, metavar="FILE",
              help="Stats JSON file to write; '-' writes to stdout (human output to stderr).")
@click.option("--column", default="label", show_default=True, metavar="NAME",
              help="Column of CSV/TSV files that holds the label.")
@click.option("--class-names", "class_names_file", metavar="FILE",
              type=click.Path(exists=True, dir_okay=False),
              help="Class names in class-id order (one per line, or a JSON list); every "
                   "name label must be one of them [default: names sorted].")
@click.option("--multi-label", metavar="SEP",
              help="Split each label cell on SEP, e.g. ';' for 'cat;dog' (multi-label).")
@click.option("--num-classes", type=click.IntRange(min=1), metavar="K",
              help="Length of the class vector for integer labels [default: max id + 1].")
@click.option("-q", "--quiet", is_flag=True, help="No summary table.")
@debug_option
def labels(sources, output, class_names_file, quiet, **options) -> None:
    """Count samples per class for a classifier and write a stats JSON.

    SOURCE is a CSV/TSV file (label column --column; the header is line 1), a text file
    with one label per line, a JSON list of labels, or an ImageFolder-style folder (one
    sub-folder per class, image files counted). Labels are names or integer class ids.
    The stats JSON has "unit": "samples", so 'maskstats weights' works unchanged.

    \b
    Examples:
      maskstats labels train.csv --column diagnosis
      maskstats labels data/train/                      # ImageFolder tree
      maskstats labels tags.csv --multi-label ';' --class-names classes.txt
      maskstats labels train.csv -o - | maskstats weights - --scheme pos-weight
    """
    from maskstats.labels import count_labels, read_class_names

    names = read_class_names(class_names_file) if class_names_file else None
    stats = count_labels(list(sources), class_names=names, **options)
    _save_and_summarise(stats, output, quiet)


# ------------------------------------------------------------------------ weights, schemes
from maskstats.schemes import get_scheme, list_schemes  # noqa: E402
from maskstats.weights import FORMATS, MISSING, NORMALIZATIONS  # noqa: E402


def _split(value: str | None, what: str, convert, count: int | None = None) -> list | None:
    """Parse 'a,b,c' with ``convert``; a bad item or item count is a usage error (exit 2)."""
    if value is None:
        return None
    try:
        items = [convert(v.strip()) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected {what}") from None
    if count is not None and len(items) != count:
        raise click.BadParameter(f"{value!r}: expected {what}")
    return items


def _parse_counts(_ctx, _param, value: str | None) -> list[int] | None:
    counts = _split(value, "comma-separated integers, e.g. 198,436,710,272", int)
    if counts is not None and any(n < 0 for n in counts):
        raise click.BadParameter(f"{value!r}: counts must not be negative")
    return counts


def _parse_clip(_ctx, _param, value: str | None) -> list[float] | None:
    return _split(value, "MIN,MAX, e.g. 0.1,10", float, count=2)


def _parse_params(_ctx, _param, values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        name, eq, val = item.partition("=")
        if not eq or not name.strip():
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE, e.g. beta=0.9999999")
        params[name.strip()] = val.strip()
    return params


@cli.command()
@click.argument("stats", required=False, metavar="[STATS]")
@click.option("--counts", callback=_parse_counts, metavar="N,N,...",
              help="Counts per class, instead of a stats file.")
@click.option("--scheme", type=click.Choice(list_schemes(aliases=True)), metavar="NAME",
              default="inverse-frequency", show_default=True,
              help="Weighting scheme; 'maskstats schemes' lists them.")
@click.option("--normalize", type=click.Choice(NORMALIZATIONS), default="none",
              show_default=True,
              help="Rescale the present classes' weights: sum 1, sum C (= mean 1), max 1, "
                   "min 1; 'none' keeps the scheme's natural scale.")
@click.option("--param", "params", multiple=True, callback=_parse_params,
              metavar="NAME=VALUE", help="Scheme parameter, e.g. beta=0.9999999 (repeatable).")
@click.option("--missing", type=click.Choice(MISSING), default="zero", show_default=True,
              help="Weight of classes with zero count: 0, the largest weight, or an error.")
@click.option("--clip", callback=_parse_clip, metavar="MIN,MAX",
              help="Bound the weights after normalisation.")
@click.option("--ignore-index", "ignore_index", type=int, multiple=True, metavar="V",
              help="Class id that gets weight 0 and is left out of N and C (repeatable).")
@click.option("--num-classes", type=click.IntRange(min=1), metavar="K",
              help="Pad the class vector with zero counts to K classes.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="json",
              show_default=True,
              help="json: weights JSON with provenance; npy (needs -o); txt: one per line; "
                   "list: a bare [w0, w1, ...].")
@click.option("-o", "--output", metavar="FILE",
              help="Write the weights to FILE (atomically) instead of stdout.")
@click.option("--explain", is_flag=True,
              help="Show count, share, weight and loss share per class (on stderr when the "
                   "weights go to stdout).")
@debug_option
def weights(stats, counts, scheme, normalize, params, missing, clip, ignore_index,
            num_classes, fmt, output, explain) -> None:
    """Turn a stats file (or --counts) into a class-weight vector.

    STATS is a file written by 'maskstats scan' or 'maskstats labels' (default
    maskstats.json; '-' reads stdin). The JSON output records the scheme, formula,
    parameters, counts, absent classes and the sha256 of the stats file.

    \b
    Examples:
      maskstats weights --scheme inverse-max
      maskstats weights --counts 198,436,710,272 --scheme pos-weight --normalize sum
      maskstats weights --scheme effective-number --param beta=0.9999999 -f npy -o w.npy
      maskstats scan masks/ -o - | maskstats weights - -f list --explain
    """
    from maskstats.io import atomic_write_bytes
    from maskstats.weights import compute_weights, read_stats

    to_stdout = output in (None, "-")
    if fmt == "npy" and to_stdout:
        raise click.UsageError("-f npy writes binary data: give -o FILE")
    if counts is not None and stats is not None:
        raise click.UsageError("give either STATS or --counts, not both")
    source = sha = None
    if counts is None:
        source = stats or "maskstats.json"
        counts, sha = read_stats(source)
        source = "<stdin>" if source == "-" else source
    result = compute_weights(counts, scheme, normalize, missing=missing, clip=clip,
                             ignore_index=ignore_index, num_classes=num_classes,
                             on_warning=_warn, **params)
    data = result.to_bytes(fmt, source, sha)
    if to_stdout:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        atomic_write_bytes(output, data)
    if explain:
        _print_explain(_console(stderr=to_stdout), result)


def _print_explain(console, result) -> None:
    """Per class: count, share, weight, and loss share w_c n_c / sum_j w_j n_j before/after."""
    from rich.table import Table

    def pct(x) -> str:
        return "-" if x is None else f"{100 * x:.2f}%"

    rows = result.explain()
    named = result.class_names is not None
    table = Table(title=f"{result.scheme} weights (normalize: {result.normalize})",
                  title_justify="left",
                  caption="loss share = w_c n_c / sum_j w_j n_j (before: every w = 1)",
                  caption_justify="left")
    for name in ["class"] + ["name"] * named + ["count", "share", "weight", "loss before",
                                                 "loss after"]:
        table.add_column(name, justify="left" if name == "name" else "right")
    for r in rows:
        note = " (ignored)" if r["ignored"] else " (absent)" if r["count"] == 0 else ""
        table.add_row(str(r["class"]) + note, *[str(r["name"] or "")] * named,
                      f"{r['count']:,}", pct(r["share"]), f"{r['weight']:.6g}",
                      pct(r["loss_share_before"]), pct(r["loss_share_after"]),
                      style="dim" if note else None)
    console.print(table)


@cli.command()
@debug_option
def schemes() -> None:
    """List the weighting schemes: name, formula (natural scale), parameters, description.

    Notation: n_c = count of class c, N = sum of the counts, C = number of classes,
    f_c = n_c / N; classes with zero count are left out of N, C, max and median.

    \b
    Examples:
      maskstats schemes
      maskstats weights --scheme enet --param k=1.2
    """
    for name in list_schemes():
        s = get_scheme(name)
        extra = [f"{k}={v:g}" for k, v in s.defaults.items()] + [f"alias {a}" for a in s.aliases]
        click.echo(f"{name:<18} w_c = {s.formula}" + (f"   [{', '.join(extra)}]" if extra else ""))
        click.echo(f"{'':<18} {s.summary}")


# ------------------------------------------------------------------------ summary table
_MAX_ROWS = 40


def _save_and_summarise(stats, output: str, quiet: bool, done: str | None = None) -> None:
    """Write the stats JSON (``-`` = stdout), then the summary on stdout, or stderr if taken."""
    stats.save(output)
    if quiet:
        return
    console = _console(stderr=output == "-")
    _print_summary(console, stats)
    if output != "-":
        console.print(done or f"Wrote {output}")


def _ranges(ids: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    parts: list[list[int]] = []
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
    title = f"maskstats: {stats.num_images} images, {stats.total_pixels:,} {unit}"
    if unit == "samples":  # one sample per "image": say it once
        title = f"maskstats: {stats.num_images:,} samples"
    table = Table(title=title, title_justify="left")
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
    one_hot = stats.extra.get("one_hot")
    if one_hot and (one_hot.get("unlabelled_pixels") or one_hot.get("overlap_pixels")):
        console.print(f"[yellow]one-hot pixels not counted:[/] "
                      f"{one_hot.get('unlabelled_pixels', 0):,} unlabelled (no class), "
                      f"{one_hot.get('overlap_pixels', 0):,} overlapping")
    panoptic = stats.extra.get("panoptic")
    if panoptic:
        console.print(f"unlabelled (segment id 0) {unit}: {panoptic['unlabelled_pixels']:,}, "
                      "counted as ignored")
    unknown = stats.extra.get("unknown_colors")
    if unknown:
        shown = ", ".join(f"{c}: {r['pixels']:,}" for c, r in list(unknown["top"].items())[:5])
        console.print(f"[yellow]{unknown['pixels']:,} {unit} in {unknown['colors']} colour(s) "
                      f"not in the colour table:[/] {shown} (see 'unknown_colors')")
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
