"""The rule that judges the lecture's claims, on inputs whose answer is known: a true effect with
noise holds, no effect never holds, the opposite effect is contradicted, one seed decides nothing;
the intervals cover the true effect as often as they say; and the shape measures see shape, not scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from science.evidence import ABOVE, BELOW, WITHIN, frequency, mean_effect, spread_ratio
from science.measures import shape_of

rng = np.random.default_rng(20261130)
THRESHOLD = 0.1  # the tests' own threshold, not one of the page's


@pytest.mark.parametrize("side", [ABOVE, BELOW])
def test_a_true_effect_holds_and_the_opposite_is_contradicted(side):
    sign = 1 if side == ABOVE else -1
    true = rng.normal(sign * (THRESHOLD + 1.0), 0.2, size=5)
    opposite = rng.normal(-sign * 1.0, 0.2, size=5)
    assert mean_effect(true, THRESHOLD * sign, side).verdict == "holds"
    assert mean_effect(opposite, THRESHOLD * sign, side).verdict == "contradicted"


def test_no_effect_never_holds_and_mostly_says_so():
    verdicts = [mean_effect(rng.normal(0, 1, size=5), 0.0, ABOVE).verdict for _ in range(400)]
    shares = {verdict: verdicts.count(verdict) / len(verdicts) for verdict in ("holds", "contradicted", "inconclusive")}
    # A 95% interval misses zero on either side 2.5% of the time each.
    assert shares["holds"] < 0.06 and shares["contradicted"] < 0.06 and shares["inconclusive"] > 0.9


def test_a_tie_is_never_holds():
    effect = mean_effect([0, 0, 0, 0, 0], 0.0, ABOVE)  # 0 inactive against 0 in every seed
    assert effect.verdict == "inconclusive" and effect.seeds_needed is None


def test_counts_that_agree_by_chance_in_two_seeds_decide_nothing():
    """Two seeds that both lose two more variables could be luck; six seeds that all do are not."""
    assert mean_effect([2, 2], 0.0, ABOVE, resolution=1).verdict == "inconclusive"
    assert mean_effect([2] * 6, 0.0, ABOVE, resolution=1).verdict == "holds"
    assert mean_effect([0] * 6, 0.0, ABOVE, resolution=1).verdict == "inconclusive"  # a tie, however many seeds


def test_one_seed_decides_nothing_however_large_the_effect():
    for values, side in (([50.0], ABOVE), ([-50.0], ABOVE), ([0.0], WITHIN)):
        effect = mean_effect(values, THRESHOLD, side)
        assert effect.verdict == "inconclusive" and math.isinf(effect.low) and math.isinf(effect.high)
    assert spread_ratio([1.0], [2.0], 0.0, ABOVE, paired=True).verdict == "inconclusive"
    assert frequency(1, 1, 0.5, ABOVE).verdict == "inconclusive"


def test_within_holds_near_the_reference_and_is_contradicted_far_from_it():
    assert mean_effect(rng.normal(0.0, 0.01, size=5), THRESHOLD, WITHIN).verdict == "holds"
    assert mean_effect(rng.normal(1.0, 0.01, size=5), THRESHOLD, WITHIN).verdict == "contradicted"
    assert mean_effect(rng.normal(-1.0, 0.01, size=5), THRESHOLD, WITHIN).verdict == "contradicted"


def test_the_t_interval_covers_the_true_mean_95_percent_of_the_time():
    true, draws, local = 0.7, 4000, np.random.default_rng(5)
    covered = 0
    for _ in range(draws):
        effect = mean_effect(local.normal(true, 1.3, size=5), 0.0, ABOVE)
        covered += effect.low <= true <= effect.high
    assert 0.94 <= covered / draws <= 0.96  # 3 standard errors either side of 95%


def test_the_clopper_pearson_interval_covers_at_least_95_percent():
    true, n = 0.3, 10
    draws = rng.binomial(n, true, size=2000)
    covers = {k: (effect := frequency(k, n, 0.5, ABOVE)).low <= true <= effect.high for k in range(n + 1)}
    assert sum(covers[int(k)] for k in draws) / 2000 >= 0.95


def test_the_bootstrap_interval_of_a_ratio_of_spreads_covers_the_true_ratio():
    true = 2.0  # sd 2 against sd 1
    covered, draws = 0, 300
    for index in range(draws):
        effect = spread_ratio(rng.normal(0, true, size=15), rng.normal(0, 1, size=15), 0.0, ABOVE, paired=False, seed=index)
        covered += effect.low <= math.log(true) <= effect.high
    assert covered / draws >= 0.85  # a percentile bootstrap of 15 seeds runs a little short of 95%


def test_five_seeds_decide_a_tenfold_spread_and_cover_the_true_ratio():
    """The default lecture has 5 seeds: there the F interval decides a large difference of spreads
    (a bootstrap of 5 seeds could not: one resample of a repeated seed made its interval unbounded),
    and covers the true ratio 95% of the time."""
    local = np.random.default_rng(3)
    assert spread_ratio(local.normal(0, 10, size=5), local.normal(0, 1, size=5), math.log(2), ABOVE, paired=True).verdict == "holds"
    assert spread_ratio(local.normal(0, 1, size=5), local.normal(0, 10, size=5), math.log(2), ABOVE, paired=True).verdict == "contradicted"
    covered = np.mean([(e := spread_ratio(local.normal(0, 2, size=5), local.normal(0, 1, size=5), 0.0, ABOVE, paired=False)).low
                       <= math.log(2) <= e.high for _ in range(2000)])
    assert 0.93 <= covered <= 0.97


def test_seeds_that_agree_exactly_give_no_interval():
    assert mean_effect([0.5, 0.5, 0.5], 0.0, ABOVE).verdict == "inconclusive"


def test_spread_ratios_hold_contradict_and_leave_undecided():
    wide, narrow = rng.normal(0, 10, size=15), rng.normal(0, 1, size=15)
    assert spread_ratio(wide, narrow, math.log(2), ABOVE, paired=True).verdict == "holds"
    assert spread_ratio(narrow, wide, math.log(2), ABOVE, paired=True).verdict == "contradicted"
    three = spread_ratio([150.1, 152.3, 149.0], [150.5, 151.0, 149.9], math.log(2), ABOVE, paired=True)
    assert three.verdict == "inconclusive"


def test_seeds_needed_are_the_seeds_that_decide_at_the_observed_effect():
    def sample(n, mean, sd):  # n values with exactly this mean and sd
        z = rng.normal(size=n)
        z = (z - z.mean()) / z.std(ddof=1)
        return mean + sd * z

    effect = mean_effect(sample(3, 0.5, 1.0), 0.0, ABOVE)
    assert effect.verdict == "inconclusive" and effect.seeds_needed
    m = effect.seeds_needed
    assert mean_effect(sample(m, 0.5, 1.0), 0.0, ABOVE).verdict == "holds"
    # At that many seeds a true effect of that size and spread is decided about 80% of the time.
    local = np.random.default_rng(11)
    decided = np.mean([mean_effect(local.normal(0.5, 1.0, size=m), 0.0, ABOVE).verdict == "holds" for _ in range(400)])
    assert 0.72 <= decided <= 0.9, (m, decided)
    share = frequency(2, 3, 0.2, ABOVE)  # 2 of 3: undecided; at 2/3 of more seeds it would hold
    assert share.verdict == "inconclusive" and frequency(round(share.seeds_needed * 2 / 3), share.seeds_needed, 0.2, ABOVE).verdict == "holds"


def test_shape_is_measured_after_whitening_so_scale_cannot_move_it():
    gaussian = rng.normal(size=(10000, 2))
    squeezed = gaussian * [0.05, 0.2] + [0.3, -0.1]  # the same shape, small and off-centre
    box = rng.uniform(-1, 1, size=(10000, 2))
    for codes in (gaussian, squeezed):
        shape = shape_of(codes)
        assert shape.gaussian_kurtosis == 8 and abs(shape.kurtosis - 8) < 0.4 and shape.radial_ks < 0.02
    assert shape_of(gaussian).radial_ks == pytest.approx(shape_of(squeezed).radial_ks, abs=1e-9)
    assert shape_of(squeezed).sphericity == pytest.approx(16, rel=0.1) and shape_of(gaussian).sphericity == pytest.approx(1, abs=0.1)
    uniform = shape_of(box)  # a uniform square is light-tailed: kurtosis 5.6 in 2-d
    assert uniform.kurtosis == pytest.approx(2 * 1.8 + 2, rel=0.05) and uniform.radial_ks > 0.05
    assert stats.kstest(np.linalg.norm(gaussian, axis=1), stats.chi(2).cdf).pvalue > 0.001


def test_a_dead_encoder_has_no_shape():
    assert shape_of(np.tile([[0.4, -1.2]], (500, 1))) is None


def test_the_frechet_distance_of_known_gaussians():
    from science.classifier import frechet_distance

    k = 6
    assert frechet_distance(np.zeros(k), np.eye(k), np.zeros(k), np.eye(k)) == pytest.approx(0, abs=1e-9)
    assert frechet_distance(np.full(k, 0.5), np.eye(k), np.zeros(k), np.eye(k)) == pytest.approx(k * 0.25)
    assert frechet_distance(np.zeros(k), 9 * np.eye(k), np.zeros(k), np.eye(k)) == pytest.approx(k * (3 - 1) ** 2)


def test_a_damaged_classifier_cache_is_trained_again(small_mnist, monkeypatch, tmp_path):
    from science import classifier

    monkeypatch.setattr(classifier, "EPOCHS", 1)  # only what the cache does is under test here
    monkeypatch.setattr(classifier, "cache_path", lambda mnist: tmp_path / "mnist-cnn.pt")
    (tmp_path / "mnist-cnn.pt").write_bytes(b"not a checkpoint")
    said = []
    scorer = classifier.load_scorer(small_mnist, echo=said.append)
    assert "not a readable classifier" in said[0] and 0.5 < scorer.accuracy <= 1
    again = classifier.load_scorer(small_mnist, echo=said.append)  # now read from the cache, not trained
    assert len(said) == 3 and again.accuracy == scorer.accuracy


def test_a_collapsed_direction_is_counted_not_divided_by():
    """One variable stuck at one value (a collapse) leaves the others' shape to measure: the ratio is over
    the directions the codes span, and the dead one is counted beside it (it once made ratios of 1e14)."""
    local = np.random.default_rng(8)
    codes = np.c_[local.normal(size=(5000, 2)) * [1.0, 2.0], np.full(5000, 0.3)]
    shape = shape_of(codes)
    assert shape.dead_directions == 1 and shape.sphericity == pytest.approx(4, rel=0.1)
