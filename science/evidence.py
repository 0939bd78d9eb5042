"""One rule for judging every claim of the lecture from its seeds.

A claim names in advance its per-seed effect, the side the lecture predicts and what its adverb asks
of the effect (`ADVERBS`, `SHARES`: fixed here once, with their reasons, shown on the page). Every
finished run counts, a dead encoder included (intention to treat): a dead run is an outcome of its
architecture, so the statistics are ones that one wild seed cannot dominate. The seeds give the
effect's estimate, a 95% interval and a one-sided p-value against the threshold, from SciPy:

- a location over seeds, paired by seed (differences or log ratios of two nets): the Hodges-Lehmann
  estimate (the median of the Walsh averages) with the interval that inverts the exact Wilcoxon
  signed-rank test (`scipy.stats.wilcoxon`'s null distribution). Its estimand is the pseudo-median of
  the per-seed differences (or log ratios), and its test assumes them symmetric about it: two nets
  that do not differ give symmetric differences, but a skewed effect need not be;
- one value per seed against a fixed reference (a radius against 1, a slope against 0, a distance
  against a bound: `one_sample`): nothing makes those values symmetric (a lognormal world gave 5-20%
  false holds with Wilcoxon), so the median with the sign-test interval (the exact binomial test of
  the share of seeds past the threshold, `scipy.stats.binomtest`), which assumes no symmetry. Neither
  assumes normal seeds; both need 6 seeds for any 95% interval (with 5, the smallest one-sided
  p-value a rank or sign test can give is 1/32);
- a paired difference of counts (more active variables, fewer dead encoders: whole steps, mostly
  ties): the seeds up, down and tied against the threshold, and the exact sign test on the untied
  ones (`binomtest(up, up + down)`: McNemar's exact test for 0/1 outcomes), conditional on the ties,
  so a partial effect (a dead encoder in half the seeds, removed) can hold. It has no interval of the
  median to show: the counts and the p-value are shown, and the verdict follows the p-value on each
  side;
- a ratio of spreads over seeds: the ratio of mean absolute deviations from the median (the
  Brown-Forsythe spread), tested one-sided with Welch's t on the deviations at the conservative
  min(n) - 1 degrees of freedom, and its interval from inverting that test in the ratio (Fieller);
  with fewer than 6 seeds a net (`SPREAD_SEEDS`) no verdict: the test's false holds passed 2.5% at 4;
- a share of seeds: Clopper-Pearson (`binomtest(...).proportion_ci`), the exact binomial test's p;
- an association across seeds (do the seeds with more collapsed variables generate worse?): Kendall's
  tau-b, tested by permuting the pairing of the two values over the seeds
  (`scipy.stats.permutation_test`: exact up to 4 seeds, (n!)^2 orderings; 9,999 fixed-seed pairings beyond), which
  needs no shape of either and keeps its level with ties (counts of variables are mostly ties). Like
  paired counts it shows no interval; the verdict follows the p-value on each side.

Each interval is the set of thresholds its own test would not reject, so the verdict and the p-value
agree: **holds** when the whole interval lies past the threshold on the predicted side (the one-sided
p-value is at most 2.5%), **contradicted** when it lies wholly on the other side, **inconclusive**
otherwise (`p_other`, the one-sided p toward the other side, is at most 2.5% exactly when it is
contradicted). A tie is never "holds"; with one seed there is no interval. `holm` adjusts the
p-values of a family of tests (Holm 1979: a step-down Bonferroni; five lines, so no dependency for it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import optimize, stats

CONFIDENCE = 0.95
ALPHA = (1 - CONFIDENCE) / 2  # one-sided: a verdict is a one-sided test at 2.5%
MOST_SEEDS = 1000  # "seeds needed" is not searched beyond this
POWER = 0.8  # "seeds needed": the seeds at which an effect as large as its interval allows is decided this often
SPREAD_SEEDS = 6  # a spread verdict needs this many seeds a net: at 4, false holds ran 3-7% on mixtures (Welch on few deviations)
EXACT_RANKS = 60  # the signed-rank null distribution is counted exactly up to this many seeds, normal beyond
ABOVE, BELOW, WITHIN = "above", "below", "within"  # the predicted side of the threshold
PAIRINGS = 9999  # an association's permutation test: pairings drawn (with a fixed seed) when the seeds have more orderings than this
KENDALL = "Kendall's tau-b across seeds, permutation test on the pairings, no interval"
WILCOXON, MEDIAN, SIGN, BROWN_FORSYTHE, CLOPPER_PEARSON = (
    "Hodges-Lehmann: the pseudo-median of the per-seed paired differences or log ratios, Wilcoxon signed-rank interval",
    "median against a fixed reference, sign-test interval (no symmetry assumed)",
    "paired counts: seeds up, down and tied (+, -, 0), exact sign test on the untied ones (McNemar's for 0/1), no interval",
    "ratio of mean absolute deviations from the median, Welch-Fieller interval", "share, Clopper-Pearson interval")


@dataclass(frozen=True)
class Adverb:
    """What a word of the page asks of an effect measured as a ratio (the quantity against its reference)."""

    word: str
    factor: float  # the ratio must pass this (1: any change at all); "within": stay inside [1/factor, factor]
    meaning: str
    reason: str = ""  # why this number: fixed before any run was looked at


ADVERBS = {
    "more": Adverb("more, better, less (no adverb)", 1.0, "any change in the predicted direction, however small",
                   "the words name a direction and no size"),
    "slightly": Adverb("slightly", 1.01, "at least 1% of the quantity itself",
                       "the smallest change the page's own figures could show (a 1% loss change is below a plot's line width)"),
    "sensibly": Adverb("sensibly", 1.05, "at least 5% of the quantity itself",
                       "five times 'slightly': a change a reader notices in a table of losses"),
    "much": Adverb("much, rapidly", 2.0, "at least a factor of 2 (twice, or half)", "the everyday meaning of 'much more': twice"),
    "close": Adverb("close to, -like", 1.25, "within 25% of the reference, either way",
                    "the spread of MNIST digits' own per-class statistics around their mean is of this order"),
    "small": Adverb("small", 4.0, "a quarter of the reference or less", "'small against' a scale: an order of magnitude on a log2 scale (two halvings)"),
    "not so evident": Adverb("not so evident (an equivalence band)", 1.25, "within 25% either way: the whole interval inside the band (TOST)",
                             "an effect no reader would call evident is one the page would call 'close to' nothing: the 'close to' tolerance; "
                             "fixed before any run was looked at, and judged as equivalence (both one-sided tests), never as a missing difference"),
}


@dataclass(frozen=True)
class Share:
    """What a word of the page asks of a share: of seeds, or of a classifier's confidence."""

    word: str
    share: float  # the share of seeds must pass this
    meaning: str
    reason: str = ""  # why this number: fixed before any run was looked at


