"""The summary printed after writing a stats file: a rich table, totals and hints."""

from __future__ import annotations

from maskstats.cli.common import console

_MAX_ROWS = 40


def save_and_summarise(stats, output: str, quiet: bool, done: str | None = None) -> None:
    """Write the stats JSON (``-`` = stdout), then the summary on stdout, or stderr if taken."""
    stats.save(output)
    if quiet:
        return
    out = console(stderr=output == "-")
    print_summary(out, stats)
    if output != "-":
        out.print(done or f"Wrote {output}")


def _ranges(ids: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    parts: list[list[int]] = []
    for i in ids:
        if parts and parts[-1][1] == i - 1:
            parts[-1][1] = i
        else:
            parts.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def print_summary(out, stats) -> None:
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
    out.print(table)
    absent = [c for c, n in enumerate(stats.pixel_counts) if n == 0]
    if absent:
        out.print(f"absent classes (0 {unit}): {_ranges(absent)}")
    if stats.ignore_index:
        out.print(f"ignored {unit} (values {', '.join(map(str, stats.ignore_index))}): "
                      f"{stats.ignored_pixels:,}")
    if stats.unexpected:
        shown = ", ".join(f"{v}: {n:,}" for v, n in list(stats.unexpected.items())[:10])
        out.print(f"[yellow]unexpected values (outside 0..{stats.num_classes - 1}):[/] "
                      f"{shown}")
    one_hot = stats.extra.get("one_hot")
    if one_hot and (one_hot.get("unlabelled_pixels") or one_hot.get("overlap_pixels")):
        out.print(f"[yellow]one-hot pixels not counted:[/] "
                      f"{one_hot.get('unlabelled_pixels', 0):,} unlabelled (no class), "
                      f"{one_hot.get('overlap_pixels', 0):,} overlapping")
    panoptic = stats.extra.get("panoptic")
    if panoptic:
        out.print(f"unlabelled (segment id 0) {unit}: {panoptic['unlabelled_pixels']:,}, "
                      "counted as ignored")
    unknown = stats.extra.get("unknown_colors")
    if unknown:
        shown = ", ".join(f"{c}: {r['pixels']:,}" for c, r in list(unknown["top"].items())[:5])
        out.print(f"[yellow]{unknown['pixels']:,} {unit} in {unknown['colors']} colour(s) "
                      f"not in the colour table:[/] {shown} (see 'unknown_colors')")
    if stats.skipped:
        out.print(f"[yellow]skipped {len(stats.skipped)} unreadable file(s)[/], "
                      "listed under 'skipped' in the stats file")
    if stats.non_mask_files:
        out.print(f"skipped {stats.non_mask_files} non-mask file(s) (by extension)")
    present = {c: (n,) for c, n in enumerate(stats.pixel_counts) if n}
    present.update({int(v): (n,) for v, n in stats.unexpected.items()})
    hint = suggest_ignore(present, stats.ignore_index)
    if hint is not None:
        others = max(v for v in present if v != hint)
        out.print(f"[bold]Hint:[/] value {hint} ({present[hint][0]:,} {unit}) lies far above "
                      f"the other labels (max {others}); if it marks void/ignore pixels, "
                      f"pass --ignore-index {hint}.")
