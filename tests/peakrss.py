"""Peak memory of one ``python -m maskstats`` run, measured inside that process.

``ru_maxrss`` from ``wait4`` is not the child's own peak: Python starts children with
vfork, and on exec Linux keeps the high-water RSS of the address space being left, which
under vfork is the *parent's*. A pytest worker that once held 270 MB (earlier tests in the
same worker) makes every child it starts report at least 270 MB. ``VmHWM`` read by the child
itself at exit covers only the address space it got from exec: the run's real peak.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: runs maskstats' command line in this process, then writes its VmHWM (KiB) to argv[1]
PROBE = """
import runpy, sys
out = sys.argv.pop(1)
sys.argv[0] = "maskstats"
try:
    runpy.run_module("maskstats", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as fh, open(out, "w") as o:
        o.write(next(line for line in fh if line.startswith("VmHWM:")).split()[1])
"""


def run_measured(*args, cwd=None) -> tuple[int, str, int]:
    """Run ``python -m maskstats ARGS`` in one fresh process; return (exit code, stderr,
    peak RSS in bytes of that process alone)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "vmhwm"
        proc = subprocess.run([sys.executable, "-c", PROBE, str(out), *map(str, args)],
                              env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        return proc.returncode, proc.stderr.decode(), int(out.read_text()) * 1024


def python_measured(code: str, cwd=None) -> tuple[int, str, int]:
    """Run the Python ``code`` in one fresh process; return (exit code, stderr, peak RSS in
    bytes of that process alone, its VmHWM at exit)."""
    tail = ('\nwith open("/proc/self/status") as _fh:\n'
            '    print(next(l for l in _fh if l.startswith("VmHWM:")).split()[1])\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code + tail], env=env, cwd=cwd,
                          capture_output=True, text=True)
    lines = proc.stdout.split()
    return proc.returncode, proc.stderr, int(lines[-1]) * 1024 if lines else 0
