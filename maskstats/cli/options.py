"""Options shared by several commands, declared once, and :func:`emit` (stdout or a file).

An option that several commands take is written here, so its flags, metavar and help are
the same in every command (``tests/cli/test_options.py`` checks it). A command-specific
option stays in its command's module.
"""

from __future__ import annotations

import click

OUTPUT_HELP = ("File to write (atomically); '-', or no -o where no default is shown, writes to "
               "stdout (messages then go to stderr).")


def output_option(default: str | None = None):
    """``-o/--output FILE``: the file a command writes; ``-`` (or no default) is stdout."""
    return click.option("-o", "--output", default=default, metavar="FILE",
                        show_default=default is not None, help=OUTPUT_HELP)


def format_option(choices, help: str):
    """``-f/--format``: the output format. Its help lists what each format holds, so it is
    the one shared option whose help (and choices) differ between commands."""
    return click.option("-f", "--format", "fmt", type=click.Choice(choices), default=None,
                        help=help)


quiet_option = click.option(
    "-q", "--quiet", is_flag=True,
    help="Print only errors and warnings (no summary table, hints or 'Wrote' line).")

stats_option = click.option(
    "--stats", "stats", metavar="FILE",
    help="Stats JSON of the scan that wrote TABLE, checked against the table: it names the "
         "classes and gives the ignore values, unit and options.")

num_classes_option = click.option(
    "--num-classes", type=click.IntRange(min=1), metavar="K",
    help="Length K of the class vector (classes 0..K-1): other values are reported as "
         "unexpected, classes never seen count 0.")

class_names_option = click.option(
    "--class-names", "class_names", type=click.Path(dir_okay=False), metavar="FILE",
    help="Class names in class-id order: one per line, a JSON list, or an nnU-Net "
         "dataset.json ('labels'); sets --num-classes to their number unless given.")

ignore_index_option = click.option(
    "--ignore-index", "ignore_index", type=int, multiple=True, metavar="V",
    help="Value that is not a class: counted as ignored by scan, weight 0 and left out of "
         "N and C by weights (repeatable).")



def params_option():
    """``--param NAME=VALUE`` (repeatable): a parameter of the weighting scheme or sampling
    method, parsed into a dict."""
    from maskstats.cli.common import parse_params

    return click.option(
        "--param", "params", multiple=True, callback=parse_params, metavar="NAME=VALUE",
        help="Parameter of the --scheme or --method, e.g. beta=0.9999999, tau=1.5, "
             "denominator=all (weights) or t=0.01, max_ratio=5 (sample-weights); "
             "repeatable.")

explain_option = click.option(
    "--explain", is_flag=True,
    help="Show per class what the weights do (on stderr when the weights go to stdout): "
         "count, share, weight and loss share (weights); expected share of sampled pixels "
         "and images, uniform vs weighted, then the effective number of images (Kish) and "
         "the expected distinct images per epoch (sample-weights).")


def to_stdout(output: str | None) -> bool:
    """True when ``-o`` names stdout (not given, or ``-``)."""
    return output in (None, "-")


def emit(data: bytes | str, output: str | None) -> None:
    """Write a command's output: to stdout (``output`` None or ``-``), else atomically to
    the file ``output``. Text is UTF-8."""
    from maskstats.cli.text import for_terminal, stdout_is_terminal
    from maskstats.core.files import atomic_write_bytes

    if to_stdout(output):
        text = data if isinstance(data, str) else data.decode("utf-8")
        if stdout_is_terminal():  # names from a dataset cannot drive the terminal
            text = for_terminal(text)
        click.echo(text, nl=False)
    else:
        atomic_write_bytes(output, data.encode("utf-8") if isinstance(data, str) else data)
