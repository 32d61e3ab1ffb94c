"""Weighting schemes and compute_weights, checked against formulas written here independently."""

from __future__ import annotations

import json
import math
import re
import statistics
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import maskstats
from maskstats import compute_weights, list_schemes, load_weights
from maskstats.errors import BadStats, MaskstatsWarning, UnknownScheme, UsageProblem
from maskstats.weights.schemes import get_scheme, register
from maskstats.core.stats import Stats
from maskstats.weights.compute import FORMATS, MISSING, NORMALIZATIONS


# ---------------------------------------------------------------- independent references
# Each takes the counts of the PRESENT classes (Python ints) and returns their weights.
def _ref_median_frequency(n, image_pixels=None):
    g = [c / p for c, p in zip(n, image_pixels)] if image_pixels else [c / sum(n) for c in n]
    return [statistics.median(g) / x for x in g]


def _ref_effective_number(n, beta=0.9999):
    raw = [(1 - beta) / (1 - beta ** c) for c in n]
    return [w * len(n) / sum(raw) for w in raw]


def _ref_inverse_square(n):
    # MONAI GeneralizedDiceLoss(w_type="square"): w = 1 / n^2; here rescaled so the most
    # frequent class gets 1 (exact fractions, then one rounding)
    raw = [Fraction(1, c * c) if isinstance(c, int) else 1 / c ** 2 for c in n]
    return [float(r / min(raw)) for r in raw]


def _ref_logit_adjustment(n, tau=1.0):
    # Menon et al.: the offset of class c is tau * log(prior_c), prior_c = n_c / N
    return [tau * math.log(Fraction(c) / sum(Fraction(k) for k in n)) for c in n]


def _ref_ldam(n, max_margin=0.5):
    # Cao et al.'s code: m = 1 / sqrt(sqrt(n)); m *= max_m / max(m)
    m = [1 / math.sqrt(math.sqrt(c)) for c in n]
    return [x * (max_margin / max(m)) for x in m]


REFERENCE = {
    "uniform": lambda n: [1.0] * len(n),
    "inverse-max": lambda n: [max(n) / c for c in n],
    "inverse-frequency": lambda n: [sum(n) / (len(n) * c) for c in n],
    "inverse-sqrt": lambda n: [math.sqrt(sum(n) / c) for c in n],
    "median-frequency": _ref_median_frequency,
    "enet": lambda n, k=1.02: [1 / math.log(k + c / sum(n)) for c in n],
    "effective-number": _ref_effective_number,
    "log-inverse": lambda n, mu=0.15: [max(1.0, math.log(mu * sum(n) / c)) for c in n],
    "pos-weight": lambda n: [(sum(n) - c) / c for c in n],
    "inverse-square": _ref_inverse_square,
    "logit-adjustment": _ref_logit_adjustment,
    "ldam": _ref_ldam,
}
KINDS = {"logit-adjustment": "logit-offsets", "ldam": "margins"}
WEIGHT_SCHEMES = [name for name in list_schemes() if name not in KINDS]


def _scaled(w, by):
    return [x / by for x in w] if by else list(w)  # all-zero weights stay zero


NORMALIZE_REFERENCE = {
    "none": lambda w: list(w),
    "sum": lambda w: _scaled(w, sum(w)),
    "sum-to-classes": lambda w: [x * len(w) for x in _scaled(w, sum(w))],
    "mean": lambda w: _scaled(w, sum(w) / len(w)),
    "max": lambda w: _scaled(w, max(w)),
    "min": lambda w: _scaled(w, min(w)),
}

CASES = {
    "samples": [198, 436, 710, 272],
    "binary": [500000, 31000],
    "31 classes, one at 60%": [697500] + [1000 * i for i in range(1, 31)],
    "absent class": [120, 0, 40, 7, 0],
    "single class": [5000, 0],
    "huge": [10**12, 3 * 10**12 + 1, 7 * 10**12, 10**12 - 1],
    "decimal (sample-weighted)": [1.5, 2, 0, 0.25],
}


def _rtol(name, case):
    """The reference's 1 - beta**n loses digits for counts below 1 (maskstats uses expm1)."""
    return 1e-10 if name == "effective-number" and case.startswith("decimal") else 1e-12


def _refused_all_zero(name, counts):
    """pos-weight on a single present class gives all-zero weights, which are refused."""
    return name == "pos-weight" and sum(1 for c in counts if c) == 1


def _expected(counts, name, normalize="none", fill=0.0):
    present = [c for c in counts if c]
    w = NORMALIZE_REFERENCE[normalize](REFERENCE[name](present))
    it = iter(w)
    return [next(it) if c else fill for c in counts]


