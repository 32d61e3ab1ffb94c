"""`maskstats weights` and `maskstats schemes` through the CLI, with real files."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from maskstats.cli import cli
from maskstats.weights.schemes import list_schemes
from maskstats.core.stats import Stats

COUNTS = [198, 436, 710, 272]


def _strict(text: str):
    """json.loads that refuses NaN and Infinity, like strict parsers do."""
    def reject(name):
        raise ValueError(f"{name} in output")

    return json.loads(text, parse_constant=reject)


@pytest.fixture
def w_run():
    """Invoke the CLI in-process; stdout and stderr are kept apart."""
    runner = CliRunner()

    def _run(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input)

    return _run


@pytest.fixture
def w_stats(tmp_path):
    """A stats file written by hand (two named classes, one absent, 255 ignored)."""
    stats = Stats(pixel_counts=[600, 0, 200, 200], image_counts=[3, 0, 2, 1],
                  image_pixels=[1200, 0, 800, 400], num_images=3, total_pixels=1250,
                  ignore_index=[255], ignored_pixels=50,
                  class_names=["road", "rail", "car", "sky"])
    path = tmp_path / "maskstats.json"
    stats.save(path)
    return path


def _one_error_line(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: ") and "Traceback" not in result.stderr
    if code == 1:
        assert len(lines) == 1
    for needle in needles:
        assert needle in lines[-1]


# ----------------------------------------------------------------------------- inputs
def test_counts_to_json(w_run):
    """--counts gives the weights JSON on stdout, strict, with null source."""
    result = w_run("weights", "--counts", "500000,31000", "--normalize", "sum")
    assert result.exit_code == 0, result.output
    d = _strict(result.stdout)
    assert d["format"] == "maskstats-weights" and d["version"] == 1
    assert d["scheme"] == "inverse-frequency" and d["normalize"] == "sum"
    np.testing.assert_allclose(d["weights"], [31000 / 531000, 500000 / 531000], rtol=1e-15)
    assert d["counts"] == [500000, 31000] and d["source"] == {"stats": None, "sha256": None}
    assert result.stderr == ""


def test_default_file_in_current_folder(w_run, w_stats, tmp_path, monkeypatch):
    """Without STATS, maskstats.json in the current folder is read, with provenance."""
    monkeypatch.chdir(tmp_path)
    result = w_run("weights", "--scheme", "inverse-max")
    assert result.exit_code == 0, result.output
    d = _strict(result.stdout)
    assert d["weights"] == [1.0, 0.0, 3.0, 3.0]
    assert d["absent"] == [1] and d["ignore_index"] == [255]
    assert d["class_names"] == ["road", "rail", "car", "sky"]
    assert d["source"]["stats"] == "maskstats.json"
    assert d["source"]["sha256"] == hashlib.sha256(w_stats.read_bytes()).hexdigest()


def test_stats_from_stdin(w_run, w_stats):
    """'-' reads the stats JSON from stdin (the scan | weights pipe)."""
    result = w_run("weights", "-", "--scheme", "median-frequency", "-f", "list",
                   input=w_stats.read_bytes())
    assert result.exit_code == 0, result.output
    g = [600 / 1200, 200 / 800, 200 / 400]  # median 0.5
    assert _strict(result.stdout) == pytest.approx([0.5 / g[0], 0, 0.5 / g[1], 0.5 / g[2]])
    json_out = _strict(w_run("weights", "-", input=w_stats.read_bytes()).stdout)
    assert json_out["source"] == {"stats": "<stdin>", "sha256":
                                  hashlib.sha256(w_stats.read_bytes()).hexdigest()}


def _write_masks(folder):
    """Two 8-bit PNG masks with 255 borders; returns the class counts, counted here."""
    from PIL import Image

    folder.mkdir()
    a = np.zeros((10, 10), np.uint8)
    a[:2] = 1
    a[5:, 5:] = 2
    a[0, 0] = 255
    b = np.zeros((10, 10), np.uint8)
    b[:5] = 2
    for name, arr in (("a.png", a), ("b.png", b)):
        Image.fromarray(arr).save(folder / name)
    both = np.concatenate([a.ravel(), b.ravel()])
    return [int((both == c).sum()) for c in range(3)]


def test_scan_then_weights_end_to_end(w_run, tmp_path, monkeypatch):
    """`scan dir/` then `weights` (default file), and `scan -o - | weights -`, agree."""
    counts = _write_masks(tmp_path / "masks")
    expected = [max(counts) / n for n in counts]
    monkeypatch.chdir(tmp_path)
    assert w_run("scan", "masks", "--ignore-index", "255", "--no-progress", "-q").exit_code == 0
    from_file = w_run("weights", "--scheme", "inverse-max")
    assert from_file.exit_code == 0, from_file.output
    d = _strict(from_file.stdout)
    assert d["counts"] == counts and d["weights"] == pytest.approx(expected)
    assert d["source"]["sha256"] == hashlib.sha256(
        (tmp_path / "maskstats.json").read_bytes()).hexdigest()
    scanned = w_run("scan", "masks", "--ignore-index", "255", "--no-progress", "-o", "-")
    piped = w_run("weights", "-", "--scheme", "inverse-max", "-f", "list",
                  input=scanned.stdout)
    assert piped.exit_code == 0, piped.output
    assert _strict(piped.stdout) == d["weights"]


def test_counts_and_stats_together_is_a_usage_error(w_run, w_stats):
    """STATS and --counts exclude each other."""
    _one_error_line(w_run("weights", w_stats, "--counts", "1,2"), 2, "not both")


# ---------------------------------------------------------------------------- formats
def test_npy_round_trip(w_run, tmp_path):
    """-f npy -o x.npy writes float32 by default (what PyTorch and Keras expect), float64
    with --dtype float64; numpy.load reads both back."""
    expected = [31000 / 500000, 500000 / 31000]
    out = tmp_path / "x.npy"
    result = w_run("weights", "--counts", "500000,31000", "--scheme", "pos-weight",
                   "-f", "npy", "-o", out)
    assert result.exit_code == 0, result.output
    w = np.load(out)
    assert w.dtype == np.float32 and w.tolist() == np.array(expected, np.float32).tolist()
    result = w_run("weights", "--counts", "500000,31000", "--scheme", "pos-weight",
                   "--dtype", "float64", "-o", out)
    assert result.exit_code == 0, result.output
    w = np.load(out)
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, expected, rtol=1e-15)


def test_npy_needs_output(w_run):
    """npy is binary: without -o it is a usage error."""
    _one_error_line(w_run("weights", "--counts", "1,2", "-f", "npy"), 2, "-o FILE")


def test_list_and_txt(w_run):
    """-f list is a bare JSON list; -f txt one weight per line; same numbers as JSON."""
    args = ("weights", "--counts", ",".join(map(str, COUNTS)), "--normalize", "sum")
    full = _strict(w_run(*args).stdout)["weights"]
    listed = w_run(*args, "-f", "list").stdout
    assert listed.startswith("[") and listed.count("\n") == 1
    assert _strict(listed) == full
    assert [float(x) for x in w_run(*args, "-f", "txt").stdout.split()] == full


def test_output_is_atomic_and_replaces(w_run, tmp_path):
    """-o replaces an existing file whole, leaves no temporary file, and a failed run
    leaves the old file untouched."""
    out = tmp_path / "w.json"
    out.write_text("old")
    assert w_run("weights", "--counts", "1,3", "-o", out).exit_code == 0
    assert _strict(out.read_text())["weights"] == [2.0, 2 / 3]
    assert sorted(os.listdir(tmp_path)) == ["w.json"]
    before = out.read_bytes()
    assert w_run("weights", tmp_path / "nope.json", "-o", out).exit_code == 1
    assert out.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["w.json"]


def test_unwritable_output_is_one_line(w_run, tmp_path):
    """A folder that does not exist is a clean error, not an internal one."""
    _one_error_line(w_run("weights", "--counts", "1,3", "-o", tmp_path / "no" / "w.json"),
                    1, "cannot write")


# ----------------------------------------------------------------------------- options
def test_params_missing_clip_ignore_num_classes(w_run):
    """Every option reaches the library and is recorded in the JSON."""
    result = w_run("weights", "--counts", "100,0,25", "--scheme", "enet", "--param", "k=1.2",
                   "--missing", "max", "--normalize", "max", "--clip", "0.5,0.9",
                   "--ignore-index", "255", "--num-classes", "4")
    assert result.exit_code == 0, result.output
    d = _strict(result.stdout)
    assert d["params"] == {"k": 1.2, "denominator": "present"}
    assert d["missing"] == "max" and d["clip"] == [0.5, 0.9]
    assert d["absent"] == [1, 3] and d["ignore_index"] == [255] and len(d["weights"]) == 4
    assert d["weights"][2] == 0.9 and d["weights"][1] == d["weights"][3] == 0.9
    assert d["weights"][0] == pytest.approx(max(0.5, (1 / np.log(1.2 + 0.8))
                                                / (1 / np.log(1.2 + 0.2))))


@pytest.mark.parametrize("args, needle", [
    (["--counts", "1,a"], "item 2 ('a') is not a non-negative number"),
    (["--counts", "1,-2"], "must not be negative"),
    (["--counts", "1.5,-0.5"], "must not be negative"),
    (["--counts", "1.5,nan"], "item 2 ('nan') is not a non-negative number"),
    (["--counts", "1.5,inf"], "item 2 ('inf') is not a non-negative number"),
    (["--counts", "1.5,1e999"], "item 2 is inf: counts must be finite"),
    (["--counts", "1.5,,2"], "item 2 is empty"),
    (["--counts", ""], "item 1 is empty"),
    (["--counts", "1" + "0" * 400 + ",1"], "401-digit number) is beyond the float64 range"),
    (["--counts", "5,3", "--clip", "0,0"], "--clip 0,0 sets every weight to 0"),
    (["--counts", "5,0", "--scheme", "pos-weight"], "all-zero weights trains nothing"),
    (["--counts", "1e200,1", "--scheme", "inverse-square"], "overflows float64"),
    (["--counts", "1,2", "--scheme", "logit-adjustment", "--param", "tau=0"],
     "tau must be greater than 0"),
    (["--counts", "1,2", "--scheme", "logit-adjustment", "--param", "tau=inf"], "finite"),
    (["--counts", "1,2", "--scheme", "ldam", "--param", "max_margin=-1"],
     "max_margin must be greater than 0"),
    (["--counts", "1,2", "--scheme", "enet", "--param", "denominator=some"],
     "denominator='some' is not one of: present, all"),
    (["--counts", "1,2", "--scheme", "logit-adjustment", "--normalize", "sum"],
     "--normalize does not apply"),
    (["--counts", "1,2", "--scheme", "ldam", "--clip", "0,1"], "--clip does not apply"),
    (["--counts", "1,2", "--dtype", "float32"], "--dtype float32 does not apply to -f json"),
    (["--counts", "1,2", "--dtype", "float64", "-f", "json"], "does not apply to -f json"),
    (["--counts", "1,2", "-o", "w.npy", "-f", "json"], "the extension .npy means -f npy"),
    (["--counts", "1,2", "-o", "w.txt", "-f", "list"], "the extension .txt means -f txt"),
    (["--counts", "1,2", "--dtype", "float16", "-f", "list"], "float16"),
    (["--counts", "1,2", "--param", "k"], "NAME=VALUE"),
    (["--counts", "1,2", "--scheme", "enet", "--param", "beta=0.9"], "no parameter beta"),
    (["--counts", "1,2", "--scheme", "enet", "--param", "k=abc"], "not a number"),
    (["--counts", "1,2", "--clip", "1"], "MIN,MAX"),
    (["--counts", "1,2", "--clip", "3,2"], "min <= max"),
    (["--counts", "1,0", "--missing", "error"], "absent class(es) with zero count: 1"),
    (["--counts", "0,0"], "nothing to weight"),
    (["--counts", "1,2,3", "--num-classes", "2"], "num_classes is 2"),
])
def test_usage_errors_exit_2(w_run, args, needle):
    """Bad values are usage errors (exit 2) with a message naming the problem."""
    _one_error_line(w_run("weights", *args), 2, needle)


def test_unknown_scheme_lists_choices(w_run):
    """An unknown --scheme exits 2 and lists the registered names."""
    result = w_run("weights", "--counts", "1,2", "--scheme", "nope")
    _one_error_line(result, 2)
    for name in list_schemes(aliases=True):
        assert name in result.stderr


@pytest.mark.parametrize("content, needle", [
    (None, "no such file"),
    (b'{"format": "maskstats-stats", "version": 1, "pixel_counts": [1,', "not valid JSON"),
    (b'{"format": "maskstats-weights", "version": 1}', "not a maskstats-stats file"),
    (b'{"format": "maskstats-stats", "version": 7, "pixel_counts": [1]}', "version 7"),
    (b'{"format": "maskstats-stats", "version": 1, "pixel_counts": [1, NaN]}', "NaN"),
    (b"", "empty file"),
])
def test_bad_stats_files_exit_1(w_run, tmp_path, content, needle):
    """A missing or corrupt stats file: one 'Error:' line naming it, exit 1, no traceback."""
    path = tmp_path / "stats.json"
    if content is not None:
        path.write_bytes(content)
    _one_error_line(w_run("weights", path), 1, str(path), needle)


def test_saturation_warning_on_stderr(w_run):
    """effective-number on pixel-sized counts warns on stderr; stdout stays valid JSON."""
    result = w_run("weights", "--counts", "1000000,2000000", "--scheme", "effective-number")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: effective-number: every class saturates")
    assert _strict(result.stdout)["weights"] == pytest.approx([1, 1])


# ----------------------------------------------------------------------------- explain
def test_explain_goes_to_stderr_when_weights_go_to_stdout(w_run):
    """--explain prints the per-class table on stderr, so stdout stays pipeable."""
    result = w_run("weights", "--counts", ",".join(map(str, COUNTS)), "-f", "list",
                   "--explain")
    assert result.exit_code == 0
    _strict(result.stdout)
    table = result.stderr
    for header in ("class", "count", "share", "weight", "loss before", "loss after"):
        assert header in table
    assert table.count("25.00%") == 4  # inverse-frequency: every class 1/C of the loss
    assert "43.94%" in table and "12.25%" in table  # 710/1616 and 198/1616 before


def test_explain_goes_to_stdout_with_output_file(w_run, w_stats, tmp_path):
    """With -o, the table (names, absent and ignored rows) goes to stdout."""
    result = w_run("weights", w_stats, "--ignore-index", "3", "-o", tmp_path / "w.json",
                   "--explain")
    assert result.exit_code == 0, result.output
    assert "road" in result.stdout and "1 (absent)" in result.stdout
    assert "3 (ignored)" in result.stdout and result.stderr == ""
    assert _strict((tmp_path / "w.json").read_text())["weights"][3] == 0


# ----------------------------------------------------------------------------- schemes
def test_schemes_lists_every_scheme(w_run):
    """`maskstats schemes` shows each name, its formula, parameters and summary."""
    from maskstats.weights.schemes import get_scheme

    result = w_run("schemes")
    assert result.exit_code == 0
    for name in list_schemes():
        s = get_scheme(name)
        assert f"{name} " in result.stdout and s.formula in result.stdout
        assert s.summary in result.stdout
    assert "alias balanced" in result.stdout and "beta=0.9999" in result.stdout


@pytest.mark.parametrize("command", ["weights", "schemes"])
def test_help_has_examples(w_run, command):
    """Every command's --help shows an example."""
    result = w_run(command, "--help")
    assert result.exit_code == 0 and "Examples:" in result.stdout
    assert f"maskstats {command}" in result.stdout


