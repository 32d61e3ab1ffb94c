"""The walker and the cache never count the wrong data and never blow up."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import maskstats
from maskstats.errors import MaskstatsError

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _masks(folder: Path, n: int = 3) -> list[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = [np.full((4, 4), i % 3, np.uint8) for i in range(n)]
    for i, a in enumerate(arrays):
        np.save(folder / f"m{i}.npy", a)
    return arrays


def _counts(arrays) -> list[int]:
    return np.bincount(np.concatenate([a.reshape(-1) for a in arrays])).tolist()


# ----------------------------------------------------------------- unreadable folders
def _as_nobody(fn):
    """Run ``fn()`` in a forked child as user 'nobody'; return what it returned (as JSON)."""
    import pwd

    nobody = pwd.getpwnam("nobody")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            out = fn()
        except BaseException as exc:  # report, never run the parent's test code
            out = {"unexpected": repr(exc)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1 << 16):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


@pytest.fixture
def locked_tree():
    """A tree readable by all, with one sub-folder chmod 000 (under /tmp, which 'nobody'
    can reach; pytest's tmp_path is private to root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root, to run the scan as 'nobody' (root reads any folder)")
    top = Path(tempfile.mkdtemp(prefix="maskstats-locked-"))
    os.chmod(top, 0o755)
    good = _masks(top / "ok", 2)
    _masks(top / "locked", 2)
    for p in (top / "ok", *(top / "ok").iterdir(), *(top / "locked").iterdir()):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    os.chmod(top / "locked", 0)
    yield top, good
    os.chmod(top / "locked", 0o755)
    shutil.rmtree(top)


def test_unreadable_folder_fails_the_scan(locked_tree):
    """A folder the user cannot list stops the scan with an error naming it."""
    top, _good = locked_tree
    maskstats.scan(top / "ok", jobs=1)  # every module the child needs is imported now

    def child():
        try:
            maskstats.scan(str(top), jobs=1)
        except MaskstatsError as exc:
            return {"error": str(exc), "type": type(exc).__name__}
        return {"error": None}

    got = _as_nobody(child)
    assert got == {"error": f"{top}/locked: cannot read the folder (Permission denied); pass "
                            "--on-error skip to go on without it", "type": "UnreadableMask"}


def test_unreadable_folder_is_skipped_with_on_error_skip(locked_tree):
    """With on_error='skip' the folder is listed under skipped and the rest is counted."""
    top, good = locked_tree
    maskstats.scan(top / "ok", jobs=1)

    def child():
        d = maskstats.scan(str(top), jobs=1, on_error="skip").to_dict()
        return {"skipped": d["skipped"], "pixel_counts": d["pixel_counts"]}

    got = _as_nobody(child)
    assert got == {"skipped": [{"path": f"{top}/locked",
                                "reason": "cannot read the folder (Permission denied)"}],
                   "pixel_counts": _counts(good)}


# ---------------------------------------------------------------------- deep folders
def test_folders_nested_1200_deep_are_walked(run, tmp_path):
    """A mask 1200 folders deep is found and counted (no RecursionError)."""
    a = np.array([[0, 1], [1, 1]], np.uint8)
    fds = [os.open(tmp_path, os.O_RDONLY)]
    try:
        for _ in range(1200):  # mkdir relative to an fd: no long path, no recursion
            os.mkdir("d", dir_fd=fds[-1])
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        with os.fdopen(os.open("m.npy", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fds[-1]),
                       "wb") as fh:
            np.save(fh, a)
        result = run("scan", tmp_path / "d", "-q", "-o", tmp_path / "s.json")
        assert result.exit_code == 0, result.stderr
        stats = json.loads((tmp_path / "s.json").read_text())
        assert stats["pixel_counts"] == np.bincount(a.reshape(-1)).tolist()
    finally:  # remove the tree bottom-up (shutil.rmtree recurses, and so fails on it)
        os.unlink("m.npy", dir_fd=fds[-1])
        for parent, child in zip(fds[-2::-1], fds[:0:-1]):
            os.close(child)
            os.rmdir("d", dir_fd=parent)
        os.close(fds[0])


# --------------------------------------------------------------------------- the cache
def test_cache_inside_the_scanned_tree_is_never_scanned(run, tmp_path):
    """--cache masks/cache: the second scan serves the cache and never reads its shards
    as masks; both scans give the counts of the masks alone."""
    arrays = _masks(tmp_path / "masks", 3)
    for out in ("a.json", "b.json"):
        result = run("scan", tmp_path / "masks", "--cache", tmp_path / "masks" / "cache", "-q",
                     "-o", tmp_path / out)
        assert result.exit_code == 0, result.stderr
        stats = json.loads((tmp_path / out).read_text())
        assert stats["pixel_counts"] == _counts(arrays) and stats["num_images"] == 3
    assert list((tmp_path / "masks" / "cache").rglob("shard-*.npz"))


def test_cache_options_folder_replaced_by_a_file_is_one_error(run, tmp_path):
    """When the cache's per-options folder is a file, the scan fails with one Error line."""
    _masks(tmp_path / "masks", 2)
    cache = tmp_path / "cache"
    assert run("scan", tmp_path / "masks", "--cache", cache, "-q",
               "-o", tmp_path / "a.json").exit_code == 0
    (key,) = [p for p in cache.iterdir()]
    shutil.rmtree(key)
    key.write_text("not a folder")
    result = run("scan", tmp_path / "masks", "--cache", cache, "-q", "-o", tmp_path / "b.json")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {key}: the cache folder for these options is not a "
                             "folder; remove it, or pass another --cache\n")


