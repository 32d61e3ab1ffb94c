"""maskstats report: the sections each input kind gets, the numbers behind them, bad inputs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import blob_mask, save_png
from report_inputs import (external_refs, plots, save, sections, stats_dict, table_counts,
                           write_table)

pytest.importorskip("matplotlib")

from maskstats.report import build_report  # noqa: E402
from maskstats.report.data import jensen_shannon, prepare  # noqa: E402
from maskstats.core.stats import Stats  # noqa: E402
from maskstats.table.load import load_table  # noqa: E402

SIZE = 4096


@pytest.fixture
def rng():
    return np.random.default_rng(15)


def svg_texts(html: str, plot: str) -> list[str]:
    """The text elements of one plot (text is kept as text: fonttype 'none')."""
    fig = re.search(rf'<figure id="plot-{plot}".*?</figure>', html, re.S).group(0)
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>",
                                                               fig, re.S)]


@pytest.fixture
def scanned(tmp_path, rng, run):
    """A scan of generated masks with class 4 absent (classes 0-5), as a stats file."""
    arrays = []
    for i in range(12):
        a = blob_mask(rng, classes=4)
        a[0, :3] = 5
        a[1, 0] = 255
        arrays.append(a)
        save_png(tmp_path / "m" / f"{i:02d}.png", a)
    out = tmp_path / "stats.json"
    result = run("scan", tmp_path / "m", "--ignore-index", "255", "-o", out, "-q",
                 "--no-progress")
    assert result.exit_code == 0, result.output
    return out, arrays


def test_pixel_stats_report_has_the_class_and_weight_sections(scanned, tmp_path, run):
    """Stats alone give summary, classes and weights, every class labelled, class 4 absent."""
    path, arrays = scanned
    out = tmp_path / "r.html"
    result = run("report", path, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {out}\n"
    html = out.read_text()
    assert sections(html) == ["summary", "classes", "weights"]
    assert plots(html) == ["shares", "weights", "loss-share"]
    labels = svg_texts(html, "shares")
    for c in (0, 1, 2, 3, 5):
        assert str(c) in labels
    assert "4" not in labels  # class 4 is absent: folded into one line under the plot
    assert "1 absent class (0 pixels), not drawn: 4</p>" in html
    total = sum(a.size for a in arrays)
    ignored = sum(int((a == 255).sum()) for a in arrays)
    assert f"<dd>{total:,}</dd>" in html
    assert f"{ignored:,} (values 255)" in html
    assert "<dd>1: 4</dd>" in html  # absent classes
    assert external_refs(html) == []
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids repeat between plots"


def test_shares_and_weights_match_independent_formulas(scanned):
    """Pixel/image shares and the loss share after inverse-frequency follow their formulas."""
    path, arrays = scanned
    data = prepare(Stats.load(path))
    flat = np.concatenate([a.ravel() for a in arrays])
    flat = flat[flat != 255]
    n = np.bincount(flat, minlength=6).astype(float)
    np.testing.assert_allclose(data.pixel_share, n / n.sum())
    holding = np.array([sum(int((a == c).any()) for a in arrays) for c in range(6)])
    np.testing.assert_allclose(data.image_share, holding / len(arrays))
    present = n > 0
    # inverse frequency: every present class carries 1/C of the loss
    np.testing.assert_allclose(data.loss_after["inverse-frequency"][present],
                               1 / present.sum())
    np.testing.assert_allclose(data.loss_before, n / n.sum())
    w = data.weights["inverse-frequency"]
    np.testing.assert_allclose(w[present].mean(), 1.0)
    np.testing.assert_allclose(w[present] * n[present], (w[present] * n[present])[0])
    assert data.order[-1] == 4 and data.status[4] == "absent"
    assert list(data.order[:5]) == sorted(np.nonzero(present)[0], key=lambda c: -n[c])


def test_voxel_stats_say_volumes_and_voxels(tmp_path, rng):
    """Voxel stats are reported in voxels per volume."""
    counts, ignored, _ = table_counts(rng, 6, 3, SIZE)
    html = build_report(stats_dict(counts, ignored, SIZE, unit="voxels", ignore_index=()))
    assert sections(html) == ["summary", "classes", "weights"]
    assert "<dt>volumes</dt><dd>6</dd>" in html
    assert "share of voxels (log)" in svg_texts(html, "shares")
    assert "share of volumes holding the class (log)" in svg_texts(html, "shares")


def test_sample_stats_show_one_share_panel(tmp_path, run):
    """Labels stats (samples) get one share panel and class names in the plots."""
    rows = ["label"] + ["cat"] * 7 + ["dog"] * 3 + ["emu"]
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n")
    stats = tmp_path / "s.json"
    assert run("labels", tmp_path / "l.csv", "-o", stats, "-q").exit_code == 0
    out = tmp_path / "r.html"
    assert run("report", stats, "-o", out).exit_code == 0
    html = out.read_text()
    texts = svg_texts(html, "shares")
    assert {"0 cat", "1 dog", "2 emu", "share of samples (log)"} <= set(texts)
    assert not any("holding" in t for t in texts)
    assert "<dt>samples</dt><dd>11</dd>" in html


def test_table_sections_numbers(tmp_path, rng):
    """Classes per image, per-class quantiles and co-occurrence come from the table's rows."""
    counts, ignored, _ = table_counts(rng, 40, 5, SIZE, absent=(3,))
    sha = write_table(tmp_path / "images.csv", counts, ignored, SIZE)
    stats = Stats.from_dict(stats_dict(counts, ignored, SIZE, table_sha=sha))
    data = prepare(stats, load_table(tmp_path / "images.csv"))
    per_row = [(row > 0).sum() for row in counts]
    assert data.classes_per_image.tolist() == [per_row.count(k) for k in range(6)]
    for c in range(5):
        held = counts[counts[:, c] > 0, c]
        if held.size:
            np.testing.assert_allclose(data.pixels_quantiles[c],
                                       np.percentile(held, [0, 10, 25, 50, 75, 90, 100]))
        else:
            assert np.isnan(data.pixels_quantiles[c]).all()
        for d in range(5):
            both = sum(1 for row in counts if row[c] > 0 and row[d] > 0)
            assert data.cooccurrence[data.order.index(c), data.order.index(d)] == both
    html = build_report(stats, tmp_path / "images.csv", sections=["summary", "per-image"])
    assert sections(html) == ["summary", "per-image"]
    assert plots(html) == ["classes-per-image", "pixels-per-image", "cooccurrence"]
    assert sections(build_report(stats, tmp_path / "images.csv", sections=["summary"])) == [
        "summary"]


