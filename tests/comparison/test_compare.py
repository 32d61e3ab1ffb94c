"""maskstats compare: shares, ratios, absent classes, Jensen-Shannon divergence, CI exit codes."""

from __future__ import annotations

import json
import math

import pytest

import maskstats
from maskstats.comparison.compare import compare
from maskstats.core.stats import Stats


def make_stats(pixels, images, num_images, unit="pixels", names=None) -> Stats:
    return Stats(pixel_counts=list(pixels), image_counts=list(images),
                 image_pixels=[0] * len(pixels), num_images=num_images,
                 total_pixels=sum(pixels), class_names=names, unit=unit)


def save(tmp_path, name, stats: Stats):
    path = tmp_path / name
    stats.save(path)
    return path


def jsd_by_hand(p_counts, q_counts) -> float:
    """JS divergence written out from its definition, base 2, 0 log 0 = 0."""
    p = [x / sum(p_counts) for x in p_counts]
    q = [x / sum(q_counts) for x in q_counts]
    m = [(a + b) / 2 for a, b in zip(p, q)]

    def kl(a, b):
        return sum(x * math.log2(x / y) for x, y in zip(a, b) if x > 0)

    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


A = make_stats([600, 300, 100, 0], [10, 8, 3, 0], 10, names=["bg", "road", "car", "bike"])
B = make_stats([500, 250, 200, 50], [5, 5, 4, 1], 5, names=["bg", "road", "car", "bike"])
C = make_stats([900, 50, 50, 0], [4, 1, 1, 0], 4, names=["bg", "road", "car", "bike"])


def test_divergence_equals_the_formula():
    """Each file's divergence against the first equals the JSD written out in the test."""
    result = compare(A, B, C)
    assert result.divergence[0] == 0.0
    assert result.divergence[1] == pytest.approx(jsd_by_hand(A.pixel_counts, B.pixel_counts),
                                                 abs=1e-12)
    assert result.divergence[2] == pytest.approx(jsd_by_hand(A.pixel_counts, C.pixel_counts),
                                                 abs=1e-12)


def test_disjoint_distributions_have_divergence_one():
    """Two files with no class in common are 1 apart (base 2)."""
    result = compare(make_stats([5, 0], [1, 0], 1), make_stats([0, 7], [0, 1], 1))
    assert result.divergence[1] == pytest.approx(1.0)


def test_shares_ratios_and_absent_classes():
    """Shares come from the counts, ratios are to the first file, absent classes are named."""
    result = compare(A, B)
    assert result.pixel_share[1] == [x / 1000 for x in B.pixel_counts]
    assert result.image_share[0] == [x / 10 for x in A.image_counts]
    assert result.pixel_ratio(1, 2) == pytest.approx((200 / 1000) / (100 / 1000))
    assert result.image_ratio(1, 0) == pytest.approx(1.0)
    assert result.pixel_ratio(1, 3) is None  # the first file has none of class 3
    assert result.absent() == [{"class": 3, "name": "bike", "present_in": ["stats 2"],
                                "absent_in": ["stats 1"]}]


def test_cli_table_and_json(tmp_path, run):
    """The table names classes and divergences; -f json is strict JSON with null ratios."""
    a, b = save(tmp_path, "train.json", A), save(tmp_path, "val.json", B)
    result = run("compare", a, b)
    assert result.exit_code == 0, result.stderr
    assert "bike" in result.stdout and "absent in" in result.stdout
    expected = jsd_by_hand(A.pixel_counts, B.pixel_counts)
    assert f"{expected:.6f}" in result.stdout
    result = run("compare", a, b, "-f", "json")
    doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(c))
    assert doc["files"] == [str(a), str(b)]
    assert doc["divergence"][0]["jensen_shannon"] == pytest.approx(expected)
    assert doc["classes"][3]["pixel_ratio"] == [None, None]
    assert doc["absent"][0]["absent_in"] == [str(a)]


def test_fail_above_exit_codes(tmp_path, run):
    """--fail-above exits 1 naming the file above the limit, 0 when all are below."""
    a, b, c = (save(tmp_path, n, s) for n, s in (("a.json", A), ("b.json", B), ("c.json", C)))
    d_b = jsd_by_hand(A.pixel_counts, B.pixel_counts)
    d_c = jsd_by_hand(A.pixel_counts, C.pixel_counts)
    low, high = sorted([d_b, d_c])
    ok = run("compare", a, b, c, "--fail-above", f"{high + 1e-6}")
    assert ok.exit_code == 0
    bad = run("compare", a, b, c, "--fail-above", f"{(low + high) / 2}")
    assert bad.exit_code == 1
    worse = str(b) if d_b > d_c else str(c)
    better = str(c) if worse == str(b) else str(b)
    assert worse in bad.stderr and better not in bad.stderr
    assert bad.stderr.startswith("Error:") and len(bad.stderr.strip().splitlines()) == 1
    as_json = run("compare", a, b, c, "-f", "json", "--fail-above", f"{(low + high) / 2}")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["failed"] == [worse]


@pytest.mark.parametrize("other, message", [
    (make_stats([1, 2, 3, 4], [1, 1, 1, 1], 1, unit="samples"), "counts samples"),
    (make_stats([1, 2, 3], [1, 1, 1], 1), "3 classes"),
    (make_stats([0, 0, 0, 0], [0, 0, 0, 0], 0), "no counted"),
])
def test_mismatched_files_are_refused(tmp_path, run, other, message):
    """Mixed units, other class counts or an empty file: one Error line, exit 2."""
    result = run("compare", save(tmp_path, "a.json", A), save(tmp_path, "o.json", other))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_one_file_is_a_usage_error(tmp_path, run):
    """compare needs two files."""
    result = run("compare", save(tmp_path, "a.json", A))
    assert result.exit_code == 2


@pytest.mark.parametrize("unit", ["voxels", "samples"])
def test_voxel_and_sample_stats_compare(unit):
    """Other units compare the same way."""
    a = make_stats([3, 1], [3, 1], 4, unit=unit)
    b = make_stats([1, 1], [1, 1], 2, unit=unit)
    result = maskstats.compare(a, b)
    assert result.unit == unit
    assert result.divergence[1] == pytest.approx(jsd_by_hand([3, 1], [1, 1]))


def test_sample_stats_from_labels(tmp_path, run):
    """Two `maskstats labels` outputs compare, and the API accepts their paths."""
    for name, rows in (("a", "cat\ncat\ndog\n"), ("b", "cat\ndog\ndog\n")):
        (tmp_path / f"{name}.txt").write_text(rows)
        assert run("labels", tmp_path / f"{name}.txt", "-o", tmp_path / f"{name}.json",
                   "-q").exit_code == 0
    result = maskstats.compare(tmp_path / "a.json", tmp_path / "b.json")
    assert result.unit == "samples"
    assert result.divergence[1] == pytest.approx(jsd_by_hand([2, 1], [1, 2]))