@pytest.fixture
def full_disk(tmp_path):
    """A folder on a full 64 KiB tmpfs (root), or None where mounting is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                                            str(disk)], capture_output=True).returncode != 0:
        yield None
        return
    try:
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:  # fill it up
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


def test_full_disk_under_cache_warns_and_finishes(tmp_path, full_disk):
    """A cache that cannot be written (disk full) stops caching with one warning; the scan
    finishes with the right counts."""
    arrays = _masks(tmp_path / "masks", 3)
    if full_disk is not None:  # a real full disk
        cache = full_disk / "cache"
        cmd = [sys.executable, "-m", "maskstats"]
    else:  # no tmpfs: the cache's writes fail with ENOSPC in a real subprocess
        cache = tmp_path / "cache"
        cmd = [sys.executable, "-c",
               "import errno, sys, maskstats.pipeline.cache as c\n"
               "def full(path, data): raise OSError(errno.ENOSPC, 'No space left on device')\n"
               "c.atomic_write_bytes = full\n"
               "sys.argv[0] = 'maskstats'\n"
               "from maskstats.__main__ import main; main()\n"]
    proc = subprocess.run([*cmd, "scan", str(tmp_path / "masks"), "--cache", str(cache), "-q",
                           "-o", "-"], env=ENV, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("Warning: caching stopped, the cache in ")
    assert "No space left on device" in err and err.endswith("the scan goes on without it\n")
    assert json.loads(proc.stdout)["pixel_counts"] == _counts(arrays)


def test_links_are_followed_once_whatever_they_point_to(tmp_path):
    """File and folder links are followed (also outside the tree); each real file counts once."""
    outside = tmp_path / "outside"
    outside.mkdir()
    np.save(outside / "o.npy", np.full((2, 3), 1, np.uint8))
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    np.save(top / "sub" / "a.npy", np.full((4, 5), 2, np.uint8))
    (top / "file-link.npy").symlink_to(outside / "o.npy")
    (top / "folder-link").symlink_to(outside, target_is_directory=True)
    (top / "sub" / "loop").symlink_to(top, target_is_directory=True)
    d = maskstats.scan(str(top), jobs=1).to_dict()
    assert d["num_images"] == 2  # o.npy through two links counts once; the loop ends
    assert d["pixel_counts"] == [0, 6, 20]
