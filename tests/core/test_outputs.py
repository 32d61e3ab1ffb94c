"""Output files never damage anything: devices, FIFOs, symlinks, modes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from maskstats.core.files import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[2]


def _mask(tmp_path: Path) -> Path:
    path = tmp_path / "m.npy"
    np.save(path, np.array([[0, 1], [1, 1]], np.uint8))
    return path


def _expected_counts() -> list[int]:
    return np.bincount(np.array([0, 1, 1, 1])).tolist()


def _maskstats(*args, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "maskstats", *map(str, args)], env=env,
                          timeout=60, **kwargs)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="os.mknod of a character device needs root")
def test_output_to_a_character_device_writes_in_place(run, tmp_path):
    """-o on a character device writes to it and leaves it a character device."""
    dev = tmp_path / "null"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    result = run("scan", _mask(tmp_path), "-o", dev, "-q")
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    assert os.lstat(dev).st_rdev == os.makedev(1, 3)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_output_to_a_fifo_is_written_in_place(run, tmp_path):
    """-o on a FIFO sends the JSON through it to its reader and leaves the FIFO a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = run("scan", _mask(tmp_path), "-o", fifo, "-q")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(got[0])["pixel_counts"] == _expected_counts()


def test_output_to_dev_stdout_goes_to_the_pipe(tmp_path):
    """-o /dev/stdout (a pipe here) writes the JSON to stdout, not to a new file."""
    proc = _maskstats("scan", _mask(tmp_path), "-o", "/dev/stdout", "-q", capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["pixel_counts"] == _expected_counts()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_new_file_mode_follows_the_umask(run, tmp_path):
    """A new output file gets 0666 minus the umask: 0644 under umask 022."""
    old = os.umask(0o022)
    try:
        result = run("scan", _mask(tmp_path), "-o", tmp_path / "s.json", "-q")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "s.json").st_mode) == 0o644


def test_existing_file_keeps_its_mode(tmp_path):
    """Replacing an existing 0640 file keeps 0640 (and its content is the new one)."""
    out = tmp_path / "w.json"
    out.write_text("old")
    os.chmod(out, 0o640)
    atomic_write_bytes(out, b"new")
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o640
    assert out.read_bytes() == b"new"


def test_symlink_is_kept_and_its_target_replaced(run, tmp_path):
    """-o on a symlink replaces the file it points to; the link stays a link."""
    target = tmp_path / "real" / "stats.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    result = run("scan", _mask(tmp_path), "-o", link, "-q")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["pixel_counts"] == _expected_counts()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temp_files_of_a_killed_writer_are_removed(tmp_path):
    """The next write clears its target's temp files left by a dead writer, and only those."""
    out = tmp_path / "w.json"
    stale = tmp_path / f".w.json.{_dead_pid()}.0123abcd.tmp"
    live = tmp_path / f".w.json.{os.getppid()}.0123abcd.tmp"   # a running process: kept
    other = tmp_path / f".x.json.{_dead_pid()}.0123abcd.tmp"   # another target: kept
    mine = tmp_path / ".w.json.notes.txt"                       # not our pattern: kept
    for path in (stale, live, other, mine):
        path.write_text("half")
        os.utime(path, (time.time() - 60, time.time() - 60))
    atomic_write_bytes(out, b"data")
    assert out.read_bytes() == b"data"
    assert not stale.exists()
    assert live.exists() and other.exists() and mine.exists()


def test_sigkilled_writer_leaves_a_temp_that_the_next_write_clears(tmp_path):
    """A writer killed by SIGKILL mid-write leaves a temp file; the next write removes it."""
    out = tmp_path / "w.json"
    code = ("import os, sys, time; sys.path.insert(0, sys.argv[2]); import maskstats.core.files as io\n"
            "def hang(fd):  # stop between writing the temp file and the rename\n"
            "    print('writing', flush=True); time.sleep(60)\n"
            "os.fsync = hang\n"
            "io.atomic_write_bytes(sys.argv[1], b'partial')\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(out), str(ROOT)],
                            stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"writing\n"
    proc.kill()
    proc.wait()
    temps = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert len(temps) == 1 and not out.exists()
    old = time.time() - 60
    os.utime(tmp_path / temps[0], (old, old))
    atomic_write_bytes(out, b"data")
    assert os.listdir(tmp_path) == ["w.json"]


def test_full_stdout_is_one_error_line(tmp_path):
    """scan -o - > /dev/full: exit 1 and exactly one Error line, no 'Exception ignored'."""
    with open("/dev/full", "wb") as full:
        proc = _maskstats("scan", _mask(tmp_path), "-o", "-", "-q", stdout=full,
                          stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert proc.stderr.decode() == "Error: <stdout>: cannot write (No space left on device)\n"


@pytest.mark.parametrize("args", [("schemes",), ("--help",), ("weights", "--counts", "3,1"),
                                  ("weights", "--counts", "3,1", "-f", "list")])
def test_every_command_into_a_full_stdout_is_one_error_line(args):
    """Any output into /dev/full (help, tables, weights) is one Error line, exit 1."""
    with open("/dev/full", "wb") as full:
        proc = _maskstats(*args, stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert proc.stderr.decode() == "Error: <stdout>: cannot write (No space left on device)\n"


def test_full_device_output_is_one_error_line(tmp_path):
    """-o /dev/full: exit 1 with one Error line naming it; /dev/full stays a device."""
    proc = _maskstats("scan", _mask(tmp_path), "-o", "/dev/full", "-q", capture_output=True)
    assert proc.returncode == 1
    assert proc.stderr.decode() == "Error: /dev/full: cannot write (No space left on device)\n"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_output_into_a_folder_is_one_error_line(run, tmp_path):
    """-o naming a folder is one Error line, and the folder is left alone."""
    result = run("scan", _mask(tmp_path), "-o", tmp_path, "-q")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path}: is a folder, not a file\n"
