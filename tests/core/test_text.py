"""Lists of names in messages are cut to a few."""

from maskstats.core.text import listing


def test_listing_cuts_long_lists():
    """Up to the limit every item is shown; past it, the first items and how many more."""
    assert listing(["a", "b"]) == "a, b"
    assert listing(range(7), limit=3) == "0, 1, 2 and 4 more"
    assert listing([], limit=3) == ""