# ------------------------------------------------------------- #17 and #11 (weights)
def test_decimal_counts_end_to_end(w_run):
    """--counts 1.5,2 gives scikit-learn's balanced weights [1.1667, 0.875]; the JSON
    keeps integer counts as integers and decimals as decimals."""
    result = w_run("weights", "--counts", "1.5,2", "--scheme", "balanced")
    assert result.exit_code == 0, result.output
    d = _strict(result.stdout)
    assert d["counts"] == [1.5, 2] and type(d["counts"][1]) is int
    np.testing.assert_allclose(d["weights"], [3.5 / 3, 3.5 / 4], rtol=1e-15)


def test_huge_integer_count_is_one_error_line(w_run):
    """A 400-digit count is not an internal error: one line, exit 2."""
    result = w_run("weights", "--counts", "1" + "0" * 400 + ",1")
    _one_error_line(result, 2, "401-digit number")
    assert "internal error" not in result.stderr


def test_extreme_counts_normalised_to_sum(w_run):
    """--counts 1e308,1,1 --normalize sum: finite weights that sum to 1 (no all-zero or
    non-finite vector), nothing on stderr."""
    result = w_run("weights", "--counts", "1e308,1,1", "--normalize", "sum", "-f", "list")
    assert result.exit_code == 0, result.output
    w = _strict(result.stdout)
    assert sum(w) == pytest.approx(1) and w[1] == w[2] == pytest.approx(0.5)
    assert result.stderr == ""


