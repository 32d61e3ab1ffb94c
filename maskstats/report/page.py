"""The report page: sections of HTML around the plots, one self-contained document.

The page loads nothing: the CSS is inline, the plots are inline SVG (text drawn as paths, the
co-occurrence raster as a ``data:`` URI inside its SVG), there is no script and no remote
font. Each section is a ``<section id=...>`` and each plot a ``<figure data-plot=...>``, so
tests (and readers' scripts) can find them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from maskstats.version import __version__
import maskstats.report.matrix as matrix
import maskstats.report.plots as plots
from maskstats.report.data import ReportData, fmt_share
from maskstats.report.figures import render
from maskstats.report.html import CSS, esc, figure, table_html
from maskstats.core.stats import id_ranges
from maskstats.core.extras import OBJECTS

TITLES = {"summary": "Summary", "classes": "Classes", "weights": "Class weights",
          "per-image": "Per image", "objects": "Objects", "compare": "Comparison"}


def _plotted(d: ReportData, full: bool = False) -> list[int]:
    """The classes drawn in per-class plots: absent ones are folded into one line
    (:func:`absent_note`) unless ``full`` or nothing would be left."""
    shown = [c for c in d.order if d.status[c] != "absent"]
    return list(d.order) if full or not shown else shown


def _sorted(d: ReportData, values, full: bool = False) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)[_plotted(d, full)]


def _labels(d: ReportData, full: bool = False):
    rows = _plotted(d, full)
    return [d.names[c] for c in rows], [d.status[c] for c in rows]


def absent_note(d: ReportData, limit: int = 40) -> str:
    """One line naming the absent classes the plots leave out (empty when there are none)."""
    absent = [c for c in d.order if d.status[c] == "absent"]
    if not absent or len(absent) == len(d.order):
        return ""
    names = ", ".join(d.names[c] for c in absent[:limit])
    more = f", ... ({len(absent) - limit} more)" if len(absent) > limit else ""
    return (f"<p class=note>{len(absent)} absent class{'es' if len(absent) > 1 else ''} "
            f"(0 {esc(d.stats.unit)}), not drawn: {esc(names)}{more}</p>")


def summary_section(d: ReportData) -> str:
    s = d.stats
    unit, noun = s.unit, d.noun
    counted = sum(s.pixel_counts)
    absent = [c for c, st in enumerate(d.status) if st == "absent"]
    items = [(f"{noun}s", f"{s.num_images:,}")]
    if unit != "samples":
        items.append((f"{unit}", f"{s.total_pixels:,}"))
    items.append((f"counted {unit}", f"{counted:,}"))
    if s.ignore_index:
        items.append((f"ignored {unit}", f"{s.ignored_pixels:,} (values "
                                         f"{', '.join(map(str, s.ignore_index))})"))
    unexpected = sum(s.unexpected.values())
    items.append((f"unexpected {unit}", f"{unexpected:,}" + (
        f" (values {', '.join(list(s.unexpected)[:20])}"
        f"{', ...' if len(s.unexpected) > 20 else ''})" if s.unexpected else "")))
    how = "" if s.options.get("num_classes") is not None or s.class_names is not None else \
        f" (from the largest value seen, {s.num_classes - 1}; not fixed with --num-classes)"
    items.append(("classes", f"{s.num_classes}{how}"))
    items.append(("absent classes", f"{len(absent)}" + (f": {id_ranges(absent)}" if absent
                                                          else "")))
    if s.skipped:
        items.append(("skipped files", f"{len(s.skipped):,} (listed in the stats file)"))
    if d.table is not None:
        items.append(("per-image table", f"{d.table.source} ({d.table.num_images:,} rows)"))
    body = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return f'<dl class="summary">{body}</dl>'


def classes_section(d: ReportData) -> str:
    s = d.stats
    labels, status = _labels(d)
    panels = [(f"share of {s.unit} (log)", _sorted(d, d.pixel_share))]
    if s.unit != "samples":
        panels.append((f"share of {d.noun}s holding the class (log)", _sorted(d, d.image_share)))
    svg = render(plots.bars, labels, status, panels, prefix="shares")
    k = s.num_classes
    cap = (f"Classes by share, largest on top; ignored classes at the bottom in grey; absent "
           f"classes (0 {s.unit}) are listed below the plot.")
    header = ["class", "name", s.unit, "share"]
    if s.unit != "samples":
        header += [f"{d.noun}s", f"{d.noun} share"]
    header += [f"{sch}" for sch in d.weights]
    if d.object_counts is not None:
        header.append("objects")
    rows, dim = [], []
    for i, c in enumerate(d.order):
        name = s.class_names[c] if s.class_names is not None else ""
        row: list[object] = [c, name, f"{s.pixel_counts[c]:,}", fmt_share(d.pixel_share[c])]
        if s.unit != "samples":
            row += [f"{s.image_counts[c]:,}", fmt_share(d.image_share[c])]
        row += [f"{w[c]:.4g}" if not d.status[c] else d.status[c] for w in d.weights.values()]
        if d.object_counts is not None:
            row.append(f"{int(d.object_counts[c]):,}")
        rows.append(row)
        if d.status[c]:
            dim.append(i)
    return (figure("shares", svg, cap, scroll=k > 40) + absent_note(d)
            + f"<h3>Every class</h3><p class=note>Weights normalised to mean 1 over the "
              f"present classes ({esc(', '.join(d.weights) or 'none')}).</p>"
            + table_html(header, rows, dim))


def weights_section(d: ReportData) -> str:
    if not d.weights:
        return "<p>No weights: " + esc("; ".join(d.weight_notes) or "no present class") + "</p>"
    labels, status = _labels(d)
    k = len(labels)
    w = {name: _sorted(d, v) for name, v in d.weights.items()}
    out = figure("weights", render(plots.dots, labels, status, w,
                                   "weight, normalised to mean 1 (log)", prefix="weights"),
                 "Weights of the main schemes, each normalised so the present classes average "
                 "1 (maskstats weights --scheme NAME --normalize mean).", scroll=k > 40)
    loss = {"unweighted": _sorted(d, d.loss_before)}
    loss.update({name: _sorted(d, v) for name, v in d.loss_after.items()})
    out += figure("loss-share", render(plots.dots, labels, status, loss,
                                       "loss share w_c n_c / sum_j w_j n_j (log)",
                                       percent=True, prefix="loss-share"),
                  "Share of the loss each class carries (what a constant predictor would "
                  "cost, as in maskstats weights --explain), before weighting and under each "
                  f"scheme; 1/C = {fmt_share(1 / max(1, len(d.present)))} is perfect balance.",
                  scroll=k > 40)
    if d.weight_notes:
        out += "<ul class=note>" + "".join(f"<li>{esc(n)}</li>" for n in d.weight_notes) + \
            "</ul>"
    return out + absent_note(d)


def per_image_section(d: ReportData) -> str:
    labels, status = _labels(d)
    noun, unit, k = d.noun, d.stats.unit, len(labels)
    out = figure("classes-per-image",
                 render(matrix.histogram, d.classes_per_image,
                        f"classes in the {noun}", f"{noun}s", prefix="classes-per-image"),
                 f"How many classes each {noun} holds (of {d.table.num_images:,} {noun}s).")
    counts = np.asarray(d.stats.image_counts)[_plotted(d)] if len(d.stats.image_counts) else None
    out += figure("pixels-per-image",
                  render(plots.boxes, labels, status, d.pixels_quantiles[_plotted(d)],
                         f"{unit} of the class per {noun} holding it (log)", counts,
                         prefix="pixels-per-image"),
                  f"Per class, over the {noun}s that hold it: box p25-p75, red median, ticks "
                  f"at p10 and p90, whiskers min and max; the number of {noun}s at the right.",
                  scroll=k > 40)
    shown = dict(zip(_plotted(d), labels))  # the map: the first classes of the order above
    rows = [i for i, c in enumerate(d.order[:len(d.cooccurrence)]) if c in shown]
    n = len(rows)
    out += figure("cooccurrence",
                  render(matrix.heatmap, d.cooccurrence[np.ix_(rows, rows)],
                         [shown[d.order[i]] for i in rows],
                         f"{noun}s holding both", prefix="cooccurrence"),
                  f"{noun.capitalize()}s holding both classes (the diagonal: {noun}s holding "
                  "the class); grey: never together. Classes in the order above"
                  + (f", the {n} largest of {len(d.order):,}." if n < k else "."),
                  scroll=n > 40, wide=n > 40)
    return out + absent_note(d)


def objects_section(d: ReportData) -> str:
    labels, status = _labels(d)
    k, noun = len(labels), d.noun
    info = d.stats.extra.get(OBJECTS)
    info = info if isinstance(info, dict) else {}
    how = info.get("quantile_method")
    out = (f"<p class=note>Objects are connected components of one class (connectivity: "
           f"{esc(info['connectivity'])}).</p>" if info.get("connectivity") else "")
    if d.object_counts is not None:
        out += figure("object-counts",
                      render(plots.bars, labels, status,
                             [("objects (connected components, log)",
                               _sorted(d, d.object_counts))], percent=False,
                             prefix="object-counts"),
                      "Objects per class over the dataset.", scroll=k > 40)
    if d.object_quantiles is not None:
        out += figure("object-sizes",
                      render(plots.boxes, labels, status, d.object_quantiles[_plotted(d)],
                             f"object size in {d.stats.unit} (log)",
                             prefix="object-sizes"),
                      "Object sizes per class: box p10-p90, red median, whiskers min and max"
                      + (f" ({esc(how)})." if how else ".")
                      + (f" {esc(info['quantiles_note'])}." if info.get("quantiles_note")
                         else ""),
                      scroll=k > 40)
    if d.objects_per_image_bins is not None:
        from maskstats.report.data import OBJECT_BINS

        rows = _plotted(d)
        holding = np.asarray(d.stats.image_counts)[rows]
        out += figure("objects-per-image",
                      render(plots.stacked, labels, status,
                             d.objects_per_image_bins[rows],
                             [b[0] for b in OBJECT_BINS],
                             f"share of the {noun}s holding the class, by its objects "
                             f"per {noun}", counts=holding, prefix="objects-per-image"),
                      f"Objects per {noun}: for each class, how many of the {noun}s holding "
                      f"it hold 1, 2, 3-5, 6-20 or more than 20 of its objects; {noun}s "
                      "holding it at the right.", scroll=k > 40)
    return out + absent_note(d)


def compare_section(d: ReportData, main_label: str) -> str:
    labels, status = _labels(d, full=True)
    k = len(labels)
    rows = []
    for o in d.compared:
        only_main = [c for c in range(k) if d.stats.pixel_counts[c] and not o.pixel_share[c] > 0]
        only_other = [c for c in range(k) if not d.stats.pixel_counts[c] and o.pixel_share[c] > 0]
        rows.append([o.label, f"{o.stats.num_images:,}", f"{o.divergence:.6f}",
                     id_ranges(only_main) or "-", id_ranges(only_other) or "-"])
    out = table_html(["file", f"{d.noun}s", "JS divergence", f"absent here, present in "
                      f"{main_label}", f"present here, absent in {main_label}"], rows,
                     left=(0,))
    out += ("<p class=note>Jensen-Shannon divergence (base 2; 0: the same shares, 1: no class "
            f"in common) of the shares of {d.stats.unit}, against {esc(main_label)}.</p>")
    series = {main_label: _sorted(d, d.pixel_share, full=True)}
    series.update({o.label: o.pixel_share[d.order] for o in d.compared})
    out += figure("compare-pixel-share",
                  render(plots.dots, labels, status, series,
                         f"share of {d.stats.unit} (log)", percent=True,
                         prefix="compare-pixel-share"),
                  f"Per-class share of {d.stats.unit} in each file.", scroll=k > 40)
    if d.stats.unit != "samples":
        series = {main_label: _sorted(d, d.image_share, full=True)}
        series.update({o.label: o.image_share[d.order] for o in d.compared})
        out += figure("compare-image-share",
                      render(plots.dots, labels, status, series,
                             f"share of {d.noun}s holding the class (log)",
                             percent=True, prefix="compare-image-share"),
                      f"Per-class share of {d.noun}s holding the class in each file.",
                      scroll=k > 40)
    return out


def page(d: ReportData, sections: Sequence[str], main_label: str) -> str:
    makers = {"summary": summary_section, "classes": classes_section,
              "weights": weights_section, "per-image": per_image_section,
              "objects": objects_section,
              "compare": lambda data: compare_section(data, main_label)}
    nav = " ".join(f'<a href="#{s}">{TITLES[s]}</a>' for s in sections)
    body = "".join(f'<section id="{s}"><h2>{TITLES[s]}</h2>{makers[s](d)}</section>'
                   for s in sections)
    sha = d.sha256
    src = esc(d.source or "stats")
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>maskstats report: {esc(d.title)}</title><style>{CSS}</style></head><body>"
            f"<h1>maskstats report: {esc(d.title)}</h1>"
            f'<p class=muted>{src}{" (sha256 " + esc(sha) + ")" if sha else ""}; '
            f"{d.stats.num_classes} classes in {esc(d.stats.unit)}; maskstats {__version__}</p>"
            f"<nav>{nav}</nav>{body}</body></html>\n")
