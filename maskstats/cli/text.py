"""Names and paths from datasets, made safe to print.

Class names, file names and stats-file names come from strangers. Whatever the CLI prints
goes through one of these two helpers, so that a name is shown literally:

* :func:`plain` for ``click.echo``: control characters (newlines, tabs, terminal escape
  sequences such as ``ESC ] 0 ; title BEL``) become visible ``\\x1b``-style escapes, so a
  dataset cannot retitle, clear or recolour the user's terminal.
* :func:`for_terminal` for a data output (paths, CSV, weights) that goes to a terminal
  rather than a pipe or a file: the same escapes, lines kept. A pipe gets the exact bytes.
* :func:`shown` for anything rich renders (table cells, titles, captions, ``Console.print``
  strings): the same, and rich markup (``[bold red]``, ``[/]``) escaped, so a name is never
  a style or a markup error.

The consoles of :func:`maskstats.cli.common.console` also turn emoji codes (``:smile:``) and
highlighting off, so nothing else in a name is interpreted.
"""

from __future__ import annotations

import re
import sys

from maskstats.errors import one_line

#: control characters but the newline (a data output keeps its lines)
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u2028\u2029]")


def plain(value: object) -> str:
    """``value`` as one line of text with control characters escaped."""
    return one_line(str(value))


def shown(value: object) -> str:
    """``value`` for rich: control characters escaped and rich markup escaped."""
    from rich.markup import escape

    return escape(plain(value))


def for_terminal(text: str) -> str:
    """``text`` with every control character but the newline escaped."""
    return _CONTROL_BUT_NEWLINE.sub(lambda m: repr(m.group())[1:-1], text)


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
