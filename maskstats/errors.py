"""Exceptions raised by the maskstats library.

Every message is meant to be shown to a user as is, after ``Error: ``. The CLI turns
:class:`MaskstatsError` into exit code 1 and :class:`UsageProblem` into exit code 2.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with control characters escaped (a newline in a file name becomes ``\\n``).

    Every message maskstats shows is one line; file names may hold newlines, tabs or
    terminal escape sequences, which are shown escaped, never interpreted.
    """
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class MaskstatsError(Exception):
    """Base class for every error maskstats raises on purpose.

    ``str(error)`` is always one line (control characters in file names are escaped).
    """

    def __str__(self) -> str:
        return one_line(super().__str__())


class UsageProblem(MaskstatsError):
    """The call itself is wrong (bad option value, missing path, nothing to scan)."""


class UnreadableMask(MaskstatsError):
    """A mask file cannot be read or is not a label image."""

    def __init__(self, path: str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{one_line(self.path)}: {one_line(problem)}")

    def __reduce__(self):  # keep it picklable across worker processes
        return (type(self), (self.path, self.problem))


class UnsuitableMask(UnreadableMask, UsageProblem):
    """A mask file that other options would read (``--layout``, ``--key``): a usage error
    (exit 2) that names the file, and a file ``--on-error skip`` skips like any other."""


class BadStats(MaskstatsError):
    """A stats or weights file is missing, corrupt, or of an unknown format/version."""


class UnknownScheme(UsageProblem):
    """A weighting scheme name that is not in the registry."""


class MaskstatsWarning(UserWarning):
    """Something the user should know about the data (lossy masks, saturated schemes, ...)."""