def _quiet(*args, **kwargs):
    """compute_weights with scheme warnings silenced (they have their own tests)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MaskstatsWarning)
        return compute_weights(*args, **kwargs)


# ------------------------------------------------------------------------- the registry
def test_every_scheme_has_a_reference_and_no_reference_is_stale():
    """A new scheme needs a row in REFERENCE (and a removed one loses its row)."""
    assert set(REFERENCE) == set(list_schemes())
    assert set(NORMALIZE_REFERENCE) == set(NORMALIZATIONS)


@pytest.mark.parametrize("name", list_schemes())
def test_scheme_is_documented(name):
    """Every scheme has a formula, a one-line summary and a docstring with more detail."""
    s = get_scheme(name)
    assert s.name == name and s.formula and s.summary
    assert "\n" not in s.summary and len(s.summary) <= 76
    assert len(s.fn.__doc__.strip().splitlines()) > 1


def test_documented_names_and_alias():
    """The documented scheme names are registered, and 'balanced' is inverse-frequency."""
    assert list_schemes() == ["uniform", "inverse-max", "inverse-frequency", "inverse-sqrt",
                              "median-frequency", "enet", "effective-number", "log-inverse",
                              "pos-weight", "inverse-square", "logit-adjustment", "ldam"]
    assert {"balanced", "generalized-dice"} <= set(list_schemes(aliases=True))
    assert get_scheme("generalized-dice") is get_scheme("inverse-square")
    assert get_scheme("balanced") is get_scheme("inverse-frequency")
    w = compute_weights([1, 3], "balanced")
    assert w.scheme == "inverse-frequency"
    assert w.weights.tolist() == compute_weights([1, 3], "inverse-frequency").weights.tolist()


def test_unknown_scheme_lists_valid_names():
    """An unknown name raises UnknownScheme (a usage problem) naming every choice."""
    with pytest.raises(UnknownScheme) as err:
        get_scheme("nope")
    assert isinstance(err.value, UsageProblem)
    for name in list_schemes(aliases=True):
        assert name in str(err.value)


@pytest.mark.parametrize("name", ["uniform", "balanced"])
def test_duplicate_registration_raises(name):
    """Registering a taken name or alias twice is a ValueError, and nothing changes."""
    before = list_schemes(aliases=True)
    with pytest.raises(ValueError, match="registered twice"):
        register(name, formula="1")(lambda x: x.n)
    with pytest.raises(ValueError, match="registered twice"):
        register("brand-new", formula="1", aliases=(name,))(lambda x: x.n)
    assert list_schemes(aliases=True) == before


def test_scheme_without_docstring_is_refused():
    """A scheme must describe itself: no docstring, no registration."""
    with pytest.raises(ValueError, match="docstring"):
        register("undocumented", formula="1")(lambda x: x.n)
    assert "undocumented" not in list_schemes()


def test_parameter_defaults_come_from_the_signature():
    """enet has k=1.02, effective-number beta=0.9999, log-inverse mu=0.15, logit-adjustment
    tau=1, ldam max_margin=0.5; the frequency schemes take denominator=present; others none."""
    assert get_scheme("enet").defaults == {"k": 1.02, "denominator": "present"}
    assert get_scheme("effective-number").defaults == {"beta": 0.9999}
    assert get_scheme("log-inverse").defaults == {"mu": 0.15, "denominator": "present"}
    assert get_scheme("logit-adjustment").defaults == {"tau": 1, "denominator": "present"}
    assert get_scheme("ldam").defaults == {"max_margin": 0.5}
    for name in ("inverse-frequency", "inverse-sqrt"):
        assert get_scheme(name).defaults == {"denominator": "present"}
    for name in ("uniform", "inverse-max", "median-frequency", "pos-weight", "inverse-square"):
        assert get_scheme(name).defaults == {}


@pytest.mark.parametrize("name", list_schemes())
def test_kind_of_every_scheme(name):
    """logit-adjustment gives logit offsets, ldam margins, every other scheme loss weights;
    the JSON says so."""
    kind = KINDS.get(name, "weights")
    assert get_scheme(name).kind == kind
    assert compute_weights([10, 30, 60], name).to_dict()["kind"] == kind


# ------------------------------------------------------------------ formulas and scales
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", list_schemes())
def test_scheme_matches_reference(name, case):
    """Natural-scale weights equal the reference formula; absent classes get 0."""
    counts = CASES[case]
    if _refused_all_zero(name, counts):
        with pytest.raises(UsageProblem, match="all-zero weights trains nothing"):
            _quiet(counts, name)
        return
    got = _quiet(counts, name)
    np.testing.assert_allclose(got.weights, _expected(counts, name), rtol=_rtol(name, case),
                               atol=0)
    assert got.absent == [c for c, n in enumerate(counts) if n == 0]
    assert got.counts == counts
    assert [type(c) for c in got.counts] == [type(c) for c in counts]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("normalize", NORMALIZATIONS)
@pytest.mark.parametrize("name", WEIGHT_SCHEMES)
def test_normalisation_matches_reference(name, normalize, case):
    """Every normalisation rescales the present classes as its reference says."""
    counts = CASES[case]
    if _refused_all_zero(name, counts):
        return  # refused, see test_scheme_matches_reference
    got = _quiet(counts, name, normalize)
    np.testing.assert_allclose(got.weights, _expected(counts, name, normalize),
                               rtol=_rtol(name, case), atol=0)
    assert got.normalize == normalize


@pytest.mark.parametrize("normalize, check", [
    ("sum", lambda w: math.isclose(w.sum(), 1)),
    ("sum-to-classes", lambda w: math.isclose(w.sum(), 3)),
    ("mean", lambda w: math.isclose(w[w > 0].mean(), 1)),
    ("max", lambda w: w.max() == 1),
    ("min", lambda w: w[w > 0].min() == 1),
])
def test_normalisation_is_over_present_classes(normalize, check):
    """With an absent class, sums, means and minimums are taken over the present ones."""
    w = compute_weights([10, 0, 30, 60], "inverse-sqrt", normalize).weights
    assert w[1] == 0 and check(w)


def test_binary_inverse_frequency_sum():
    """500000/31000 samples, sum-normalised: [31000/531000, 500000/531000]."""
    w = compute_weights([500000, 31000], normalize="sum").weights
    np.testing.assert_allclose(w, [31000 / 531000, 500000 / 531000], rtol=1e-15)


def test_binary_pos_weight():
    """pos-weight is negatives per positive: [31000/500000, 500000/31000]."""
    w = compute_weights([500000, 31000], "pos-weight").weights
    np.testing.assert_allclose(w, [31000 / 500000, 500000 / 31000], rtol=1e-15)


def test_pytorch_pos_weight_example():
    """PyTorch's docs: 300 negatives and 100 positives give pos_weight 3."""
    assert compute_weights([300, 100], "pos-weight").weights[1] == 3


