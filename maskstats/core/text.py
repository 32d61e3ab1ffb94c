"""Short texts for messages: lists of names cut to a few, so an error stays one short line."""

from __future__ import annotations

from typing import Iterable


def listing(items: Iterable[object], limit: int = 5) -> str:
    """``"a, b, c"``, or the first ``limit`` items and ``"and N more"``."""
    items = list(items)
    shown = ", ".join(str(i) for i in items[:limit])
    more = len(items) - limit
    return f"{shown} and {more} more" if more > 0 else shown
