"""The report's plots that are not one row per class: a histogram and the co-occurrence map."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from maskstats.report.figures import add_label, new_figure, text_inches
from maskstats.report.plots import COLORS

def histogram(counts: np.ndarray, xlabel: str, ylabel: str):
    """Bars of ``counts[k]`` at k = 0, 1, ...: e.g. images holding k classes."""
    counts = np.asarray(counts)
    nz = np.nonzero(counts)[0]
    hi = int(nz.max()) + 1 if nz.size else 1
    fig, (ax,) = new_figure(0, width=7.0, bottom=0.5, top=0.2)
    ax.bar(np.arange(hi), counts[:hi], width=0.8, color=COLORS[0])
    for k in nz:
        ax.annotate(f"{int(counts[k]):,}", (k, counts[k]), ha="center", va="bottom",
                    fontsize=7, xytext=(0, 1), textcoords="offset points")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    step = max(1, hi // 25)
    ax.set_xticks(range(0, hi, step))
    ax.set_xlim(-0.6, hi - 0.4)
    ax.margins(y=0.12)
    ax.grid(False, axis="x")
    return fig


def heatmap(matrix: np.ndarray, labels: Sequence[str], colorbar: str):
    """A square log-colour heatmap (co-occurrence), rows and columns in class order.

    Labels are plain texts (rows at the left, columns rotated on top) rather than ticks,
    which matplotlib lays out slowly for 150 classes.
    """
    from matplotlib.colors import LogNorm

    k = len(labels)
    side = min(30.0, max(4.0, 0.6 + 0.13 * k))
    fs = 8 if k <= 40 else 6.5
    margin = text_inches(labels, fs)
    fig, (ax,) = new_figure(0, width=side + margin + 1.3, left=margin, right=1.3,
                         top=margin + 0.05, bottom=0.15, sharey=False,
                         height=side + margin + 0.2)
    m = np.asarray(matrix, dtype=np.float64)
    vmax = float(m.max()) if m.size and m.max() > 0 else 1.0
    im = ax.imshow(np.ma.masked_less_equal(m, 0), cmap="viridis",
                   norm=LogNorm(vmin=1, vmax=max(vmax, 2)), interpolation="nearest",
                   aspect="auto", extent=(-0.5, k - 0.5, k - 0.5, -0.5))
    ax.set_facecolor("#eeeeee")  # never together: light grey
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    xt, yt = ax.get_xaxis_transform(), ax.get_yaxis_transform()
    for i, text in enumerate(labels):
        add_label(fig, yt, -0.12 / side, i, text, size=fs)
        add_label(fig, xt, i, 1 + 0.12 / side, text, size=fs, anchor="start", rotate=True)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                if m[i, j] > 0:
                    ax.text(j, i, f"{int(m[i, j]):,}", ha="center", va="center", fontsize=7,
                            color="white" if m[i, j] < vmax ** 0.6 else "black")
    from matplotlib.ticker import FuncFormatter

    bar = fig.colorbar(im, ax=ax, shrink=0.6 if k > 12 else 0.9, label=colorbar, pad=0.02)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    return fig
