"""The summary printed after writing a stats file: a rich table, totals and hints."""

from __future__ import annotations

import click

from maskstats.cli.common import console
from maskstats.cli.text import shown
from maskstats.core.stats import id_ranges
from maskstats.core.extras import ONE_HOT, PANOPTIC, UNKNOWN_COLORS

_MAX_ROWS = 40   # more classes than this: the largest and the rarest rows, the rest summed
_LARGEST = 30
_RAREST = 5
_BAR = 12        # characters of the share bar
_EIGHTHS = " ▏▎▍▌▋▊▉"

all_classes_option = click.option(
    "--all-classes", "all_classes", is_flag=True,
    help=f"Show every class in the summary table (by default, with more than {_MAX_ROWS} "
         f"classes, the {_LARGEST} largest and the {_RAREST} rarest, the rest summed up).")


def save_and_summarise(stats, output: str, quiet: bool, done: str | None = None,
                       all_classes: bool = False, staged=None) -> None:
    """Write the stats JSON (``-`` = stdout), then the summary on stdout, or stderr if taken.

    The summary is rendered before the file is written, so that nothing about it can fail
    once the stats are on disk (a failed command leaves no output behind). ``staged``: the
    per-image table, written with the stats as one set (:mod:`maskstats.cli.staging`).
    """
    from maskstats.cli.staging import save_with_table

    if quiet:
        save_with_table(stats, output, staged)
        return
    out = console(stderr=output == "-")
    with out.capture() as captured:
        print_summary(out, stats, all_classes=all_classes)
        if output != "-":
            out.print(shown(done or f"Wrote {output}"))
    save_with_table(stats, output, staged)
    out.file.write(captured.get())
    out.file.flush()


def share_bar(n: int, largest: int, width: int = _BAR) -> str:
    """A bar of ``width`` characters for n / largest, in eighths; a present class shows."""
    if n <= 0 or largest <= 0:
        return ""
    eighths = max(1, round(8 * width * n / largest))
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def rows_to_show(counts: list[int], all_classes: bool = False):
    """The (class, count) rows of the table and what was cut: (rows, cut ids).

    Every class when there are few of them (or ``all_classes``); otherwise the largest
    present classes, then the rarest present ones (always visible); absent classes are
    listed under the table and the present ones in between are summed in one row.
    """
    rows = list(enumerate(counts))
    if all_classes or len(rows) <= _MAX_ROWS:
        return rows, []
    present = sorted((r for r in rows if r[1]), key=lambda r: (-r[1], r[0]))
    if len(present) <= _LARGEST + _RAREST:
        return present, []
    return present[:_LARGEST] + present[-_RAREST:], [c for c, _ in present[_LARGEST:-_RAREST]]


def _name(stats, c: int) -> str:
    name = stats.class_names[c] if stats.class_names else None
    return f"{c} ({shown(name)})" if name else str(c)


def print_summary(out, stats, all_classes: bool = False) -> None:
    """A table: class, name, pixels, share, share bar, images; then totals and hints."""
    out.print(summary_table(stats, all_classes))
    print_notes(out, stats)
    present = {c: (n,) for c, n in enumerate(stats.pixel_counts) if n}
    present.update({int(v): (n,) for v, n in stats.unexpected.items()})
    print_hints(out, stats, present)


def summary_table(stats, all_classes: bool = False):
    """The rich table of the classes (the rarest shown when there are many, the rest cut)."""
    from rich.table import Table

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
    table.add_column("", no_wrap=True, min_width=_BAR)
    table.add_column("images", justify="right")
    rows, cut = rows_to_show(stats.pixel_counts, all_classes)
    largest = max(stats.pixel_counts, default=0)

    def pct(n: int) -> str:
        return "-" if not counted else f"{100 * n / counted:.2f}%" if n * 10000 >= counted \
            or n == 0 else f"{100 * n / counted:.2g}%"

    for i, (c, n) in enumerate(rows):
        if cut and i == len(rows) - _RAREST:
            cut_n = sum(stats.pixel_counts[k] for k in cut)
            table.add_row(f"... {len(cut)} more", *[""] * bool(stats.class_names),
                          f"{cut_n:,}", pct(cut_n), "", "", style="italic")
        row = [str(c)]
        if stats.class_names:
            row.append(shown(stats.class_names[c]))
        row += [f"{n:,}", pct(n), share_bar(n, largest), f"{stats.image_counts[c]:,}"]
        table.add_row(*row, style="dim" if n == 0 else None)
    if cut:
        cut_n = sum(stats.pixel_counts[k] for k in cut)
        rarest = ", ".join(_name(stats, c) for c, _ in rows[-_RAREST:])
        table.caption = (f"... {len(cut)} more classes, {pct(cut_n)} of {unit}; the "
                         f"{_RAREST} rarest: {rarest}. --all-classes shows every class.")
        table.caption_justify = "left"
    return table


