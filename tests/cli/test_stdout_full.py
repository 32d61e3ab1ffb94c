"""A full or failing stdout (``> /dev/full``) is one ``Error:`` line, exit 1, for every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")


def _run_full(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open("/dev/full", "w") as full:
        return subprocess.run([sys.executable, "-m", "maskstats", *args], cwd=cwd, env=env,
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)


@pytest.fixture()
def stats(tmp_path: Path) -> Path:
    mask = np.zeros((4, 5), np.uint8)
    mask[1:3, 1:4] = 1
    np.save(tmp_path / "m.npy", mask)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "maskstats", "scan", "m.npy", "-o", "s.json",
                    "--no-progress", "-q", "--per-image", "t.csv"], cwd=tmp_path, env=env,
                   check=True, capture_output=True)
    return tmp_path / "s.json"


@pytest.mark.parametrize("args", [
    ["weights", "s.json"],
    ["weights", "s.json", "--explain", "-o", "w.json"],
    ["compare", "s.json", "s.json"],
    ["images", "t.csv", "--class", "1"],
    ["--help"],
    ["--version"],
])
def test_full_stdout_is_one_error_line(stats: Path, args: list[str]) -> None:
    """Writing a command's output to /dev/full exits 1 with exactly the one line naming stdout."""
    r = _run_full(args, stats.parent)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines() == ["Error: <stdout>: cannot write (No space left on device)"]
