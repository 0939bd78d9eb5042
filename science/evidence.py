"""One rule for judging every claim of the lecture from its seeds.

A claim names in advance its per-seed effect, the side the lecture predicts and what its adverb asks
of the effect (`ADVERBS`, `SHARES`: fixed here once, shown on the page). The seeds give the effect's
estimate and a 95% interval, from SciPy:

- a mean of per-seed values (a paired difference by seed, a log ratio by seed): Student's t interval;
- a ratio of spreads over seeds: a percentile bootstrap over the seeds (`scipy.stats.bootstrap`);
- a frequency (the share of seeds where something happened): Clopper-Pearson (`binomtest(...).proportion_ci`).

The verdict: **holds** when the whole interval lies past the threshold on the predicted side,
**contradicted** when it lies wholly on the other side of it, **inconclusive** otherwise (then: about
how many seeds would decide it, were the effect and its spread what they are now). A tie is never
"holds"; with one seed there is no interval, so every comparison is inconclusive.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
MOST_SEEDS = 1000  # "seeds needed" is not searched beyond this
POWER = 0.8  # "seeds needed": the seeds at which an effect as measured is decided this often
BOOTSTRAP_SEEDS = 10  # below this, spreads are compared with the F interval, not a bootstrap
ABOVE, BELOW, WITHIN = "above", "below", "within"  # the predicted side of the threshold


@dataclass(frozen=True)
class Adverb:
    """What a word of the page asks of an effect measured as a ratio (the quantity against its reference)."""

    word: str
    factor: float  # the ratio must pass this (1: any change at all); "within": stay inside [1/factor, factor]
    meaning: str


ADVERBS = {
    "more": Adverb("more, better, less (no adverb)", 1.0, "any change in the predicted direction, however small"),
    "slightly": Adverb("slightly", 1.01, "at least 1% of the quantity itself"),
    "sensibly": Adverb("sensibly", 1.05, "at least 5% of the quantity itself"),
    "much": Adverb("much, rapidly", 2.0, "at least a factor of 2 (twice, or half)"),
    "close": Adverb("close to, -like", 1.25, "within 25% of the reference, either way"),
    "small": Adverb("small", 4.0, "a quarter of the reference or less"),
}


@dataclass(frozen=True)
class Share:
    """What a word of the page asks of a share: of seeds, or of a classifier's confidence."""

    word: str
    share: float  # the share of seeds must pass this
    meaning: str


SHARES = {
    "not infrequently": Share("not infrequently", 0.2, "in more than one run in five"),
    "confirmed": Share("confirmed", 0.5, "in most runs"),
    "modest": Share("modest (samples)", 0.9, "a sample classifier less than 90% sure, on average, of what digit it sees"),
}


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
    seeds_needed: int | None  # inconclusive only: about how many seeds would decide it; None: none would, or unknown


def judge(low: float, high: float, threshold: float, side: str) -> str:
    """holds / contradicted / inconclusive for an interval against a threshold on a predicted side."""
    if side == ABOVE:
        return "holds" if low > threshold else "contradicted" if high < threshold else "inconclusive"
    if side == BELOW:
        return "holds" if high < threshold else "contradicted" if low > threshold else "inconclusive"
    return "holds" if -threshold < low and high < threshold else "contradicted" if low > threshold or high < -threshold else "inconclusive"


def _distance(estimate: float, threshold: float, side: str) -> float:
    """How far the estimate is from deciding: the margin the interval's half-width must fall under."""
    return abs(abs(estimate) - threshold) if side == WITHIN else abs(estimate - threshold)


def _finish(estimate, low, high, threshold, side, seeds, needed) -> Effect:
    verdict = judge(low, high, threshold, side)
    return Effect(estimate, low, high, threshold, side, seeds, verdict, needed() if verdict == "inconclusive" else None)


def mean_effect(values, threshold: float, side: str, resolution: float = 0.0) -> Effect:
    """The mean of per-seed values (paired differences, log ratios) with its t interval. Values
    counted in whole steps (`resolution` 1: inactive variables) are never taken as exact: their
    spread is at least that of rounding, resolution / sqrt(12), so two seeds that happen to agree do
    not make a zero-width interval."""
    x = np.asarray(list(values), dtype=np.float64)
    n = len(x)
    if n == 0:
        return Effect(None, -math.inf, math.inf, threshold, side, 0, "inconclusive", None)
    mean = float(x.mean())
    sd = max(float(x.std(ddof=1)), resolution / math.sqrt(12)) if n > 1 else math.nan
    if n < 2 or sd == 0:  # one seed, or seeds that agree exactly: no spread to build an interval from
        low, high = -math.inf, math.inf
    else:
        low, high = (float(v) for v in stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=sd / math.sqrt(n)))

    def needed():
        distance = _distance(mean, threshold, side)
        if n < 2 or distance == 0 or sd == 0:
            return None
        m = np.arange(n + 1, MOST_SEEDS + 1)
        # Seeds at which an effect and spread as measured would be decided 80% of the time (at the
        # bare t quantile, only half of such samples would decide).
        decided = np.flatnonzero((stats.t.ppf(0.5 + CONFIDENCE / 2, m - 1) + stats.t.ppf(POWER, m - 1)) * sd / np.sqrt(m) < distance)
        return int(m[decided[0]]) if len(decided) else None

    return _finish(mean, low, high, threshold, side, n, needed)


