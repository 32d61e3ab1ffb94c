"""``maskstats weights`` and ``maskstats schemes``: class weights from counts."""

from __future__ import annotations

import click

from maskstats.cli.common import console, debug_option, parse_params, split_values, warn
from maskstats.schemes import get_scheme, list_schemes
from maskstats.weights import FORMATS, MISSING, NORMALIZATIONS


def _parse_counts(_ctx, _param, value: str | None) -> list[int] | None:
    counts = split_values(value, "comma-separated integers, e.g. 198,436,710,272", int)
    if counts is not None and any(n < 0 for n in counts):
        raise click.BadParameter(f"{value!r}: counts must not be negative")
    return counts


def _parse_clip(_ctx, _param, value: str | None) -> list[float] | None:
    return split_values(value, "MIN,MAX, e.g. 0.1,10", float, count=2)



@click.command()
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
@click.option("--param", "params", multiple=True, callback=parse_params,
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
@click.option("--unit", type=click.Choice(["pixels", "objects"]), default="pixels",
              show_default=True, help="Weight by pixel counts, or by object counts (stats "
                                      "from 'scan --objects').")
@debug_option
def weights(stats, counts, scheme, normalize, params, missing, clip, ignore_index,
            num_classes, fmt, output, explain, unit) -> None:
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
      maskstats weights --unit objects    # stats from 'maskstats scan --objects'
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
        if unit == "objects":
            from maskstats.objects import objects_as_counts

            counts = objects_as_counts(counts, source)
    elif unit == "objects":
        raise click.UsageError("--unit objects reads the object counts of a stats file; "
                               "--counts gives the counts directly")
    result = compute_weights(counts, scheme, normalize, missing=missing, clip=clip,
                             ignore_index=ignore_index, num_classes=num_classes,
                             on_warning=warn, **params)
    data = result.to_bytes(fmt, source, sha)
    if to_stdout:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        atomic_write_bytes(output, data)
    if explain:
        print_explain(console(stderr=to_stdout), result)


def print_explain(out, result) -> None:
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
    out.print(table)


@click.command()
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