def test_object_sections_from_stats_and_table(tmp_path, rng):
    """Object counts, sizes and objects per image appear with scan --objects data."""
    counts, ignored, objs = table_counts(rng, 30, 4, SIZE, objects=True)
    sha = write_table(tmp_path / "images.csv", counts, ignored, SIZE, objs)
    keys = ("min", "p10", "p50", "p90", "max")
    quant = [[1, 2.5, 10.0, 40.5, 90], dict(zip(keys, [3, 3, 3, 3, 3])), None,
             [2, 4.0, 8.0, 16.0, 32]]
    doc = stats_dict(counts, ignored, SIZE, table_sha=sha,
                     object_counts=objs.sum(axis=0).tolist(), object_pixels_quantiles=quant)
    html = build_report(doc, tmp_path / "images.csv", sections=["classes", "objects"])
    assert sections(html) == ["classes", "objects"]
    assert "<th>objects</th>" in html
    for n in objs.sum(axis=0):
        assert f"<td>{n:,}</td></tr>" in html  # the last column of the class table
    assert plots(html) == ["shares", "object-counts", "object-sizes", "objects-per-image"]
    data = prepare(Stats.from_dict(doc), load_table(tmp_path / "images.csv"))
    np.testing.assert_array_equal(data.object_counts, objs.sum(axis=0))
    assert np.isnan(data.object_quantiles[2]).all()
    np.testing.assert_array_equal(data.object_quantiles[0], quant[0])
    np.testing.assert_array_equal(data.object_quantiles[1], [3, 3, 3, 3, 3])  # dict form
    for c in range(4):
        held = objs[objs[:, c] > 0, c]
        np.testing.assert_allclose(data.objects_per_image[c, [0, 3, 6]],
                                   [held.min(), np.median(held), held.max()])


