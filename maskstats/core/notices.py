"""Structured warnings that travel with per-file records (through workers, the cache, Dask).

A reader that notices something worth telling (a lossy JPEG mask, one-hot channels that never
occur) hands a :class:`Notice` to its ``warn`` callback. The ``kind`` says what it is, so the
scan can act on it (e.g. drop ``missing-channels`` notices when ``num_classes`` fixes the class
vector) without looking at the wording; ``text`` is what the user reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: a plain message, shown as it is
MESSAGE = "message"
#: one-hot/multi-label arrays whose last channels hold no pixel (data: channels, classes)
MISSING_CHANNELS = "missing-channels"
#: a problem with the cache itself (a damaged shard was dropped)
CACHE = "cache"


@dataclass(frozen=True, order=True)
class Notice:
    """One warning: its ``kind``, the ``text`` shown to the user, and optional ``data``."""

    text: str
    kind: str = MESSAGE
    data: tuple = ()

    @classmethod
    def of(cls, value: "Notice | str") -> "Notice":
        """A notice from a reader's ``warn`` argument (a Notice, or a plain message)."""
        return value if isinstance(value, Notice) else cls(str(value))

    def to_list(self) -> list[Any]:
        """A JSON-safe form (for the cache)."""
        return [self.text, self.kind, list(self.data)]

    @classmethod
    def from_list(cls, item: Any) -> "Notice":
        if isinstance(item, str):
            return cls(item)
        text, kind, data = item
        return cls(str(text), str(kind), tuple(data))