def _log_spread_ratio(a, b, axis=-1):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.std(a, ddof=1, axis=axis)) - np.log(np.std(b, ddof=1, axis=axis))


def _f_interval(a: np.ndarray, b: np.ndarray, estimate: float) -> tuple[float, float]:
    """The exact interval of log(sd ratio) for normal samples: the variance ratio over its F quantiles.
    (Seeds shared by the two nets move them together, which only narrows the true interval.)"""
    upper, lower = stats.f.ppf([0.5 + CONFIDENCE / 2, 0.5 - CONFIDENCE / 2], len(a) - 1, len(b) - 1)
    return estimate - 0.5 * math.log(upper), estimate - 0.5 * math.log(lower)


def spread_ratio(a, b, threshold: float, side: str, paired: bool, seed: int = 0) -> Effect:
    """log(sd(a) / sd(b)) over seeds: below `BOOTSTRAP_SEEDS` seeds with the F interval (a bootstrap
    of 5 seeds draws a resample of one repeated seed, sd 0, in nearly every run of 4,000 resamples, and
    its interval is then unbounded); from there with a percentile bootstrap over the seeds (paired:
    the same seeds resampled for both, as when a and b are two nets trained from the same seeds)."""
    a, b = np.asarray(list(a), dtype=np.float64), np.asarray(list(b), dtype=np.float64)
    n = min(len(a), len(b))
    if len(a) < 2 or len(b) < 2:
        return Effect(None, -math.inf, math.inf, threshold, side, n, "inconclusive", None)
    estimate = float(_log_spread_ratio(a, b))
    if not math.isfinite(estimate):  # a spread of exactly 0 on one side: no ratio to speak of
        return Effect(None, -math.inf, math.inf, threshold, side, n, "inconclusive", None)
    low = high = math.nan
    if n >= BOOTSTRAP_SEEDS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap((a, b), _log_spread_ratio, paired=paired, vectorized=True, n_resamples=4000, method="percentile",
                                     confidence_level=CONFIDENCE, random_state=np.random.default_rng(seed))
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = _f_interval(a, b, estimate)

    def needed():
        # Normal theory: log(sd) of m seeds has a standard error of about 1 / sqrt(2 (m - 1)), so the
        # log ratio of two has about 1 / sqrt(m - 1) (less when paired seeds move together).
        distance = _distance(estimate, threshold, side) if math.isfinite(estimate) else 0
        if distance == 0:
            return None
        m = 1 + math.ceil(((stats.norm.ppf(0.5 + CONFIDENCE / 2) + stats.norm.ppf(POWER)) / distance) ** 2)
        return max(m, n + 1) if m <= MOST_SEEDS else None

    return _finish(estimate, low, high, threshold, side, n, needed)


def _clopper_pearson(k: int, n: int) -> tuple[float, float]:
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return float(interval.low), float(interval.high)


def _clopper_pearson_many(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same intervals for many counts at once, from the beta quantiles they are defined by
    (within 1e-12 of binomtest's root-finding, which took 3 ms a count: 6 s for one lecture's
    search of seeds needed up to MOST_SEEDS)."""
    tail = (1 - CONFIDENCE) / 2
    low = np.where(k == 0, 0.0, stats.beta.ppf(tail, np.maximum(k, 1), n - k + 1))
    high = np.where(k == n, 1.0, stats.beta.ppf(1 - tail, k + 1, np.maximum(n - k, 1)))
    return low, high


def frequency(k: int, n: int, threshold: float, side: str) -> Effect:
    """The share k / n of seeds where something happened, with its Clopper-Pearson interval."""
    if n == 0:
        return Effect(None, 0.0, 1.0, threshold, side, 0, "inconclusive", None)
    low, high = _clopper_pearson(k, n)
    share = k / n

    def needed():  # the first count of seeds at which the share as measured decides (counts are whole: no bisection)
        counts = np.arange(n + 1, MOST_SEEDS + 1)
        lows, highs = _clopper_pearson_many(np.round(share * counts).astype(int), counts)
        return next((int(m) for m, lo, hi in zip(counts, lows, highs) if judge(lo, hi, threshold, side) != "inconclusive"), None)

    return _finish(share, low, high, threshold, side, n, needed)


def paired(a: dict[int, float], b: dict[int, float]) -> list[int]:
    """The seeds both have, in order: every pairing of two configurations goes by seed."""
    return sorted(set(a) & set(b))
