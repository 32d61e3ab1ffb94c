"""What C libraries print on file descriptor 2, turned into maskstats messages.

libtiff reports damage ("TIFFFillStrip: Read error on strip 0 ...") by writing straight to
the process's stderr, bypassing Python. :func:`capture_c_stderr` points descriptor 2 at a
temporary file while a decoder runs and hands each line it wrote to the caller, so that the
text ends up in one ``Error:`` or ``Warning:`` line instead of raw output.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def capture_c_stderr() -> Iterator[list[str]]:
    """Collect the lines written to descriptor 2 inside the block (the list fills at exit)."""
    lines: list[str] = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2: nothing to capture
        yield lines
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read(1 << 16).decode("utf-8", "replace")
            lines.extend(line.strip() for line in text.splitlines() if line.strip())
