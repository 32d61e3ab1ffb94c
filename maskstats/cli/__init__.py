"""The ``maskstats`` command line: parses flags, calls the library, formats output.

The ``cli`` package is the only part of maskstats that imports click, tqdm or rich; one module
per command. Library errors become one ``Error: ...`` line with exit code 1 (data) or 2
(usage), in one place: :class:`~maskstats.cli.common.MaskstatsGroup`.

Commands are registered in :data:`COMMANDS` as ``name: "module:function"`` and imported only
when they run or their help is shown (:class:`LazyCommands`), so ``maskstats --version`` and
each command pay only for the imports they need. A new command is one line there.
"""

from __future__ import annotations

import importlib

import click

from maskstats.version import __version__
from maskstats.cli.common import MaskstatsGroup, debug_option

__all__ = ["COMMANDS", "cli", "main"]

#: command name -> "module:function" of its click command (imported on first use)
COMMANDS: dict[str, str] = {
    "scan": "maskstats.cli.scan:scan",
    "check": "maskstats.cli.check:check",
    "merge": "maskstats.cli.merge:merge",
    "labels": "maskstats.cli.labels:labels",
    "weights": "maskstats.cli.weights:weights",
    "schemes": "maskstats.cli.weights:schemes",
    "images": "maskstats.cli.images:images",
    "sample-weights": "maskstats.cli.sample_weights:sample_weights",
    "split": "maskstats.cli.split:split",
    "compare": "maskstats.cli.compare:compare",
    "report": "maskstats.cli.report:report",
}


class LazyCommands(dict):
    """``name -> click.Command``; a ``"module:function"`` value is imported when first read.

    ``cli.commands`` stays an ordinary mapping for click and for code that lists commands
    (``sorted(cli.commands)``, ``cli.commands["scan"].params``).
    """

    def __getitem__(self, name: str) -> click.Command:
        value = super().__getitem__(name)
        if isinstance(value, str):
            module, attr = value.split(":")
            value = getattr(importlib.import_module(module), attr)
            super().__setitem__(name, value)
        return value

    def get(self, name, default=None):
        return self[name] if name in self else default

    def values(self):
        return [self[name] for name in self]

    def items(self):
        return [(name, self[name]) for name in self]


class LazyGroup(MaskstatsGroup):
    """A :class:`MaskstatsGroup` whose commands are imported when used (see COMMANDS)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.commands)

    def add_lazy_command(self, name: str, target: str) -> None:
        """Register ``name`` as the command ``target`` ("module:function"), imported later."""
        dict.__setitem__(self.commands, name, target)


def show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``: the version, and which PNG counting path this installation uses."""
    if not value or ctx.resilient_parsing:
        return
    from maskstats.readers.fastpng import describe

    click.echo(f"maskstats, version {__version__}\n{describe()}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=show_version, help="Show the version and the PNG counting path, then exit.")
@debug_option
def cli() -> None:
    """Exact per-class pixel statistics for segmentation masks, and class weights.

    \b
    Typical use:
      maskstats scan masks/ --ignore-index 255      # writes maskstats.json
      maskstats weights --scheme inverse-frequency  # reads maskstats.json
    """


for _name, _target in COMMANDS.items():
    cli.add_lazy_command(_name, _target)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="maskstats")
