"""`maskstats sample-weights`, the method registry and the balanced solver."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest

import maskstats
from maskstats.sampling import get_method, list_methods, sample_weights
from perimage_data import random_counts, write_stats, write_table


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln]


def lvis_repeat_factors(counts: np.ndarray, t: float) -> list[float]:
    """The LVIS / detectron2 rule written out with sets and dicts (images without classes: 1)."""
    n = len(counts)
    cats = [{c for c, v in enumerate(row) if v > 0} for row in counts.tolist()]
    freq: dict[int, float] = {}
    for s in cats:
        for c in s:
            freq[c] = freq.get(c, 0) + 1
    rep = {c: max(1.0, math.sqrt(t / (v / n))) for c, v in freq.items()}
    return [max((rep[c] for c in s), default=1.0) for s in cats]


def objective(p: np.ndarray, counts: np.ndarray) -> float:
    """sum_c log s_c over the present classes, s_c = sum_i p_i x_ic / sum_i p_i X_i."""
    present = counts.sum(axis=0) > 0
    s = p @ counts[:, present]
    return float(np.log(s / s.sum()).sum())


@pytest.fixture
def skewed(tmp_path):
    """A 300-row, 8-class table with a dominant class 0 and rare tail classes."""
    rng = np.random.default_rng(11)
    counts = random_counts(rng, 300, 8, density=0.25, high=3000)
    counts[:, 0] += rng.integers(20_000, 60_000, 300)
    counts[rng.random(300) < 0.7, 6:] = 0
    return write_table(tmp_path / "images.csv", counts), counts


@pytest.mark.parametrize("t", [0.001, 0.05, 0.3, 1.0])
def test_repeat_factor_equals_the_lvis_rule(skewed, t):
    """repeat-factor gives exactly max_c max(1, sqrt(t / f_c)) per image."""
    path, counts = skewed
    counts = counts.copy()
    w = sample_weights(path, "repeat-factor", t=t, on_warning=lambda _m: None).weights
    assert w.tolist() == pytest.approx(lvis_repeat_factors(counts, t), rel=1e-12)


def test_inverse_presence_equals_its_formula(skewed):
    """inverse-presence gives max over the image's classes of n / image_count_c."""
    path, counts = skewed
    n = len(counts)
    held = (counts > 0).sum(axis=0)
    want = [max(n / held[c] for c in range(8) if row[c] > 0) for row in counts]
    assert sample_weights(path, "inverse-presence").weights.tolist() == pytest.approx(want)


@pytest.mark.parametrize("a, b, n_a, n_b, max_ratio, min_ratio", [
    (100, 900, 10, 10, 10.0, 0.0),    # optimum inside the box: shares become exactly 1/2
    (50, 5000, 30, 20, 10.0, 0.0),    # inside the box, unequal group sizes
    (10, 10_000, 50, 50, 1.5, 0.0),   # the cap binds: group A gets all it may, 50 * 1.5 / 100
    (10_000, 10, 50, 50, 10.0, 0.5),  # the floor binds: group A keeps 50 * 0.5 / 100
    (100, 900, 10, 10, 10.0, 0.2),    # a floor that does not bind changes nothing
])
def test_balanced_reaches_the_analytic_optimum(tmp_path, a, b, n_a, n_b, max_ratio, min_ratio):
    """Two disjoint groups (class 0 only, class 1 only): the optimum mass on group A is
    b / (a + b) (equal shares), clipped to what the cap and the floor allow."""
    counts = np.zeros((n_a + n_b, 2), np.int64)
    counts[:n_a, 0] = a
    counts[n_a:, 1] = b
    n = n_a + n_b
    hi, lo = max_ratio / n, min_ratio / n
    alpha = min(max(b / (a + b), n_a * lo, 1 - n_b * hi), n_a * hi, 1 - n_b * lo)
    path = write_table(tmp_path / "two.csv", counts)
    r = sample_weights(path, "balanced", max_ratio=max_ratio, min_ratio=min_ratio, tol=1e-9)
    p = r.probabilities
    assert p[:n_a].sum() == pytest.approx(alpha, abs=1e-6)
    assert p.max() <= hi * (1 + 1e-12) and p.min() >= lo * (1 - 1e-9)
    shares = np.array(r.inputs.info["shares"])
    want = np.array([alpha * a, (1 - alpha) * b]) / (alpha * a + (1 - alpha) * b)
    assert shares == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("min_ratio", [0.1, 0.5, 1.0])
