"""``python -m maskstats`` and the ``maskstats`` console script.

Start-up is guarded here, before the heavy imports (NumPy, click): Ctrl-C or SIGTERM at any
moment ends the command with one line and exit code 130 / 143, never a traceback.
"""

from __future__ import annotations

import signal
import sys


class Terminated(BaseException):
    """SIGTERM (or SIGHUP) arrived: unwind (workers are stopped on the way), exit 128 + sig."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum, _frame) -> None:
    raise Terminated(signum)


def main() -> None:
    """Run the CLI; interruptions end it with one ``Error:`` line, exit 128 + signal."""
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _on_signal)
    try:
        from maskstats.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        _stop("interrupted (Ctrl-C)", 128 + signal.SIGINT)
    except Terminated as exc:
        _stop(f"terminated ({signal.Signals(exc.signum).name})", 128 + exc.signum)
    except OSError as exc:  # outside a command (--help, --version): writing the output failed
        from maskstats.cli.common import raised_writing_output

        if not raised_writing_output(exc):
            raise
        _stop(f"<stdout>: cannot write ({exc.strerror or exc})", 1, ignore_signals=False)
    finally:
        _quiet_stdout()


def _stop(what: str, code: int, ignore_signals: bool = True) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM) if ignore_signals else ():
        signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C while we leave: still one line
    try:
        sys.stderr.write(f"Error: {what}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    _quiet_stdout()
    raise SystemExit(code)


def _quiet_stdout() -> None:
    """Flush stdout now; if it fails (closed pipe, full disk) point it at /dev/null, so the
    interpreter's own flush at exit prints no 'Exception ignored' lines."""
    import os

    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, sys.stdout.fileno())
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    main()
