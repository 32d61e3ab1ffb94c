"""Remote masks through fsspec: an S3 scan (moto server on loopback) equals a local scan."""

from __future__ import annotations

import importlib
import io
import json
import re
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from conftest import assert_matches, blob_mask, expected_stats, save_png

import maskstats
from maskstats.errors import UsageProblem

COUNT_KEYS = ("num_images", "total_pixels", "num_classes", "pixel_counts", "image_counts",
              "image_pixels", "ignored_pixels", "unexpected", "skipped", "non_mask_files")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    """A moto S3 server on 127.0.0.1 and a random free port, with dummy credentials."""
    s3fs = pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": url}.items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        s3fs.S3FileSystem.clear_instance_cache()
        yield url
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


@pytest.fixture
def bucket(endpoint, tmp_path, request):
    """The same masks in a local folder and under s3://<bucket>/masks/; returns both + arrays."""
    s3fs, boto3 = pytest.importorskip("s3fs"), pytest.importorskip("boto3")
    name = "b" + re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=name)
    rng = np.random.default_rng(31)
    arrays = [blob_mask(rng, shape=(20, 28), classes=6) for _ in range(9)]
    local = tmp_path / "masks"
    for i, a in enumerate(arrays):
        sub = "train" if i < 6 else "val"
        save_png(local / sub / f"{i:02d}.png", a, palette=i % 2 == 1)
    stack = rng.integers(0, 4, size=(3, 10, 10)).astype(np.uint8)
    np.save(local / "stack.npy", stack)
    (local / "README.txt").write_text("not a mask")
    (local / "train" / "._00.png").write_bytes(b"macOS shadow file")
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        client.put_object(Bucket=name, Key="masks/" + path.relative_to(local).as_posix(),
                          Body=path.read_bytes())
    s3fs.S3FileSystem.clear_instance_cache()
    return {"url": f"s3://{name}/masks/", "local": local, "client": client, "name": name,
            "arrays": arrays + [stack[i] for i in range(3)]}


def counts_of(stats) -> dict:
    d = stats.to_dict() if hasattr(stats, "to_dict") else stats
    return {k: d[k] for k in COUNT_KEYS}


@pytest.mark.parametrize("jobs", [1, 2])
def test_s3_scan_equals_local_scan(bucket, jobs):
    """Scanning the S3 prefix gives the same counts as the local folder and the arrays."""
    remote = maskstats.scan(bucket["url"], jobs=jobs)
    local = maskstats.scan(bucket["local"], jobs=1)
    assert counts_of(remote) == counts_of(local)
    assert_matches(remote.to_dict(), expected_stats(bucket["arrays"]))
    assert remote.non_mask_files == 1
    assert remote.paths == [bucket["url"]]


def test_s3_include_exclude_and_single_object(bucket):
    """Globs pick objects under the prefix like files in a folder; one object URL works."""
    val = maskstats.scan(bucket["url"], include=["val/*"], jobs=1)
    assert_matches(val.to_dict(), expected_stats(bucket["arrays"][6:9]))
    no_npy = maskstats.scan(bucket["url"], exclude=["*.npy"], jobs=1)
    assert_matches(no_npy.to_dict(), expected_stats(bucket["arrays"][:9]))
    one = maskstats.scan(bucket["url"] + "train/03.png", jobs=1)
    assert_matches(one.to_dict(), expected_stats([bucket["arrays"][3]]))


def test_s3_scan_through_the_cache(bucket, tmp_path, monkeypatch):
    """A warm rescan of S3 fetches nothing; a rewritten object is fetched again alone."""
    remote_mod = importlib.import_module("maskstats.readers.remote")
    fetched: list[str] = []
    real = remote_mod.fetch

    def counting(url):
        fetched.append(url.rsplit("/", 1)[-1])
        return real(url)

    monkeypatch.setattr(remote_mod, "fetch", counting)
    cold = maskstats.scan(bucket["url"], jobs=1, cache=tmp_path / "c")
    assert len(fetched) == 10
    fetched.clear()
    warm = maskstats.scan(bucket["url"], jobs=1, cache=tmp_path / "c")
    assert fetched == [] and counts_of(warm) == counts_of(cold)
    new = np.full((20, 28), 5, dtype=np.uint8)
    buf = io.BytesIO()
    np.save(buf, new[None])
    bucket["client"].put_object(Bucket=bucket["name"], Key="masks/stack.npy",
                                Body=buf.getvalue())
    again = maskstats.scan(bucket["url"], jobs=1, cache=tmp_path / "c")
    assert fetched == ["stack.npy"]
    assert_matches(again.to_dict(), expected_stats(bucket["arrays"][:9] + [new]))


