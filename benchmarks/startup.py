"""Start-up cost of whole `maskstats` processes, against `python -c pass` in the same run.

Times (best of --repeats, wall and CPU) of:
  python -c pass                   the interpreter alone (the floor)
  python -c "import numpy, PIL.Image"   what any counting needs
  maskstats --version              click and maskstats' own start-up
  maskstats scan one.png           a one-file scan (256x256 grey PNG), -j1, quiet
(run in a temporary folder, so `-m` finds maskstats on PYTHONPATH only) and, with
--compare DIR, the same maskstats commands with DIR (another checkout) first on PYTHONPATH,
e.g. the code before a change. The modules each command imports are
listed with --modules (from python -X importtime).

    python benchmarks/startup.py [--repeats 9] [--compare /path/to/other/checkout]
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from common import parser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "PIL.Image", "rich", "tqdm", "multiprocessing", "pyspng")


def measure(cmd: list[str], env: dict, repeats: int, cwd: str) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds) of ``cmd`` over ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if proc.returncode != 0:
            sys.exit(f"benchmark command failed: {' '.join(cmd)}\n{proc.stderr}")
    return min(walls), min(cpus)


def modules(cmd: list[str], env: dict, cwd: str) -> list[str]:
    """Which of the HEAVY modules ``cmd`` imports."""
    proc = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], env=env,
                          capture_output=True, text=True, cwd=cwd)
    names = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    return [m for m in HEAVY if m in names]


def main() -> None:
    ap = parser(__doc__, repeats=9)
    ap.add_argument("--compare", type=Path, help="another checkout to time the same way")
    ap.add_argument("--modules", action="store_true", help="list heavy imports per command")
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="maskstats-startup-") as tmp:
        mask = Path(tmp) / "one.png"
        Image.fromarray((np.arange(256 * 256) % 7).astype(np.uint8).reshape(256, 256)).save(mask)
        out = str(Path(tmp) / "o.json")
        commands = {
            "--version": [py, "-m", "maskstats", "--version"],
            "scan one.png": [py, "-m", "maskstats", "scan", str(mask), "-o", out, "-q",
                             "--no-progress", "-j", "1"],
        }
        trees = {"this checkout": ROOT}
        if args.compare:
            trees[f"{args.compare}"] = args.compare.resolve()
        rows = {"python -c pass": measure([py, "-c", "pass"], dict(os.environ), args.repeats, tmp),
                "import numpy, PIL.Image": measure([py, "-c", "import numpy, PIL.Image"],
                                                   dict(os.environ), args.repeats, tmp)}
        for label, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            for name, cmd in commands.items():
                rows[f"{name} ({label})"] = measure(cmd, env, args.repeats, tmp)
                if args.modules:
                    print(f"{name} ({label}) imports: {', '.join(modules(cmd, env, tmp)) or '-'}")
    floor = rows["python -c pass"]
    print(f"best of {args.repeats}; extra = over `python -c pass`")
    print(f"{'':48} {'wall s':>7} {'cpu s':>7} {'extra wall':>10}")
    for name, (wall, cpu) in rows.items():
        print(f"{name:48} {wall:7.3f} {cpu:7.3f} {wall - floor[0]:10.3f}")


if __name__ == "__main__":
    main()