SHARES = {
    "not infrequently": Share("not infrequently", 0.2, "in more than one run in five"),  # 'infrequent' is rarer than one time in five
    "confirmed": Share("confirmed", 0.5, "in most runs"),  # a finding 'confirmed' happens more often than not
    "modest": Share("modest (samples)", 0.9, "a sample classifier less than 90% sure, on average, of what digit it sees"),  # it is >99% sure of real test digits
    "around the center": Share("around the center (centre offset)", 0.25, "the codes' mean within a quarter of their spread (root mean "
                               "variance) of the origin",
                               "a reader of the scatter plot sees the cloud centred on the origin: an offset of a quarter of its spread "
                               "lies well inside its densest part (a Gaussian's density there is 97% of its peak); a VAE's KL term pulls the "
                               "mean there, an autoencoder's codes need not be"),
    "Gaussian-like": Share("Gaussian-like (shape distance)", 0.05,
                           "the whitened codes' radii (KS distance from chi_d) and angles (Kuiper distance from uniform, 2-d) each at most "
                           "5% of the codes out of place",
                           "'like' a Gaussian is a shape a reader of the scatter plot would take for one: no band of radii or sector of angles "
                           "holding 5% of the codes more or less than a Gaussian's (a 10-ray star, Gaussian radii, reads 0.10 on the angles; "
                           "10,000 Gaussian codes read about 0.01-0.02)"),
}

