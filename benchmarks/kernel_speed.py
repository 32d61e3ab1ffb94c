"""The compiled PNG kernel against Pillow and the Pillow + np.bincount script, same run.

For each set (8-bit grey, 8-bit palette, 16-bit grey masks) it times whole processes over
the same files (best of --repeats, wall and CPU of the process tree):
  decode-only Pillow      np.asarray(Image.open(p)) per file, nothing counted (yardstick)
  Pillow + np.bincount    the script people write: decode, bincount, add up
  scan -j1, no kernel     maskstats with the extension made unimportable (libspng/Pillow)
  scan -j1, scan -j2      maskstats with the kernel
and in one process, per mask (best of 5 passes over the set, CPU time): Pillow decode,
zlib-ng inflate of the image data alone (the floor), the kernel. Then the two-command flow
on --flow-n masks 512x512: `scan` + `weights` against a hand-written script that prints the
same inverse-frequency weights. Goals (issue #25): grey -j1 >= 3x decode-only and >= 3x the
bincount script, palette >= 2.5x, 16-bit >= 2x, -j2 >= 1.7x -j1, flow >= 2x.

    python benchmarks/kernel_speed.py [--n 800] [--height 768 --width 1024] [--repeats 3]
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _masks import best_wall_cpu, write_set  # noqa: E402
from common import DEFAULT_DIR, parser  # noqa: E402

DECODE_ONLY = """
import sys, numpy as np
from PIL import Image
for p in open(sys.argv[1]).read().split():
    np.asarray(Image.open(p))
"""

BINCOUNT = """
import sys, numpy as np
from PIL import Image
total = np.zeros(1 << 16, np.int64)
for p in open(sys.argv[1]).read().split():
    a = np.asarray(Image.open(p))
    counts = np.bincount(a.ravel())
    total[:counts.size] += counts