def test_samples_case_sum_normalised():
    """198/436/710/272: pos-weight and inverse-frequency, sum-normalised, by hand."""
    n = [198, 436, 710, 272]
    pos = [(1616 - c) / c for c in n]
    inv = [1 / c for c in n]
    np.testing.assert_allclose(compute_weights(n, "pos-weight", "sum").weights,
                               [p / sum(pos) for p in pos], rtol=1e-14)
    np.testing.assert_allclose(compute_weights(n, "inverse-frequency", "sum").weights,
                               [p / sum(inv) for p in inv], rtol=1e-14)


def test_31_classes_inverse_max():
    """The 60% class gets 1 and class i gets 697.5 / i."""
    counts = CASES["31 classes, one at 60%"]
    assert Fraction(counts[0], sum(counts)) == Fraction(3, 5)
    w = compute_weights(counts, "inverse-max").weights
    assert w[0] == 1 and w.size == 31
    np.testing.assert_allclose(w[1:], [697.5 / i for i in range(1, 31)], rtol=1e-15)


def test_inverse_max_is_inverse_frequency_up_to_scale():
    """inverse-max equals inverse-frequency normalised to min 1 (same ratios)."""
    counts = CASES["31 classes, one at 60%"]
    np.testing.assert_allclose(compute_weights(counts, "inverse-max").weights,
                               compute_weights(counts, "inverse-frequency", "min").weights,
                               rtol=1e-14)


def test_huge_counts_are_exact_enough():
    """Counts of 10^12 that differ by one still give distinct, correctly rounded weights."""
    counts = [10**12, 10**12 + 1, 3 * 10**12]
    w = compute_weights(counts, "inverse-max").weights
    for got, n in zip(w, counts):
        assert got == pytest.approx(float(Fraction(3 * 10**12, n)), rel=1e-15)
    w = compute_weights(counts, "inverse-frequency").weights
    assert w[0] > w[1]
    assert w[0] == pytest.approx(float(Fraction(sum(counts), 3 * 10**12)), rel=1e-15)


def test_single_class():
    """One class: finite values everywhere; pos-weight would give all-zero weights (the
    class has no negatives) and is refused, saying why."""
    for name in list_schemes():
        if name != "pos-weight":
            assert np.isfinite(compute_weights([42], name).weights).all()
    with pytest.raises(UsageProblem, match="no class has negatives"):
        compute_weights([42, 0], "pos-weight", "sum")


