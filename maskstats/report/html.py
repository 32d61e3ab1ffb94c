"""The HTML building blocks of the report page: its inline CSS, escaping, a figure with its
caption, a scrolling table."""

from __future__ import annotations

import html
from typing import Sequence

from maskstats.errors import one_line

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
margin:0 auto;max-width:1100px;padding:1rem 1.5rem 3rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;
margin-top:2.2rem} h3{font-size:1.05rem;margin-top:1.6rem}
nav a{margin-right:1rem} .muted{color:#777} .note{color:#555;font-size:.92rem}
table{border-collapse:collapse;font-size:.88rem} td,th{padding:.15rem .6rem;text-align:right;
border-bottom:1px solid #eee} th{background:#fafafa;position:sticky;top:0}
td.l,th.l{text-align:left} tr.dim td{color:#999}
.scroll{max-height:75vh;overflow:auto;border:1px solid #eee;margin:.4rem 0}
figure{margin:.6rem 0 1.2rem} figure svg{max-width:100%;height:auto;display:block}
figure.wide svg{max-width:none}
figcaption{font-size:.9rem;color:#444;margin-top:.3rem}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.15rem 1.2rem}
dl.summary dt{color:#555} dl.summary dd{margin:0;font-variant-numeric:tabular-nums}
"""


def esc(x: object) -> str:
    """A value from the data (a name, a path) as HTML text: control characters shown as
    ``\\x1b``-style escapes, as on the terminal, and markup characters escaped."""
    return html.escape(one_line(str(x)), quote=True)


def figure(name: str, svg: str, caption: str, scroll: bool = False, wide: bool = False) -> str:
    """A plot with its caption; tall ones scroll, wide ones keep their size (no shrinking)."""
    body = f'<div class="scroll">{svg}</div>' if scroll else svg
    cls = ' class="wide"' if wide else ""
    return (f'<figure id="plot-{esc(name)}" data-plot="{esc(name)}"{cls}>{body}'
            f"<figcaption>{caption}</figcaption></figure>")


def table_html(header: Sequence[str], rows: Sequence[Sequence[object]], dim=(),
               left=(0, 1)) -> str:
    def cell(tag: str, j: int, v: object) -> str:
        return f'<{tag}{" class=l" if j in left else ""}>{esc(v)}</{tag}>'

    head = "".join(cell("th", j, h) for j, h in enumerate(header))
    body = "".join(
        f'<tr{" class=dim" if i in dim else ""}>' + "".join(cell("td", j, v)
                                                             for j, v in enumerate(r)) + "</tr>"
        for i, r in enumerate(rows))
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>' \
           "</table></div>"
