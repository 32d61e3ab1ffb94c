"""``maskstats labels``: samples per class for classifiers."""

from __future__ import annotations

import click

from maskstats.cli.common import debug_option
from maskstats.cli.summary import all_classes_option, save_and_summarise


@click.command()
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
@all_classes_option
@debug_option
def labels(sources, output, class_names_file, quiet, all_classes, **options) -> None:
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
    from maskstats.pipeline.labels import count_labels, read_class_names

    names = read_class_names(class_names_file) if class_names_file else None
    stats = count_labels(list(sources), class_names=names, **options)
    save_and_summarise(stats, output, quiet, all_classes=all_classes)