# The circle claim: how far reconstruction stays close. The loss of codes on a ring k sigma from a digit's
# mean over its loss at the mean grows with k; the distance is where it first passes 1 + the "close to"
# tolerance (ADVERBS["close"]: 25% more loss), interpolated along CLOSE_KS, and the page's circle (1 sigma)
# is "about" that distance when it lies within the "close to" band of 1 (0.8 to 1.25 sigma).
CLOSE_KS = tuple(0.25 * i for i in range(41))  # 0 to 10 sigma by quarters: as far as the occupancy view's loss curve looks
CLOSE_LOSS = ADVERBS["close"].factor - 1  # "close to the input": at most 25% more reconstruction loss than the mean's


@dataclass(frozen=True)
class Effect:
    """An effect over seeds, on the scale it is judged on (log ratios for ratios), with its verdict."""

    estimate: float | None
    low: float  # the 95% interval; -inf/inf when the seeds give none
    high: float
    threshold: float
    side: str  # ABOVE, BELOW or WITHIN (|effect| below the threshold)
    seeds: int  # how many took part
    verdict: str
    seeds_needed: int | None  # inconclusive only: the fewest seeds that could decide it (see `_at_least`); None: unknown
    p_value: float | None = None  # one-sided, that the effect lies past the threshold on the predicted side (WITHIN: both sides)
    statistic: str = ""  # which estimate and interval
    signs: tuple[int, int, int] | None = None  # paired counts: the seeds up, down and tied against the threshold
    p_other: float | None = None  # one-sided, that the effect lies past the threshold on the other side (the test of "contradicted")


def judge(low: float, high: float, threshold: float, side: str) -> str:
    """holds / contradicted / inconclusive for an interval against a threshold on a predicted side."""
    if side == ABOVE:
        return "holds" if low > threshold else "contradicted" if high < threshold else "inconclusive"
    if side == BELOW:
        return "holds" if high < threshold else "contradicted" if low > threshold else "inconclusive"
    return "holds" if -threshold < low and high < threshold else "contradicted" if low > threshold or high < -threshold else "inconclusive"


def _side_p(p_above, threshold: float, side: str) -> float:
    """The one-sided p-value toward the predicted side from p_above(c) (that the effect exceeds c)
    and, by symmetry, p_below(c) = p_above on the mirrored data; WITHIN is two one-sided tests."""
    if side == ABOVE:
        return p_above(threshold, ABOVE)
    if side == BELOW:
        return p_above(threshold, BELOW)
    return max(p_above(-threshold, ABOVE), p_above(threshold, BELOW))


def _other_p(p_above, threshold: float, side: str) -> float:
    """The one-sided p-value toward the other side, the test whose rejection is "contradicted"; for
    WITHIN, either bound passed: the smaller of the two, doubled (Bonferroni), so it is one test."""
    if side == ABOVE:
        return p_above(threshold, BELOW)
    if side == BELOW:
        return p_above(threshold, ABOVE)
    return min(1.0, 2 * min(p_above(threshold, ABOVE), p_above(-threshold, BELOW)))


def _none(threshold: float, side: str, seeds: int, statistic: str, estimate: float | None = None) -> Effect:
    p = None if seeds == 0 else 1.0
    return Effect(estimate, -math.inf, math.inf, threshold, side, seeds, "inconclusive", None, p, statistic, p_other=p)


def _at_least(low: float, high: float, threshold: float, side: str, scale: float, efficiency: float, seeds: int) -> int | None:
    """The fewest seeds at which an effect as far from the threshold as its interval allows (its far
    bound) would be decided with POWER, by the normal approximation with the rank statistic's
    efficiency: a lower bound only, since the effect may lie anywhere in its interval."""
    if not math.isfinite(scale) or scale <= 0:
        return None
    bounds = [bound for bound in (low, high) if math.isfinite(bound)]
    if len(bounds) < 2:
        return max(seeds + 1, 6)  # no interval yet: a rank interval needs 6 seeds
    distance = max(abs(abs(bound) - threshold) if side == WITHIN else abs(bound - threshold) for bound in bounds)
    if distance == 0:
        return None
    m = math.ceil(((stats.norm.ppf(1 - ALPHA) + stats.norm.ppf(POWER)) * scale / distance) ** 2 / efficiency)
    return max(m, seeds + 1, 6) if m <= MOST_SEEDS else None