def test_balanced_respects_min_ratio(skewed, min_ratio):
    """With min_ratio, no probability falls below min_ratio / n, and the optimum is no
    better than without the floor (a smaller feasible set)."""
    path, counts = skewed
    n = len(counts)
    free = sample_weights(path, "balanced", min_ratio=0, tol=1e-7)
    r = sample_weights(path, "balanced", min_ratio=min_ratio, tol=1e-7)
    p = r.probabilities
    assert p.min() >= min_ratio / n * (1 - 1e-9) and p.max() <= 10 / n * (1 + 1e-9)
    assert p.sum() == pytest.approx(1.0)
    assert objective(p, counts) <= objective(free.probabilities, counts) + 1e-6
    if min_ratio == 1.0:
        assert p == pytest.approx(np.full(n, 1 / n))


@pytest.mark.parametrize("max_ratio", [1.0, 2.0, 10.0, 100.0])
def test_balanced_respects_max_ratio_and_beats_uniform(skewed, max_ratio):
    """No probability exceeds max_ratio / n, they sum to 1, and the smallest class share and
    sum_c log s_c are at least what uniform sampling gives."""
    path, counts = skewed
    n = len(counts)
    r = sample_weights(path, "balanced", max_ratio=max_ratio)
    p = r.probabilities
    assert p.sum() == pytest.approx(1.0) and (p >= 0).all()
    assert p.max() <= max_ratio / n * (1 + 1e-9)
    assert r.weights.max() <= max_ratio * (1 + 1e-9)
    uniform = np.full(n, 1 / n)
    s_uniform = uniform @ counts / (uniform @ counts).sum()
    s = p @ counts / (p @ counts).sum()
    assert objective(p, counts) >= objective(uniform, counts) - 1e-12
    if max_ratio > 1:
        assert s.min() > 2 * s_uniform.min()
    assert r.inputs.info["gap"] <= 1e-4


def test_balanced_is_no_worse_than_a_generic_solver(tmp_path):
    """On a small random table, scipy's SLSQP finds no better sum_c log s_c than ours."""
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(5)
    counts = random_counts(rng, 25, 4, density=0.5, high=1000)
    counts[:, 0] += 5000
    path = write_table(tmp_path / "small.csv", counts)
    cap = 3.0 / 25
    ours = sample_weights(path, "balanced", max_ratio=3, min_ratio=0, tol=1e-9).probabilities
    res = optimize.minimize(lambda p: -objective(np.maximum(p, 1e-300), counts),
                            np.full(25, 1 / 25), method="SLSQP", bounds=[(0, cap)] * 25,
                            constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1}],
                            options={"maxiter": 500, "ftol": 1e-12})
    assert objective(ours, counts) >= -res.fun - 1e-7


def test_empty_images_get_the_smallest_weight_and_a_warning(tmp_path, run):
    """Rows with only ignored pixels get each method's smallest weight (1 for the repeat
    factors, as detectron2 gives them; the smallest other weight for balanced), reported."""
    counts = np.array([[10, 0], [0, 0], [5, 1], [0, 0], [7, 0]])
    ignored = np.array([0, 400, 0, 300, 0])
    path = write_table(tmp_path / "e.csv", counts, ignored=ignored)
    for method in list_methods():
        result = run("sample-weights", path, "--method", method, "-f", "txt")
        assert result.exit_code == 0, result.stderr
        w = [float(v) for v in lines(result.stdout)]
        smallest = min(w[0], w[2], w[4]) if method == "balanced" else 1.0
        assert w[1] == w[3] == smallest <= min(w[0], w[2], w[4])
        assert "Warning: 2 image(s) hold no counted class" in result.stderr
        assert "img_001.png, img_003.png" in result.stderr
    assert sample_weights(path, "repeat-factor", on_warning=lambda m: None).weights[1] == 1.0


