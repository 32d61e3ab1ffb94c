"""Sampling defaults a training run can live with: the balanced floor, the epoch figures of
--explain, and the all-1 repeat-factor warning."""

from __future__ import annotations

import numpy as np
import pytest
from perimage_data import random_counts, write_table

from maskstats.sampling import list_methods, sample_weights


@pytest.fixture
def few_classes(tmp_path):
    """60 images, 3 classes: every class is in many images (LVIS's t=0.001 never acts);
    one tiny class concentrated in a few images (an unfloored optimum starves the rest)."""
    rng = np.random.default_rng(4)
    counts = random_counts(rng, 60, 3, density=0.6, high=4000)
    counts[:, 0] += 50_000
    counts[:, 2] = 0
    counts[:6, 2] = rng.integers(10, 40, 6)
    return write_table(tmp_path / "images.csv", counts), counts


def test_balanced_default_keeps_every_image(few_classes):
    """With the defaults, no image gets weight 0: each is drawn at least 0.2x uniform."""
    path, counts = few_classes
    free = sample_weights(path, "balanced", min_ratio=0)
    assert (free.weights == 0).sum() > len(counts) // 2  # what the floor prevents
    w = sample_weights(path, "balanced").weights
    assert w.min() >= 0.2 * (1 - 1e-9)
    assert w.sum() == pytest.approx(len(counts))


@pytest.mark.parametrize("method", list_methods())
def test_epoch_figures_follow_their_formulas(few_classes, method):
    """Kish (sum w)^2 / sum w^2 and distinct images sum 1 - (1 - p_i)^n, for every method."""
    path, counts = few_classes
    r = sample_weights(path, method, on_warning=lambda _m: None)
    w = r.weights
    n = len(counts)
    e = r.epoch()
    assert e["images"] == e["draws"] == n
    assert e["effective_images"] == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    p = w / w.sum()
    assert e["distinct_images"] == pytest.approx(sum(1 - (1 - q) ** n for q in p))


def test_uniform_epoch_figures(tmp_path):
    """Equal weights: Kish = n, distinct = n (1 - (1 - 1/n)^n)."""
    counts = np.ones((10, 2), np.int64)
    r = sample_weights(write_table(tmp_path / "t.csv", counts), "inverse-presence")
    assert r.epoch()["effective_images"] == pytest.approx(10)
    assert r.epoch()["distinct_images"] == pytest.approx(10 * (1 - 0.9 ** 10))


def test_repeat_factor_all_one_warns_with_a_t_that_acts(few_classes):
    """t=0.001 on 3 frequent classes: all factors 1, a warning naming a t that does act."""
    path, counts = few_classes
    seen: list[str] = []
    r = sample_weights(path, "repeat-factor", on_warning=seen.append)
    assert (r.weights == 1).all()
    [message] = [m for m in seen if "every factor is 1" in m]
    rarest = ((counts > 0).sum(axis=0) / len(counts)).min()
    assert f"{rarest:.3g}" in message
    t = float(message.split("--param t=")[1].split()[0])
    acted = sample_weights(path, "repeat-factor", t=t, on_warning=seen.append).weights
    assert acted.max() > 1
    quiet: list[str] = []
    sample_weights(path, "repeat-factor", t=t, on_warning=quiet.append)
    assert not [m for m in quiet if "every factor is 1" in m]


@pytest.mark.parametrize("method", ["balanced", "repeat-factor", "inverse-presence"])
def test_explain_prints_epoch_figures(run, few_classes, tmp_path, method):
    """--explain reports Kish's effective images and the expected distinct images."""
    path, _counts = few_classes
    result = run("sample-weights", str(path), "--method", method, "--explain",
                 "-o", str(tmp_path / "w.json"))
    assert result.exit_code == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert "effective images (Kish" in flat and "expected distinct images" in flat