@pytest.mark.parametrize("name, fmt", [("w.npy", "npy"), ("w.txt", "txt"), ("w.json", "json"),
                                       ("w.weights", "json"), ("W.NPY", "npy")])
def test_format_follows_the_extension(w_run, tmp_path, name, fmt):
    """Without -f, -o w.npy writes NPY (float32), w.txt text, anything else the JSON."""
    out = tmp_path / name
    result = w_run("weights", "--counts", "1,3", "-o", out)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if fmt == "npy":
        assert np.load(out).tolist() == [2.0, np.float32(2 / 3)]
    elif fmt == "txt":
        assert [float(x) for x in data.split()] == [2.0, 2 / 3]
    else:
        assert _strict(data)["weights"] == [2.0, 2 / 3]


def test_float32_list_prints_shortest_float32(w_run):
    """--dtype float32 -f list prints the shortest decimals that read back as the float32
    weights; the default list keeps float64."""
    args = ("weights", "--counts", "198,436,710,272", "--normalize", "sum", "-f", "list")
    full = _strict(w_run(*args).stdout)
    short = w_run(*args, "--dtype", "float32")
    assert short.exit_code == 0, short.output
    values = _strict(short.stdout)
    assert np.array(values, np.float32).tolist() == np.array(full, np.float32).tolist()
    assert all(len(repr(v)) <= 12 for v in values) and values != full