# -- a location over seeds ----------------------------------------------------------------------------
@lru_cache(maxsize=None)
def signed_rank_cdf(n: int) -> np.ndarray:
    """P(T+ <= t), t = 0 .. n(n+1)/2, for the signed-rank statistic of n values under symmetry about
    the null: counted exactly (the number of subsets of 1..n with each sum, over 2^n), as
    `scipy.stats.wilcoxon(method="exact")` does; tests/test_claims.py checks the two agree."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    return np.cumsum(counts) / 2.0 ** n


def _signed_rank_sf(t: np.ndarray, n: int) -> np.ndarray:
    """P(T+ >= t) under the null, exact to EXACT_RANKS seeds, normal (with continuity) beyond."""
    t = np.asarray(t)
    if n <= EXACT_RANKS:
        cdf = signed_rank_cdf(n)
        return np.where(t <= 0, 1.0, 1 - cdf[np.clip(t - 1, 0, len(cdf) - 1)])
    mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    return stats.norm.sf((t - 0.5 - mean) / sd)


def _rank_depth(n: int) -> int:
    """k: the interval is the k-th smallest to the k-th largest Walsh average (0: no 95% interval)."""
    total = n * (n + 1) // 2
    beyond = _signed_rank_sf(np.arange(total + 1), n)  # P(T+ >= t); by symmetry P(T+ <= N - t)
    allowed = np.flatnonzero(beyond <= ALPHA)  # the t where P(T+ <= N - t) = P(T+ >= t) is small enough
    return 0 if len(allowed) == 0 else int(total - allowed[0] + 1)


def walsh_averages(x: np.ndarray) -> np.ndarray:
    """(x_i + x_j) / 2 for i <= j, along the last axis; the worst on both sides averages to 0."""
    n = x.shape[-1]
    i, j = np.triu_indices(n)
    with np.errstate(invalid="ignore"):
        averages = (x[..., i] + x[..., j]) / 2
    return np.where(np.isnan(averages), 0.0, averages)


def signed_rank_p(x: np.ndarray, threshold: float, way: str = ABOVE) -> np.ndarray:
    """The exact one-sided Wilcoxon signed-rank p-value that the centre of x lies past `threshold`
    (ABOVE or BELOW), along the last axis: T+ counted as the Walsh averages past it, so ties at the
    threshold count against the claim. Vectorised: the simulations of tests/test_claims.py use it."""
    averages = walsh_averages(np.asarray(x, dtype=np.float64))
    beyond = np.sum(averages > threshold if way == ABOVE else averages < threshold, axis=-1)
    return _signed_rank_sf(beyond, np.shape(x)[-1])


def rank_depth(n: int, counts: bool = False) -> int:
    """How deep into the sorted Walsh averages (counts: the sorted values) the 95% interval's bounds lie."""
    return _binomial_depth(n) if counts else _rank_depth(n)


def _binomial_depth(n: int) -> int:
    """k: the sign-test interval is the k-th smallest to the k-th largest value (0: none)."""
    tail = stats.binom.cdf(np.arange(n + 1), n, 0.5)  # P(S <= s)
    allowed = np.flatnonzero(tail <= ALPHA)
    return 0 if len(allowed) == 0 else int(allowed[-1] + 1)


def sign_p(x: np.ndarray, threshold: float, way: str = ABOVE) -> np.ndarray:
    """The exact one-sided sign-test p-value that the median of x lies past `threshold` (ABOVE or
    BELOW), along the last axis: the binomial(n, 1/2) tail of the values past it, ties at the
    threshold counted against the claim. Vectorised, as `signed_rank_p`."""
    x = np.asarray(x, dtype=np.float64)
    past = np.sum(x > threshold if way == ABOVE else x < threshold, axis=-1)
    return stats.binom.sf(past - 1, x.shape[-1], 0.5)


def untied_sign_p(x: np.ndarray, threshold: float, way: str = ABOVE) -> np.ndarray:
    """The exact one-sided sign test with ties dropped: of the values not at the threshold, the
    binomial(untied, 1/2) tail of those past it (1 where every value ties). Vectorised."""
    x = np.asarray(x, dtype=np.float64)
    up, down = np.sum(x > threshold, axis=-1), np.sum(x < threshold, axis=-1)
    return stats.binom.sf((up if way == ABOVE else down) - 1, up + down, 0.5)


