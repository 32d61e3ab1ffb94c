"""Ctrl-C while the worker pool starts: one line and exit 130, never a worker traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]

# a Ctrl-C reaches each worker before its initializer ran (the real race, made certain),
# and the parent while the pool is being created
CODE = """
import os, signal, sys, time
import maskstats.pipeline.workers as w
real_init, real_context = w.init_worker, w.pool_context
def init(parent):
    os.kill(os.getpid(), signal.SIGINT)   # lands before the worker's handlers are set
    time.sleep(0.2)
    real_init(parent)
class Context:
    def Pool(self, *args, **kwargs):
        pool = real_context().Pool(*args, **kwargs)
        time.sleep(0.5)                    # the workers are starting
        os.kill(os.getpid(), signal.SIGINT)
        return pool
w.init_worker = init
w.pool_context = lambda: Context()
sys.argv = ["maskstats", "scan", sys.argv[1], "-j", "2", "-o", os.devnull, "--no-progress"]
from maskstats.__main__ import main
main()
"""


def test_ctrl_c_as_the_pool_starts_is_one_line(tmp_path):
    """Workers hit by Ctrl-C before their set-up print nothing; the parent prints one line
    and exits 130."""
    for i in range(6):
        Image.fromarray(np.full((8, 8), i, np.uint8)).save(tmp_path / f"{i}.png")
    proc = subprocess.run([sys.executable, "-c", CODE, str(tmp_path)], capture_output=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stderr.decode() == "Error: interrupted (Ctrl-C)\n"
    assert proc.returncode == 130