def test_s3_bad_object_is_skipped_with_its_url(bucket):
    """A corrupt object is listed under skipped by its s3:// URL with --on-error skip."""
    bucket["client"].put_object(Bucket=bucket["name"], Key="masks/val/bad.png",
                                Body=b"\x89PNG\r\n\x1a\n broken")
    stats = maskstats.scan(bucket["url"], jobs=1, on_error="skip")
    assert [s["path"] for s in stats.skipped] == [bucket["url"] + "val/bad.png"]
    assert_matches(stats.to_dict(), expected_stats(bucket["arrays"]))


def test_cli_s3_scan_and_missing_prefix(bucket, run, tmp_path):
    """`maskstats scan s3://...` writes the stats; an empty prefix is a usage error (exit 2)."""
    out = tmp_path / "s3.json"
    result = run("scan", bucket["url"], "-o", out, "--no-progress", "-q", "-j", "1")
    assert result.exit_code == 0, result.output + result.stderr
    assert_matches(json.loads(out.read_text()), expected_stats(bucket["arrays"]))
    missing = f"s3://{bucket['name']}/nothing-here/"
    result = run("scan", missing, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {missing}: no such file or folder")


def test_missing_extra_is_a_usage_error(monkeypatch):
    """Without fsspec installed a URL path names the extra to install."""
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(UsageProblem, match=r"maskstats\[remote\]"):
        maskstats.scan("s3://bucket/masks/")


def _every_format(folder: Path) -> None:
    """One mask per format family, each with different known values."""
    rng = np.random.default_rng(5)
    a = lambda k: rng.integers(0, k, size=(13, 17)).astype(np.uint8)  # noqa: E731
    Image.fromarray(a(3)).save(folder / "a.png")
    Image.fromarray(a(4)).save(folder / "b.tif", compression="tiff_adobe_deflate")
    Image.fromarray(a(5)).save(folder / "c.tif")
    np.save(folder / "d.npy", a(6))
    np.savez_compressed(folder / "e.npz", masks=np.stack([a(7), a(7)]))
    Image.fromarray(a(3)).save(folder / "f.bmp")


@pytest.mark.parametrize("nifti", [False, True])
def test_every_format_over_a_file_url_equals_the_local_scan(tmp_path, nifti):
    """Over fsspec (file://) PNG, deflate TIFF, TIFF, NPY, NPZ, BMP (and NIfTI) count as locally."""
    pytest.importorskip("fsspec")
    folder = tmp_path / "m"
    folder.mkdir()
    if nifti:
        nib = pytest.importorskip("nibabel")
        vol = np.random.default_rng(6).integers(0, 4, size=(9, 8, 7)).astype(np.uint8)
        nib.save(nib.Nifti1Image(vol, np.eye(4)), str(folder / "v.nii"))
        nib.save(nib.Nifti1Image(vol[::-1], np.eye(4)), str(folder / "w.nii.gz"))
        nib.save(nib.Nifti2Image(vol[:, ::-1], np.eye(4)), str(folder / "x.nii"))
    else:
        _every_format(folder)
    local = maskstats.scan(str(folder), jobs=1).to_dict()
    remote = maskstats.scan(folder.as_uri(), jobs=1).to_dict()
    for key in ("pixel_counts", "image_counts", "image_pixels", "total_pixels", "num_images"):
        assert remote[key] == local[key], key
    assert local["num_images"] == (3 if nifti else 7)
