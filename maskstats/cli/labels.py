"""``maskstats labels``: samples per class for classifiers."""

from __future__ import annotations

import click

from maskstats.cli.common import debug_option
from maskstats.cli.options import (class_names_option, num_classes_option, output_option,
                                   quiet_option)
from maskstats.cli.summary import all_classes_option, save_and_summarise


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@output_option("maskstats.json")
@click.option("--column", default="label", show_default=True, metavar="NAME",
              help="Column of CSV/TSV files that holds the label.")
@class_names_option
@click.option("--multi-label", metavar="SEP",
              help="Split each label cell on SEP, e.g. ';' for 'cat;dog' (multi-label).")
@num_classes_option
@quiet_option
@all_classes_option
@debug_option
def labels(sources, output, class_names, quiet, all_classes, **options) -> None:
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
    from maskstats.pipeline.labels import count_labels
    from maskstats.presets.files import load_class_names

    names = load_class_names(class_names) if class_names else None
    stats = count_labels(list(sources), class_names=names, **options)
    save_and_summarise(stats, output, quiet, all_classes=all_classes)