def test_float32_npy_loads_as_a_float_tensor(w_run, tmp_path):
    """The default NPY is float32, the dtype torch.from_numpy needs for a float model."""
    torch = pytest.importorskip("torch")
    out = tmp_path / "w.npy"
    assert w_run("weights", "--counts", "1,3", "-o", out).exit_code == 0
    assert torch.from_numpy(np.load(out)).dtype == torch.float32


def test_multi_label_labels_then_pos_weight(w_run, tmp_path, monkeypatch):
    """`labels tags.csv --multi-label ';'` then `weights --scheme pos-weight`: 12 samples,
    cat 3, dog 10, fox 3 give (12 - n_c) / n_c = [3.0, 0.2, 3.0]."""
    rows = ["cat;dog"] * 2 + ["cat"] + ["fox;dog"] * 2 + ["fox"] + ["dog"] * 6
    (tmp_path / "tags.csv").write_text(
        "path,label\n" + "".join(f"img{i}.jpg,{r}\n" for i, r in enumerate(rows)))
    monkeypatch.chdir(tmp_path)
    made = w_run("labels", "tags.csv", "--multi-label", ";")
    assert made.exit_code == 0, made.output
    result = w_run("weights", "--scheme", "pos-weight", "-f", "list")
    assert result.exit_code == 0, result.output
    n = [sum(label in r.split(";") for r in rows) for label in ("cat", "dog", "fox")]
    assert n == [3, 10, 3]
    assert _strict(result.stdout) == pytest.approx([(12 - c) / c for c in n], rel=1e-15)
    assert _strict(result.stdout) == pytest.approx([3.0, 0.2, 3.0], rel=1e-15)


