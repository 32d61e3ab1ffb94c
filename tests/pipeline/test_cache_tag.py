"""A ``--cache`` folder inside the scanned tree is never read as masks, with or without --cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import maskstats


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "masks"
    root.mkdir()
    for i in range(3):
        a = np.zeros((6, 7), np.uint8)
        a[: i + 1, : i + 2] = i + 1
        np.save(root / f"m{i}.npy", a)
    return root


def test_cache_inside_tree_is_skipped_by_later_scans(tmp_path: Path) -> None:
    """After a scan that caches into masks/cache, plain and cached rescans count only the masks."""
    root = _tree(tmp_path)
    expected = np.zeros(4, np.int64)
    for i in range(3):
        expected[0] += 42 - (i + 1) * (i + 2)
        expected[i + 1] += (i + 1) * (i + 2)
    cache = root / "cache"
    first = maskstats.scan([str(root)], cache=str(cache), jobs=1)
    plain = maskstats.scan([str(root)], jobs=1)
    again = maskstats.scan([str(root)], cache=str(cache), jobs=1)
    for stats in (first, plain, again):
        d = stats.to_dict()
        assert d["num_images"] == 3
        assert d["pixel_counts"] == expected.tolist()
        assert d["non_mask_files"] == 0
    (key,) = list(cache.iterdir())
    assert (key / "CACHEDIR.TAG").read_bytes().startswith(
        b"Signature: 8a477f597d28d172789f06886806bc55")


def test_tag_without_signature_does_not_hide_a_folder(tmp_path: Path) -> None:
    """A file that is merely named CACHEDIR.TAG (wrong signature) does not hide the masks beside it."""
    root = _tree(tmp_path)
    (root / "CACHEDIR.TAG").write_text("not a cache\n")
    assert maskstats.scan([str(root)], jobs=1).to_dict()["num_images"] == 3


def test_planted_tag_does_not_hide_masks(tmp_path: Path) -> None:
    """A valid CACHEDIR.TAG planted beside masks (not a maskstats shard folder) hides nothing."""
    root = _tree(tmp_path)
    (root / "CACHEDIR.TAG").write_bytes(b"Signature: 8a477f597d28d172789f06886806bc55\n"
                                        b"# a maskstats --cache folder: its shards are not masks\n")
    assert maskstats.scan([str(root)], jobs=1).to_dict()["num_images"] == 3
