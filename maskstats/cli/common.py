"""What every command shares: the error mapping, --debug, the console, warnings, flag parsers."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import click

from maskstats.errors import MaskstatsError, UsageProblem, one_line

DEBUG_KEY = "maskstats.debug"


class CliUsageError(click.ClickException):
    """A one-line usage error (exit 2) for problems the library detects."""

    exit_code = 2


class StdoutFailed(MaskstatsError):
    """Writing to stdout failed (a full disk, an I/O error): the command's output is lost."""


class GuardedStdout:
    """``sys.stdout`` while a command runs: a failing write is one :class:`StdoutFailed`.

    Every command prints through ``sys.stdout`` (click.echo, the rich console, help texts), so
    guarding the stream here turns ``maskstats ... > /dev/full`` into one ``Error:`` line for
    all of them. A closed pipe (``| head``) stays a :class:`BrokenPipeError`, handled below.
    """

    def __init__(self, raw):
        self._raw = raw

    def write(self, text):
        try:
            return self._raw.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutFailed(f"<stdout>: cannot write ({exc.strerror or exc})") from None

    def flush(self):
        try:
            return self._raw.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutFailed(f"<stdout>: cannot write ({exc.strerror or exc})") from None

    def __getattr__(self, name):
        return getattr(self._raw, name)


class MaskstatsGroup(click.Group):
    """Turns library errors into ``Error: ...`` lines; no traceback unless ``--debug``."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run with a guarded stdout; a failing stdout while parsing (``--help``,
        ``--version``) is one ``Error:`` line too (``invoke`` maps everything later)."""
        raw = sys.stdout
        sys.stdout = GuardedStdout(raw)
        try:
            return super().main(*args, **kwargs)
        except StdoutFailed as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        finally:
            sys.stdout = raw

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():  # any Python warning is one maskstats line
                warnings.showwarning = _warning_line
                return super().invoke(ctx)
        except MaskstatsError as exc:
            if ctx.meta.get(DEBUG_KEY):
                raise
            cls = CliUsageError if isinstance(exc, UsageProblem) else click.ClickException
            raise cls(str(exc)) from None
        except KeyboardInterrupt:
            if ctx.meta.get(DEBUG_KEY):
                raise
            click.echo("Error: interrupted (Ctrl-C)", err=True)
            raise click.exceptions.Exit(130) from None
        except click.ClickException as exc:  # names in messages: control characters escaped
            exc.message = one_line(exc.message)
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            sys.stderr.close()  # the reader went away (e.g. `| head`): not our error
            raise click.exceptions.Exit(1) from None
        except Exception as exc:
            if ctx.meta.get(DEBUG_KEY):
                raise
            if isinstance(exc, OSError) and raised_writing_output(exc):  # `... > /dev/full`
                raise click.ClickException(
                    f"<stdout>: cannot write ({exc.strerror or exc})") from None
            raise click.ClickException(one_line(
                f"internal error: {type(exc).__name__}: {exc} "
                "(please report it; run with --debug for the traceback)"
            )) from None


def raised_writing_output(exc: OSError) -> bool:
    """True when ``exc`` comes from click or rich writing the command's output (a full
    disk or device on stdout): those libraries only write, they never read user files."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    where = tb.tb_frame.f_code.co_filename.replace(os.sep, "/")
    return "/click/" in where or "/rich/" in where


def _warning_line(message, _category, _filename, _lineno, _file=None, _line=None) -> None:
    """``warnings.showwarning`` for the CLI: ``Warning: <message>`` on one line, no source."""
    warn(str(message))


def set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.meta.get(DEBUG_KEY):
        ctx.meta[DEBUG_KEY] = True
        from maskstats.readers.fastpng import describe

        click.echo(f"debug: {describe()}", err=True)  # which PNG counting path is used


debug_option = click.option(
    "--debug", is_flag=True, expose_value=False, is_eager=True, callback=set_debug,
    help="Show the full traceback on errors (and which PNG counting path is used).",
)


def console(stderr: bool):
    from rich.console import Console

    # no emoji codes, no highlighting: names are shown literally (see maskstats.cli.text)
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False)


def warn(message: str) -> None:
    """Print one ``Warning: ...`` line on stderr (control characters escaped)."""
    click.echo(f"Warning: {one_line(str(message))}", err=True)



def split_values(value: str | None, what: str, convert, count: int | None = None) -> list | None:
    """Parse 'a,b,c' with ``convert``; a bad item or item count is a usage error (exit 2)."""
    if value is None:
        return None
    try:
        items = [convert(v.strip()) for v in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected {what}") from None
    if count is not None and len(items) != count:
        raise click.BadParameter(f"{value!r}: expected {what}")
    return items


def parse_params(_ctx, _param, values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        name, eq, val = item.partition("=")
        if not eq or not name.strip():
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE, e.g. beta=0.9999999")
        params[name.strip()] = val.strip()
    return params

