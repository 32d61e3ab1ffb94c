"""Exceptions raised by the maskstats library.

Every message is meant to be shown to a user as is, after ``Error: ``. The CLI turns
:class:`MaskstatsError` into exit code 1 and :class:`UsageProblem` into exit code 2.
"""

from __future__ import annotations


class MaskstatsError(Exception):
    """Base class for every error maskstats raises on purpose."""


class UsageProblem(MaskstatsError):
    """The call itself is wrong (bad option value, missing path, nothing to scan)."""


class UnreadableMask(MaskstatsError):
    """A mask file cannot be read or is not a label image."""

    def __init__(self, path: str, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __reduce__(self):  # keep it picklable across worker processes
        return (type(self), (self.path, self.problem))


class BadStats(MaskstatsError):
    """A stats or weights file is missing, corrupt, or of an unknown format/version."""


class UnknownScheme(UsageProblem):
    """A weighting scheme name that is not in the registry."""


class MaskstatsWarning(UserWarning):
    """Something the user should know about the data (lossy masks, saturated schemes, ...)."""