print(np.flatnonzero(total).size)
"""

WEIGHTS_SCRIPT = BINCOUNT.replace("print(np.flatnonzero(total).size)", """
present = total[:256] > 0
w = np.zeros(256)
w[present] = total[:256].sum() / (present.sum() * total[:256][present])
print(w[:int(np.flatnonzero(present).max()) + 1].tolist())
""")

NO_KERNEL = ("import sys, runpy; sys.modules['maskstats.readers.pngkernel'] = None; "
             "runpy.run_module('maskstats', run_name='__main__')")


def per_mask_ms(paths: list[Path]) -> dict[str, float]:
    """CPU milliseconds per mask in this process: Pillow, inflate alone, the kernel."""
    import numpy as np
    from PIL import Image

    from maskstats.readers import fastpng
    from maskstats.readers.png import check_png

    datas = [p.read_bytes() for p in paths[:200]]
    headers = [check_png("m", d) for d in datas]
    streams = [b"".join(d[a:b] for a, b in h.idat) for d, h in zip(datas, headers)]

    def best(func) -> float:
        runs = []
        for _ in range(5):
            t0 = time.process_time()
            func()
            runs.append(time.process_time() - t0)
        return min(runs) / len(datas) * 1e3

    out = {"Pillow decode": best(lambda: [np.asarray(Image.open(io.BytesIO(d))) for d in datas])}
    try:
        from zlib_ng import zlib_ng

        out["zlib-ng inflate alone"] = best(lambda: [zlib_ng.decompress(s) for s in streams])
    except ImportError:
        pass
    if fastpng.kernel() is not None:
        out["kernel count"] = best(lambda: [fastpng.count_png("m", d, h)
                                            for d, h in zip(datas, headers)])
        out["kernel count --verify-checksums"] = best(lambda: [
            fastpng.count_png("m", d, h, verify=True) for d, h in zip(datas, headers)])
    return out


def time_set(args, kind: str, scripts: dict[str, Path]) -> None:
    py = sys.executable
    folder = args.dir / f"kernel-{kind}-{args.n}-{args.height}x{args.width}"
    paths = write_set(folder, args.n, kind, args.height, args.width)
    listing = args.dir / f"kernel-{kind}-files.txt"
    listing.write_text("\n".join(map(str, paths)))
    out = str(args.dir / "stats.json")
    scan = ["scan", str(folder), "-o", out, "--no-progress", "-q"]
    times = {
        "decode-only Pillow": best_wall_cpu(args.repeats, [py, str(scripts["decode"]),
                                                           str(listing)]),
        "Pillow + np.bincount": best_wall_cpu(args.repeats, [py, str(scripts["bincount"]),
                                                             str(listing)]),
        "scan -j1, no kernel": best_wall_cpu(args.repeats, [py, "-c", NO_KERNEL, *scan,
                                                            "-j", "1"]),
    }
    for jobs in (1, 2):
        times[f"scan -j{jobs}"] = best_wall_cpu(args.repeats, [py, "-m", "maskstats", *scan,
                                                               "-j", str(jobs)])
    n = len(paths)
    print(f"\n{kind} set: {n} masks {args.width}x{args.height}, "
          f"{sum(p.stat().st_size for p in paths) / n / 1024:.1f} KiB each")
    print(f"{'':22} {'wall s':>7} {'files/s':>8} {'vs decode':>10} {'vs bincount':>12} "
          f"{'cpu s':>6} {'cpu vs decode':>14} {'cpu vs bincount':>16}")
    (dec, dec_cpu), (bc, bc_cpu) = times["decode-only Pillow"], times["Pillow + np.bincount"]
    for name, (t, cpu) in times.items():
        print(f"{name:22} {t:7.2f} {n / t:8.0f} {dec / t:9.2f}x {bc / t:11.2f}x {cpu:6.2f} "
              f"{dec_cpu / cpu:13.2f}x {bc_cpu / cpu:15.2f}x")
    j1, j2 = times["scan -j1"][0], times["scan -j2"][0]
    print(f"-j2 vs -j1: {j1 / j2:.2f}x wall")
    print("in process, CPU ms per mask: " + ", ".join(
        f"{name} {ms:.3f}" for name, ms in per_mask_ms(paths).items()))


def time_flow(args, scripts: dict[str, Path]) -> None:
    py = sys.executable
    folder = args.dir / f"kernel-flow-{args.flow_n}"
    paths = write_set(folder, args.flow_n, "grey", 512, 512)
    listing = args.dir / "kernel-flow-files.txt"
    listing.write_text("\n".join(map(str, paths)))
    stats = str(args.dir / "flow-stats.json")
    scan = [py, "-m", "maskstats", "scan", str(folder), "-o", stats, "--no-progress", "-q",
            "-j", "1"]
    weights = [py, "-m", "maskstats", "weights", stats, "-f", "list"]
    script = best_wall_cpu(args.repeats, [py, str(scripts["weights"]), str(listing)])
    first = best_wall_cpu(args.repeats, scan)
    second = best_wall_cpu(args.repeats, weights)
    both = (first[0] + second[0], first[1] + second[1])
    print(f"\nflow: {len(paths)} grey masks 512x512, inverse-frequency weights")
    print(f"{'':30} {'wall s':>7} {'cpu s':>6}")
    for name, (t, cpu) in (("hand-written script", script), ("maskstats scan", first),
                           ("maskstats weights", second), ("scan + weights", both)):
        print(f"{name:30} {t:7.2f} {cpu:6.2f}")
    print(f"scan + weights vs the script: {script[0] / both[0]:.2f}x wall, "
          f"{script[1] / both[1]:.2f}x CPU (goal >= 2)")


def main() -> None:
    ap = parser(__doc__, n=800, repeats=3, dir=DEFAULT_DIR)
    ap.add_argument("--height", type=int, default=768)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--sets", default="grey,palette,grey16")
    ap.add_argument("--flow-n", type=int, default=300, help="masks of the scan+weights flow")
    args = ap.parse_args()
    from maskstats.readers.fastpng import describe

    scripts = {}
    for name, code in (("decode", DECODE_ONLY), ("bincount", BINCOUNT),
                       ("weights", WEIGHTS_SCRIPT)):
        scripts[name] = args.dir / f"kernel-{name}.py"
        scripts[name].parent.mkdir(parents=True, exist_ok=True)
        scripts[name].write_text(code)
    print(f"{os.cpu_count()} cores, best of {args.repeats}, whole processes; {describe()}")
    for kind in filter(None, args.sets.split(",")):
        time_set(args, kind, scripts)
    if args.flow_n:
        time_flow(args, scripts)


if __name__ == "__main__":
    main()
