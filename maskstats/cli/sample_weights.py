"""``maskstats sample-weights``: one sampling weight per image of a per-image table."""

from __future__ import annotations

import click

from maskstats.cli.common import console, debug_option, warn
from maskstats.cli.options import (emit, explain_option, format_option, output_option, params_option,
                                   quiet_option, stats_option, to_stdout)
from maskstats.cli.text import shown
from maskstats.sampling import EXTENSIONS, FORMATS, get_method, list_methods


def _list(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    for name in list_methods():
        m = get_method(name)
        extra = [f"{k}={v:g}" for k, v in m.defaults.items()]
        click.echo(f"{name:<17} {m.formula}" + (f"   [{', '.join(extra)}]" if extra else ""))
        click.echo(f"{'':<17} {m.summary}")
    ctx.exit(0)


@click.command("sample-weights")
@click.argument("table", metavar="TABLE")
@click.option("--method", type=click.Choice(list_methods()), metavar="NAME",
              help="Sampling method; --list shows them.")
@params_option()
@stats_option
@format_option(FORMATS,
               help="json: weights with provenance (default); csv: path,frame,weight; npy: "
                    "float64, one per row (needs -o); txt: one per line; list: [w0, ...]. "
                    "Default: from the -o extension (.json, .csv, .npy, .txt), else json.")
@output_option()
@quiet_option
@explain_option
@click.option("--list", "list_", is_flag=True, expose_value=False, is_eager=True,
              callback=_list, help="List the methods with formula and parameters, and exit.")
@debug_option
def sample_weights(table, method, params, stats, fmt, output, quiet, explain) -> None:
    """One sampling weight per row of a per-image table, in the table's order.

    TABLE is the file written by 'maskstats scan --per-image'. The weights go to
    torch WeightedRandomSampler, detectron2 RepeatFactorTrainingSampler (repeat-factor)
    or mmengine ClassBalancedDataset; the JSON output records the method, formula,
    parameters, paths and frames, and the sha256 of the table.

    \b
    Examples:
      maskstats sample-weights --list
      maskstats sample-weights images.csv --method repeat-factor --param t=0.01
      maskstats sample-weights images.csv --method balanced -o weights.npy --explain
      maskstats sample-weights images.csv --method inverse-presence -f csv -o w.csv
    """
    from maskstats.core.files import format_for
    from maskstats.sampling import sample_weights as compute

    if method is None:
        raise click.UsageError("choose a method with --method NAME "
                               f"({', '.join(list_methods())}); --list describes them")
    fmt = format_for(output, fmt, EXTENSIONS, "json")
    if fmt == "npy" and to_stdout(output):
        raise click.UsageError("-f npy writes binary data: give -o FILE")
    result = compute(table, method, stats=stats, on_warning=warn, **params)
    emit(result.to_bytes(fmt), output)
    solver = result.inputs.info
    if solver and not quiet:
        click.echo(f"balanced: smallest / largest class pixel share "
                   f"{solver['min_max_ratio']:.4g} (uniform sampling: "
                   f"{_uniform_ratio(result):.4g}); {solver['iterations']} iterations, "
                   f"certified gap {solver['gap']:.2g} per class", err=to_stdout(output))
    if explain:
        print_explain(console(stderr=to_stdout(output)), result)


def _uniform_ratio(result) -> float:
    rows = result.explain()
    shares = [r["pixels_before"] for r in rows]
    return min(shares) / max(shares) if shares and max(shares) > 0 else 1.0


def print_explain(out, result) -> None:
    """Per class: expected share of sampled pixels and images, uniform vs weighted."""
    from rich.table import Table

    def pct(x: float) -> str:
        return f"{100 * x:.3g}%"

    rows = result.explain()
    named = result.info.names is not None
    table = Table(title=f"{result.method} sampling: expected shares per draw",
                  title_justify="left", caption="pixels: share of the sampled pixels; images: "
                  "share of the sampled images that hold the class", caption_justify="left")
    for name in ["class"] + ["name"] * named + ["images", "pixels uniform", "pixels after",
                                                 "images uniform", "images after"]:
        table.add_column(name, justify="left" if name == "name" else "right")
    for r in rows:
        table.add_row(str(r["class"]), *[shown(r["name"] or "")] * named, f"{r['images']:,}",
                      pct(r["pixels_before"]), pct(r["pixels_after"]),
                      pct(r["images_before"]), pct(r["images_after"]))
    out.print(table)
    e = result.epoch()
    out.print(f"epoch of {e['draws']:,} draws with replacement (WeightedRandomSampler): "
              f"effective images (Kish, (sum w)^2 / sum w^2) {e['effective_images']:,.1f} "
              f"of {e['images']:,}; expected distinct images {e['distinct_images']:,.1f} "
              f"({100 * e['distinct_images'] / max(1, e['images']):.1f}%; uniform sampling: "
              f"{100 * (1 - (1 - 1 / max(1, e['images'])) ** e['draws']):.1f}%)")
    if result.method == "repeat-factor":
        out.print("detectron2's RepeatFactorTrainingSampler and mmengine's ClassBalancedDataset "
                  "repeat every image at least once (factors >= 1): every image is in each "
                  f"epoch, which holds about {float(result.weights.sum()):,.1f} images")
