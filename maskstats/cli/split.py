"""``maskstats split``: a stratified, group-aware split of a per-image table."""

from __future__ import annotations

import contextlib
import os

import click

from maskstats.cli.common import CliUsageError, console, debug_option, split_values, warn
from maskstats.cli.options import quiet_option, stats_option
from maskstats.cli.text import shown

_MAX_ROWS = 40


def _ratios(_ctx, _param, value: str) -> list[float]:
    return split_values(value, "comma-separated numbers, e.g. 0.8,0.1,0.1", float)


def _names(_ctx, _param, value: str | None) -> list[str] | None:
    return split_values(value, "comma-separated names, e.g. train,val,test", str)


def _check_folder(folder: str, files: list[str], force: bool) -> None:
    """Refuse a folder holding files this run would not write, unless --force."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise CliUsageError(f"{folder}: exists and is not a folder")
    if not os.path.isdir(folder) or force:
        return
    others = sorted(set(os.listdir(folder)) - set(files))
    if others:
        raise CliUsageError(f"{folder}: the folder holds other files ({', '.join(others[:3])}"
                            f"{', ...' if len(others) > 3 else ''}); choose an empty folder "
                            "or give --force")


@click.command()
@click.argument("table", metavar="TABLE")
@click.option("--ratios", required=True, callback=_ratios, metavar="R,R,...",
              help="Split sizes in images, positive, summing to 1, e.g. 0.8,0.1,0.1.")
@click.option("--names", callback=_names, metavar="NAME,...",
              help="Split names, one per ratio (default train,val,test).")
@click.option("--group", metavar="REGEX",
              help="Keep images whose paths give the same match together (first capture "
                   "group, else the whole match), e.g. '^(patient\\d+)/'. Default: the "
                   "frames of one file stay together.")
@click.option("--block", type=click.IntRange(min=1), metavar="N",
              help="With a window table (scan --window): group windows by spatial blocks of "
                   "N x N pixels of their file instead of keeping each file whole.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed; the same seed gives the same split.")
@stats_option
@click.option("-o", "--output", default="splits", show_default=True, metavar="DIR",
              help="Folder for <name>.txt (paths) and <name>.json (stats) of each split.")
@quiet_option
@click.option("--force", is_flag=True,
              help="Write into a folder that holds other files (they are left alone).")
@debug_option
def split(table, ratios, names, group, block, seed, stats, output, quiet, force) -> None:
    """Split the images of a per-image table, stratified by class, keeping groups together.

    TABLE is a table written by 'maskstats scan --per-image'. Classes present in at least as
    many groups as there are splits land in every split; those that cannot are named. Each
    split gets DIR/<name>.txt (one path per line, as in the table) and DIR/<name>.json (its
    stats; 'maskstats merge' of them gives the whole dataset's stats exactly). A table
    scanned with --coco (and its --stats) also gets DIR/<name>.coco.json (the split's images
    and annotations, categories, info and licenses copied); one scanned with --yolo gets
    DIR/<name>.images.txt (absolute image paths, a split for Ultralytics' data.yaml).
    A window table (scan --window) also gives DIR/<name>.windows.csv (the split's
    windows); its split stats count window pixels.

    \b
    Examples:
      maskstats scan masks/ --ignore-index 255 --per-image images.csv
      maskstats split images.csv --ratios 0.8,0.1,0.1 --stats maskstats.json -o splits/
      maskstats split images.csv --ratios 0.7,0.3 --names train,val --group '^(patient\\d+)/'
      maskstats compare splits/train.json splits/val.json splits/test.json
      maskstats split windows.csv --ratios 0.8,0.2 --names train,val --block 4096
      maskstats split images.csv --ratios 0.8,0.2 --names train,val --stats coco.json
    """
    from maskstats.splitting.split import check_ratios
    from maskstats.splitting.split import split as split_table
    from maskstats.splitting.stats import check_base, unexpected_key
    from maskstats.core.stats import Stats
    from maskstats.splitting.annotations import annotation_files
    from maskstats.table.load import load_table

    names = check_ratios(ratios, names)
    base = Stats.load(stats) if stats else None
    files = [f"{n}{ext}" for n in names for ext in (".txt", ".json")]
    files += annotation_files(base, names)
    data = load_table(table)
    if data.windows is not None:  # a window table: which windows, not only which files
        files += [f"{n}.windows.csv" for n in names]
    _check_folder(output, files, force)
    if base is not None:
        check_base(data, base, stats)
    unexpected_key(data, base)  # refuse before splitting if the stats cannot be exact
    result = split_table(data, ratios, group=group, seed=seed, names=names, block=block)
    if base is None and int(data.ignored.sum()):
        warn(f"{table} has ignored pixels but no --stats: the split stats do not say which "
             "values were ignored, nor name the classes")
    _write_set(output, _split_files(result, data, base, names, stats, output))
    if quiet:
        for c, reason in result.missing.items():
            warn(f"class {c} is not in every split: {reason}")
        return
    _print_table(result, base)
    wrote = ", ".join(os.path.join(output, f) for f in files)
    console(stderr=False).print(shown(f"Wrote {wrote}"))


def _split_files(result, data, base, names: list[str], stats: str | None,
                 output: str) -> dict[str, bytes]:
    """The bytes of every file of the split, by name: each split's path list and stats, its
    windows (a window table) and its annotation files (a --coco / --yolo table)."""
    from maskstats.core.files import path_lines
    from maskstats.core.jsonio import dumps_json
    from maskstats.splitting.annotations import annotation_outputs

    contents = {}
    for j, name in enumerate(names):
        paths = result.paths(j)
        contents[f"{name}.txt"] = path_lines(paths, os.path.join(output, f"{name}.txt"),
                                             "rename the file (nothing was written)")
        contents[f"{name}.json"] = dumps_json(result.stats(j, base).to_dict()).encode("utf-8")
        if data.windows is not None:
            contents[f"{name}.windows.csv"] = result.windows_csv(j)
    contents.update(annotation_outputs(base, names, [result.paths(j) for j in range(len(names))],
                                       stats, output))
    return contents


def _write_set(output: str, contents: dict[str, bytes]) -> None:
    """Write every file of ``contents`` (name -> bytes) into the folder ``output``, created
    when missing: the whole set or nothing (the old lists and stats stay if anything fails,
    and a folder created here is removed again)."""
    from maskstats.core.fileset import replace_files

    created = not os.path.isdir(output)
    try:
        os.makedirs(output, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot create the folder "
                                   f"({exc.strerror or exc})") from None
    try:
        replace_files({os.path.join(output, f): blob for f, blob in contents.items()})
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(output)
        raise


def _print_table(result, base) -> None:
    from rich.table import Table

    out = console(stderr=False)
    t = result.table
    class_names = base.class_names if base is not None else None
    groups = len(result.group_keys)
    title = (f"split: {t.num_images:,} images in {groups:,} "
             f"{'groups' if result.group else 'files'}, seed {result.seed}")
    table = Table(title=title, title_justify="left")
    table.add_column("class", justify="right")
    if class_names:
        table.add_column("name")
    for name, ratio in zip(result.names, result.ratios):
        table.add_column(f"{shown(name)} {100 * ratio:g}%\nimages  px share", justify="right")
    images, pixels = result.image_counts, result.pixel_counts
    counted = pixels.sum(axis=1)
    sizes = result.sizes
    row = ["all"] + ([""] if class_names else [])
    row += [f"{sizes[j]:,}  {100 * sizes[j] / t.num_images:5.1f}% " for j in range(len(sizes))]
    table.add_row(*row, end_section=True)
    present = [c for c in range(t.num_classes) if images[:, c].sum()]
    if len(present) > _MAX_ROWS:  # many classes: the rarest, where a split can go wrong
        present = sorted(present, key=lambda c: (images[:, c].sum(), c))[:_MAX_ROWS]
        table.caption = (f"the {_MAX_ROWS} rarest of {t.num_classes} classes shown; all are "
                         "in the split stats files")
    for c in present:
        row = [str(c)] + ([shown(class_names[c])] if class_names else [])
        for j in range(result.num_splits):
            share = 100 * pixels[j, c] / counted[j] if counted[j] else 0.0
            row.append(f"{images[j, c]:,}  {share:6.2f}%")
        table.add_row(*row)
    out.print(table)
    missing = result.missing
    if missing:
        out.print(f"Not in every split ({len(missing)} class{'es' if len(missing) > 1 else ''}):")
        for c, reason in missing.items():
            label = f"{c} ({class_names[c]})" if class_names else str(c)
            out.print(shown(f"  class {label}: {reason}"))
    else:
        out.print("Every present class is in every split.")