def test_multi_label_scan_then_pos_weight(w_run, tmp_path, monkeypatch):
    """A `--layout multi-label` scan: N is the number of pixels, so channel c gets
    (pixels - positives_c) / positives_c, counted here from the array."""
    rng = np.random.default_rng(11)
    y = (rng.random((6, 20, 30, 3)) < np.array([0.3, 0.05, 0.01])).astype(np.uint8)
    np.save(tmp_path / "y.npy", y)
    monkeypatch.chdir(tmp_path)
    made = w_run("scan", "y.npy", "--layout", "multi-label", "--no-progress", "-q")
    assert made.exit_code == 0, made.output
    stats = json.loads((tmp_path / "maskstats.json").read_text())
    pixels = 6 * 20 * 30
    assert stats["multi_label"] == {"samples": pixels} and stats["total_pixels"] == pixels
    result = w_run("weights", "--scheme", "pos-weight", "-f", "list")
    positives = [int(y[..., c].sum()) for c in range(3)]
    assert _strict(result.stdout) == pytest.approx([(pixels - p) / p for p in positives],
                                                   rel=1e-15)


def test_enet_parity_with_pytorch_enet_on_png_masks(w_run, tmp_path, monkeypatch):
    """scan --ignore-index 255 then enet with denominator=all equals PyTorch-ENet's
    enet_weighing (propensity = count / all pixels) on the same masks."""
    from PIL import Image

    rng = np.random.default_rng(5)
    (tmp_path / "m").mkdir()
    masks = []
    for i in range(4):
        a = rng.choice([0, 0, 1, 2], size=(30, 40)).astype(np.uint8)
        a[:, :5] = 255
        Image.fromarray(a).save(tmp_path / "m" / f"{i}.png")
        masks.append(a)
    flat = np.concatenate([a.ravel() for a in masks])
    reference = 1 / np.log(1.02 + np.bincount(flat, minlength=3)[:3] / flat.size)
    monkeypatch.chdir(tmp_path)
    assert w_run("scan", "m", "--ignore-index", "255", "--no-progress", "-q").exit_code == 0
    result = w_run("weights", "--scheme", "enet", "--param", "denominator=all", "-f", "list")
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(_strict(result.stdout), reference, rtol=1e-14)


