"""`weights --num-classes` has the same bound as `scan --num-classes`: a usage error, not memory."""

from __future__ import annotations

import numpy as np
import pytest

import maskstats
from maskstats.errors import UsageProblem


def test_weights_cli_refuses_a_huge_num_classes(run):
    """`weights --counts 1,2 --num-classes 10000000000` is exit 2 with the scan's one-line limit."""
    result = run("weights", "--counts", "1,2", "--num-classes", "10000000000")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: num_classes 10,000,000,000 is above the maximum of 1,048,576 classes"]


def test_compute_weights_refuses_a_huge_num_classes():
    """The Python API raises UsageProblem before building a ten-billion entry vector."""
    with pytest.raises(UsageProblem, match="above the maximum of 1,048,576 classes"):
        maskstats.compute_weights([1, 2], num_classes=10**10)


def test_num_classes_at_the_limit_still_pads():
    """num_classes equal to the maximum (2**20) is accepted and pads with zero weights."""
    w = np.asarray(maskstats.compute_weights([1, 2], num_classes=1 << 20).weights)
    assert len(w) == 1 << 20
    assert w[0] == pytest.approx(3 / (2 * 1)) and w[1] == pytest.approx(3 / (2 * 2))
    assert not w[2:].any()
