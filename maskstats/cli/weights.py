"""``maskstats weights`` and ``maskstats schemes``: class weights from counts."""

from __future__ import annotations

import click

from maskstats.cli.common import console, debug_option, split_values, warn
from maskstats.cli.options import (emit, explain_option, format_option, ignore_index_option,
                                   num_classes_option, output_option, params_option, quiet_option,
                                   to_stdout)
from maskstats.cli.text import shown
from maskstats.errors import UsageProblem
from maskstats.weights.schemes import get_scheme, list_schemes
from maskstats.weights.compute import DTYPES, FORMATS, MISSING, NORMALIZATIONS


def _parse_counts(_ctx, _param, value: str | None) -> list | None:
    from maskstats.weights.compute import parse_counts

    if value is None:
        return None
    try:
        return parse_counts(value)
    except UsageProblem as exc:
        raise click.BadParameter(str(exc).removeprefix("--counts: ")) from None


def _parse_clip(_ctx, _param, value: str | None) -> list[float] | None:
    return split_values(value, "MIN,MAX, e.g. 0.1,10", float, count=2)


@click.command()
@click.argument("stats", required=False, metavar="[STATS]")
@click.option("--counts", callback=_parse_counts, metavar="N,N,...",
              help="Counts per class, instead of a stats file: non-negative integers, or "
                   "decimals for sample-weighted counts (e.g. 1.5,2).")
@click.option("--scheme", type=click.Choice(list_schemes(aliases=True)), metavar="NAME",
              default="inverse-frequency", show_default=True,
              help="Weighting scheme; 'maskstats schemes' lists them.")
@click.option("--normalize", type=click.Choice(NORMALIZATIONS), default="none",
              show_default=True,
              help="Rescale the present classes' weights: sum 1, sum C (= mean 1), max 1, "
                   "min 1; 'none' keeps the scheme's natural scale. Loss weights only "
                   "(not logit-adjustment or ldam).")
@params_option()
@click.option("--missing", type=click.Choice(MISSING), default="zero", show_default=True,
              help="Value of classes with zero count: 0, the largest present value, or an "
                   "error.")
@click.option("--clip", callback=_parse_clip, metavar="MIN,MAX",
              help="Bound the weights after normalisation (loss weights only).")
@ignore_index_option
@num_classes_option
@format_option(FORMATS,
               help="json: weights JSON with provenance (default); npy (needs -o); txt: one "
                   "per line; list: a bare [w0, w1, ...]. Default: from the -o extension "
                   "(.npy, .txt, .json), else json.")
@click.option("--dtype", type=click.Choice(DTYPES), default=None,
              help="Float type of npy, txt and list output (default: float32 for npy, "
                   "what PyTorch and Keras expect; float64 for txt and list). JSON always "
                   "keeps full precision.")
@output_option()
@quiet_option
@explain_option
@click.option("--unit", type=click.Choice(["pixels", "objects", "crops"]), default="pixels",
              show_default=True, help="Weight by pixel counts, by object counts (stats "
                                      "from 'scan --objects'), or by the expected pixels of "
                                      "one random crop per image (stats from 'scan --crop').")