def test_worked_cases_do_not_warn():
    """No scheme warns on the sample and binary cases with default parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in list_schemes():
            for case in ("samples", "binary", "31 classes, one at 60%"):
                compute_weights(CASES[case], name)


# -------------------------------------------------------------------- scheme parameters
def test_params_override_defaults_and_are_recorded():
    """--param values (strings or numbers) replace defaults and end up in .params."""
    w = compute_weights([10, 90], "enet", k="1.2")
    assert w.params == {"k": 1.2, "denominator": "present"}
    np.testing.assert_allclose(w.weights, REFERENCE["enet"]([10, 90], k=1.2), rtol=1e-14)
    assert compute_weights([10, 90], "enet").params == {"k": 1.02, "denominator": "present"}
    w = compute_weights([10, 90], "log-inverse", mu=2)
    np.testing.assert_allclose(w.weights, REFERENCE["log-inverse"]([10, 90], mu=2),
                               rtol=1e-14)


@pytest.mark.parametrize("scheme, params, message", [
    ("enet", {"beta": "0.9"}, "has no parameter beta"),
    ("uniform", {"k": "1"}, "its parameters: none"),
    ("enet", {"k": "abc"}, "not a number"),
    ("enet", {"k": "nan"}, "finite"),
    ("enet", {"k": True}, "not a number"),
    ("enet", {"k": "1"}, "greater than 1"),
    ("effective-number", {"beta": "1"}, "between 0 and 1"),
    ("effective-number", {"beta": "0"}, "between 0 and 1"),
    ("log-inverse", {"mu": "-1"}, "greater than 0"),
])
def test_bad_params_are_usage_problems(scheme, params, message):
    """Unknown parameter names and out-of-range or non-numeric values are rejected."""
    with pytest.raises(UsageProblem, match=message):
        compute_weights([1, 2], scheme, **params)


def test_effective_number_saturation_warns_with_a_fix():
    """With 10^12-pixel classes and beta=0.9999 every class saturates: warn, and the
    suggested beta removes the warning."""
    counts = [10**12, 3 * 10**12]
    with pytest.warns(MaskstatsWarning, match="every class saturates") as rec:
        w = compute_weights(counts, "effective-number")
    np.testing.assert_allclose(w.weights, [1, 1], rtol=1e-12)
    assert w.warnings == [str(rec[0].message)]
    beta = re.search(r"beta=([0-9.]+)$", w.warnings[0]).group(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        better = compute_weights(counts, "effective-number", beta=beta)
    assert better.weights[0] > better.weights[1] * 1.5


def test_effective_number_warning_goes_to_callback():
    """on_warning receives the messages instead of warnings.warn."""
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compute_weights([10**6, 10**7], "effective-number", on_warning=seen.append)
    assert len(seen) == 1 and "saturates" in seen[0]


def test_effective_number_near_one_beta_for_pixels():
    """beta = 1 - 1e-7 separates pixel-sized classes without cancellation errors."""
    counts = [10**5, 10**8]
    w = compute_weights(counts, "effective-number", beta=0.9999999).weights
    np.testing.assert_allclose(w, _ref_effective_number(counts, 0.9999999), rtol=1e-7)
    assert w[0] > 5 * w[1]


# ------------------------------------------------------------------- median-frequency
def _stats(pixel_counts, image_pixels=None, **kw):
    k = len(pixel_counts)
    return Stats(pixel_counts=list(pixel_counts), image_counts=[1] * k,
                 image_pixels=list(image_pixels or [0] * k), **kw)


def test_median_frequency_uses_image_pixels_from_stats():
    """From stats, g_c = n_c / image_pixels_c, median over present classes."""
    stats = _stats([50, 0, 10, 30], image_pixels=[100, 0, 40, 60])
    w = compute_weights(stats, "median-frequency").weights
    expected = _ref_median_frequency([50, 10, 30], [100, 40, 60])
    np.testing.assert_allclose(w, [expected[0], 0, expected[1], expected[2]], rtol=1e-14)


def test_median_frequency_without_image_pixels_warns_and_falls_back():
    """Stats without image_pixels fall back to n_c / N, with a warning."""
    with pytest.warns(MaskstatsWarning, match="image_pixels"):
        w = compute_weights(_stats([50, 10, 30]), "median-frequency").weights
    np.testing.assert_allclose(w, _ref_median_frequency([50, 10, 30]), rtol=1e-14)


# ------------------------------------------------------- absent, ignored, padded, clipped
def test_missing_zero_max_error():
    """Absent classes get 0, the largest present weight, or an error naming them."""
    counts = [100, 0, 25, 0]
    zero = compute_weights(counts, "inverse-max")
    assert zero.weights.tolist() == [1.0, 0.0, 4.0, 0.0] and zero.absent == [1, 3]
    high = compute_weights(counts, "inverse-max", "max", missing="max")
    assert high.weights.tolist() == [0.25, 1.0, 1.0, 1.0]
    with pytest.raises(UsageProblem, match=r"absent class\(es\) with zero count: 1, 3"):
        compute_weights(counts, missing="error")
    with pytest.raises(UsageProblem, match="missing='nope'"):
        compute_weights(counts, missing="nope")


def test_all_absent_is_an_error():
    """Nothing to weight: a clear usage problem, never NaN."""
    with pytest.raises(UsageProblem, match="every class has a zero count"):
        compute_weights([0, 0, 0])
    with pytest.raises(UsageProblem, match="or is ignored"):
        compute_weights([0, 5], ignore_index=[1])


def test_ignore_index_zeroes_and_excludes_the_class():
    """An ignored class gets 0 and is left out of N and C; it is not 'absent'."""
    w = compute_weights([1000, 300, 100], ignore_index=[0])
    np.testing.assert_allclose(w.weights, [0, 400 / 600, 400 / 200], rtol=1e-15)
    assert w.absent == [] and w.ignore_index == [0] and w.ignored == [0]


def test_ignore_values_outside_the_vector_are_recorded_only():
    """255 (and the stats' own ignore values) are recorded; the vector keeps its length."""
    stats = _stats([10, 30], ignore_index=[255], ignored_pixels=7)
    w = compute_weights(stats, ignore_index=[-100])
    assert w.weights.size == 2 and w.ignore_index == [-100, 255] and w.ignored == []


def test_num_classes_pads_or_refuses():
    """num_classes pads with absent classes; fewer classes than counts is an error."""
    w = compute_weights([10, 30], num_classes=4)
    assert w.weights.size == 4 and w.absent == [2, 3] and w.counts == [10, 30, 0, 0]
    named = compute_weights(_stats([10, 30], class_names=["a", "b"]), num_classes=3)
    assert named.class_names == ["a", "b", None]
    with pytest.raises(UsageProblem, match="num_classes is 1"):
        compute_weights([10, 30], num_classes=1)


def test_clip_after_normalisation():
    """clip bounds the normalised weights of present classes; absent ones stay 0."""
    w = compute_weights([1, 10, 100, 0], "inverse-max", "min", clip=(2, 50)).weights
    assert w.tolist() == [50.0, 10.0, 2.0, 0.0]
    for bad in [(3, 2), (-1, 2), ("a", 2), (1,)]:
        with pytest.raises(UsageProblem):
            compute_weights([1, 2], clip=bad)


@pytest.mark.parametrize("counts, message", [
    ([1, -2], "negative"),
    ([1, -0.5], "negative"),
    ([1, float("nan")], "finite"),
    ([1, float("inf")], "finite"),
    ([1, True], "not a count"),
    ([1, "2"], "not a count"),
    ([], "no counts"),
    ("1,2", "sequence of counts"),
    ([10**400, 1], r"401-digit number\) is beyond the float64 range"),
])
def test_bad_counts(counts, message):
    """Counts must be finite non-negative numbers that float64 can hold."""
    with pytest.raises(UsageProblem, match=message):
        compute_weights(counts)


def test_numpy_and_dict_inputs():
    """NumPy integer arrays, Stats and stats JSON dicts give the same weights."""
    stats = _stats([10, 0, 30], class_names=["a", "b", "c"])
    expected = compute_weights([10, 0, 30]).weights.tolist()
    assert compute_weights(np.array([10, 0, 30], dtype=np.uint64)).weights.tolist() == expected
    from_dict = compute_weights(stats.to_dict())
    assert from_dict.weights.tolist() == expected and from_dict.class_names == ["a", "b", "c"]
    with pytest.raises(BadStats, match="not a maskstats-stats file"):
        compute_weights({"format": "other"})


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(0, 10**13), min_size=1, max_size=8),
       name=st.sampled_from(list_schemes()), normalize=st.sampled_from(NORMALIZATIONS),
       missing=st.sampled_from(["zero", "max"]))
