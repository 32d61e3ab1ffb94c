"""The command line every benchmark shares: one parser, the common options declared once.

Each script asks for the options it uses, with its own default::

    args = parser(__doc__, n=2000, size=512, repeats=3, dir=DEFAULT_DIR).parse_args()

and adds its own options to the returned :class:`argparse.ArgumentParser`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

#: where the benchmarks write their generated data (reused between runs)
DEFAULT_DIR = Path(tempfile.gettempdir()) / "maskstats-bench"

#: name -> (help, type; None = the type of the default)
OPTIONS = {
    "n": ("number of masks", int),
    "images": ("number of images", int),
    "rows": ("rows of the per-image table", int),
    "size": ("mask size: side in pixels, or WIDTHxHEIGHT", None),
    "classes": ("number of classes", int),
    "jobs": ("worker processes (-j)", int),
    "repeats": ("timed runs of each side; the best is reported", int),
    "dir": ("folder for the generated data", Path),
}


def parser(doc: str, **defaults) -> argparse.ArgumentParser:
    """A parser described by the script's docstring, with the shared options in
    ``defaults`` (name -> default), in the order given."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in defaults.items():
        text, kind = OPTIONS[name]
        ap.add_argument(f"--{name}", type=kind or type(default), default=default,
                        help=f"{text} (default: %(default)s)")
    return ap
