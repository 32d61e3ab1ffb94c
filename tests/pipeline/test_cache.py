"""The incremental cache: hits, misses, invalidation, resume after interruption, corruption."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_matches, blob_mask, expected_stats, save_png
from PIL import Image

import maskstats
from maskstats.pipeline import cache as cache_mod
from maskstats.core.histogram import Counts
from maskstats.readers.formats import ReadOptions

scan_mod = importlib.import_module("maskstats.pipeline.scan")  # the module (maskstats.scan is the function)
records_mod = importlib.import_module("maskstats.pipeline.records")  # where files are read


@pytest.fixture
def rng():
    return np.random.default_rng(606)


@pytest.fixture
def reads(monkeypatch):
    """Count (in this process) every mask file the scan opens; jobs=1 keeps reads here."""
    opened: list[str] = []
    real = records_mod.read_hists

    def counting(path, *args, **kwargs):
        opened.append(os.path.basename(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(records_mod, "read_hists", counting)
    return opened


def make_masks(folder: Path, rng, n: int) -> list[np.ndarray]:
    arrays = [blob_mask(rng, shape=(24, 32), classes=6) for _ in range(n)]
    for i, a in enumerate(arrays):
        save_png(folder / f"{i:03d}.png", a)
    return arrays


def scan_dict(folder, cache=None, **kw) -> dict:
    kw.setdefault("jobs", 1)
    return maskstats.scan([folder], cache=cache, **kw).to_dict()


def stored_paths(cache_dir: Path) -> set[str]:
    """Paths of every record in every shard under the cache folder."""
    out: set[str] = set()
    for shard in cache_dir.rglob("shard-*.npz"):
        with np.load(shard) as z:
            out.update(z["paths"].tolist())
    return out


def test_warm_rescan_reads_no_masks_and_matches(tmp_path, rng, reads):
    """A rescan of an unchanged folder opens no mask and returns the same stats."""
    arrays = make_masks(tmp_path / "m", rng, 12)
    cold = scan_dict(tmp_path / "m", tmp_path / "c")
    assert len(reads) == 12
    reads.clear()
    warm = scan_dict(tmp_path / "m", tmp_path / "c")
    assert reads == []
    assert warm == cold
    assert_matches(warm, expected_stats(arrays))
    assert warm == scan_dict(tmp_path / "m")  # the same as a scan without cache


def test_changed_content_and_size_is_recounted(tmp_path, rng, reads):
    """A file rewritten with other content (other size, old mtime restored) is recounted."""
    arrays = make_masks(tmp_path / "m", rng, 6)
    scan_dict(tmp_path / "m", tmp_path / "c")
    target = tmp_path / "m" / "002.png"
    old = os.stat(target)
    arrays[2] = np.full((40, 40), 5, dtype=np.uint8)
    save_png(target, arrays[2])
    os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert os.stat(target).st_size != old.st_size
    reads.clear()
    stats = scan_dict(tmp_path / "m", tmp_path / "c")
    assert reads == ["002.png"]
    assert_matches(stats, expected_stats(arrays))


def test_same_size_rewrite_with_restored_mtime_is_recounted(tmp_path, reads):
    """A same-size rewrite whose mtime is put back (cp -p, rsync -t) is still recounted."""
    a = np.zeros((16, 16), dtype=np.uint8)
    b = a.copy()
    b[:4] = 3
    np.save(tmp_path / "x.npy", a)
    old = os.stat(tmp_path / "x.npy")
    scan_dict(tmp_path / "x.npy", tmp_path / "c")
    np.save(tmp_path / "x.npy", b)
    os.utime(tmp_path / "x.npy", ns=(old.st_atime_ns, old.st_mtime_ns))
    assert os.stat(tmp_path / "x.npy").st_size == old.st_size
    reads.clear()
    stats = scan_dict(tmp_path / "x.npy", tmp_path / "c")
    assert reads == ["x.npy"]
    assert stats["pixel_counts"] == [256 - 64, 0, 0, 64]


def test_touched_file_is_reread_with_same_result(tmp_path, rng, reads):
    """A new mtime alone makes the file be read again; the stats stay the same."""
    arrays = make_masks(tmp_path / "m", rng, 5)
    first = scan_dict(tmp_path / "m", tmp_path / "c")
    st = os.stat(tmp_path / "m" / "004.png")
    os.utime(tmp_path / "m" / "004.png", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    reads.clear()
    again = scan_dict(tmp_path / "m", tmp_path / "c")
    assert reads == ["004.png"]
    assert again == first
    assert_matches(again, expected_stats(arrays))


def test_new_and_deleted_files(tmp_path, rng, reads):
    """A new file is read alone; deleted files leave the stats and, once many, the cache."""
    arrays = make_masks(tmp_path / "m", rng, 8)
    scan_dict(tmp_path / "m", tmp_path / "c")
    extra = blob_mask(rng, shape=(24, 32), classes=6)
    save_png(tmp_path / "m" / "100.png", extra)
    reads.clear()
    stats = scan_dict(tmp_path / "m", tmp_path / "c")
    assert reads == ["100.png"]
    assert_matches(stats, expected_stats(arrays + [extra]))
    for i in range(5):
        (tmp_path / "m" / f"{i:03d}.png").unlink()
    reads.clear()
    stats = scan_dict(tmp_path / "m", tmp_path / "c")
    assert reads == []
    assert_matches(stats, expected_stats(arrays[5:] + [extra]))
    kept = {os.path.basename(p) for p in stored_paths(tmp_path / "c")}
    assert kept == {"005.png", "006.png", "007.png", "100.png"}


def test_ignore_and_num_classes_reuse_the_cache(tmp_path, rng, reads):
    """Ignore values and num_classes are applied after counting: no file is read again."""
    arrays = make_masks(tmp_path / "m", rng, 6)
    scan_dict(tmp_path / "m", tmp_path / "c")
    reads.clear()
    stats = scan_dict(tmp_path / "m", tmp_path / "c", ignore_index=[0], num_classes=4)
    assert reads == []
    assert_matches(stats, expected_stats(arrays, ignore=(0,), num_classes=4))


def test_count_changing_options_use_a_separate_key(tmp_path, rng, reads):
    """Another remap or reader option counts the files again, never reusing old counts."""
    arrays = make_masks(tmp_path / "m", rng, 4)
    files = [str(p) for p in sorted((tmp_path / "m").iterdir())]
    plain = scan_mod.count_files(files, jobs=1, cache=tmp_path / "c")
    reads.clear()
    remapped = scan_mod.count_files(files, jobs=1, cache=tmp_path / "c", remap={1: 2})
    assert len(reads) == 4
    reads.clear()
    scan_mod.count_files(files, jobs=1, cache=tmp_path / "c",
                         options=ReadOptions(key="other"))
    assert len(reads) == 4
    both = [int(((a == 1) | (a == 2)).sum()) for a in arrays]
    assert int(remapped.counts.pixels[2]) == sum(both)
    assert int(plain.counts.pixels[1]) == sum(int((a == 1).sum()) for a in arrays)
    assert len([p for p in (tmp_path / "c").iterdir() if p.is_dir()]) == 3


def test_resume_after_ctrl_c_equals_full_scan(tmp_path, rng, monkeypatch):
    """A scan interrupted by Ctrl-C after 23 files resumes and equals an uncached scan."""
    arrays = make_masks(tmp_path / "m", rng, 40)
    expected = scan_dict(tmp_path / "m")
    real = records_mod.read_hists
    opened: list[str] = []

    def interrupting(path, *args, **kwargs):
        if len(opened) == 23:
            raise KeyboardInterrupt
        opened.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(records_mod, "read_hists", interrupting)
    with pytest.raises(KeyboardInterrupt):
        scan_dict(tmp_path / "m", tmp_path / "c")
    stored = stored_paths(tmp_path / "c")
    assert 0 < len(stored) <= 23  # whole finished batches were kept
    opened.clear()
    monkeypatch.setattr(records_mod, "read_hists", real)
    resumed = scan_dict(tmp_path / "m", tmp_path / "c")
    assert resumed == expected
    assert_matches(resumed, expected_stats(arrays))


def test_resume_after_kill_equals_full_scan(tmp_path, rng):
    """A scan killed with SIGKILL in mid-flight resumes from its shards and equals a full scan."""
    arrays = make_masks(tmp_path / "m", rng, 60)
    script = textwrap.dedent(f"""
        import sys, time, maskstats, maskstats.pipeline.cache
        s = sys.modules["maskstats.pipeline.records"]
        maskstats.pipeline.cache.FLUSH_FILES = 4
        real = s.read_hists
        def slow(*a, **k):
            time.sleep(0.05)
            return real(*a, **k)
        s.read_hists = slow
        maskstats.scan([{str(tmp_path / 'm')!r}], jobs=1, cache={str(tmp_path / 'c')!r})
        print("finished")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list((tmp_path / "c").rglob("shard-*.npz")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    assert b"finished" not in out
    stored = stored_paths(tmp_path / "c")
    assert 0 < len(stored) < 60
    resumed = scan_dict(tmp_path / "m", tmp_path / "c")
    assert resumed == scan_dict(tmp_path / "m")
    assert_matches(resumed, expected_stats(arrays))
    assert len(stored_paths(tmp_path / "c")) == 60


def test_corrupt_shard_is_rebuilt_with_a_warning(tmp_path, rng, reads):
    """A damaged cache file gives one warning, its masks are recounted, and it is replaced."""
    arrays = make_masks(tmp_path / "m", rng, 7)
    scan_dict(tmp_path / "m", tmp_path / "c")
    (shard,) = list((tmp_path / "c").rglob("shard-*.npz"))
    shard.write_bytes(shard.read_bytes()[:100])
    messages: list[str] = []
    reads.clear()
    stats = scan_dict(tmp_path / "m", tmp_path / "c", on_warning=messages.append)
    assert len(reads) == 7
    assert len(messages) == 1 and "corrupt" in messages[0] and str(shard) in messages[0]
    assert_matches(stats, expected_stats(arrays))
    reads.clear()
    messages.clear()
    assert scan_dict(tmp_path / "m", tmp_path / "c", on_warning=messages.append) == stats
    assert reads == [] and messages == []


def test_leftover_temporary_shards_are_removed(tmp_path, rng):
    """A half-written shard left by a killed scan is removed once it is an hour old."""
    make_masks(tmp_path / "m", rng, 2)
    scan_dict(tmp_path / "m", tmp_path / "c")
    (folder,) = [p for p in (tmp_path / "c").iterdir() if p.is_dir()]
    old, fresh = folder / ".shard-1.npz.abc.tmp", folder / ".shard-2.npz.def.tmp"
    for p in (old, fresh):
        p.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    scan_dict(tmp_path / "m", tmp_path / "c")
    assert not old.exists() and fresh.exists()


def test_file_warnings_survive_a_warm_rescan(tmp_path, rng, reads):
    """A JPEG mask's lossy warning is given again when its counts come from the cache."""
    Image.fromarray(np.full((16, 16), 2, dtype=np.uint8)).save(tmp_path / "a.jpg", quality=100)
    seen: list[list[str]] = []
    for _ in range(2):
        messages: list[str] = []
        scan_dict(tmp_path / "a.jpg", tmp_path / "c", on_warning=messages.append)
        seen.append(messages)
    assert len(reads) == 1
    assert seen[0] == seen[1] and "JPEG" in seen[0][0]


def test_unreadable_files_are_not_cached(tmp_path, rng, reads):
    """With on_error=skip an unreadable file is skipped each time, never stored as counts."""
    arrays = make_masks(tmp_path / "m", rng, 3)
    (tmp_path / "m" / "bad.png").write_bytes(b"not a png at all")
    for _ in range(2):
        stats = scan_dict(tmp_path / "m", tmp_path / "c", on_error="skip")
        assert [s["path"] for s in stats["skipped"]] == [str(tmp_path / "m" / "bad.png")]
        assert_matches(stats, expected_stats(arrays))
    assert reads.count("bad.png") == 2 and len(reads) == 5


def test_cache_with_worker_processes(tmp_path, rng):
    """Two worker processes fill the cache; the warm rescan equals the expected counts."""
    arrays = make_masks(tmp_path / "m", rng, 30)
    cold = scan_dict(tmp_path / "m", tmp_path / "c", jobs=2)
    warm = scan_dict(tmp_path / "m", tmp_path / "c", jobs=2)
    assert cold == warm
    assert_matches(warm, expected_stats(arrays))
    assert len(stored_paths(tmp_path / "c")) == 30


def test_sparse_values_round_trip_through_the_cache(tmp_path):
    """Negative and huge values (kept outside the dense table) come back exactly."""
    a = np.array([[-7, -7, 0], [70000, 3, 3]], dtype=np.int64)
    np.save(tmp_path / "w.npy", a)
    files = [str(tmp_path / "w.npy")]
    cold = scan_mod.count_files(files, jobs=1, cache=tmp_path / "c").counts
    warm = scan_mod.count_files(files, jobs=1, cache=tmp_path / "c").counts
    assert warm == cold
    assert warm.table() == {-7: (2, 1, 6), 0: (1, 1, 6), 3: (2, 1, 6), 70000: (1, 1, 6)}


def test_shard_round_trip_keeps_every_image_histogram(tmp_path, rng):
    """Records stored in a shard come back with the same per-image histograms and notices."""
    from maskstats.core.histogram import hist_from_array
    from maskstats.core.notices import Notice
    from maskstats.pipeline.records import FileRecord
    from maskstats.pipeline.shards import Shard

    records = []
    for i in range(20):
        frames = int(rng.integers(0, 4))
        hists = [hist_from_array(rng.integers(-3, 9, size=(5, 7))) for _ in range(frames)]
        notices = (Notice(f"note {i}", "message"),) if i % 3 == 0 else ()
        records.append(FileRecord(f"f{i}", hists, notices, (i, i + 1, i + 2)))
    path = tmp_path / "shard.npz"
    path.write_bytes(Shard.from_records(records, [r.path for r in records]).to_bytes())
    back = Shard.load(str(path))
    for i, r in enumerate(records):
        got = back.record(i)
        assert (got.path, got.key, got.notices) == (r.path, r.key, r.notices)
        assert len(got.hists) == len(r.hists)
        for a, b in zip(got.hists, r.hists):
            assert a.values.tolist() == b.values.tolist()
            assert a.counts.tolist() == b.counts.tolist()
            assert a.pixels == b.pixels


def test_vectorised_totals_equal_adding_one_by_one(rng):
    """Adding many image histograms at once (sinks.counts_of) equals Counts.add one by one."""
    from maskstats.core.histogram import hist_from_array
    from maskstats.pipeline.sinks import counts_of

    hists = [hist_from_array(rng.integers(-3, 9, size=(5, 7))) for _ in range(20)]
    hists += [hist_from_array(rng.integers(0, 70000, size=(3, 3))) for _ in range(5)]
    expected = Counts()
    for h in hists:
        expected.add(h)
    assert counts_of(hists) == expected
    assert counts_of([]) == Counts()


def test_cli_cache_option(tmp_path, rng, run):
    """`scan --cache DIR` twice writes the same stats as a scan without it."""
    arrays = make_masks(tmp_path / "m", rng, 5)
    outs = []
    for i, extra in enumerate([["--cache", tmp_path / "c"], ["--cache", tmp_path / "c"], []]):
        out = tmp_path / f"o{i}.json"
        result = run("scan", tmp_path / "m", "-o", out, "--no-progress", "-q", "-j", "1", *extra)
        assert result.exit_code == 0, result.output
        outs.append(json.loads(out.read_text()))
    assert outs[0] == outs[1] == outs[2]
    assert_matches(outs[0], expected_stats(arrays))
    assert list((tmp_path / "c").rglob("shard-*.npz"))


def test_cache_folder_tilde_is_expanded(tmp_path, rng, monkeypatch):
    """A cache folder given as ~/... lands in the home folder, not in a folder named '~'."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    make_masks(tmp_path / "m", rng, 2)
    scan_dict(tmp_path / "m", "~/.cache/maskstats")
    assert len(stored_paths(tmp_path / "home" / ".cache" / "maskstats")) == 2
    assert not (tmp_path / "~").exists()