def test_never_nan_or_infinite(counts, name, normalize, missing):
    """Any counts give finite values and strict JSON (weights and margins >= 0, offsets
    <= 0), or a usage problem: nothing to weight, or all-zero pos-weights."""
    if name in KINDS:
        normalize = "none"  # refused for offsets and margins (own test)
    try:
        w = _quiet(counts, name, normalize, missing=missing)
    except UsageProblem:
        assert not any(counts) or _refused_all_zero(name, counts)
        return
    assert np.isfinite(w.weights).all()
    assert (w.weights <= 0).all() if name == "logit-adjustment" else (w.weights >= 0).all()
    json.dumps(w.to_dict(), allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.one_of(st.integers(0, 10**6),
                                 st.floats(0, 1e300, allow_nan=False, allow_infinity=False)),
                       min_size=1, max_size=6),
       name=st.sampled_from(list_schemes()))
def test_decimal_counts_never_nan_or_infinite(counts, name):
    """Decimal (sample-weighted) counts of any size give finite values, or a usage
    problem: nothing to weight, all-zero pos-weights, or an overflow named as such."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            w = _quiet(counts, name)
    except UsageProblem as exc:
        assert (not any(counts) or "all-zero" in str(exc) or "float64" in str(exc)), exc
        return
    assert np.isfinite(w.weights).all()
    json.dumps(w.to_dict(), allow_nan=False)


# ---------------------------------------------------------------- provenance and explain
def test_to_dict_has_every_spec_key():
    """The weights JSON carries format, version and the full provenance."""
    stats = _stats([10, 0, 30], class_names=["a", "b", "c"], ignore_index=[255])
    d = compute_weights(stats, "enet", "max").to_dict("s.json", "ab" * 32)
    assert d["format"] == "maskstats-weights" and d["version"] == 1
    assert d["scheme"] == "enet" and d["formula"] == "1 / ln(k + f_c)"
    assert d["params"] == {"k": 1.02, "denominator": "present"} and d["normalize"] == "max"
    assert d["counts"] == [10, 0, 30] and d["absent"] == [1] and d["kind"] == "weights"
    assert d["totals"] == {"present": 40, "all": 40, "samples": None}
    assert d["class_names"] == ["a", "b", "c"] and d["ignore_index"] == [255]
    assert d["source"] == {"stats": "s.json", "sha256": "ab" * 32}
    assert len(d["weights"]) == 3 and max(d["weights"]) == 1


def test_explain_loss_shares():
    """Before weighting the loss share is n_c/N; inverse-frequency makes it 1/C, and
    inverse-max gives the same shares (it only differs in scale)."""
    counts = [198, 436, 710, 272]
    for name in ("inverse-frequency", "inverse-max"):
        rows = compute_weights(counts, name).explain()
        for row, n in zip(rows, counts):
            assert row["loss_share_before"] == pytest.approx(n / 1616)
            assert row["share"] == pytest.approx(n / 1616)
            assert row["loss_share_after"] == pytest.approx(0.25)


def test_explain_with_ignored_and_absent():
    """Ignored classes carry no loss; absent classes carry none either."""
    rows = compute_weights([50, 50, 0, 100], ignore_index=[3]).explain()
    assert [r["ignored"] for r in rows] == [False, False, False, True]
    assert [r["loss_share_before"] for r in rows] == [0.5, 0.5, 0.0, 0.0]
    assert [r["share"] for r in rows] == [0.25, 0.25, 0.0, 0.5]
    assert [r["loss_share_after"] for r in rows] == [0.5, 0.5, 0.0, 0.0]


# -------------------------------------------------------------------------- load_weights
@pytest.mark.parametrize("fmt", FORMATS)
def test_load_weights_reads_every_format(tmp_path, fmt):
    """Whatever `weights -f FMT` writes, load_weights reads back exactly."""
    w = compute_weights([198, 436, 710, 272], "pos-weight", "sum")
    path = tmp_path / f"w.{fmt}"
    path.write_bytes(w.to_bytes(fmt, dtype=None if fmt == "json" else "float64"))
    got = load_weights(path)
    assert got.dtype == np.float64 and got.tolist() == w.weights.tolist()
    if fmt != "json":  # float32: each weight reads back as its float32 value
        path.write_bytes(w.to_bytes(fmt, dtype="float32"))
        got32 = load_weights(path)
        assert got32.astype(np.float32).tolist() == w.weights.astype(np.float32).tolist()
        assert got32.tolist() != w.weights.tolist()


@pytest.mark.parametrize("content, message", [
    (b'{"format": "maskstats-stats", "version": 1}', "not a maskstats-weights file"),
    (b'{"format": "maskstats-weights", "version": 99, "weights": [1]}', "newer"),
    (b'{"format": "maskstats-weights", "version": 1, "weights": ["a"]}', "list of numbers"),
    (b'{"format": "maskstats-weights", "version": 1, "weights": [1, ', "not valid JSON"),
    (b"[1, NaN]", "not valid JSON"),
    (b"1.0\nabc\n", "line 2"),
    (b"1.0\nnan\n", "NaN or Infinity"),
    (b"", "non-empty"),
])
def test_load_weights_errors(tmp_path, content, message):
    """Corrupt or foreign files raise BadStats naming the problem."""
    path = tmp_path / "w.txt"
    path.write_bytes(content)
    with pytest.raises(BadStats, match=message):
        load_weights(path)
    with pytest.raises(BadStats, match="no such file"):
        load_weights(tmp_path / "missing.json")


def test_public_api():
    """The package exports the weights API."""
    for name in ("compute_weights", "list_schemes", "load_weights"):
        assert name in maskstats.__all__ and callable(getattr(maskstats, name))
    assert set(MISSING) == {"zero", "max", "error"}


# ------------------------------------------------------------- decimal and exact counts
def test_sklearn_balanced_with_fractional_sample_weights():
    """scikit-learn's compute_class_weight('balanced') on sample weights [1.5, 2] gives
    [1.1667, 0.875]: n_samples / (n_classes * weighted count)."""
    w = compute_weights([1.5, 2], "balanced").weights
    np.testing.assert_allclose(w, [3.5 / (2 * 1.5), 3.5 / (2 * 2)], rtol=1e-15)
    assert w.round(4).tolist() == [1.1667, 0.875]


def test_sklearn_weighted_and_repeated_samples_are_equivalent():
    """Translated from scikit-learn's test_compute_class_weight_balanced_sample_weight_
    equivalence, with fractional weights: weighting samples equals repeating them."""
    y = np.asarray([-1, -1, 0, 0, -2, -2])
    sw = np.asarray([1, 0, 1, 1, 1, 2]) * 0.5          # fractional sample weights
    weighted = np.bincount(y + 2, weights=sw)           # [1.5, 0.5, 1.0]
    repeated = np.bincount(np.repeat(y, (sw * 2).astype(int)) + 2)  # [3, 1, 2]
    w_weighted = compute_weights(weighted.tolist(), "balanced").weights
    w_repeated = compute_weights(repeated.tolist(), "balanced").weights
    np.testing.assert_allclose(w_weighted, w_repeated, rtol=1e-15)
    n = repeated.tolist()
    np.testing.assert_allclose(w_repeated, [sum(n) / (3 * c) for c in n], rtol=1e-15)
    # the total effect of the samples is kept: sum_c w_c n_c = sum of the sample weights
    assert np.dot(w_weighted, weighted) == pytest.approx(sw.sum())


def test_integer_counts_stay_exact_ints():
    """Integer counts come back as the same Python ints (no float detour), also in JSON,
    and decimals stay floats."""
    counts = [10**20 + 1, 3, 0]
    w = compute_weights(counts)
    assert w.counts == counts and all(type(c) is int for c in w.counts)
    d = json.loads(json.dumps(w.to_dict()))
    assert d["counts"] == counts and d["totals"]["present"] == 10**20 + 4
    mixed = compute_weights([5, 2.5]).to_dict()
    assert mixed["counts"] == [5, 2.5] and type(mixed["counts"][0]) is int


@pytest.mark.parametrize("name", WEIGHT_SCHEMES)
def test_extreme_decimal_counts_give_a_result_or_an_error(name):
    """1e308,1,1 normalised to sum 1: a finite vector that sums to 1, or a usage problem;
    never NaN, Infinity, all zeros or a NumPy RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            w = _quiet([1e308, 1, 1], name, "sum").weights
        except UsageProblem as exc:
            assert "float64" in str(exc)
            return
    assert np.isfinite(w).all() and w.sum() == pytest.approx(1)