def sign_effect(values, threshold: float, side: str) -> Effect:
    """A paired difference of counts: the seeds up (+), down (-) and tied (0) against the threshold,
    and the exact sign test on the untied seeds, for the predicted side and for the other one. The
    verdict follows those p-values: holds when the predicted side's is at most 2.5%, contradicted
    when the other side's is; the estimate is the median difference. No interval (the median's would
    count the ties the test leaves out), and no "seeds needed" (the ties decide how many)."""
    x = np.asarray(list(values), dtype=np.float64)
    n = len(x)
    if n == 0:
        return _none(threshold, side, 0, SIGN)

    def p_above(c: float, way: str) -> float:
        return float(untied_sign_p(x, c, way))

    p_value, other = _side_p(p_above, threshold, side), _other_p(p_above, threshold, side)
    verdict = "holds" if p_value <= ALPHA else "contradicted" if other <= ALPHA else "inconclusive"
    up, down = int(np.sum(x > threshold)), int(np.sum(x < threshold))
    return Effect(float(np.median(x)), -math.inf, math.inf, threshold, side, n, verdict, None, p_value, SIGN, (up, down, n - up - down), other)


def location_effect(values, threshold: float, side: str, counts: bool = False, one_sample: bool = False) -> Effect:
    """A location over seeds: for paired differences or log ratios of two nets, the Hodges-Lehmann
    estimate (the pseudo-median) with the Wilcoxon signed-rank interval; for one value per seed
    against a fixed reference (`one_sample`), the median with the sign-test interval, which needs no
    symmetry and whose ties only make it wider; for paired differences of counts (`counts`:
    inactive variables, spikes, dead encoders), `sign_effect`. The one-sided p-value counts how many Walsh averages (or values) lie past the
    threshold, so it is below 2.5% exactly when the interval lies past it. Values may be infinite (a
    dead encoder's sphericity): ranks only need their order."""
    if counts:
        return sign_effect(values, threshold, side)
    x = np.asarray(list(values), dtype=np.float64)
    n = len(x)
    statistic = MEDIAN if one_sample else WILCOXON
    counts = one_sample  # the median and sign-test path
    if n == 0:
        return _none(threshold, side, 0, statistic)
    pool = np.sort(x) if counts else np.sort(walsh_averages(x))
    estimate = float(np.median(pool))
    depth = _binomial_depth(n) if counts else _rank_depth(n)
    low, high = (float(pool[depth - 1]), float(pool[-depth])) if depth else (-math.inf, math.inf)
    if depth and low == high and not counts:  # seeds that agree exactly: no spread to build a rank interval from
        depth, low, high = 0, -math.inf, math.inf
    # the sign test's interval [v, v] stands even at the threshold: the median is pinned there, and
    # no number of seeds decides an effect of exactly the threshold (not 'at least n + 1 seeds')

    def p_above(c: float, way: str) -> float:
        if counts:
            return float(sign_p(x, c, way))
        return float(signed_rank_p(x, c, way))

    p_value = _side_p(p_above, threshold, side) if depth else 1.0
    p_other = _other_p(p_above, threshold, side) if depth else 1.0
    verdict = judge(low, high, threshold, side)
    finite = x[np.isfinite(x)]
    scale = 1.4826 * float(np.median(np.abs(finite - np.median(finite)))) if len(finite) > 1 else math.nan
    if scale == 0 and len(finite) > 1:
        scale = float(np.std(finite, ddof=1))
    needed = _at_least(low, high, threshold, side, scale, 2 / math.pi if counts else 3 / math.pi, n) if verdict == "inconclusive" and n > 1 else None
    return Effect(estimate, low, high, threshold, side, n, verdict, needed, p_value, statistic, p_other=p_other)


def equivalence(values, band: float) -> Effect:
    """An absolute "no (evident) difference" as equivalence, TOST-style: the location (Hodges-Lehmann,
    Wilcoxon interval) holds only when its whole 95% interval lies inside [-band, band], which is two
    one-sided tests at 2.5% each (the p-value is the larger of the two); an interval that straddles a
    bound is inconclusive, one wholly outside is contradicted. A missing difference never holds."""
    if not band > 0:
        raise ValueError(f"an equivalence band must be positive, not {band}")
    return location_effect(values, band, WITHIN)


