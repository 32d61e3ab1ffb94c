"""matplotlib figures for the report, rendered as inline SVG strings.

No pyplot and no global state: each plot is a :class:`matplotlib.figure.Figure` (the
``report`` extra, imported on first use) made under the report's rc settings and saved to
SVG; class labels are written straight into the SVG as text (:func:`add_label`), and the ids
of each figure are prefixed so several figures share one page.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any, Sequence

from maskstats.errors import MaskstatsError
from maskstats.report.names import short

ROW_INCH = 0.16   # height of one class row
WIDTH = 9.0       # inches
_RC = {"svg.fonttype": "none", "svg.hashsalt": "maskstats", "font.size": 9,
       "axes.titlesize": 10, "axes.grid": True, "grid.alpha": 0.3, "axes.axisbelow": True}


class MissingExtra(MaskstatsError):
    """An optional dependency the command needs is not installed."""


def _mpl():
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtra("the report needs matplotlib, the 'report' extra: "
                           "pip install 'maskstats[report]'") from None
    return matplotlib, Figure


_SVG_ID = re.compile(r'\bid="([^"]+)"')


def add_label(fig, transform, x: float, y: float, text: str, *, size: float = 8,
              color: str = "#222222", anchor: str = "end", rotate: bool = False) -> None:
    """Queue a label to be written straight into the SVG at (x, y) under ``transform``.

    Class labels are many (150 per plot, 300 on the co-occurrence map); matplotlib lays out
    each text artist at a cost of milliseconds, so they are placed by :func:`to_svg` as SVG
    ``<text>`` elements instead, centred on their row.
    """
    fig.__dict__.setdefault("maskstats_labels", []).append(
        (transform, x, y, short(text), size, color, anchor, rotate))


def _labels_svg(fig) -> str:
    """The queued labels as SVG text, in the figure's point coordinates (72 per inch)."""
    items = fig.__dict__.get("maskstats_labels", [])
    if not items:
        return ""
    scale = 72.0 / fig.dpi
    height = fig.get_figheight() * 72.0
    out = ['<g font-family="DejaVu Sans, Bitstream Vera Sans, Arial, Helvetica, sans-serif">']
    for transform, x, y, text, size, color, anchor, rotate in items:
        px, py = transform.transform((x, y))
        px, py = px * scale, height - py * scale
        turn = f' transform="rotate(-90 {px:.2f} {py:.2f})"' if rotate else ""
        out.append(f'<text x="{px:.2f}" y="{py:.2f}" font-size="{size}" fill="{color}" '
                   f'text-anchor="{anchor}" dominant-baseline="central"{turn}>'
                   f"{html.escape(text)}</text>")
    return "".join(out) + "</g>"


def to_svg(fig, prefix: str) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog, no metadata, unique ids."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    end = svg.rindex("</svg>")
    svg = svg[:end] + _labels_svg(fig) + svg[end:]
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    ids = set(_SVG_ID.findall(svg))
    if ids:  # several figures on one page: keep their ids (glyphs, clip paths) apart
        pattern = re.compile(r'(id="|href="#|url\(#)(' + "|".join(map(re.escape, ids))
                             + r')(?=[")])')
        svg = pattern.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    return svg.replace("<svg ", f'<svg role="img" data-plot="{prefix}" ', 1)


def new_figure(rows: int, *, width: float = WIDTH, left: float = 0.6, right: float = 0.25,
            top: float = 0.3, bottom: float = 0.55, ncols: int = 1, sharey: bool = True,
            height: float | None = None):
    """A figure whose axes row grows with ``rows`` (classes); margins in inches.

    Margins are set by hand (no constrained layout): with 150 classes the automatic layout
    measures every tick label several times and costs seconds per plot.
    """
    matplotlib, Figure = _mpl()
    row = ROW_INCH if rows > 30 else 0.3 if rows <= 12 else 0.22
    height = height or max(2.4, top + bottom + row * rows)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height))
        fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                            bottom=bottom / height, wspace=0.08)
        axes = fig.subplots(1, ncols, sharey=sharey, squeeze=False)[0]
    return fig, list(axes)


def text_inches(labels: Sequence[str], size: float = 9) -> float:
    """Rough width of the longest label (DejaVu Sans averages ~0.6 em per character)."""
    longest = max((len(short(t)) for t in labels), default=1)
    return 0.15 + longest * size * 0.6 / 72


def render(draw, *args: Any, prefix: str, **kwargs: Any) -> str:
    """Call ``draw(*args)`` under the report's rc settings and return the SVG."""
    matplotlib, _ = _mpl()
    with matplotlib.rc_context(_RC):
        fig = draw(*args, **kwargs)
        return to_svg(fig, prefix)
