"""Merging every layout-specific stats entry: two scans merged equal one scan of all masks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import blob_mask, save_png
from PIL import Image
from colortools import rgb_mask, write_table

import maskstats
import maskstats.pipeline.object_sizes as object_sizes
from maskstats.errors import UsageProblem
from maskstats.splitting.stats import split_stats
from maskstats.core.stats import Stats
from maskstats.table.load import load_table

OBJECT_KEYS = ("object_counts", "object_pixels_quantiles", "object_sizes", "objects")


def two_folders(tmp_path: Path, classes=(4, 6), n=3, seed=5) -> list[Path]:
    """Folders a/ and b/ of blob masks (b has more classes), with 255 void bands."""
    rng = np.random.default_rng(seed)
    out = []
    for name, k in zip("ab", classes):
        for i in range(n):
            a = blob_mask(rng, shape=(24, 32), classes=k)
            a[0, :4] = 255
            save_png(tmp_path / name / f"{i}.png", a)
        out.append(tmp_path / name)
    return out


def merged_and_whole(folders, **options) -> tuple[dict, dict]:
    """(merge of one scan per folder, one scan of all folders) as stats dicts."""
    parts = [maskstats.scan([f], jobs=1, **options) for f in folders]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    whole = maskstats.scan(list(folders), jobs=1, **options)
    return merged.to_dict(), whole.to_dict()


def scipy_sizes(folders, connectivity=8, ignore=(255,)) -> dict[int, list[int]]:
    """Component sizes per class of every mask, labelled independently with scipy."""
    ndimage = pytest.importorskip("scipy.ndimage")
    structure = np.ones((3, 3)) if connectivity == 8 else ndimage.generate_binary_structure(2, 1)
    sizes: dict[int, list[int]] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("*.png")):
            a = np.asarray(Image.open(path))
            for c in np.unique(a).tolist():
                if c in ignore:
                    continue
                lab, n = ndimage.label(a == c, structure=structure)
                sizes.setdefault(c, []).extend(np.bincount(lab.ravel())[1:].tolist())
    return sizes


def test_object_statistics_merge_exactly(tmp_path):
    """object_counts, quantiles and size tables of a merge equal one scan and scipy's labels."""
    pytest.importorskip("cc3d")
    folders = two_folders(tmp_path)
    merged, whole = merged_and_whole(folders, ignore_index=[255], objects=True)
    for key in OBJECT_KEYS:
        assert merged[key] == whole[key], key
    sizes = scipy_sizes(folders)
    k = whole["num_classes"]
    assert merged["object_counts"] == [len(sizes.get(c, [])) for c in range(k)]
    for c in range(k):
        s = np.array(sizes[c])
        expected = {name: int(np.percentile(s, p * 100, method="inverted_cdf"))
                    for name, p in object_sizes.QUANTILES}
        assert merged["object_pixels_quantiles"][c] == expected
    assert "quantiles_note" not in merged["objects"]


def test_beyond_the_size_table_limit_only_min_and_max_merge(tmp_path, monkeypatch):
    """Without size tables, a merge keeps exact min/max, nulls p10/p50/p90 and says why."""
    pytest.importorskip("cc3d")
    monkeypatch.setattr(object_sizes, "SIZE_TABLE_LIMIT", 1)
    folders = two_folders(tmp_path)
    sa, sb = (maskstats.scan([f], jobs=1, ignore_index=[255], objects=True) for f in folders)
    merged = sa.merge(sb).to_dict()
    whole = maskstats.scan(folders, jobs=1, ignore_index=[255], objects=True).to_dict()
    assert "object_sizes" not in merged and "object_sizes" not in whole
    assert merged["object_counts"] == whole["object_counts"]
    qa = sa.extra["object_pixels_quantiles"] + [None] * (whole["num_classes"] - sa.num_classes)
    both = 0
    for q, w, a, b in zip(merged["object_pixels_quantiles"], whole["object_pixels_quantiles"],
                          qa, sb.extra["object_pixels_quantiles"]):
        if a is None or b is None or w["min"] == w["max"]:  # known exactly from one side
            assert q == w
        else:
            both += 1
            assert q == {**w, "p10": None, "p50": None, "p90": None}
    assert both
    assert "min and max are exact" in merged["objects"]["quantiles_note"]