# -- a ratio of spreads ---------------------------------------------------------------------------------
def deviations(values) -> np.ndarray:
    """|x - median(x)|: the Brown-Forsythe deviations, whose mean is the robust spread compared."""
    x = np.asarray(values, dtype=np.float64)
    return np.abs(x - np.median(x, axis=-1, keepdims=True))


def spread_t(da: np.ndarray, db: np.ndarray, ratio: float | np.ndarray) -> np.ndarray:
    """Welch's t of mean(da) - ratio * mean(db), along the last axis: large when a's spread exceeds
    `ratio` times b's."""
    na, nb = da.shape[-1], db.shape[-1]
    difference = da.mean(axis=-1) - ratio * db.mean(axis=-1)
    se = np.sqrt(da.var(axis=-1, ddof=1) / na + ratio ** 2 * db.var(axis=-1, ddof=1) / nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, difference / np.where(se > 0, se, 1), np.sign(difference) * np.inf)


def _log_mad_ratio(a: np.ndarray, b: np.ndarray) -> float | None:
    """The estimate alone, where the seeds give no interval (None where it is not a number)."""
    if len(a) < 2 or len(b) < 2:
        return None
    da, db = deviations(a).mean(), deviations(b).mean()
    return float(np.log(da / db)) if da > 0 and db > 0 else None


def spread_ratio(a, b, threshold: float, side: str, paired: bool = False) -> Effect:
    """log(spread(a) / spread(b)) over seeds, the spread the mean absolute deviation from the median.
    The test that a's spread exceeds e^c times b's is Welch's t on the deviations, at min(n) - 1
    degrees of freedom (conservative); the interval holds the log ratios that test does not reject
    either way, found where t crosses its quantile (t falls monotonically in the ratio). Seeds shared
    by the two nets (`paired`) are treated as independent: it only widens the interval when they
    move together."""
    a, b = np.asarray(list(a), dtype=np.float64), np.asarray(list(b), dtype=np.float64)
    n = min(len(a), len(b))
    if len(a) < SPREAD_SEEDS or len(b) < SPREAD_SEEDS:  # too few deviations for Welch's test to keep its level (3-7% false holds at 4)
        return replace(_none(threshold, side, n, BROWN_FORSYTHE, _log_mad_ratio(a, b)), seeds_needed=SPREAD_SEEDS if n else None)
    da, db = deviations(a), deviations(b)
    if da.mean() == 0 or db.mean() == 0 or da.var() + db.var() == 0:  # no spread, or deviations with no spread of their own
        return _none(threshold, side, n, BROWN_FORSYTHE, _log_mad_ratio(a, b))
    estimate = float(np.log(da.mean() / db.mean()))
    df = n - 1
    quantile = stats.t.ppf(1 - ALPHA, df)

    def t_at(log_ratio: float) -> float:
        return float(spread_t(da, db, math.exp(log_ratio)))

    def bound(target: float) -> float:  # the log ratio where t = target, if t crosses it
        span = 60.0
        if (t_at(estimate - span) - target) * (t_at(estimate + span) - target) > 0:
            return -math.inf if target > 0 else math.inf
        return float(optimize.brentq(lambda r: t_at(r) - target, estimate - span, estimate + span, xtol=1e-10))

    low, high = bound(quantile), bound(-quantile)

    def p_above(c: float, way: str) -> float:
        t = t_at(c)
        return float(stats.t.sf(t, df) if way == ABOVE else stats.t.cdf(t, df))

    verdict = judge(low, high, threshold, side)
    needed = None
    if verdict == "inconclusive":
        # log(spread) of m seeds has a standard error of about 1 / sqrt(2 (m - 1)) (normal seeds), so the log ratio of two about 1 / sqrt(m - 1)
        needed = _at_least(low, high, threshold, side, 1.0, 1.0, n)
        needed = None if needed is None else min(MOST_SEEDS, needed + 1)
    return Effect(estimate, low, high, threshold, side, n, verdict, needed, _side_p(p_above, threshold, side), BROWN_FORSYTHE,
                  p_other=_other_p(p_above, threshold, side))


