"""The ``maskstats`` command line: parses flags, calls the library, formats output.

The ``cli`` package is the only part of maskstats that imports click, tqdm or rich; one module
per command. Library errors become one ``Error: ...`` line with exit code 1 (data) or 2
(usage), in one place: :class:`~maskstats.cli.common.MaskstatsGroup`.
"""

from __future__ import annotations

import click

from maskstats import __version__
from maskstats.cli.common import MaskstatsGroup, debug_option
from maskstats.cli.compare import compare
from maskstats.cli.images import images
from maskstats.cli.labels import labels
from maskstats.cli.merge import merge
from maskstats.cli.report import report
from maskstats.cli.sample_weights import sample_weights
from maskstats.cli.scan import scan
from maskstats.cli.split import split
from maskstats.cli.weights import schemes, weights

__all__ = ["cli", "main"]


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

for command in (scan, merge, labels, weights, schemes, images, sample_weights, split, compare,
                report):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="maskstats")