@debug_option
def weights(stats, counts, scheme, normalize, params, missing, clip, ignore_index,
            num_classes, fmt, dtype, output, quiet, explain, unit) -> None:
    """Turn a stats file (or --counts) into a class-weight vector.

    STATS is a file written by 'maskstats scan' or 'maskstats labels' (default
    maskstats.json; '-' reads stdin). The JSON output records the kind (weights,
    logit-offsets, margins), scheme, formula, parameters, counts, absent classes and the
    sha256 of the stats file.

    \b
    Examples:
      maskstats weights --scheme inverse-max
      maskstats weights --counts 198,436,710,272 --scheme pos-weight --normalize sum
      maskstats weights --scheme effective-number --param beta=0.9999999 -o w.npy
      maskstats weights --scheme logit-adjustment --param tau=1 -f list
      maskstats scan masks/ -o - | maskstats weights - -f list --explain
      maskstats weights --unit objects    # stats from 'maskstats scan --objects'
      maskstats weights --unit crops      # stats from 'maskstats scan --crop 512'
    """
    from maskstats.core.files import format_for
    from maskstats.weights.compute import compute_weights, read_stats
    from maskstats.weights.files import EXTENSIONS, check_dtype

    # a bare list is JSON too: `-f list -o class_weight.json` (mmseg's JSON loader) is fine
    extensions = {k: v for k, v in EXTENSIONS.items() if not (fmt == "list" and k == ".json")}
    fmt = format_for(output, fmt, extensions, "json")
    check_dtype(fmt, dtype)
    if fmt == "npy" and to_stdout(output):
        raise click.UsageError("-f npy writes binary data: give -o FILE")
    if counts is not None and stats is not None:
        raise click.UsageError("give either STATS or --counts, not both")
    source = sha = None
    if counts is None:
        source = stats or "maskstats.json"
        counts, sha = read_stats(source)
        source = "<stdin>" if source == "-" else source
        if unit == "objects":
            from maskstats.pipeline.objects import objects_as_counts

            counts = objects_as_counts(counts, source)
        elif unit == "crops":
            from maskstats.pipeline.crop_totals import crops_as_counts

            counts = crops_as_counts(counts, source)
    elif unit != "pixels":
        raise click.UsageError(f"--unit {unit} reads the {unit[:-1]} counts of a stats file; "
                               "--counts gives the counts directly")
    result = compute_weights(counts, scheme, normalize, missing=missing, clip=clip,
                             ignore_index=ignore_index, num_classes=num_classes,
                             on_warning=warn, **params)
    emit(result.to_bytes(fmt, source, sha, dtype), output)
    if explain:
        print_explain(console(stderr=to_stdout(output)), result)


#: what the value column holds, and what it means, for vectors that are not loss weights
_VALUE = {
    "weights": ("weight", "loss share = w_c n_c / sum_j w_j n_j (before: every w = 1)"),
    "logit-offsets": ("offset", "offset = tau * ln(f_c), added to the logits in training; "
                                "not a weight"),
    "margins": ("margin", "margin m_c, subtracted from the true class's logit (LDAM); "
                          "not a weight"),
}


#: the symbol `maskstats schemes` puts before each formula
_SYMBOL = {"weights": "w_c", "logit-offsets": "offset_c", "margins": "margin_c"}


def print_explain(out, result) -> None:
    """Per class: count, share, value, and for weights the loss share before/after."""
    from rich.table import Table

    def pct(x) -> str:
        return "-" if x is None else f"{100 * x:.2f}%"

    rows = result.explain()
    named = result.class_names is not None
    value, caption = _VALUE[result.kind]
    is_weights = result.kind == "weights"
    title = (f"{result.scheme} weights (normalize: {result.normalize})" if is_weights
             else f"{result.scheme} {result.kind}")
    table = Table(title=title, title_justify="left", caption=caption if is_weights else None,
                  caption_justify="left")
    columns = ["class"] + ["name"] * named + ["count", "share", value]
    columns += ["loss before", "loss after"] * is_weights
    for name in columns:
        table.add_column(name, justify="left" if name == "name" else "right")
    for r in rows:
        note = " (ignored)" if r["ignored"] else " (absent)" if r["count"] == 0 else ""
        cells = [str(r["class"]) + note, *[shown(r["name"] or "")] * named,
                 f"{r['count']:,}", pct(r["share"]), f"{r['weight']:.6g}"]
        if is_weights:
            cells += [pct(r["loss_share_before"]), pct(r["loss_share_after"])]
        table.add_row(*cells, style="dim" if note else None)
    out.print(table)
    if not is_weights:  # one line, not wrapped to the table's width
        out.print(caption)


@click.command()
@debug_option
def schemes() -> None:
    """List the weighting schemes: name, formula (natural scale), parameters, description.

    Notation: n_c = count of class c, N = sum of the counts of the present classes,
    C = number of present classes, f_c = n_c / N; classes with zero count (and ignored
    classes) are left out of N, C, max and median. denominator=all puts every counted
    pixel (ignored ones too) into N. Schemes marked (logit-offsets) or (margins) give
    vectors that are not loss weights (offset_c, margin_c).

    \b
    Examples:
      maskstats schemes
      maskstats weights --scheme enet --param k=1.2
    """
    for name in list_schemes():
        s = get_scheme(name)
        extra = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                 for k, v in s.defaults.items()]
        extra += [f"alias {a}" for a in s.aliases]
        click.echo(f"{name:<18} {_SYMBOL[s.kind]} = {s.formula}"
                   + (f"   [{', '.join(extra)}]" if extra else ""))
        click.echo(f"{'':<18} {s.summary}")
