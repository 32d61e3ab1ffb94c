"""Glob matching of walked paths (``--include`` / ``--exclude``), shared by the walkers."""

from __future__ import annotations

import fnmatch
from typing import Iterable


def matches(rel: str, name: str, patterns: Iterable[str]) -> bool:
    """True when a pattern matches the path relative to its folder argument, or the name."""
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)
