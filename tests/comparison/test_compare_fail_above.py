"""`compare --fail-above` takes finite numbers only: NaN would never fail a CI data check."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_fail_above_refuses_non_finite(run, tmp_path, value):
    """A NaN or infinite D is a usage error (exit 2) naming the option, with no output."""
    np.save(tmp_path / "m.npy", np.array([[0, 1], [1, 1]], np.uint8))
    assert run("scan", tmp_path / "m.npy", "-q", "-o", tmp_path / "s.json").exit_code == 0
    stats = tmp_path / "s.json"
    result = run("compare", stats, stats, "-f", "json", "--fail-above", value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert (f"Error: Invalid value for '--fail-above': {value} is not a finite number "
            "(divergences are 0..1)") in result.stderr.splitlines()
