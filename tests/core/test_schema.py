"""The Stats schema: the JSON keys and their order, the round trip, and merging by field."""

from __future__ import annotations

from maskstats.core.stats import Stats

#: the keys of a v1 stats document, in the order they are written
V1_KEYS = ["format", "version", "maskstats_version", "paths", "num_images", "total_pixels",
           "num_classes", "pixel_counts", "image_counts", "image_pixels", "ignore_index",
           "ignored_pixels", "unexpected", "class_names", "unit", "skipped", "non_mask_files",
           "options"]


def sample(paths, scale=1) -> Stats:
    """Stats of 2 classes with every field set (counts multiplied by ``scale``)."""
    return Stats([3 * scale, 1 * scale], [1, 1], [4 * scale, 4 * scale], num_images=1,
                 total_pixels=5 * scale, ignore_index=[255], ignored_pixels=scale,
                 unexpected={"7": scale}, class_names=["bg", "fg"], paths=list(paths),
                 skipped=[{"path": "x.txt", "reason": "not a mask"}], non_mask_files=1,
                 options={"num_classes": None}, extra={"newer_entry": 1})


def test_keys_are_written_in_the_v1_order_then_the_extra_entries():
    """to_dict writes the v1 keys in their documented order, then the extra entries."""
    assert list(sample(["a"]).to_dict()) == V1_KEYS + ["newer_entry"]


def test_round_trip_keeps_every_field():
    """from_dict(to_dict(s)) equals s, field by field."""
    s = sample(["a"])
    assert Stats.from_dict(s.to_dict()) == s


def test_merge_adds_counts_and_concatenates_lists():
    """Counts add (columns, totals, unexpected), paths and skipped concatenate, the rest stays."""
    m = sample(["a"]).merge(sample(["b"], scale=2))
    assert (m.pixel_counts, m.image_counts, m.image_pixels) == ([9, 3], [2, 2], [12, 12])
    assert (m.num_images, m.total_pixels, m.ignored_pixels) == (2, 15, 3)
    assert m.unexpected == {"7": 3} and m.non_mask_files == 2
    assert m.paths == ["a", "b"] and len(m.skipped) == 2
    assert (m.ignore_index, m.class_names, m.unit) == ([255], ["bg", "fg"], "pixels")
    assert m.extra == {"newer_entry": 2}
