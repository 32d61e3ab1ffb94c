"""`maskstats weights` and `maskstats schemes` through the CLI, with real files."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from maskstats.cli import cli
from maskstats.schemes import list_schemes
from maskstats.stats import Stats

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
    from maskstats.schemes import get_scheme

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