def test_extreme_counts_inverse_frequency_reference():
    """With 1e308,1,1 inverse frequency normalised to sum 1 is (1/n_c) / sum_k (1/n_k),
    computed here exactly with fractions."""
    n = [Fraction(1e308), Fraction(1), Fraction(1)]
    inv = [1 / c for c in n]
    expected = [float(v / sum(inv)) for v in inv]
    got = compute_weights([1e308, 1, 1], "inverse-frequency", "sum").weights
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_all_zero_weights_are_refused():
    """clip (0, 0) zeroes every weight: refused, as a loss with all-zero weights trains
    nothing."""
    with pytest.raises(UsageProblem, match="sets every weight to 0"):
        compute_weights([5, 3], clip=(0, 0))
    assert compute_weights([5, 3], clip=(0, 0.5)).weights.tolist() == [0.5, 0.5]


# ------------------------------------------------------------- denominator=all, ENet
def _enet_weighing(labels, num_classes, c=1.02):
    """PyTorch-ENet's enet_weighing, rewritten: bincount over every pixel, divided by the
    number of all pixels (ignored ones included)."""
    class_count = 0
    total = 0
    for label in labels:
        flat = np.asarray(label).ravel()
        class_count = class_count + np.bincount(flat, minlength=num_classes)
        total += flat.size
    return 1 / np.log(c + class_count / total)


