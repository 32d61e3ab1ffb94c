"""`merge` refuses a sum beyond int64 before writing anything."""

from __future__ import annotations

import json

import pytest

from maskstats.errors import BadStats
from maskstats.core.stats import Stats

BIG = 2**63 - 1


def stats_doc(path: str, pixel_counts: list[int], unexpected: dict | None = None) -> dict:
    """A minimal one-image stats document whose totals follow its counts."""
    total = sum(pixel_counts) if sum(pixel_counts) <= BIG else BIG
    return {"format": "maskstats-stats", "version": 1, "paths": [path], "num_images": 1,
            "total_pixels": total, "num_classes": len(pixel_counts),
            "pixel_counts": pixel_counts, "image_counts": [1 if n else 0 for n in pixel_counts],
            "image_pixels": [total if n else 0 for n in pixel_counts], "ignore_index": [],
            "ignored_pixels": 0, "unexpected": unexpected or {}, "class_names": None}


@pytest.mark.parametrize("counts_a,counts_b,entry", [
    ([BIG, 0], [BIG, 0], "total_pixels"),
    ([2**62, 1], [2**62, 0], "total_pixels"),
])
def test_merge_beyond_int64_is_refused(run, tmp_path, counts_a, counts_b, entry):
    """Two files whose sum passes 2**63-1: exit 1, one line naming the file and the entry,
    and no output file."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(stats_doc("a", counts_a)))
    b.write_text(json.dumps(stats_doc("b", counts_b)))
    out = tmp_path / "m.json"
    result = run("merge", a, b, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {b}: the merged {entry} would be ")
    total = sum(counts_a) + sum(counts_b)
    assert f"{total:,}" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not out.exists()


def test_merge_of_class_counts_beyond_int64_names_the_class():
    """A per-class count beyond int64 (totals still in range) is named by its entry."""
    a = Stats.from_dict({**stats_doc("a", [0, 2**62 + 2**61]), "total_pixels": 2**62 + 2**61},
                        "a")
    b = Stats.from_dict(stats_doc("b", [0, 2**62]), "b")
    b.total_pixels = 1  # an inconsistent file: the class count is the first to overflow
    with pytest.raises(BadStats, match=r"pixel_counts\[1\] would be 11,529,215,046,068,469,760"):
        a.merge(b)


def test_merge_at_the_limit_is_exact():
    """A sum of exactly 2**63-1 is accepted and exact."""
    a = Stats.from_dict(stats_doc("a", [2**62, 0]), "a")
    b = Stats.from_dict(stats_doc("b", [2**62 - 6, 5]), "b")
    merged = a.merge(b)
    assert merged.pixel_counts == [2**63 - 6, 5]
    assert merged.total_pixels == 2**63 - 1