def test_ignore_values_from_stats_never_become_classes(tmp_path):
    """A class id the stats list as an ignore value plays no part in the weights."""
    counts = np.array([[10, 0, 3], [8, 2, 0], [9, 0, 0], [7, 0, 0]])
    path = write_table(tmp_path / "i.csv", counts)
    stats = write_stats(tmp_path / "s.json", path, counts, ignore_index=[2])
    w = sample_weights(path, "repeat-factor", stats=stats, t=1.0).weights
    assert w.tolist() == pytest.approx(lvis_repeat_factors(counts[:, :2], 1.0))
    r = sample_weights(path, "inverse-presence", stats=stats)
    assert r.inputs.classes.tolist() == [0, 1]


@pytest.mark.parametrize("args, fragment", [
    (["--method", "repeat-factor", "--param", "t=0"], "t must be greater than 0"),
    (["--method", "repeat-factor", "--param", "t=-1"], "t must be greater than 0"),
    (["--method", "balanced", "--param", "max_ratio=0.5"], "max_ratio must be at least 1"),
    (["--method", "balanced", "--param", "min_ratio=2"], "min_ratio must lie between 0 and 1"),
    (["--method", "balanced", "--param", "beta=2"], "has no parameter beta"),
    (["--method", "repeat-factor", "--param", "t=abc"], "is not a number"),
    (["--method", "nope"], "nope"),
    ([], "--method"),
    (["--method", "balanced", "-f", "npy"], "-o FILE"),
])
def test_bad_parameters_exit_2(skewed, run, tmp_path, args, fragment):
    """Out-of-range or unknown parameters and methods are usage errors (exit 2), no output."""
    path, _ = skewed
    result = run("sample-weights", path, *args)
    assert result.exit_code == 2 and fragment in result.stderr
    assert result.stdout == ""