def test_object_section_from_stats_alone(rng):
    """object_counts without a table still give the objects section (counts only)."""
    counts, ignored, objs = table_counts(rng, 10, 3, SIZE, objects=True)
    html = build_report(stats_dict(counts, ignored, SIZE,
                                   object_counts=objs.sum(axis=0).tolist()))
    assert sections(html)[-1] == "objects"
    assert plots(html)[-1] == "object-counts"


def test_compare_section_and_divergence(tmp_path, rng, run):
    """--compare adds per-file shares and the Jensen-Shannon divergence (scipy's, squared)."""
    distance = pytest.importorskip("scipy.spatial.distance")
    a, ia, _ = table_counts(rng, 20, 4, SIZE)
    b, ib, _ = table_counts(rng, 8, 4, SIZE, absent=(2,))
    main = save(tmp_path / "train.json", stats_dict(a, ia, SIZE))
    other = save(tmp_path / "val.json", stats_dict(b, ib, SIZE))
    out = tmp_path / "r.html"
    assert run("report", main, "--compare", other, "-o", out).exit_code == 0
    html = out.read_text()
    assert sections(html)[-1] == "compare"
    assert plots(html)[-2:] == ["compare-pixel-share", "compare-image-share"]
    pa, pb = a.sum(axis=0) / a.sum(), b.sum(axis=0) / b.sum()
    expected = distance.jensenshannon(pa, pb, base=2) ** 2
    assert f"<td>{expected:.6f}</td>" in html
    assert jensen_shannon(pa, pb) == pytest.approx(expected, abs=1e-12)
    assert jensen_shannon(pa, pa) == 0.0
    assert jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)
    assert {"train.json", "val.json"} <= set(svg_texts(html, "compare-pixel-share"))


def test_150_classes_every_class_in_every_per_class_plot(tmp_path, rng):
    """With 150 classes no present class is cut from any per-class plot (the absent one is
    folded into a line, except in the comparison); the plots scroll."""
    counts, ignored, objs = table_counts(rng, 60, 150, 1 << 16, absent=(149,), objects=True)
    sha = write_table(tmp_path / "images.csv", counts, ignored, 1 << 16, objs)
    names = [f"name{c}" for c in range(150)]
    doc = stats_dict(counts, ignored, 1 << 16, names=names, table_sha=sha,
                     object_counts=objs.sum(axis=0).tolist())
    html = build_report(doc, tmp_path / "images.csv", [Stats.from_dict(doc)])
    for plot in ("shares", "weights", "loss-share", "pixels-per-image", "cooccurrence",
                 "object-counts", "objects-per-image", "compare-pixel-share"):
        texts = set(svg_texts(html, plot))
        drawn = range(150) if plot.startswith("compare") else range(149)
        missing = [c for c in drawn if f"{c} name{c}" not in texts]
        assert missing == [], (plot, missing[:5])
        assert plot.startswith("compare") or "149 name149" not in texts
        fig = re.search(rf'<figure id="plot-{plot}".*?</figure>', html, re.S).group(0)
        assert '<div class="scroll">' in fig
    assert html.count("<tr") - html.count("<thead><tr") >= 150  # the full table, every row
    assert "1 absent class (0 pixels), not drawn: 149 name149</p>" in html


def test_stats_from_stdin(tmp_path, run, scanned):
    """'-' reads the stats from stdin; '-o -' writes the HTML to stdout."""
    path, _ = scanned
    result = run("report", "-", "-o", "-", input=path.read_bytes())
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "&lt;stdin&gt;" in result.stdout


