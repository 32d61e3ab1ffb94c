"""Stopping a scan (Ctrl-C, SIGTERM, SIGKILL) prints one line at most, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    """A folder whose -j 2 scan takes many seconds: a few real masks, then two sparse 4 GiB
    .npy stacks of zeros (no disk space used, but every byte is counted)."""
    folder = tmp_path_factory.mktemp("many")
    for i in range(4):
        Image.fromarray(np.full((32, 32), i, np.uint8)).save(folder / f"{i:04d}.png")
    shape = (1024, 2048, 2048)
    for i in range(2):
        with open(folder / f"zz{i}.npy", "wb") as fh:
            np.lib.format.write_array_header_1_0(
                fh, {"descr": "|u1", "fortran_order": False, "shape": shape})
            fh.truncate(fh.tell() + int(np.prod(shape)))
    return folder


def _started_scan(folder: Path) -> subprocess.Popen:
    """Start `maskstats scan -j 2` and return once its workers are counting."""
    proc = subprocess.Popen([sys.executable, "-m", "maskstats", "scan", str(folder), "-j", "2",
                             "-o", os.devnull, "--no-progress"], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline and len(_children(proc.pid)) < 2:
        time.sleep(0.02)
    assert len(_children(proc.pid)) >= 2, "the workers never started"
    time.sleep(0.5)  # the real masks are counted; both workers now wait on a FIFO
    assert proc.poll() is None
    return proc


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


@pytest.mark.parametrize("sig,code,line", [
    (signal.SIGINT, 130, "Error: interrupted (Ctrl-C)\n"),
    (signal.SIGTERM, 143, "Error: terminated (SIGTERM)\n"),
])
def test_interrupting_a_parallel_scan_prints_one_line(many, sig, code, line):
    """Ctrl-C / SIGTERM of a -j 2 scan: exit 130 / 143 with exactly one line on stderr,
    and its workers are gone."""
    proc = _started_scan(many)
    workers = _children(proc.pid)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)  # also waits for the workers' stderr to close
    assert proc.returncode == code
    assert err.decode() == line
    assert out == b""
    assert not any(Path(f"/proc/{w}").exists() and _is_running(w) for w in workers)


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_of_the_parent_leaves_silent_workers(many):
    """SIGKILL of the parent: its workers end without printing anything (no BrokenPipeError
    tracebacks) and do not linger."""
    proc = _started_scan(many)
    workers = _children(proc.pid)
    proc.kill()
    out, err = proc.communicate(timeout=60)  # returns when every worker closed stderr
    assert proc.returncode == -signal.SIGKILL
    assert err == b""
    deadline = time.time() + 10
    while time.time() < deadline and any(_is_running(w) for w in workers):
        time.sleep(0.05)
    assert not any(_is_running(w) for w in workers)


def test_ctrl_c_during_start_up_prints_one_line(tmp_path):
    """Ctrl-C while the command is still importing its modules: one line, exit 130."""
    code = ("import builtins, os, signal, sys\n"
            "real = builtins.__import__\n"
            "def imp(name, *args, **kwargs):\n"
            "    if name == 'maskstats.cli':  # the real signal, in the middle of start-up\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "    return real(name, *args, **kwargs)\n"
            "builtins.__import__ = imp\n"
            "sys.argv = ['maskstats', 'schemes']\n"
            "from maskstats.__main__ import main\n"
            "main()\n")
    proc = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True,
                          timeout=60)
    assert proc.returncode == 130
    assert proc.stderr.decode() == "Error: interrupted (Ctrl-C)\n"
    assert proc.stdout == b""