def test_enet_denominator_all_matches_enet_weighing():
    """With ignored pixels (255), enet with denominator=all equals enet_weighing on the
    present classes; the default (ignored pixels left out) differs."""
    rng = np.random.default_rng(7)
    masks = []
    for _ in range(5):
        m = rng.choice([0, 0, 0, 1, 2, 3], size=(40, 50)).astype(np.uint8)
        m[:6] = 255                                        # a void band
        masks.append(m)
    stats = maskstats.count_arrays(masks, layout="mask", ignore_index=[255])
    reference = _enet_weighing(masks, 4)[:4]
    got = compute_weights(stats, "enet", denominator="all")
    np.testing.assert_allclose(got.weights, reference, rtol=1e-14)
    assert got.totals["all"] == 5 * 40 * 50
    default = compute_weights(stats, "enet").weights
    assert not np.allclose(default, reference, rtol=1e-3)


def test_denominator_all_without_total_pixels_uses_ignored_pixels():
    """A stats dict without total_pixels still puts ignored and unexpected pixels into N."""
    d = _stats([600, 300], ignore_index=[255], ignored_pixels=80,
               unexpected={"7": 20}).to_dict()
    del d["total_pixels"]
    got = compute_weights(d, "enet", denominator="all").weights
    np.testing.assert_allclose(got, [1 / math.log(1.02 + c / 1000) for c in (600, 300)],
                               rtol=1e-14)


def test_enet_denominator_all_with_an_ignored_class_in_the_vector():
    """CamVid-style counts (class 3 = unlabelled, inside the vector): N is every count, and
    the ignored class gets 0 (PyTorch-ENet zeroes it after weighting)."""
    counts = [5000, 1200, 300, 800]
    got = compute_weights(counts, "enet", ignore_index=[3], denominator="all").weights
    total = sum(counts)
    expected = [1 / math.log(1.02 + c / total) for c in counts[:3]] + [0.0]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize("name, reference", [
    ("inverse-frequency", lambda n, t: [t / (len(n) * c) for c in n]),
    ("inverse-sqrt", lambda n, t: [math.sqrt(t / c) for c in n]),
    ("log-inverse", lambda n, t: [max(1.0, math.log(0.15 * t / c)) for c in n]),
    ("logit-adjustment", lambda n, t: [math.log(c / t) for c in n]),
    ("enet", lambda n, t: [1 / math.log(1.02 + c / t) for c in n]),
])
def test_frequency_schemes_with_denominator_all(name, reference):
    """denominator=all puts the stats' total_pixels (ignored pixels included) into N."""
    stats = _stats([600, 0, 200, 100], ignore_index=[255], ignored_pixels=100,
                   total_pixels=1000)
    got = compute_weights(stats, name, denominator="all").weights
    expected = reference([600, 200, 100], 1000)
    np.testing.assert_allclose(got[[0, 2, 3]], expected, rtol=1e-14)
    assert got[1] == 0


# ---------------------------------------------------------------- the new schemes
def test_inverse_square_is_inverse_max_squared():
    """Generalized Dice weights 1/n_c^2 on the scale max-class = 1 are inverse-max squared."""
    counts = [900, 30, 3, 0]
    got = compute_weights(counts, "generalized-dice").weights
    assert got.tolist() == [1.0, 900.0, 90000.0, 0.0]


def test_logit_adjustment_offsets_are_log_priors():
    """With tau = 1, exp(offset) is the class prior (they sum to 1); tau scales them."""
    counts = [198, 436, 710, 272]
    w = compute_weights(counts, "logit-adjustment")
    assert w.kind == "logit-offsets" and w.params == {"tau": 1, "denominator": "present"}
    np.testing.assert_allclose(np.exp(w.weights), [c / 1616 for c in counts], rtol=1e-14)
    twice = compute_weights(counts, "logit-adjustment", tau=2).weights
    np.testing.assert_allclose(twice, 2 * w.weights, rtol=1e-15)


def test_ldam_margins():
    """The rarest class gets max_margin, the others (n_min / n_c)^(1/4) of it."""
    counts = [10000, 625, 16]
    m = compute_weights(counts, "ldam", max_margin=0.8).weights
    np.testing.assert_allclose(m, [0.8 * (16 / 10000) ** 0.25, 0.8 * (16 / 625) ** 0.25, 0.8],
                               rtol=1e-14)
    assert m[2] == 0.8


@pytest.mark.parametrize("name", list(KINDS))
def test_offsets_and_margins_refuse_normalize_and_clip(name):
    """Offsets and margins are not weights: --normalize and --clip are usage problems
    naming the parameter that sets their scale."""
    param = "tau" if name == "logit-adjustment" else "max_margin"
    with pytest.raises(UsageProblem, match=f"--normalize does not apply.*--param {param}"):
        compute_weights([1, 2], name, "max")
    with pytest.raises(UsageProblem, match=f"--clip does not apply.*--param {param}"):
        compute_weights([1, 2], name, clip=(0, 1))


@pytest.mark.parametrize("name", list(KINDS))
def test_absent_classes_of_offsets_and_margins_follow_missing(name):
    """An absent class gets 0 (missing=zero), the largest present value (max), or an
    error; explain() gives no loss share for them."""
    counts = [300, 0, 100]
    zero = compute_weights(counts, name)
    ref = REFERENCE[name]([300, 100])
    np.testing.assert_allclose(zero.weights, [ref[0], 0, ref[1]], rtol=1e-14)
    high = compute_weights(counts, name, missing="max").weights
    assert high[1] == max(ref)
    with pytest.raises(UsageProblem, match="absent"):
        compute_weights(counts, name, missing="error")
    rows = zero.explain()
    assert all(r["loss_share_before"] is None and r["loss_share_after"] is None for r in rows)


