"""The Python API for training scripts: count_arrays, count_labels, Stats, weights."""

from __future__ import annotations

import inspect
import json
import pydoc

import numpy as np
import pytest
from conftest import assert_matches, blob_mask, expected_stats

import maskstats
from maskstats import Stats, UnreadableMask, UsageProblem


class FakeTensor:
    """Stands in for a CPU torch/TF tensor: only ``np.asarray`` support."""

    def __init__(self, a: np.ndarray):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


def masks(seed=0, n=7, shape=(24, 32), classes=6) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [blob_mask(rng, shape, classes=classes) for _ in range(n)]


def without_paths(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "paths"}


def test_generator_of_arrays_equals_the_cli(tmp_path, scan_json):
    """count_arrays on a generator of masks equals `maskstats scan` on the same .npy stack."""
    ms = masks()
    np.save(tmp_path / "y.npy", np.stack(ms))
    cli = scan_json(tmp_path / "y.npy", "--ignore-index", "0", "--num-classes", "4")
    api = maskstats.count_arrays((m for m in ms), ignore_index=[0], num_classes=4)
    assert without_paths(api.to_dict()) == without_paths(cli)
    assert_matches(cli, expected_stats(ms, ignore=[0], num_classes=4))


def test_batches_from_a_loader_equal_the_cli(tmp_path, scan_json):
    """layout='stack' takes (B,H,W) batches, like a DataLoader's mask batches (tensors too)."""
    ms = masks(seed=1, n=10)
    np.save(tmp_path / "y.npy", np.stack(ms))
    loader = ((None, FakeTensor(np.stack(ms[i:i + 4]))) for i in range(0, 10, 4))
    api = maskstats.count_arrays((m for _, m in loader), layout="stack")
    assert without_paths(api.to_dict()) == without_paths(scan_json(tmp_path / "y.npy"))
    assert api.num_images == 10


def test_keras_one_hot_y_train_equals_the_cli(tmp_path, scan_json):
    """A one-hot y_train (N,H,W,C) passed whole equals scanning it with --layout one-hot."""
    labels = np.stack(masks(seed=2, n=5))
    y_train = np.eye(6, dtype=np.float32)[labels]
    y_train[0, 0, :4] = 0
    np.save(tmp_path / "y.npy", y_train)
    api = maskstats.count_arrays(y_train, layout="one-hot")
    cli = scan_json(tmp_path / "y.npy", "--layout", "one-hot")
    assert without_paths(api.to_dict()) == without_paths(cli)
    kept = labels.copy().astype(np.int64)
    kept[0, 0, :4] = -1
    assert api.pixel_counts == [int(np.sum(kept == c)) for c in range(6)]
    assert api.extra["one_hot"] == {"unlabelled_pixels": 4, "overlap_pixels": 0}


def test_a_single_array_is_taken_whole():
    """A bare (H,W) array is one mask and a bare (N,H,W) array N masks."""
    ms = masks(seed=3, n=4)
    one = maskstats.count_arrays(ms[0])
    assert_matches(one.to_dict(), expected_stats([ms[0]]))
    many = maskstats.count_arrays(np.stack(ms))
    assert_matches(many.to_dict(), expected_stats(ms))


def test_stats_round_trip_and_merge(tmp_path):
    """Stats from count_arrays save, load and merge exactly like scan stats."""
    ms = masks(seed=4, n=6)
    a = maskstats.count_arrays(ms[:2])
    b = maskstats.count_arrays(ms[2:])
    merged = a.merge(b)
    assert merged.to_dict() == maskstats.count_arrays(ms).to_dict()
    merged.save(tmp_path / "s.json")
    loaded = Stats.load(tmp_path / "s.json")
    assert loaded.to_dict() == merged.to_dict()
    assert json.loads((tmp_path / "s.json").read_text())["pixel_counts"] == \
        expected_stats(ms)["pixel_counts"]


def test_weights_from_array_stats():
    """compute_weights takes count_arrays stats: inverse-frequency is N / (C n_c)."""
    ms = masks(seed=5, n=5, classes=4)
    stats = maskstats.count_arrays(ms)
    counts = np.bincount(np.concatenate([m.ravel() for m in ms]))
    weights = maskstats.compute_weights(stats, scheme="inverse-frequency")
    expected = counts.sum() / (len(counts) * counts)
    assert np.allclose(weights.weights, expected)


def test_errors_name_the_item():
    """A bad item is named masks[i] in the error; a bad layout is a usage problem."""
    good = np.zeros((4, 4), np.uint8)
    with pytest.raises(UnreadableMask, match=r"masks\[1\]: .*not whole numbers"):
        maskstats.count_arrays([good, np.full((4, 4), 0.5)])
    with pytest.raises(UnreadableMask, match=r"masks\[0\]: one-hot values must be 0 or 1"):
        maskstats.count_arrays([np.full((2, 2, 3), 2)], layout="one-hot")
    with pytest.raises(UsageProblem, match="unknown layout 'rgb'"):
        maskstats.count_arrays([good], layout="rgb")
    with pytest.raises(UsageProblem, match=r"masks\[0\]: array of shape \(2, 4, 4, 3\)"):
        maskstats.count_arrays([np.zeros((2, 4, 4, 3), np.uint8)], layout="auto")


def test_public_api_is_documented():
    """Every public function has a docstring and type hints; count_arrays' help reads well."""
    for name in maskstats.__all__:
        obj = getattr(maskstats, name)
        assert inspect.getdoc(obj), name
        if inspect.isfunction(obj):
            assert inspect.signature(obj).return_annotation is not inspect.Signature.empty, name
    text = pydoc.render_doc(maskstats.count_arrays, renderer=pydoc.plaintext)
    for phrase in ("count_arrays(masks", "layout", "one-hot", "Keras", "PyTorch",
                   "Returns:", "Raises:", "np.asarray"):
        assert phrase in text, phrase
    assert {"count_arrays", "count_labels", "scan", "Stats"} <= set(maskstats.__all__)
