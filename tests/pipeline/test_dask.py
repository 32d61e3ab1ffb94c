"""The Dask backend: scans on a LocalCluster (loopback) equal local scans exactly."""

from __future__ import annotations

import importlib
import json
import socket
import sys

import numpy as np
import pytest
from conftest import assert_matches, blob_mask, expected_stats, save_png

import maskstats
from maskstats.errors import UnreadableMask, UsageProblem

scan_mod = importlib.import_module("maskstats.pipeline.scan")


@pytest.fixture(scope="module")
def scheduler():
    """Address of a small in-process LocalCluster (2 worker threads) on tcp://127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def masks(tmp_path):
    """100 blob masks (enough for several Dask batches) and their arrays."""
    rng = np.random.default_rng(8)
    arrays = [blob_mask(rng, shape=(16, 24), classes=7) for _ in range(100)]
    for i, a in enumerate(arrays):
        save_png(tmp_path / "m" / f"{i:03d}.png", a)
    return tmp_path / "m", arrays


def test_dask_scan_equals_local_scan(masks, scheduler):
    """A scan on the cluster gives the same stats as a local scan and as the arrays say."""
    folder, arrays = masks
    done: list[tuple[int, int]] = []
    remote = maskstats.scan(folder, scheduler=scheduler,
                            progress=lambda d, t: done.append((d, t))).to_dict()
    local = maskstats.scan(folder, jobs=1).to_dict()
    assert remote == local
    assert_matches(remote, expected_stats(arrays))
    assert done[-1] == (100, 100)


def test_dask_executor_yields_every_batch_in_order(masks, scheduler):
    """The Dask executor returns each batch in order, with the records a serial run reads."""
    pytest.importorskip("distributed")
    from maskstats.pipeline.dask import DaskExecutor
    from maskstats.pipeline.executors import SerialExecutor
    from maskstats.pipeline.records import read_batch

    folder, arrays = masks
    files = [str(p) for p in sorted(folder.iterdir())]
    on_dask = list(DaskExecutor(2, scheduler).map(read_batch, files))
    assert len(on_dask) > 1
    assert [p for batch, _ in on_dask for p in batch] == files
    got = [r for _, records in on_dask for r in records]
    want = [r for _, records in SerialExecutor().map(read_batch, files) for r in records]
    assert [r.path for r in got] == files
    for a, b, arr in zip(got, want, arrays):
        (ha,), (hb,) = a.hists, b.hists
        assert ha.values.tolist() == hb.values.tolist() == np.unique(arr).tolist()
        assert ha.counts.tolist() == hb.counts.tolist()


def test_unreadable_file_on_a_worker(masks, scheduler):
    """A bad file fails the scan with its name, or is listed under skipped with --on-error skip."""
    folder, arrays = masks
    bad = folder / "bad.png"
    bad.write_bytes(b"\x89PNG broken")
    with pytest.raises(UnreadableMask) as info:
        maskstats.scan(folder, scheduler=scheduler)
    assert info.value.path == str(bad)
    stats = maskstats.scan(folder, scheduler=scheduler, on_error="skip").to_dict()
    assert [s["path"] for s in stats["skipped"]] == [str(bad)]
    assert_matches(stats, expected_stats(arrays))


def test_dask_with_cache(masks, scheduler, tmp_path):
    """Dask and the cache combine: cold and warm scans equal a local scan and the arrays."""
    folder, arrays = masks
    cold = maskstats.scan(folder, scheduler=scheduler, cache=tmp_path / "c").to_dict()
    warm = maskstats.scan(folder, scheduler=scheduler, cache=tmp_path / "c").to_dict()
    assert cold == warm == maskstats.scan(folder, jobs=1).to_dict()
    assert_matches(warm, expected_stats(arrays))
    assert len(list((tmp_path / "c").rglob("shard-*.npz"))) >= 1


def test_cli_backend_dask_local_cluster(masks, run, tmp_path):
    """`scan --backend dask -j 2` starts a LocalCluster of 2 processes and matches the arrays."""
    pytest.importorskip("distributed")
    folder, arrays = masks
    out = tmp_path / "d.json"
    result = run("scan", folder, "--backend", "dask", "-j", "2", "-o", out, "--no-progress",
                 "-q")
    assert result.exit_code == 0, result.output + result.stderr
    assert_matches(json.loads(out.read_text()), expected_stats(arrays))


def test_cli_unreachable_scheduler_is_one_error_line(masks, run, monkeypatch):
    """A scheduler address nobody listens on gives exit 1 and one `Error:` line."""
    pytest.importorskip("distributed")
    import maskstats.pipeline.dask as backend

    monkeypatch.setattr(backend, "CONNECT_TIMEOUT", "1s")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder, _ = masks
    result = run("scan", folder, "--scheduler", f"tcp://127.0.0.1:{port}", "-o", "-")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: tcp://127.0.0.1:{port}: cannot connect")
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_extra_is_a_usage_error(masks, monkeypatch):
    """Without the dask extra, --backend dask says which extra to install."""
    monkeypatch.setitem(sys.modules, "distributed", None)
    folder, _ = masks
    with pytest.raises(UsageProblem, match=r"maskstats\[dask\]"):
        maskstats.scan(folder, backend="dask")


def test_unknown_backend_is_a_usage_error(masks):
    """A backend name other than local or dask is refused."""
    folder, _ = masks
    with pytest.raises(UsageProblem, match="backend must be"):
        maskstats.scan(folder, backend="ray")
