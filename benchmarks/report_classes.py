"""The report's per-image numbers and co-occurrence map for thousands of classes.

A per-image table of ``--images`` rows and ``--classes`` classes (Zipf-like presence) and
its stats are generated; a fresh process then loads the table, prepares the report's numbers
(``maskstats.report.data.prepare``: classes per image, per-class quantiles, co-occurrence) and
draws the co-occurrence map, printing wall time per phase and its own peak RSS (VmHWM). The
baseline measured in the same run is the same process with the table loaded only.

    python benchmarks/report_classes.py [--classes 3000] [--images 2000] [--root CHECKOUT]

``--root`` measures another checkout of maskstats (e.g. an older commit, for before/after):
run from outside this checkout, with a Python where maskstats is not installed editable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402
from report_speed import make  # noqa: E402

CHILD = """
import sys, time
t0 = time.perf_counter()
from maskstats.core.stats import Stats
from maskstats.table.load import load_table
import json
table = load_table(sys.argv[2])
t1 = time.perf_counter()
if sys.argv[3] == "full":
    from maskstats.report.data import prepare
    from maskstats.report import matrix
    from maskstats.report.figures import render
    d = prepare(Stats.from_dict(json.load(open(sys.argv[1]))), table)
    t2 = time.perf_counter()
    co = d.cooccurrence
    if co.shape[0] == d.stats.num_classes and co.shape[0] > 200:  # older: every class
        co = co[__import__("numpy").ix_(d.order, d.order)]
    labels = [d.names[c] for c in d.order][:co.shape[0]]
    svg = render(matrix.heatmap, co, labels, "images holding both", prefix="co")
else:
    t2 = t1
t3 = time.perf_counter()
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]
print(t1 - t0, t2 - t1, t3 - t2, int(hwm) / 1024)
"""


def run(stats: Path, table: Path, phase: str, root: Path) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(root), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(stats), str(table), phase],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        tail = out.stderr.strip().splitlines()[-1:] or [f"exit status {out.returncode}"]
        print(f"  {phase}: failed: {tail[0]}")
        return []
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    ap = parser(__doc__, classes=3000, images=2000)
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the maskstats checkout to measure (default: this one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stats, table = make(Path(tmp), args.images, args.classes, 0)
        doc = json.loads(stats.read_text())
        doc.pop("object_counts"), doc.pop("object_pixels_quantiles")
        stats.write_text(json.dumps(doc))
        base = run(stats, table, "load", args.root)
        full = run(stats, table, "full", args.root)
    print(f"{args.classes:,} classes, {args.images:,}-image table; checkout {args.root}")
    if base:
        print(f"  table loaded only:   load {base[0]:6.2f} s            peak RSS {base[3]:7.1f} MB")
    if base and full:
        print(f"  + prepare + map:     prepare {full[1]:6.2f} s  map {full[2]:6.2f} s  "
              f"peak RSS {full[3]:7.1f} MB ({full[3] / base[3]:.2f}x the table alone)")


if __name__ == "__main__":
    main()
