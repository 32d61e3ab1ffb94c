"""A set of files is replaced whole or not at all: on any failure, including an error in the
middle of the renames and a SIGTERM, the old files stay byte-identical and no temporary
file is left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import maskstats.core.fileset as fileset
from maskstats.core.fileset import Staged, replace_files, staging_name
from maskstats.errors import MaskstatsError

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["train.txt", "train.json", "val.txt", "val.json", "test.txt", "test.json"]


def old_set(folder: Path) -> dict[str, bytes]:
    """A pre-existing set, each file with its own content."""
    folder.mkdir(exist_ok=True)
    files = {n: f"old {n}\n".encode() * 3 for n in NAMES}
    for n, data in files.items():
        (folder / n).write_bytes(data)
    return files


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def new_set(folder: Path) -> dict[str, bytes]:
    return {str(folder / n): f"new {n}\n".encode() for n in NAMES}


def test_all_files_replaced(tmp_path):
    """Without failure every file holds its new content and nothing else is in the folder."""
    old_set(tmp_path)
    new = new_set(tmp_path)
    replace_files(new)
    assert snapshot(tmp_path) == {os.path.basename(k): v for k, v in new.items()}


def test_a_folder_where_a_file_goes_changes_nothing(tmp_path):
    """A folder in place of val.json: an error naming it, the old set untouched."""
    old = old_set(tmp_path)
    (tmp_path / "val.json").unlink()
    (tmp_path / "val.json").mkdir()
    del old["val.json"]
    with pytest.raises(MaskstatsError, match="val.json: is a folder"):
        replace_files(new_set(tmp_path))
    assert snapshot(tmp_path) == old


@pytest.mark.parametrize("failure", [OSError(5, "Input/output error"), KeyboardInterrupt()])
@pytest.mark.parametrize("after", [0, 2, 5])
def test_failure_during_the_renames_restores_the_old_set(tmp_path, monkeypatch, failure,
                                                         after):
    """A disk error or Ctrl-C after some files were moved in: every old file comes back."""
    old = old_set(tmp_path)
    real = os.replace
    calls = []

    def flaky(src, dst):
        if len(calls) == after and str(src).endswith(".tmp") and "." + Path(dst).name in src:
            calls.append(dst)
            raise failure
        calls.append(dst)
        return real(src, dst)

    monkeypatch.setattr(fileset.os, "replace", flaky)
    with pytest.raises((MaskstatsError, KeyboardInterrupt)):
        replace_files(new_set(tmp_path))
    monkeypatch.setattr(fileset.os, "replace", real)
    assert snapshot(tmp_path) == old
    assert sorted(os.listdir(tmp_path)) == sorted(NAMES)


def test_a_new_file_of_a_failed_set_is_removed(tmp_path, monkeypatch):
    """Files that did not exist before are gone again when the set fails."""
    real = os.replace

    def fail_third(src, dst, _n=[0]):
        _n[0] += 1
        if _n[0] == 3:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(fileset.os, "replace", fail_third)
    with pytest.raises(MaskstatsError, match="No space left on device"):
        replace_files(new_set(tmp_path))
    assert os.listdir(tmp_path) == []


def test_a_signal_during_the_renames_waits_for_the_whole_set(tmp_path, monkeypatch):
    """SIGTERM arriving after the first rename is delivered once the set is complete."""
    old_set(tmp_path)
    new = new_set(tmp_path)
    real = os.replace
    seen = []

    def replace_and_signal(src, dst):
        real(src, dst)
        if not seen:
            seen.append(dst)
            os.kill(os.getpid(), signal.SIGTERM)

    class Stopped(Exception):
        pass

    def handler(signum, _frame):
        raise Stopped(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        monkeypatch.setattr(fileset.os, "replace", replace_and_signal)
        with pytest.raises(Stopped):
            replace_files(new)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert snapshot(tmp_path) == {os.path.basename(k): v for k, v in new.items()}


def test_staged_file_moves_in_with_the_set_or_is_removed(tmp_path):
    """A staged file (a streamed table) joins the set; on failure it is deleted."""
    (tmp_path / "t.csv").write_bytes(b"old table")
    stage = staging_name(tmp_path / "t.csv")
    assert stage.endswith(".csv") and os.path.dirname(stage) == str(tmp_path)
    Path(stage).write_bytes(b"new table")
    (tmp_path / "s.json").mkdir()
    with pytest.raises(MaskstatsError, match="is a folder"):
        replace_files({tmp_path / "t.csv": Staged(stage), tmp_path / "s.json": b"{}"})
    assert (tmp_path / "t.csv").read_bytes() == b"old table"
    assert sorted(os.listdir(tmp_path)) == ["s.json", "t.csv"]


def test_sigterm_while_split_writes_keeps_the_old_set(tmp_path):
    """SIGTERM while `split` writes its new set (after the first file is on disk): exit 143,
    one line, the old set byte-identical, no temporary file left."""
    from splittools import grouped_counts, write_table

    paths, counts = grouped_counts(seed=3)[:2]
    table = write_table(tmp_path / "t.csv", paths, counts)
    out = tmp_path / "splits"
    old = old_set(out)
    code = ("import os, signal, sys\n"
            "import maskstats.core.fileset as fs\n"
            "real = fs._write_temp\n"
            "def slow(*args):\n"
            "    name = real(*args)\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    return name\n"
            "fs._write_temp = slow\n"
            f"sys.argv = ['maskstats', 'split', {str(table)!r}, '--ratios', '0.8,0.1,0.1',"
            f" '-o', {str(out)!r}, '--force']\n"
            "from maskstats.__main__ import main\n"
            "main()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"})
    assert proc.returncode == 143, proc.stderr
    assert proc.stderr.decode() == "Error: terminated (SIGTERM)\n"
    assert snapshot(out) == old
    assert sorted(os.listdir(out)) == sorted(NAMES)
