"""The report's plots, drawn with matplotlib (the ``report`` extra) as inline SVG strings.

No pyplot and no global state: each plot is a :class:`matplotlib.figure.Figure` saved to SVG
with text as paths (no font to fetch when the page is viewed). Per-class plots are horizontal
with one row per class, in the report's class order, and grow in height with the number of
classes, so 150 classes stay readable (the page scrolls them); nothing is cut.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from maskstats.report.figures import add_label, new_figure, text_inches
from maskstats.report.names import literal

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf")


def _margins(labels: Sequence[str], legend_rows: int = 0) -> dict[str, float]:
    """Margins for a per-class plot: labels at the left, x ticks on top too when tall."""
    tall = len(labels) > 30
    return {"left": text_inches(labels), "top": 0.15 + 0.28 * legend_rows + 0.25 * tall}


def _class_axis(ax, labels: Sequence[str], status: Sequence[str]) -> None:
    """Rows are classes, the first on top; labels as plain texts (no tick objects: with
    150 classes matplotlib's ticks cost seconds per plot), grey for absent/ignored ones,
    every other row shaded so a reader's eye can follow a row across the plot."""
    from matplotlib.collections import PolyCollection

    n = len(labels)
    ax.set_yticks([])
    ax.set_ylim(n - 0.5, -0.5)
    ax.grid(False, axis="y")
    trans = ax.get_yaxis_transform()
    size = 9 if n <= 30 else 8
    for y, (text, st) in enumerate(zip(labels, status)):
        add_label(ax.figure, trans, -0.008, y, text, size=size,
                  color="#999999" if st else "#222222")
    if n > 12:
        shade = [[(0, y - 0.5), (1, y - 0.5), (1, y + 0.5), (0, y + 0.5)]
                 for y in range(1, n, 2)]
        ax.add_collection(PolyCollection(shade, transform=trans, facecolors="#f4f6f8",
                                         edgecolors="none", zorder=0))


def _hrects(ax, y: np.ndarray, left: np.ndarray, right: np.ndarray, height: float,
            **style) -> None:
    """Horizontal rectangles from ``left`` to ``right`` at rows ``y``, as one artist."""
    from matplotlib.collections import PolyCollection

    ok = np.isfinite(left) & np.isfinite(right) & (right > 0)
    h = height / 2
    verts = [[(a, r - h), (b, r - h), (b, r + h), (a, r + h)]
             for r, a, b in zip(y[ok], left[ok], right[ok])]
    ax.add_collection(PolyCollection(verts, **style))


def _finish(ax, n: int) -> None:
    """Tall plots (many classes) repeat the x axis labels on top."""
    if n > 30:
        ax.xaxis.set_ticks_position("both")
        ax.tick_params(axis="x", labeltop=True)


def _tick(value: float, percent: bool) -> str:
    if percent:
        return f"{100 * value:.10g}%"
    return f"{value:.10g}" if 1e-4 <= value < 1e6 else f"{value:.0e}"


def _log_axis(ax, values: np.ndarray, label: str, percent: bool = False) -> None:
    """Log x axis spanning the positive values, ticks as plain numbers (or percentages)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

    pos = values[np.isfinite(values) & (values > 0)]
    ax.set_xscale("log")
    lo, hi = (float(pos.min()), float(pos.max())) if pos.size else (0.1, 1.0)
    lo, hi = lo / 2, (hi * 2 if hi > lo else hi * 10)
    if percent:  # a share never exceeds 100%: no tick beyond it
        hi = min(hi, 1.15)
    ax.set_xlim(lo, hi)
    decades = np.log10(hi / lo)
    subs = (1.0,) if decades > 3 else (1.0, 2.0, 5.0) if decades > 1 else \
        (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=20))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _tick(v, percent)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    if decades > 4:  # minor ticks of many decades: clutter, and slow to draw
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(label)


def _mark_missing(ax, status: Sequence[str], values: np.ndarray) -> None:
    """Write 'absent'/'ignored' where a class has no bar, at the axis' left edge."""
    left = ax.get_xlim()[0]
    for y, (st, v) in enumerate(zip(status, values)):
        if st or not v > 0:
            ax.text(left, y, f" {st or 'none'}", va="center", ha="left", fontsize=7,
                    color="#999999", style="italic")


def _count_labels(ax, counts) -> None:
    """Each row's count, small and grey, right of the plot."""
    trans = ax.get_yaxis_transform()
    for r, n in enumerate(counts):
        add_label(ax.figure, trans, 1.008, r, f"{int(n):,}", size=7, color="#555555",
                  anchor="start")


def bars(labels, status, panels: Sequence[tuple[str, np.ndarray]], percent: bool = True):
    """One horizontal log-scale bar panel per (x label, values); rows are classes."""
    fig, axes = new_figure(len(labels), ncols=len(panels), **_margins(labels))
    y = np.arange(len(labels), dtype=np.float64)
    for i, (ax, (xlabel, values)) in enumerate(zip(axes, panels)):
        values = np.asarray(values, dtype=np.float64)
        _log_axis(ax, values, xlabel, percent)
        left = ax.get_xlim()[0]  # log axis: bars start at its left edge, end at the value
        _hrects(ax, y, np.full_like(values, left), np.where(values > 0, values, np.nan), 0.7,
                facecolors=COLORS[i % len(COLORS)], edgecolors="none")
        if i == 0:
            _class_axis(ax, labels, status)
        _mark_missing(ax, status, values)
        _finish(ax, len(labels))
    return fig


def dots(labels, status, series: dict[str, np.ndarray], xlabel: str, percent: bool = False):
    """A log-scale dot plot: one row per class, one marker per series (scheme, file).

    The series sit side by side within a row (a small vertical offset each) so equal
    values do not hide each other.
    """
    fig, (ax,) = new_figure(len(labels), **_margins(labels, -(-len(series) // 6)))
    values = np.concatenate([np.asarray(v, dtype=np.float64) for v in series.values()])
    _log_axis(ax, values, xlabel, percent)
    y = np.arange(len(labels))
    markers = "osD^vP*X"
    step = min(0.7 / max(1, len(series)), 0.16)
    handles = []
    for i, (name, v) in enumerate(series.items()):
        v = np.asarray(v, dtype=np.float64)
        dy = (i - (len(series) - 1) / 2) * step
        handles += ax.plot(np.where(v > 0, v, np.nan), y + dy, linestyle="none",
                           marker=markers[i % 8], markersize=4.5, alpha=0.85,
                           color=COLORS[i % len(COLORS)])
    _class_axis(ax, labels, status)
    _mark_missing(ax, status, np.nanmax(np.vstack([np.asarray(v, float)
                                                    for v in series.values()]), axis=0))
    _finish(ax, len(labels))
    # handles and labels given: a label starting with "_" (a file _hidden.json) still shows
    fig.legend(handles, [literal(name) for name in series], loc="upper center",
               ncols=min(len(series), 6), frameon=False,
               bbox_to_anchor=(0.5, 1.0), borderaxespad=0.1)
    return fig


def boxes(labels, status, quantiles: np.ndarray, xlabel: str, counts=None):
    """Per class a box, a red median and whiskers from min to max, log scale.

    ``quantiles`` rows are (min, p10, p25, p50, p75, p90, max): box p25-p75, ticks at p10 and
    p90; or (min, p10, p50, p90, max): box p10-p90. NaN rows (class never present) get no
    box. ``counts`` labels each row at the right.
    """
    q = np.asarray(quantiles, dtype=np.float64).reshape(len(labels), -1)
    right = text_inches([f"{int(n):,}" for n in counts], 7) if counts is not None else 0.25
    fig, (ax,) = new_figure(len(labels), right=right, **_margins(labels))
    finite = q[np.isfinite(q)]
    _log_axis(ax, np.clip(finite, 0.5, None) if finite.size else finite, xlabel)
    y = np.arange(len(labels), dtype=np.float64)
    lo, hi, med = q[:, 0], q[:, -1], q[:, q.shape[1] // 2]
    box_lo, box_hi = (q[:, 2], q[:, 4]) if q.shape[1] == 7 else (q[:, 1], q[:, 3])
    ok = np.isfinite(lo)
    ax.hlines(y[ok], lo[ok], hi[ok], color="#1f77b4", linewidth=0.8)
    _hrects(ax, y, box_lo, box_hi, 0.6, facecolors="#c6dbef", edgecolors="#1f77b4",
            linewidths=0.6)
    ax.plot(med, y, linestyle="none", marker="|", markersize=7, markeredgewidth=1.6,
            color="#d62728")
    if q.shape[1] == 7:
        ax.plot(np.concatenate([q[:, 1], q[:, 5]]), np.concatenate([y, y]), linestyle="none",
                marker="|", markersize=4, color="#1f77b4")
    _class_axis(ax, labels, status)
    _mark_missing(ax, status, np.where(ok, 1.0, 0.0))
    if counts is not None:
        _count_labels(ax, counts)
    _finish(ax, len(labels))
    return fig


def stacked(labels, status, shares: np.ndarray, bins: Sequence[str], xlabel: str, counts):
    """Per class one bar across 0-100% split into ``bins`` (shares per row sum to 1), legend
    on top, ``counts`` at the right: readable when one bin holds nearly everything."""
    from matplotlib.ticker import PercentFormatter

    shares = np.asarray(shares, dtype=np.float64).reshape(len(labels), len(bins))
    fig, (ax,) = new_figure(len(labels), right=text_inches([f"{int(n):,}" for n in counts], 7),
                            **_margins(labels, 1))
    y, left = np.arange(len(labels), dtype=np.float64), np.zeros(len(labels))
    for j, (name, colour) in enumerate(zip(bins, ("#c6dbef", "#6baed6", "#2171b5", "#08519c",
                                                  "#08306b"))):
        width = np.nan_to_num(shares[:, j])
        _hrects(ax, y, left, left + width, 0.7, facecolors=colour, edgecolors="none")
        ax.plot([], [], linestyle="none", marker="s", markersize=7, color=colour, label=name)
        left = left + width
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel)
    _class_axis(ax, labels, status)
    _mark_missing(ax, status, np.where(np.isfinite(shares[:, 0]), 1.0, 0.0))
    _count_labels(ax, counts)
    _finish(ax, len(labels))
    fig.legend(loc="upper center", ncols=len(bins), frameon=False, bbox_to_anchor=(0.5, 1.0),
               borderaxespad=0.1)
    return fig