def test_objects_with_plain_scan_is_refused(tmp_path, run):
    """Merging --objects stats with stats without objects is one Error line, exit 2."""
    pytest.importorskip("cc3d")
    a, b = two_folders(tmp_path)
    assert run("scan", a, "--objects", "-o", tmp_path / "a.json", "-q").exit_code == 0
    assert run("scan", b, "-o", tmp_path / "b.json", "-q").exit_code == 0
    result = run("merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "object statistics" in result.stderr
    assert not (tmp_path / "m.json").exists()


def test_objects_of_other_connectivity_are_refused(tmp_path):
    """Object counts of 4- and 8-connected scans are not added."""
    pytest.importorskip("cc3d")
    a, b = two_folders(tmp_path)
    sa = maskstats.scan([a], jobs=1, objects=True, connectivity=4)
    sb = maskstats.scan([b], jobs=1, objects=True)
    with pytest.raises(UsageProblem, match="connectivity"):
        sa.merge(sb)


def test_split_stats_carry_object_counts_that_merge_back(tmp_path):
    """Split stats of a table with o<k> columns hold its sums; merged, the scan's counts."""
    pytest.importorskip("cc3d")
    folders = two_folders(tmp_path)
    base = maskstats.scan(list(folders), jobs=1, ignore_index=[255], objects=True,
                          per_image=tmp_path / "t.csv")
    table = load_table(tmp_path / "t.csv")
    rows = np.arange(table.num_images)
    first, second = split_stats(table, rows[::2], base), split_stats(table, rows[1::2], base)
    assert first.extra["object_counts"] == table.objects[::2].sum(axis=0).tolist()
    back = first.merge(second)
    assert back.extra["object_counts"] == base.extra["object_counts"]
    assert "object_pixels_quantiles" not in back.extra
    assert back.extra["objects"]["connectivity"] == base.extra["objects"]["connectivity"]
    with pytest.raises(UsageProblem, match="object statistics"):
        first.merge(maskstats.scan([tmp_path / "a"], jobs=1, ignore_index=[255]))


def test_per_image_record_does_not_survive_a_merge(tmp_path):
    """The merged stats do not claim the per-image table of one side."""
    a, b = two_folders(tmp_path)
    sa = maskstats.scan([a], jobs=1, per_image=tmp_path / "a.csv")
    sb = maskstats.scan([b], jobs=1, per_image=tmp_path / "b.csv")
    assert "per_image" in sa.extra
    assert "per_image" not in sa.merge(sb).extra
    assert "per_image" not in sb.merge(sa).to_dict()


def one_hot_folders(tmp_path: Path, layout: str) -> list[Path]:
    """Two folders of (N, H, W, C) channel stacks with unlabelled and overlapping pixels."""
    rng = np.random.default_rng(9)
    out = []
    for name in "ab":
        (tmp_path / name).mkdir()
        for i in range(2):
            arr = (rng.random((3, 8, 10, 4)) < 0.3).astype(np.uint8)
            np.save(tmp_path / name / f"{i}.npy", arr)
        out.append(tmp_path / name)
    return out


@pytest.mark.parametrize("layout,key", [("one-hot", "one_hot"), ("multi-label", "multi_label")])
def test_channel_layout_counters_merge_exactly(tmp_path, layout, key):
    """one_hot and multi_label counters of a merge equal one scan of all arrays."""
    folders = one_hot_folders(tmp_path, layout)
    merged, whole = merged_and_whole(folders, layout=layout)
    assert key in whole
    assert merged[key] == whole[key]
    assert merged["pixel_counts"] == whole["pixel_counts"]


def test_panoptic_entry_merges_exactly(tmp_path):
    """Panoptic counters of a merge equal one scan of both datasets; both files are named."""
    import shutil

    from panoptictools import expected, make_panoptic

    a_json, a_dir, a_arrays, a_segs = make_panoptic(tmp_path / "a", seed=8)
    b_json, b_dir, b_arrays, b_segs = make_panoptic(tmp_path / "b", seed=9)
    both = {"images": [], "annotations": [], "categories": None}  # one dataset of a and b
    (tmp_path / "all").mkdir()
    for tag, (js, folder) in enumerate(((a_json, a_dir), (b_json, b_dir))):
        doc = json.loads(js.read_text())
        both["categories"] = doc["categories"]
        for img, ann in zip(doc["images"], doc["annotations"]):
            name = f"{tag}_{ann['file_name']}"
            shutil.copy(folder / ann["file_name"], tmp_path / "all" / name)
            both["images"].append({**img, "id": img["id"] + 1000 * tag})
            both["annotations"].append({**ann, "image_id": ann["image_id"] + 1000 * tag,
                                        "file_name": name})
    (tmp_path / "all.json").write_text(json.dumps(both))
    a = maskstats.scan(a_dir, panoptic=a_json, jobs=1, verify=True)
    b = maskstats.scan(b_dir, panoptic=b_json, jobs=1, verify=True)
    whole = maskstats.scan(tmp_path / "all", panoptic=tmp_path / "all.json", jobs=1,
                           verify=True).to_dict()
    merged = a.merge(b).to_dict()
    for key in ("pixel_counts", "image_counts", "image_pixels", "ignored_pixels"):
        assert merged[key] == whole[key], key
    p, w = merged["panoptic"], whole["panoptic"]
    assert {k: v for k, v in p.items() if k != "annotations"} == {
        k: v for k, v in w.items() if k != "annotations"}
    assert p["unlabelled_pixels"] == expected(a_arrays, a_segs)[3] + expected(b_arrays, b_segs)[3]
    assert p["annotations"] == [str(a_json), str(b_json)]


def colour_folders(tmp_path: Path, strays_per_folder) -> list[Path]:
    """Folders of RGB masks painted from the test colour table plus stray colours."""
    rng = np.random.default_rng(3)
    out = []
    for name, strays in zip("ab", strays_per_folder):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(3):
            rgb, _ = rgb_mask(rng, stray=strays[i % len(strays):][:3])
            Image.fromarray(rgb).save(folder / f"m{i}.png")
        out.append(folder)
    return out


def test_unknown_colours_report_merges_exactly(tmp_path):
    """The unknown-colour report of a merge equals one scan's (colours, ranking, files)."""
    strays = ([(250, 1, 2), (7, 7, 7), (9, 9, 9)], [(7, 7, 7), (1, 200, 3)])
    folders = colour_folders(tmp_path, strays)
    table = write_table(tmp_path, "csv")
    merged, whole = merged_and_whole(folders, colors=table, on_unknown_color="report")
    assert whole["unknown_colors"]["colors"] == 4
    assert merged["unknown_colors"] == whole["unknown_colors"]


def test_truncated_unknown_colour_reports_are_refused(tmp_path):
    """Reports listing only their largest colours cannot be merged exactly: refused."""
    from maskstats.readers.colors import MAX_COLORS

    many = [(200, 2 * i, 3) for i in range(MAX_COLORS + 2)]
    table = write_table(tmp_path, "csv")
    rgb, _ = rgb_mask(np.random.default_rng(1), stray=many)
    (tmp_path / "a").mkdir()
    Image.fromarray(rgb).save(tmp_path / "a" / "m.png")
    (tmp_path / "x").mkdir()
    (b,) = colour_folders(tmp_path / "x", ([(7, 7, 7)],))
    sa = maskstats.scan([tmp_path / "a"], jobs=1, colors=table, on_unknown_color="report")
    sb = maskstats.scan([b], jobs=1, colors=table, on_unknown_color="report")
    assert sa.extra["unknown_colors"]["colors"] == MAX_COLORS + 2
    with pytest.raises(UsageProblem, match="largest"):
        sa.merge(sb)


def test_unknown_entries_merge_only_when_additive_or_equal():
    """Integer counters add, equal values stay, anything else is refused."""
    def stats(**extra):
        return Stats([1], [1], [1], num_images=1, total_pixels=1, paths=[str(extra)],
                     extra=extra)

    assert stats(note="x", n={"a": 1}).merge(stats(note="x", n={"a": 2, "b": 1})).extra == {
        "note": "x", "n": {"a": 3, "b": 1}}
    with pytest.raises(UsageProblem, match="'labels'"):
        stats(labels=[1, 2]).merge(stats(labels=[3]))


def test_merge_cli_of_objects_scans_writes_the_merged_quantiles(tmp_path, run):
    """`maskstats merge` of two --objects scans writes what one scan of both writes."""
    pytest.importorskip("cc3d")
    a, b = two_folders(tmp_path)
    for name, folder in (("a", a), ("b", b), ("all", tmp_path)):
        result = run("scan", folder, "--objects", "--ignore-index", "255",
                     "-o", tmp_path / f"{name}.json", "-q")
        assert result.exit_code == 0, result.stderr
    result = run("merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json",
                 "-q")
    assert result.exit_code == 0 and result.stderr == ""
    merged = json.loads((tmp_path / "m.json").read_text())
    whole = json.loads((tmp_path / "all.json").read_text())
    for key in OBJECT_KEYS:
        assert merged[key] == whole[key], key


def test_report_draws_merged_quantiles_with_nulls(tmp_path, run, monkeypatch):
    """A merge whose p10/p50/p90 are null still gives a report with the object section."""
    pytest.importorskip("cc3d")
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(object_sizes, "SIZE_TABLE_LIMIT", 1)
    a, b = (maskstats.scan([f], jobs=1, ignore_index=[255], objects=True)
            for f in two_folders(tmp_path))
    merged = a.merge(b)
    assert any(q and q["p50"] is None for q in merged.extra["object_pixels_quantiles"])
    merged.save(tmp_path / "m.json")
    result = run("report", tmp_path / "m.json", "-o", tmp_path / "r.html")
    assert result.exit_code == 0, result.stderr
    page = (tmp_path / "r.html").read_text()
    assert 'id="object-sizes' in page or "object-sizes" in page
    assert "min and max are exact" in page  # the reason the boxes are missing


@pytest.mark.parametrize("extra", [
    {"object_counts": ["x"], "objects": {}},
    {"object_counts": [1], "object_pixels_quantiles": [[1, 2, 3]], "objects": {}},
    {"object_counts": [1], "object_sizes": [[[0, "a"]]], "objects": {}},
    {"unknown_colors": {"pixels": 1}},
])
def test_malformed_entries_are_one_error_line(tmp_path, run, extra):
    """A hand-edited, malformed entry gives one Error line naming the file and the entry
    (exit 1) as the stats are read, never a traceback."""
    good = {"object_counts": [1], "object_pixels_quantiles": [{"min": 2, "max": 2}],
            "object_sizes": [[[2, 1]]], "objects": {},
            "unknown_colors": {"pixels": 1, "colors": 1, "top": {"#000001": {
                "pixels": 1, "images": 1, "files": []}}}}
    for name, entries in (("a", extra), ("b", {key: good[key] for key in extra})):
        Stats([1], [1], [1], num_images=1, total_pixels=1, paths=[name],
              extra=entries).save(tmp_path / f"{name}.json")
    result = run("merge", tmp_path / "a.json", tmp_path / "b.json", "-o", tmp_path / "m.json")
    assert result.exit_code == 1, result.stderr
    assert any(result.stderr.startswith(f"Error: {tmp_path / 'a.json'}: {key}: ")
               for key in extra), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "m.json").exists()