def test_explain_offsets_has_no_loss_share(w_run):
    """--explain for logit offsets shows the offsets and says what they are, without the
    loss-share columns that only mean something for weights."""
    result = w_run("weights", "--counts", "198,436,710,272", "--scheme", "logit-adjustment",
                   "-f", "list", "--explain")
    assert result.exit_code == 0, result.output
    assert "offset" in result.stderr and "loss before" not in result.stderr
    assert "added to the logits in training; not a weight\n" in result.stderr
    offsets = _strict(result.stdout)
    assert offsets == pytest.approx([np.log(c / 1616) for c in COUNTS], rel=1e-14)
    margins = w_run("weights", "--counts", "1,16", "--scheme", "ldam", "--explain", "-f", "list")
    assert "margin" in margins.stderr and "loss after" not in margins.stderr
    assert _strict(margins.stdout) == pytest.approx([0.5, 0.25], rel=1e-15)


def test_json_records_kind(w_run):
    """The weights JSON says what the vector is: weights, logit-offsets or margins."""
    for scheme, kind in [("inverse-max", "weights"), ("logit-adjustment", "logit-offsets"),
                         ("ldam", "margins"), ("generalized-dice", "weights")]:
        d = _strict(w_run("weights", "--counts", "2,8", "--scheme", scheme).stdout)
        assert d["kind"] == kind and d["scheme"] != "generalized-dice"


def test_schemes_marks_offsets_and_margins(w_run):
    """`maskstats schemes` writes offset_c / margin_c for vectors that are not weights."""
    out = w_run("schemes").stdout
    assert "offset_c = tau * ln(f_c)" in out and "margin_c = max_margin" in out
    assert "alias generalized-dice" in out and "denominator=present" in out


def test_list_may_go_to_a_json_file(w_run, tmp_path):
    """-f list -o class_weight.json writes the bare JSON list (a JSON document, what
    mmseg's JSON loader reads); -f txt -o w.json still contradicts the extension."""
    out = tmp_path / "class_weight.json"
    result = w_run("weights", "--counts", "1,3", "-f", "list", "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == [2.0, 2 / 3]
    _one_error_line(w_run("weights", "--counts", "1,3", "-f", "txt", "-o", out), 2,
                    "the extension .json means -f json")