@pytest.mark.parametrize("scheme, params, message", [
    ("logit-adjustment", {"tau": "0"}, "tau must be greater than 0"),
    ("logit-adjustment", {"tau": "-1"}, "tau must be greater than 0"),
    ("logit-adjustment", {"tau": "nan"}, "finite"),
    ("ldam", {"max_margin": "0"}, "max_margin must be greater than 0"),
    ("ldam", {"max_margin": "abc"}, "not a number"),
    ("enet", {"denominator": "pixels"}, "not one of: present, all"),
    ("inverse-max", {"denominator": "all"}, "has no parameter denominator"),
])
def test_new_parameter_ranges(scheme, params, message):
    """tau, max_margin and denominator are checked; schemes without N take no denominator."""
    with pytest.raises(UsageProblem, match=message):
        compute_weights([1, 2], scheme, **params)


def test_median_frequency_median_class_gets_one_only_for_odd_counts():
    """With an odd number of classes the median class gets 1; with an even number the
    median is the mean of the middle two and no class need get 1 (the summary says
    median_k(g_k) / g_c, not 'the median class gets 1')."""
    odd = compute_weights([10, 20, 40], "median-frequency").weights
    assert odd[1] == 1
    even = compute_weights([10, 20, 40, 80], "median-frequency").weights
    assert 1 not in even.tolist()
    assert "median class gets 1" not in get_scheme("median-frequency").summary


# ---------------------------------------------------------------------- multi-label
def test_pos_weight_uses_the_samples_of_multi_label_stats():
    """12 samples, cat in 3, dog in 10, fox in 3: pos_weight = (12 - n_c) / n_c =
    [3, 0.2, 3], not (16 - n_c) / n_c from the summed counts."""
    stats = maskstats.Stats(pixel_counts=[3, 10, 3], image_counts=[3, 10, 3],
                            image_pixels=[12, 12, 12], num_images=12, total_pixels=12,
                            unit="samples", extra={"multi_label": {"samples": 12}})
    got = compute_weights(stats, "pos-weight")
    np.testing.assert_allclose(got.weights, [9 / 3, 2 / 10, 9 / 3], rtol=1e-15)
    assert got.totals["samples"] == 12
    old = maskstats.Stats(pixel_counts=[3, 10, 3], image_counts=[3, 10, 3],
                          image_pixels=[12, 12, 12], num_images=12, total_pixels=12)
    np.testing.assert_allclose(compute_weights(old, "pos-weight").weights,
                               [13 / 3, 6 / 10, 13 / 3], rtol=1e-15)


def test_count_labels_records_multi_label_samples(tmp_path):
    """labels --multi-label records the number of samples; pos-weight then gives the truth."""
    rows = ["cat;dog"] * 2 + ["cat"] + ["fox;dog"] * 2 + ["fox"] + ["dog"] * 6
    path = tmp_path / "tags.csv"
    path.write_text("path,label\n" + "".join(f"{i}.jpg,{r}\n" for i, r in enumerate(rows)))
    stats = maskstats.count_labels(path, multi_label=";")
    assert stats.class_names == ["cat", "dog", "fox"] and stats.pixel_counts == [3, 10, 3]
    assert stats.to_dict()["multi_label"] == {"samples": 12}
    np.testing.assert_allclose(compute_weights(stats, "pos-weight").weights, [3.0, 0.2, 3.0],
                               rtol=1e-15)
    single = tmp_path / "single.csv"
    single.write_text("label\ncat\ndog\ndog\n")
    assert "multi_label" not in maskstats.count_labels(single).to_dict()


def test_count_arrays_multi_label_pos_weight():
    """A multi-label (B,H,W,C) array: N is the number of pixels, counted here."""
    rng = np.random.default_rng(3)
    y = rng.random((4, 16, 16, 3)) < np.array([0.3, 0.05, 0.6])
    stats = maskstats.count_arrays(y, layout="multi-label")
    pixels = 4 * 16 * 16
    positives = [int(y[..., c].sum()) for c in range(3)]
    assert stats.pixel_counts == positives
    assert stats.to_dict()["multi_label"] == {"samples": pixels}
    np.testing.assert_allclose(compute_weights(stats, "pos-weight").weights,
                               [(pixels - p) / p for p in positives], rtol=1e-15)
    merged = stats.merge(stats)
    assert merged.extra["multi_label"] == {"samples": 2 * pixels}
    with pytest.raises(UsageProblem, match="different options"):
        stats.merge(maskstats.count_arrays(y[..., 0].astype(np.uint8), layout="stack"))


def test_float32_output_refuses_values_beyond_its_range():
    """A weight above float32's maximum cannot go to a float32 NPY: a usage problem that
    points to float64, which writes it."""
    w = compute_weights([1e45, 1], "inverse-max")
    with pytest.raises(UsageProblem, match="use --dtype float64"):
        w.to_bytes("npy")
    assert load_weights_bytes(w.to_bytes("npy", dtype="float64")).tolist() == [1.0, 1e45]


def load_weights_bytes(data: bytes) -> np.ndarray:
    """np.load of NPY bytes (a test helper)."""
    import io

    return np.load(io.BytesIO(data))