def print_notes(out, stats) -> None:
    """What the table does not show: absent classes, ignored and unexpected values, pixels
    left uncounted (one-hot, panoptic, unknown colours), skipped files."""
    unit = stats.unit
    absent = [c for c, n in enumerate(stats.pixel_counts) if n == 0]
    if absent:
        out.print(f"absent classes (0 {unit}): {id_ranges(absent)}")
    if stats.ignore_index:
        out.print(f"ignored {unit} (values {', '.join(map(str, stats.ignore_index))}): "
                      f"{stats.ignored_pixels:,}")
    if stats.unexpected:
        listed = ", ".join(f"{v}: {n:,}" for v, n in list(stats.unexpected.items())[:10])
        out.print(f"[yellow]unexpected values (outside 0..{stats.num_classes - 1}):[/] "
                      f"{listed}")
    one_hot = stats.extra.get(ONE_HOT)
    if one_hot and (one_hot.get("unlabelled_pixels") or one_hot.get("overlap_pixels")):
        out.print(f"[yellow]one-hot pixels not counted:[/] "
                      f"{one_hot.get('unlabelled_pixels', 0):,} unlabelled (no class), "
                      f"{one_hot.get('overlap_pixels', 0):,} overlapping")
    panoptic = stats.extra.get(PANOPTIC)
    if panoptic:
        out.print(f"unlabelled (segment id 0) {unit}: {panoptic['unlabelled_pixels']:,}, "
                      "counted as ignored")
    unknown = stats.extra.get(UNKNOWN_COLORS)
    if unknown:
        listed = ", ".join(f"{c}: {r['pixels']:,}" for c, r in list(unknown["top"].items())[:5])
        out.print(f"[yellow]{unknown['pixels']:,} {unit} in {unknown['colors']} colour(s) "
                      f"not in the colour table:[/] {listed} (see 'unknown_colors')")
    if stats.skipped:
        out.print(f"[yellow]skipped {len(stats.skipped)} unreadable file(s)[/], "
                      "listed under 'skipped' in the stats file")
    if stats.non_mask_files:
        out.print(f"skipped {stats.non_mask_files} non-mask file(s) (by extension)")


def looks_binary(stats, present) -> bool:
    """Only the values 0 and 255 occur, read without any convention: a 0/255 binary mask."""
    return (set(present) <= {0, 255} and 255 in present and stats.class_names is None
            and not stats.options.get("preset") and not stats.options.get("colors"))


def print_hints(out, stats, present) -> None:
    """At most one hint, and only the advice that fits these values."""
    from maskstats.core.histogram import suggest_ignore

    unit = stats.unit
    if looks_binary(stats, present):
        out.print("[bold]Hint:[/] the only values are 0 and 255: binary masks? pass "
                  "--preset binary (0 background, 1 foreground) for a 2-class vector.")
        return
    hint = suggest_ignore(present, stats.ignore_index)
    if (hint is None and stats.num_classes and stats.class_names is None
            and stats.options.get("num_classes") is None):
        k = stats.num_classes
        used = sum(1 for n in stats.pixel_counts if n)
        if k > 2 and 2 * used < k:  # sparse values: ids of an encoding, not 0..K-1 classes
            out.print(f"[bold]Hint:[/] only {used} of the values 0..{k - 1} occur; if they are "
                      "ids of a dataset's encoding, see --preset or --remap.")
            return
        out.print(f"[bold]Hint:[/] {k} class{'es' if k != 1 else ''} (largest value {k - 1}); "
                  "pass --num-classes if your model has more.")
    if hint is not None:
        others = max(v for v in present if v != hint)
        out.print(f"[bold]Hint:[/] value {hint} ({present[hint][0]:,} {unit}) lies far above "
                      f"the other labels (max {others}); if it marks void/ignore pixels, "
                      f"pass --ignore-index {hint}.")