def test_edge_cases_one_class_no_present_class_and_markup_in_names():
    """One class, no present class, and names with markup all give a page, names escaped."""
    base = {"format": "maskstats-stats", "version": 1, "num_images": 3, "total_pixels": 30,
            "ignore_index": [], "ignored_pixels": 0, "unexpected": {}, "unit": "pixels",
            "options": {}}

    def doc(counts, names):
        return dict(base, pixel_counts=counts, image_counts=[3 if c else 0 for c in counts],
                    image_pixels=[30 if c else 0 for c in counts], class_names=names)

    one = build_report(doc([30], ["<b>&x"]))
    assert "<b>&x" not in one and "0 &lt;b&gt;&amp;x" in svg_texts(one, "shares")
    empty = build_report(doc([0, 0], None))
    assert sections(empty) == ["summary", "classes", "weights"]
    assert "No weights: no present class" in empty
    assert plots(empty) == ["shares"]


def test_report_of_a_real_objects_scan(tmp_path, run):
    """scan --objects --per-image feeds the objects sections; counts match scipy's labelling."""
    pytest.importorskip("cc3d")
    ndimage = pytest.importorskip("scipy.ndimage")
    a = np.zeros((20, 30), np.uint8)
    a[2:5, 2:5] = 1
    a[10:12, 10:20] = 1
    a[15:18, 25:28] = 2
    np.save(tmp_path / "m.npy", a)
    stats, table = tmp_path / "s.json", tmp_path / "t.csv"
    result = run("scan", tmp_path / "m.npy", "--layout", "mask", "--objects", "--per-image",
                 table, "-o", stats, "-q")
    assert result.exit_code == 0, result.output
    html = build_report(stats, table)
    assert sections(html)[-1] == "objects"
    assert plots(html)[-3:] == ["object-counts", "object-sizes", "objects-per-image"]
    data = prepare(Stats.load(stats), load_table(table))
    eight = np.ones((3, 3))
    expected = [ndimage.label(a == c, structure=eight)[1] for c in range(3)]
    np.testing.assert_array_equal(data.object_counts, expected)
    sizes = sorted([9, 20])  # class 1: a 3x3 and a 2x10 block
    np.testing.assert_array_equal(data.object_quantiles[1, [0, 4]], sizes)


def test_objects_per_image_bins_when_most_counts_are_1(tmp_path, rng):
    """Objects per image are shown as shares of the images holding the class with 1, 2,
    3-5, 6-20, >20 objects: readable when nearly every image holds one object."""
    from maskstats.report.data import OBJECT_BINS, object_bins

    counts, ignored, objs = table_counts(rng, 80, 4, 1 << 12, objects=True)
    objs = np.where(counts > 0, 1, 0)
    objs[:3, 1] = [2, 4, 30]  # three images of class 1 hold more
    bins = object_bins(objs)
    holding = (objs > 0).sum(axis=0)
    assert bins[1].tolist() == pytest.approx([(holding[1] - 3) / holding[1], 1 / holding[1],
                                              1 / holding[1], 0.0, 1 / holding[1]])
    assert bins[0].tolist() == pytest.approx([1.0, 0, 0, 0, 0])
    assert len(OBJECT_BINS) == bins.shape[1]
    sha = write_table(tmp_path / "images.csv", counts, ignored, 1 << 12, objs)
    doc = stats_dict(counts, ignored, 1 << 12, table_sha=sha,
                     object_counts=objs.sum(axis=0).tolist())
    html = build_report(doc, tmp_path / "images.csv")
    texts = svg_texts(html, "objects-per-image")
    assert {"1", "2", "3-5", "6-20", "&gt;20"} <= set(texts)  # escaped in the SVG


def test_many_absent_classes_fold_into_one_line(tmp_path, rng):
    """150 classes of which 134 are absent: the plots draw 16 rows and one line names the
    134 absent classes (by ranges of names, the first 40)."""
    counts, ignored, _ = table_counts(rng, 30, 150, 1 << 16, absent=range(16, 150))
    doc = stats_dict(counts, ignored, 1 << 16)
    html = build_report(doc)
    texts = svg_texts(html, "shares")
    assert "15" in texts and "16" not in texts and "149" not in texts
    assert "134 absent classes (0 pixels), not drawn: " in html
    assert "(94 more)</p>" in html