def test_json_output_has_provenance(skewed, run, tmp_path):
    """The JSON holds method, formula, params, weights, paths, frames and the table sha256."""
    path, counts = skewed
    out = tmp_path / "w.json"
    result = run("sample-weights", path, "--method", "repeat-factor", "--param", "t=0.1",
                 "-o", out)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["format"] == "maskstats-sample-weights" and doc["version"] == 1
    assert doc["method"] == "repeat-factor" and doc["params"] == {"t": 0.1}
    assert doc["formula"] == get_method("repeat-factor").formula
    assert doc["weights"] == pytest.approx(lvis_repeat_factors(counts, 0.1))
    assert doc["paths"] == [f"img_{i:03d}.png" for i in range(300)]
    assert doc["frames"] == [0] * 300
    assert doc["source"]["table"] == str(path)
    assert doc["source"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("method", ["repeat-factor", "inverse-presence", "balanced"])
def test_every_format_round_trips(skewed, run, tmp_path, method):
    """NPY, CSV, txt and list hold the same float64 weights as the JSON, in table order."""
    path, _ = skewed
    run("sample-weights", path, "--method", method, "-o", tmp_path / "w.json")
    want = json.loads((tmp_path / "w.json").read_text())["weights"]
    assert run("sample-weights", path, "--method", method, "-o", tmp_path / "w.npy"
               ).exit_code == 0
    npy = np.load(tmp_path / "w.npy")
    assert npy.dtype == np.float64 and npy.tolist() == want
    run("sample-weights", path, "--method", method, "-o", tmp_path / "w.csv")
    rows = lines((tmp_path / "w.csv").read_text())
    assert rows[0] == "path,frame,weight"
    assert [float(r.split(",")[2]) for r in rows[1:]] == want
    assert [r.split(",")[0] for r in rows[1:]] == [f"img_{i:03d}.png" for i in range(300)]
    txt = run("sample-weights", path, "--method", method, "-f", "txt").stdout
    assert [float(v) for v in lines(txt)] == want
    listed = run("sample-weights", path, "--method", method, "-f", "list").stdout
    assert json.loads(listed) == want


def test_extension_contradicting_format_is_a_usage_error(skewed, run, tmp_path):
    """-f json with -o w.npy is exit 2 and writes nothing."""
    path, _ = skewed
    result = run("sample-weights", path, "--method", "balanced", "-o", tmp_path / "w.npy",
                 "-f", "json")
    assert result.exit_code == 2 and not (tmp_path / "w.npy").exists()


def test_explain_shows_shares_before_and_after(skewed, run):
    """explain() gives each class's pixel and image shares, uniform vs weighted."""
    path, counts = skewed
    r = sample_weights(path, "balanced")
    p = r.probabilities
    rows = r.explain()
    assert [row["class"] for row in rows] == list(range(8))
    pix = p @ counts / (p @ counts).sum()
    img = p @ (counts > 0)
    for row in rows:
        c = row["class"]
        assert row["pixels_after"] == pytest.approx(pix[c])
        assert row["images_after"] == pytest.approx(img[c])
        assert row["pixels_before"] == pytest.approx(counts[:, c].sum() / counts.sum())
        assert row["images_before"] == pytest.approx((counts[:, c] > 0).mean())
    result = run("sample-weights", path, "--method", "balanced", "--explain", "-f", "list")
    assert result.exit_code == 0
    assert "balanced sampling" in result.stderr and "smallest / largest" in result.stderr
    json.loads(result.stdout)  # stdout holds only the weights


def test_list_prints_every_method(run):
    """--list shows every registered method with its formula."""
    result = run("sample-weights", "--list")
    assert result.exit_code == 0
    for name in list_methods():
        assert name in result.stdout and get_method(name).formula in result.stdout


def test_python_api(skewed):
    """maskstats.load_table and maskstats.sample_weights work without the CLI."""
    path, counts = skewed
    table = maskstats.load_table(path)
    assert (table.counts == counts).all()
    r = maskstats.sample_weights(table, method="repeat-factor", t=0.2)
    assert r.weights.tolist() == pytest.approx(lvis_repeat_factors(counts, 0.2))
    assert r.to_dict()["method"] == "repeat-factor" and len(r.explain()) == 8
    assert "balanced" in maskstats.list_sampling_methods()


def test_scan_table_images_and_sample_weights_end_to_end(tmp_path, run):
    """scan --per-image, then images and sample-weights --stats: the image sets and repeat
    factors follow from the generated masks, the ignore value is never a class, and an
    edited table no longer matches the stats."""
    from PIL import Image

    rng = np.random.default_rng(21)
    masks, names = [], []
    for i in range(12):
        a = np.zeros((16, 20), np.uint8)
        for c in rng.choice([1, 2, 3, 4], size=int(rng.integers(0, 3)), replace=False):
            a[rng.integers(0, 8):, rng.integers(0, 10):][:4, :5] = c
        a[0, :3] = 255
        names.append(f"m{i:02d}.png")
        Image.fromarray(a).save(tmp_path / names[-1])
        masks.append(a)
    stats, table = tmp_path / "stats.json", tmp_path / "images.csv"
    result = run("scan", tmp_path, "--ignore-index", 255, "--per-image", table, "-o", stats,
                 "--no-progress", "-q")
    assert result.exit_code == 0, result.stderr
    held = np.array([[int((m == c).sum()) for c in range(5)] for m in masks])
    for c in range(1, 5):
        out = run("images", table, "--stats", stats, "--class", c)
        assert out.exit_code == 0, out.stderr
        assert lines(out.stdout) == [n for n, h in zip(names, held) if h[c] > 0]
    out = tmp_path / "w.json"
    assert run("sample-weights", table, "--stats", stats, "--method", "repeat-factor",
               "--param", "t=0.4", "-o", out).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["paths"] == names
    assert doc["weights"] == pytest.approx(lvis_repeat_factors(held, 0.4))
    assert 255 not in doc["classes"]
    table.write_text(table.read_text().replace("m00.png", "x00.png"))
    result = run("images", table, "--stats", stats, "--class", 1)
    assert result.exit_code == 1 and "sha256 differs" in result.stderr
