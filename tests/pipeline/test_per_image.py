"""scan --per-image: one exact row per image (frame), the same whatever runs the scan."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, blob_mask, save_png

import maskstats
from maskstats.table.load import BadTable, load_table, table_columns

records_mod = importlib.import_module("maskstats.pipeline.records")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rng():
    return np.random.default_rng(1313)


@pytest.fixture
def masks(tmp_path, rng):
    """30 masks in two sub-folders; values 0..6 and 255 (an ignore value) in some."""
    arrays = {}
    for i in range(30):
        a = blob_mask(rng, shape=(20, 28), classes=7)
        if i % 4 == 0:
            a[0, : i % 7 + 1] = 255
        rel = f"{'ab'[i % 2]}/{i:03d}.png"
        save_png(tmp_path / "m" / rel, a)
        arrays[rel] = a
    return tmp_path / "m", dict(sorted(arrays.items(), key=lambda kv: (kv[0][0], kv[0])))


def expected_rows(arrays: dict[str, np.ndarray], k: int, ignore=(255,)) -> list[list]:
    """The table rows computed from the arrays alone (walk order: sorted sub-folders)."""
    rows = []
    for rel, a in arrays.items():
        counts = np.bincount(a.ravel(), minlength=256)
        classes = [int(counts[c]) if c not in ignore else 0 for c in range(k)]
        ignored = sum(int(counts[v]) for v in ignore if v < 256)
        unexpected = int(a.size - ignored - sum(classes))
        rows.append([rel, 0, a.size, ignored, unexpected, *classes])
    return rows


def table_rows(path) -> list[list]:
    t = load_table(path)
    fixed = np.stack([t.frames, t.pixels, t.ignored, t.unexpected], axis=1)
    return [[p, *f, *c] for p, f, c in zip(t.paths, fixed.tolist(), t.counts.tolist())]


def scan_table(folder, out, **kw):
    kw.setdefault("jobs", 1)
    kw.setdefault("ignore_index", [255])
    return maskstats.scan(folder, per_image=out, **kw).to_dict()


def test_every_row_is_exact(masks, tmp_path):
    """Each row holds exactly the pixels per class, ignored and unexpected of its image."""
    folder, arrays = masks
    stats = scan_table(folder, tmp_path / "t.csv")
    assert table_rows(tmp_path / "t.csv") == expected_rows(arrays, stats["num_classes"])


def test_rows_add_up_to_the_stats(masks, tmp_path):
    """Class columns sum to pixel_counts; non-zero rows per class equal image_counts."""
    folder, _ = masks
    stats = scan_table(folder, tmp_path / "t.csv")
    t = load_table(tmp_path / "t.csv")
    assert t.counts.sum(axis=0).tolist() == stats["pixel_counts"]
    assert (t.counts > 0).sum(axis=0).tolist() == stats["image_counts"]
    assert int(t.ignored.sum()) == stats["ignored_pixels"]
    assert int(t.pixels.sum()) == stats["total_pixels"]


def test_stats_record_the_table(masks, tmp_path):
    """The stats JSON names the table, its sha256 and its number of rows."""
    folder, arrays = masks
    out = tmp_path / "t.csv"
    stats = scan_table(folder, out)
    assert stats["per_image"] == {"path": str(out), "rows": len(arrays),
                                  "sha256": hashlib.sha256(out.read_bytes()).hexdigest()}


def test_same_table_from_every_executor_and_the_cache(masks, tmp_path, monkeypatch):
    """-j1, -j2, a cold and a warm cache give byte-identical tables; warm reads no mask."""
    folder, _ = masks
    outs = {}
    for name, kw in [("j1", {}), ("j2", {"jobs": 2}), ("cold", {"cache": tmp_path / "c"})]:
        outs[name] = tmp_path / f"{name}.csv"
        scan_table(folder, outs[name], **kw)
    opened = []
    real = records_mod.read_hists

    def counting(path, *a, **k):
        opened.append(path)
        return real(path, *a, **k)

    monkeypatch.setattr(records_mod, "read_hists", counting)
    outs["warm"] = tmp_path / "warm.csv"
    scan_table(folder, outs["warm"], cache=tmp_path / "c")
    assert opened == []
    first = outs["j1"].read_bytes()
    assert all(p.read_bytes() == first for p in outs.values())


def test_same_table_on_dask(masks, tmp_path):
    """A Dask scan writes the same table as a local one."""
    pytest.importorskip("distributed")
    folder, _ = masks
    scan_table(folder, tmp_path / "local.csv")
    scan_table(folder, tmp_path / "dask.csv", backend="dask", jobs=2)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_stacks_give_one_row_per_frame(tmp_path, rng):
    """An (N,H,W) .npy stack gives N rows with frames 0..N-1; values >= K are unexpected."""
    stack = rng.integers(0, 6, size=(5, 9, 11)).astype(np.uint8)
    np.save(tmp_path / "s.npy", stack)
    maskstats.scan(tmp_path / "s.npy", num_classes=4, jobs=1, per_image=tmp_path / "t.csv")
    t = load_table(tmp_path / "t.csv")
    assert t.paths == [str(tmp_path / "s.npy")] * 5
    assert t.frames.tolist() == [0, 1, 2, 3, 4]
    for i, img in enumerate(stack):
        assert t.counts[i].tolist() == [int((img == c).sum()) for c in range(4)]
        assert int(t.unexpected[i]) == int((img >= 4).sum())
        assert int(t.pixels[i]) == img.size


def test_remap_and_preset_rows(tmp_path):
    """With the Cityscapes preset, rows hold trainIds and void labels are ignored."""
    folder = DATA / "cityscapes_labelids"
    stats = maskstats.scan(folder, preset="cityscapes", jobs=1,
                           per_image=tmp_path / "t.csv").to_dict()
    t = load_table(tmp_path / "t.csv")
    assert t.counts.sum(axis=0).tolist() == stats["pixel_counts"]
    assert int(t.ignored.sum()) == stats["ignored_pixels"]
    assert t.num_classes == 19


def test_colour_masks_rows(tmp_path, rng):
    """RGB masks with a colour table: rows count classes; unknown colours are in no column."""
    colours = np.array([[0, 0, 0], [200, 0, 0], [0, 200, 0]], np.uint8)
    ids = []
    for i in range(3):
        idx = rng.integers(0, 3, size=(6, 8))
        img = colours[idx]
        img[0, 0] = [9, 9, 9]  # not in the table
        (tmp_path / "rgb").mkdir(exist_ok=True)
        from PIL import Image

        Image.fromarray(img).save(tmp_path / "rgb" / f"{i}.png")
        idx[0, 0] = -1
        ids.append(idx)
    (tmp_path / "c.csv").write_text("name,r,g,b\nbg,0,0,0\nred,200,0,0\ngreen,0,200,0\n")
    maskstats.scan(tmp_path / "rgb", colors=tmp_path / "c.csv", on_unknown_color="report",
                   jobs=1, per_image=tmp_path / "t.csv")
    t = load_table(tmp_path / "t.csv")
    for row, idx in zip(t.counts.tolist(), ids):
        assert row == [int((idx == c).sum()) for c in range(3)]
    assert t.unexpected.tolist() == [0, 0, 0]


def test_panoptic_rows_come_from_the_json(tmp_path):
    """COCO panoptic: one row per annotation; void pixels are the ignored column."""
    folder = DATA / "coco_panoptic"
    ann = json.loads((folder / "panoptic_examples.json").read_text())
    maskstats.scan(folder, panoptic=folder / "panoptic_examples.json",
                   per_image=tmp_path / "t.csv")
    t = load_table(tmp_path / "t.csv")
    index = {c["id"]: i for i, c in enumerate(ann["categories"])}
    sizes = {im["id"]: im["width"] * im["height"] for im in ann["images"]}
    assert t.paths == [a["file_name"] for a in ann["annotations"]]
    for i, a in enumerate(ann["annotations"]):
        want = [0] * len(index)
        for seg in a["segments_info"]:
            want[index[seg["category_id"]]] += seg["area"]
        assert t.counts[i].tolist() == want
        assert int(t.ignored[i]) == sizes[a["image_id"]] - sum(want)


def test_several_folders_keep_their_names_apart(tmp_path, rng):
    """With two folder arguments, rows are named folder/relative path: no collisions."""
    for top in ("train", "val"):
        save_png(tmp_path / top / "0.png", blob_mask(rng, shape=(8, 8)))
    maskstats.scan([tmp_path / "train", tmp_path / "val"], jobs=1,
                   per_image=tmp_path / "t.csv")
    assert load_table(tmp_path / "t.csv").paths == [f"{tmp_path}/train/0.png",
                                                    f"{tmp_path}/val/0.png"]


def test_parquet_round_trip(masks, tmp_path):
    """A Parquet table loads with the same rows as the CSV one."""
    pytest.importorskip("pyarrow")
    folder, arrays = masks
    stats = scan_table(folder, tmp_path / "t.parquet")
    scan_table(folder, tmp_path / "t.csv")
    assert table_rows(tmp_path / "t.parquet") == table_rows(tmp_path / "t.csv")
    assert stats["per_image"]["sha256"] == hashlib.sha256(
        (tmp_path / "t.parquet").read_bytes()).hexdigest()
    pd = pytest.importorskip("pandas")
    frame = pd.read_parquet(tmp_path / "t.parquet")
    assert list(frame.columns) == table_columns(stats["num_classes"])


def test_csv_loads_with_pandas(masks, tmp_path):
    """pandas.read_csv reads the table with the documented columns."""
    pd = pytest.importorskip("pandas")
    folder, arrays = masks
    stats = scan_table(folder, tmp_path / "t.csv")
    frame = pd.read_csv(tmp_path / "t.csv")
    assert list(frame.columns) == table_columns(stats["num_classes"])
    assert frame["c1"].sum() == stats["pixel_counts"][1]


def test_cli_per_image(masks, tmp_path, run):
    """`scan --per-image FILE` exits 0, writes the table and records it in the stats."""
    folder, arrays = masks
    out, table = tmp_path / "s.json", tmp_path / "images.csv"
    result = run("scan", folder, "--ignore-index", "255", "--per-image", table, "-o", out,
                 "--no-progress", "-q", "-j", "1")
    assert result.exit_code == 0, result.stderr
    stats = json.loads(out.read_text())
    assert stats["per_image"]["rows"] == len(arrays)
    assert table_rows(table) == expected_rows(arrays, stats["num_classes"])


def test_failed_scan_writes_no_table(masks, tmp_path, run):
    """An unreadable mask stops the scan: no table, no stats, no spool file left behind."""
    folder, _ = masks
    (folder / "b" / "zzz.png").write_bytes(b"\x89PNG broken")
    table = tmp_path / "images.csv"
    result = run("scan", folder, "--per-image", table, "-o", tmp_path / "s.json",
                 "--no-progress", "-q", "-j", "1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_missing_pyarrow_is_one_error_line(masks, tmp_path):
    """Without pyarrow, --per-image x.parquet fails at once with one Error line, exit 2."""
    folder, _ = masks
    code = ("import sys; sys.modules['pyarrow'] = None; sys.modules['pyarrow.parquet'] = None\n"
            "from maskstats.cli import main; sys.argv[0] = 'maskstats'; main()")
    proc = subprocess.run(
        [sys.executable, "-c", code, "scan", str(folder), "--per-image",
         str(tmp_path / "t.parquet"), "-o", str(tmp_path / "s.json"), "--no-progress", "-q"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert proc.stderr.startswith("Error: ") and proc.stderr.count("\n") == 1
    assert "parquet" in proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_load_table_refuses_a_stats_file(masks, tmp_path):
    """load_table on a file that is not a table raises BadTable naming the file."""
    folder, _ = masks
    scan_table(folder, tmp_path / "t.csv")
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(BadTable, match="x.csv"):
        load_table(bad)
    assert maskstats.load_table(tmp_path / "t.csv").num_images == 30