# -- a share of seeds ---------------------------------------------------------------------------------------
def _clopper_pearson(k: int, n: int) -> tuple[float, float]:
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return float(interval.low), float(interval.high)


def frequency(k: int, n: int, threshold: float, side: str) -> Effect:
    """The share k / n of seeds where something happened, with its Clopper-Pearson interval and the
    exact binomial test's one-sided p against the threshold (the test that interval inverts). No
    "seeds needed" for shares: a count decides only at whole steps, and the share as measured would
    be decided at the count it gives only about half of the time."""
    if n == 0:
        return Effect(None, 0.0, 1.0, threshold, side, 0, "inconclusive", None, None, CLOPPER_PEARSON)
    low, high = _clopper_pearson(k, n)

    def p_above(c: float, way: str) -> float:
        return float(stats.binomtest(k, n, c, alternative="greater" if way == ABOVE else "less").pvalue)

    return Effect(k / n, low, high, threshold, side, n, judge(low, high, threshold, side), None, _side_p(p_above, threshold, side),
                  CLOPPER_PEARSON, p_other=_other_p(p_above, threshold, side))


# -- an association across seeds ----------------------------------------------------------------------------
def kendall_tau_b(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """Kendall's tau-b of x and y along `axis` (vectorised for the permutation test): the concordant
    minus the discordant pairs over the geometric mean of the untied pairs of each; 0 where either
    is constant (no order to agree with)."""
    x, y = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1), np.moveaxis(np.asarray(y, dtype=np.float64), axis, -1)
    dx, dy = np.sign(x[..., :, None] - x[..., None, :]), np.sign(y[..., :, None] - y[..., None, :])
    untied = np.sqrt((dx * dx).sum(axis=(-1, -2)) * (dy * dy).sum(axis=(-1, -2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(untied > 0, (dx * dy).sum(axis=(-1, -2)) / np.where(untied > 0, untied, 1), 0.0)


def association(x, y, side: str) -> Effect:
    """Whether y rises (ABOVE) or falls (BELOW) with x across seeds: Kendall's tau-b against 0, each
    side's one-sided p from the permutation test on the pairings (exact when the seeds have at most
    PAIRINGS orderings, else PAIRINGS of them drawn with a fixed seed: the same p every time). Holds
    when the predicted side's p is at most 2.5%, contradicted when the other side's is; no interval.
    Either constant (no seed differs) decides nothing."""
    x, y = np.asarray(list(x), dtype=np.float64), np.asarray(list(y), dtype=np.float64)
    kept = ~(np.isnan(x) | np.isnan(y))  # a value that is not a number has no rank; an infinite one (a ratio to 0) has the last
    x, y = stats.rankdata(x[kept]), stats.rankdata(y[kept])  # tau is a statistic of ranks: the same, and no inf - inf
    n = len(x)
    if n < 2:
        return _none(0.0, side, n, KENDALL)
    estimate = float(kendall_tau_b(x, y))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return _none(0.0, side, n, KENDALL, estimate)

    def p_above(c: float, way: str) -> float:
        found = stats.permutation_test((x, y), kendall_tau_b, permutation_type="pairings", vectorized=True, n_resamples=PAIRINGS,
                                       alternative="greater" if way == ABOVE else "less", random_state=np.random.default_rng(0))
        return float(found.pvalue)

    p_value, other = _side_p(p_above, 0.0, side), _other_p(p_above, 0.0, side)
    verdict = "holds" if p_value <= ALPHA else "contradicted" if other <= ALPHA else "inconclusive"
    return Effect(estimate, -math.inf, math.inf, 0.0, side, n, verdict, None, p_value, KENDALL, p_other=other)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment: the i-th smallest p times (m - i + 1), kept monotone, at most 1.
    A claim survives the family when its adjusted p is at most ALPHA."""
    p = np.asarray(list(p_values), dtype=np.float64)
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (len(p) - np.arange(len(p)))))
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def paired(a: dict[int, float], b: dict[int, float]) -> list[int]:
    """The seeds both have, in order: every pairing of two configurations goes by seed."""
    return sorted(set(a) & set(b))
