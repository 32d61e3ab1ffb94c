"""Class and file names as the report's plots show them: literally, and not too long."""

from __future__ import annotations

from maskstats.errors import one_line

#: characters of a class or file name a plot shows; longer names end in "..." (the tables
#: of the page show them whole)
MAX_LABEL = 40


def short(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` cut to ``limit`` characters (the last one an ellipsis) for a plot, control
    characters shown as ``\\x1b``-style escapes, as on the terminal."""
    text = one_line(text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def literal(text: str) -> str:
    """A name for a matplotlib text (title, legend): shortened, ``$`` escaped so that no
    mathtext is parsed (a name like ``$\\frac{a}{$`` is shown as written)."""
    return short(text).replace("$", r"\$")
