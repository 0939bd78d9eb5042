"""The lecture's claims, checked against the runs: each a small record with its effect over the
seeds, a 95% interval, the threshold its words ask for, and a verdict (holds, contradicted,
inconclusive), judged by the one rule of `science.evidence`.

One function per claim, each naming its effect per seed, the side the page predicts and its adverb.
Only runs that finished the epochs asked take part and every pairing of two configurations goes by
seed. Every finished run counts (intention to treat): a run whose encoder died (every input at one
code) is an outcome of its architecture, counted with its own numbers where it has them (its losses,
its samples) and as the worst value of a shape where it has none (a KS or shape distance of 1, a
sphericity index of 0); the claim's note names every dead run and gives the estimate without them
beside it (the run-trained-only sensitivity line).

Each measure can fail where its sentence is false: the circle is judged by how far reconstruction
stays close (in sigmas, against 1), "Gaussian-like" by radii and angles, sphericity by a bounded
index, reconstruction ratios above the data's entropy floor, sampling claims by the coverage gap
(the samples' Fréchet distance above the same net's reconstructions'), and "not so evident" as
equivalence inside a band (science.evidence holds each threshold and its reason).

One read of each sentence is primary: the family whose p-values Holm adjusts (`holm_verdicts`); other
reads of the same words are secondary, shown but left out of the family. `plan_hash` fingerprints the
plan, built without data (each row's function, text, statistic, threshold, side, primary read and
scale, with ALPHA, CONFIDENCE and the rules for dead runs), so a later change shows.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import stats

from lecture.nets import DEEP, DEEP3, EIGHT_DEEP, EIGHT_SHALLOW, FOUR_DEEP, FOUR_SHALLOW, PLAIN, SHALLOW, SIXTEEN_DEEP, SIXTEEN_SHALLOW, VAE
from science.evidence import (
    ABOVE,
    ADVERBS,
    ALPHA,
    BELOW,
    CLOSE_KS,
    CLOSE_LOSS,
    CONFIDENCE,
    KENDALL,
    SHARES,
    SPREAD_SEEDS,
    WITHIN,
    Effect,
    association,
    equivalence,
    frequency,
    holm,
    location_effect,
    paired,
    spread_ratio,
)
from science.measures import COVERAGE_RADIUS, PRIOR_DRAWS, SLOPE_EPOCHS, RunNumbers, close_distance, entropy_floor, mean_reconstruction, read_run, ring_loss_curve
from train.runfolder import run_name


@dataclass(frozen=True)
class Claim:
    """One sentence of the page against the runs. Numbers are on the scale shown: a ratio (x), a
    difference, or a share of seeds; the interval is the 95% one, None where the seeds give none."""

    text: str  # the page's words
    measure: str  # the per-seed effect, in words
    estimate: float | None
    interval: tuple[float, float] | None
    threshold: float  # what the words ask of the effect, on the same scale
    verdict: str  # holds, contradicted, inconclusive, not checked
    seeds_needed: int | None  # inconclusive: the fewest seeds that could decide it (a lower bound; None for shares)
    note: str = ""  # the numbers behind it, dead runs named and the estimate without them (or why it was not checked)
    predicted: str = ABOVE  # the side of the threshold the page predicts: above, below, within
    scale: str = "difference"  # ratio, difference or share
    seeds: int = 0  # runs (or pairs of runs) that took part
    p_value: float | None = None  # one-sided, against the threshold, from the test the interval inverts
    statistic: str = ""  # the estimate and interval used (science.evidence)
    primary: bool = True  # the sentence's primary read: in the family Holm adjusts
    holm: str = ""  # the verdict after Holm over the primary rows: holds, inconclusive, contradicted; "secondary"
    holm_p: float | None = None  # the Holm-adjusted p-value (primary rows)
    signs: tuple[int, int, int] | None = None  # paired counts: seeds up, down and tied (sign test on the untied)
    p_other: float | None = None  # one-sided, toward the other side of the threshold: the test of "contradicted"
    holm_p_other: float | None = None  # its Holm-adjusted p-value (primary rows)
    name: str = ""  # the function that makes it (the plan's key)

    def effect_text(self) -> str:
        if self.estimate is None:
            return "-"
        shown = self._number(self.estimate)
        if self.statistic == KENDALL:
            p = "" if self.p_value is None else f", one-sided permutation p {self.p_value:.2g}"
            return f"tau-b {shown} over {self.seeds} seeds{p}"
        if self.signs is not None:
            up, down, tied = self.signs
            p = "" if self.p_value is None else f", one-sided p {self.p_value:.2g}"
            return f"median {shown}; seeds +{up} / -{down} / 0: {tied} (sign test on the {up + down} untied{p})"
        if self.verdict == "not checked":
            return f"{shown} (described, not judged)"
        if self.interval is None:
            return f"{shown} (no interval from {'one seed' if self.seeds <= 1 else f'{self.seeds} seeds'})"
        return f"{shown} [{self._number(self.interval[0])}, {self._number(self.interval[1])}]"

    def threshold_text(self) -> str:
        if self.predicted == WITHIN:
            low = 1 / self.threshold if self.scale == "ratio" else -self.threshold
            return f"within {self._number(low)} to {self._number(self.threshold)}"
        return f"{'>' if self.predicted == ABOVE else '<'} {self._number(self.threshold)}"

    def needed_text(self) -> str:
        """A lower bound, never a point: the seeds an effect as far from the threshold as its interval
        allows would need (80% power); the effect may lie anywhere in the interval, so many more may be."""
        if self.verdict != "inconclusive":
            return ""
        if self.seeds <= 1:
            return "more than one seed"
        if self.scale == "share" or self.signs is not None or self.statistic == KENDALL:
            return "more seeds"
        if self.seeds_needed:
            return f"at least {self.seeds_needed} seeds"
        if self.interval is not None and self.interval[0] == self.interval[1]:
            return f"no number of seeds decides an effect of {self._number(self.interval[0])}"
        return "no number of seeds at this effect"

    def flip(self) -> tuple[str, float] | None:
        """Where the verdict would change: (what, the threshold on the shown scale) from the interval's
        bound nearest the threshold; None without an interval."""
        if self.interval is None or self.verdict not in ("holds", "contradicted", "inconclusive"):
            return None
        low, high = self.interval
        if self.predicted == WITHIN:
            centre = 1.0 if self.scale == "ratio" else 0.0
            far = max(high / centre, centre / low) if self.scale == "ratio" else max(abs(low), abs(high))
            near = (low / centre if low > centre else centre / high) if self.scale == "ratio" else (low if low > 0 else -high)
            if self.verdict == "contradicted":
                return "contradicted while the band is narrower than", near
            return ("holds while the band is wider than" if self.verdict == "holds" else "would hold were the band wider than"), far
        above = self.predicted == ABOVE
        if self.verdict == "holds":
            return ("holds while the threshold is below", low) if above else ("holds while the threshold is above", high)
        if self.verdict == "contradicted":
            return ("contradicted while the threshold is above", high) if above else ("contradicted while the threshold is below", low)
        return ("would hold were the threshold below", low) if above else ("would hold were the threshold above", high)

    def flip_text(self) -> str:
        found = self.flip()
        if found is None:
            return ""
        words, value = found
        return f"{words} {'x' + format(value, '.3g') if self.predicted == WITHIN and self.scale == 'ratio' else self._number(value)}"

    def _number(self, value: float) -> str:
        if math.isinf(value):
            return "-inf" if value < 0 else "inf"
        if self.scale == "ratio":
            return f"x{value:.3g}"
        if self.scale == "share":
            return f"{value:.0%}"
        return f"{value:+.3g}" if value else "0"


def _claim(text: str, measure: str, effect: Effect, scale: str, note: str = "") -> Claim:
    """The record of an effect judged on its own scale (log ratios for ratios, shown as ratios)."""
    show = math.exp if scale == "ratio" else float
    interval = None if effect.estimate is None or (math.isinf(effect.low) and math.isinf(effect.high)) else (show(effect.low), show(effect.high))
    if effect.seeds == 0:
        return Claim(text, measure, None, None, show(effect.threshold), "not checked", None, "no finished runs to compare", effect.side, scale, 0,
                     statistic=effect.statistic)
    return Claim(text, measure, None if effect.estimate is None else show(effect.estimate), interval, show(effect.threshold), effect.verdict,
                 effect.seeds_needed, note, effect.side, scale, effect.seeds, effect.p_value, effect.statistic, signs=effect.signs,
                 p_other=effect.p_other)


def _log(factor: str) -> float:
    return math.log(ADVERBS[factor].factor)


class Runs:
    """The sweep's finished runs, each read once, by (arch, mode) and seed; with `options` (training
    options as run names spell them: "w3", "leaky-relu"), the runs trained with those."""

    def __init__(self, folder: Path, seeds: list[int], scorer=None, test_images: np.ndarray | None = None, options: str = ""):
        self.folder, self.seeds, self.scorer, self.test_images, self.options = folder, seeds, scorer, test_images, options
        self._mean_reconstruction: dict[tuple[str, int], float] = {}
        self._read: dict[tuple[str, str], dict[int, RunNumbers]] = {}
        self._scores: dict[tuple[str, str], dict] = {}
        self._reconstruction_scores: dict[tuple[str, str], dict] = {}
        self._floor: float | None = None
        self.leave_out_dead = False  # True only for the run-trained-only sensitivity line
        self.touched: set[tuple[str, str]] = set()  # the configurations read since `touched` was emptied

    def member(self, arch: str, mode: str, seed: int) -> Path:
        """The folder of one run of the sweep."""
        return self.folder / run_name(arch, mode, seed, options=self.options)

    def scores(self, arch: str, mode: str = VAE) -> dict:
        """The sample scores (science.classifier.Scores) of every counted run of a configuration, each scored once."""
        key = (arch, mode)
        if key not in self._scores:
            self._scores[key] = {seed: self.scorer.score_run(self.member(arch, mode, seed)) for seed in self.all(arch, mode)}
        return {seed: score for seed, score in self._scores[key].items() if seed in self.counted(arch, mode)}

    def reconstruction_scores(self, arch: str, mode: str = VAE) -> dict:
        """The scores of each counted run's reconstructions of the test digits (decoded from the mean
        code): the decoder's blur, which a sample's Fréchet distance is judged above."""
        key = (arch, mode)
        if key not in self._reconstruction_scores:
            self._reconstruction_scores[key] = {seed: self.scorer.score_reconstructions(self.member(arch, mode, seed), self.test_images)
                                                for seed in self.all(arch, mode)}
        return {seed: score for seed, score in self._reconstruction_scores[key].items() if seed in self.counted(arch, mode)}

    @property
    def floor(self) -> float:
        """The test set's entropy floor (nats per image): the reconstruction loss no model goes below;
        0 without test images (then the ratios are of whole losses, and the measure says so)."""
        if self._floor is None:
            self._floor = 0.0 if self.test_images is None else entropy_floor(self.test_images)
        return self._floor

    def floor_text(self) -> str:
        if self.test_images is None:
            return "whole losses (no test images were given to compute the entropy floor)"
        return (f"above the test set's entropy floor of {self.floor:.1f} nats per image (the sum of each pixel's binary entropy "
                f"H(p), which no reconstruction goes below)")

    def counted(self, arch: str, mode: str = VAE) -> dict[int, RunNumbers]:
        """The runs a claim counts: every finished run (intention to treat), or for the sensitivity
        line only those whose encoder did not die."""
        self.touched.add((arch, mode))
        return self.alive(arch, mode) if self.leave_out_dead else self.all(arch, mode)

    def all(self, arch: str, mode: str = VAE) -> dict[int, RunNumbers]:
        """Every finished run of a configuration, dead encoders included."""
        key = (arch, mode)
        if key not in self._read:
            found = {seed: read_run(self.member(arch, mode, seed)) for seed in self.seeds}
            self._read[key] = {seed: run for seed, run in found.items() if run is not None}
        return self._read[key]

    def mean_reconstruction(self, arch: str, seed: int) -> float:
        """A VAE's test reconstruction of its decoded mean (the run file holds the sampled one), computed once."""
        if (arch, seed) not in self._mean_reconstruction:
            self._mean_reconstruction[arch, seed] = mean_reconstruction(self.member(arch, VAE, seed), self.test_images)
        return self._mean_reconstruction[arch, seed]

    def alive(self, arch: str, mode: str = VAE) -> dict[int, RunNumbers]:
        """The runs whose encoder did not die: the ones means and shapes are taken over."""
        return {seed: run for seed, run in self.all(arch, mode).items() if not run.dead}

    def dead(self, configs) -> list[str]:
        """The runs of these configurations whose encoder died, by name."""
        return [self.member(arch, mode, seed).name for arch, mode in sorted(configs) for seed, run in self.all(arch, mode).items() if run.dead]

    def slope_note(self, *configs: tuple[str, str]) -> str:
        """The test loss's trend at the end, beside claims about final values."""
        slopes = [run.slope for arch, mode in configs for run in self.counted(arch, mode).values() if run.slope is not None]
        if not slopes:
            return ""
        return f"Test loss over the last {SLOPE_EPOCHS} epochs still moves {np.median(slopes):+.2f} nats/epoch (median over runs). "


def _log_ratio(x: float, y: float) -> float:
    """log(x / y) where either may be 0 or infinite (a dead encoder's shape): the worst on both sides is a tie."""
    if (x == y == 0) or (math.isinf(x) and math.isinf(y)):
        return 0.0
    with np.errstate(divide="ignore"):
        return float(np.log(np.float64(x)) - np.log(np.float64(y)))


def _ratio_by_seed(a: dict[int, RunNumbers], b: dict[int, RunNumbers], value: Callable[[RunNumbers], float]) -> list[float]:
    """Per seed, log(value(a) / value(b)), paired by seed."""
    return [_log_ratio(value(a[seed]), value(b[seed])) for seed in paired(a, b)]


# A dead encoder has no shape: where a claim needs one, it counts as the worst shape there is.
def _ks(run: RunNumbers) -> float:
    """The radial KS distance from chi_d; 1 for a dead encoder (every radius at 0: as far as it gets)."""
    return 1.0 if run.shape is None else run.shape.radial_ks


def _sphericity(run: RunNumbers) -> float:
    return math.inf if run.shape is None else run.shape.sphericity


def _departure(run: RunNumbers) -> float:
    """1 - the bounded sphericity index: 0 for a ball, 1 for a collapsed axis (or a dead encoder)."""
    return 1.0 if run.shape is None else 1.0 - run.shape.sphericity_index


def _kurtosis_ratio(run: RunNumbers) -> float:
    return math.inf if run.shape is None else run.shape.kurtosis / run.shape.gaussian_kurtosis


def _scale(run: RunNumbers) -> float:
    return 0.0 if run.shape is None else run.shape.scale


def _values(runs: dict[int, RunNumbers], value: Callable[[RunNumbers], float], digits: int = 3) -> str:
    return ", ".join(f"s{seed} {value(run):.{digits}g}" for seed, run in sorted(runs.items()))


# -- the radius of the variance circles -------------------------------------------------------
def radius_starts_near_one(runs: Runs) -> Claim:
    found = runs.counted(SHALLOW)
    effect = location_effect((math.log(run.radius_start) for run in found.values()), _log("close"), WITHIN, one_sample=True)
    return _claim(f"the radius is initially close to 1 ({SHALLOW})", "mean r of the tracked digits before training, against 1", effect, "ratio",
                  "r per seed: " + _values(found, lambda run: run.radius_start))


def radius_falls_rapidly(runs: Runs) -> Claim:
    found = runs.counted(SHALLOW)
    effect = location_effect((math.log(run.radius_start / run.radius_epoch1) for run in found.values()), _log("much"), ABOVE, one_sample=True)
    return _claim(f"... but it rapidly decreases ({SHALLOW})", "mean r before training / mean r at the end of epoch 1", effect, "ratio",
                  "end of epoch 1, per seed: " + _values(found, lambda run: run.radius_epoch1))


def inside_the_circle_reconstructs(runs: Runs) -> Claim:
    """The circle is where reconstruction stays close: the distance at which it stops being close
    (the ring loss passes the mean's by the "close to" tolerance) should be about 1 sigma. The ratio
    at 1 sigma alone passed for any distance up to about 8 sigma: it could not fail where it should."""
    found = runs.counted(SHALLOW)
    curves = {seed: ring_loss_curve(runs.member(SHALLOW, VAE, seed), CLOSE_KS)[1] for seed in found}
    distances = {seed: close_distance(CLOSE_KS, curve, CLOSE_LOSS) for seed, curve in curves.items()}
    effect = location_effect((math.log(distance) if distance > 0 else -math.inf for distance in distances.values()), _log("close"), WITHIN,
                             one_sample=True)
    at_one = CLOSE_KS.index(1.0)
    return _claim(f"the area inside the circle gives rise to a reconstruction close to the input ({SHALLOW})",
                  f"the distance in sigmas from the mean at which reconstruction stops being close (the ring's loss, 8 angles, first "
                  f"{CLOSE_LOSS:.0%} above the mean's, interpolated over k = 0 to {CLOSE_KS[-1]:g} sigma by {CLOSE_KS[1]:g}; inf: close as far "
                  f"as that), over the tracked digits, against the circle's 1 sigma", effect, "ratio",
                  "distance per seed: " + ", ".join(f"s{seed} {distance:.3g} sigma" for seed, distance in sorted(distances.items()))
                  + "; ring loss / mean's at 1 sigma: " + ", ".join(f"s{seed} x{curve[at_one]:.3g}" for seed, curve in sorted(curves.items())))


def radius_ends_small(runs: Runs) -> Claim:
    found = runs.counted(SHALLOW)
    effect = location_effect((_log_ratio(_scale(run), run.radius_final) for run in found.values()), _log("small"), ABOVE, one_sample=True)
    return _claim(f"its radius must eventually be small ({SHALLOW})", "spread of the test set's means (root mean variance) / final mean r",
                  effect, "ratio", "final r per seed: " + _values(found, lambda run: run.radius_final) + "; spread of the means: "
                  + _values(found, _scale))


# -- the shape of the encodings ------------------------------------------------------------------
def _epoch_ks(shape) -> float:
    """One epoch's radial KS distance; 1 where the encoder was dead at that epoch (as `_ks`)."""
    return 1.0 if shape is None else shape.radial_ks


def gaussian_progressively(runs: Runs) -> Claim:
    """Every run with two epochs or more counts (intention to treat): an epoch where the encoder was
    dead has no shape and counts as the worst one (KS 1), so a run that dies trends up, not away."""
    found = {seed: run for seed, run in runs.counted(SHALLOW).items() if len(run.shapes) > 1}  # a trend needs two epochs
    slopes = {seed: stats.linregress(np.arange(1, len(run.shapes) + 1), [_epoch_ks(shape) for shape in run.shapes]).slope
              for seed, run in found.items()}
    effect = location_effect(slopes.values(), 0.0, BELOW, one_sample=True)
    claim = _claim(f"all digits progressively distribute around the center ({SHALLOW})",
                   "trend per epoch of the KS distance between the whitened test encodings' radii and chi_d (1 at an epoch whose encoder was dead)",
                   effect, "difference",
                   "KS distance per epoch, first seed: " + ", ".join(f"{_epoch_ks(shape):.3f}" for shape in next(iter(found.values())).shapes)
                   if found else "")
    return claim if found or not runs.counted(SHALLOW) else replace(claim, verdict="not checked", note="a trend needs two epochs or more")


def _distance(run: RunNumbers) -> float:
    """The omnibus distance from a Gaussian's shape (radial KS and angular Kuiper, the larger); 1 for a dead encoder."""
    return 1.0 if run.shape is None else run.shape.distance


def gaussian_like(runs: Runs) -> Claim:
    """Radii and angles both: kurtosis and radii alone pass a 10-ray star with Gaussian radii."""
    found = runs.counted(SHALLOW)
    bound = SHARES["Gaussian-like"]
    effect = location_effect((_distance(run) for run in found.values()), bound.share, BELOW, one_sample=True)
    return _claim(f"... in a Gaussian-like distribution ({SHALLOW})",
                  "distance of the whitened final test encodings from a Gaussian's shape: the larger of the radii's KS distance from "
                  "chi_d and the angles' Kuiper distance from uniform (a Gaussian's: about 0.01)", effect, "share",
                  "radial KS distance from chi_d: " + _values(found, _ks) + "; angular Kuiper distance: "
                  + _values(found, lambda run: run.shape.angular if run.shape and run.shape.angular is not None else math.nan)
                  + "; Mardia's kurtosis / a Gaussian's d(d+2): " + _values(found, _kurtosis_ratio) + "; scale: "
                  + _values(found, _scale) + "; centre offset / scale: " + _values(found, lambda run: run.shape.centre if run.shape else math.nan, 2)
                  + f". Threshold: {bound.reason}")


def _centre(run: RunNumbers) -> float:
    """|mean of the codes| / their spread; inf for a dead encoder (no spread to measure it in)."""
    return math.inf if run.shape is None else run.shape.centre


def around_the_center(runs: Runs) -> Claim:
    found = runs.counted(SHALLOW)
    bound = SHARES["around the center"]
    effect = location_effect((_centre(run) for run in found.values()), bound.share, BELOW, one_sample=True)
    return _claim(f"all digits distribute around the center ({SHALLOW})",
                  "distance of the final test encodings' mean from the origin, in their own spread (root mean variance), per seed",
                  effect, "difference", "per seed: " + _values(found, _centre, 2) + f". Threshold: {bound.reason}")


def _covered(run: RunNumbers) -> float:
    """The prior's share near a code (science.measures.prior_coverage); a dead encoder's, at one point, is as measured."""
    return math.nan if run.prior_coverage is None else run.prior_coverage


def coverage_with_sampling(runs: Runs) -> Claim:
    """The lecture's mechanism for sampling, 'a better coverage of the latent space', measured where
    generation draws its codes: the prior. Its other half, 'a better generation', is the rows on samples."""
    vae, plain = runs.counted(SHALLOW, VAE), runs.counted(SHALLOW, PLAIN)
    effect = location_effect(_ratio_by_seed(vae, plain, _covered), _log("more"), ABOVE)
    return _claim(f"sampling induces a better coverage of the latent space ({SHALLOW})",
                  f"share of {PRIOR_DRAWS:,} prior draws z ~ N(0, I) within {COVERAGE_RADIUS:g} of a final test code, variational / "
                  "without sampling, by seed", effect, "ratio",
                  "variational " + _values(vae, _covered) + "; without sampling " + _values(plain, _covered)
                  + "; scale variational " + _values(vae, _scale) + ", without sampling " + _values(plain, _scale))


def less_uniform_without_sampling(runs: Runs) -> Claim:
    plain, vae = runs.counted(DEEP, PLAIN), runs.counted(DEEP, VAE)
    effect = location_effect(_ratio_by_seed(plain, vae, _ks), _log("sensibly"), ABOVE)
    return _claim(f"without sampling the distribution in the latent space is sensibly less uniform ({DEEP})",
                  "radial KS distance from chi_d of the whitened test encodings, without sampling / variational, by seed", effect, "ratio",
                  "Mardia's kurtosis (a Gaussian's: 8) without sampling "
                  + _values(plain, lambda run: run.shape.kurtosis if run.shape else math.nan) + ", variational "
                  + _values(vae, lambda run: run.shape.kurtosis if run.shape else math.nan)
                  + "; scale without sampling " + _values(plain, _scale) + ", variational " + _values(vae, _scale))


def sampling_not_evident_shallow(runs: Runs) -> Claim:
    """'not so evident' is absolute: the two modes of 784-256-2 give equivalent shapes, within the band."""
    plain, vae = runs.counted(SHALLOW, PLAIN), runs.counted(SHALLOW, VAE)
    ratios = {seed: _log_ratio(_ks(plain[seed]), _ks(vae[seed])) for seed in paired(plain, vae)}
    effect = equivalence(ratios.values(), _log("not so evident"))
    return _claim(f"the effect of sampling is not so evident ({SHALLOW}) [on the distribution]",
                  f"radial KS distance from chi_d of the whitened test encodings, {SHALLOW} without sampling / variational, by seed, "
                  "inside an equivalence band", effect, "ratio",
                  "ratio per seed: " + ", ".join(f"s{seed} x{math.exp(gap):.3g}" for seed, gap in sorted(ratios.items()))
                  + "; KS without sampling " + _values(plain, _ks) + ", variational " + _values(vae, _ks))


def spherical_with_sampling(runs: Runs) -> Claim:
    plain, vae = runs.counted(DEEP3, PLAIN), runs.counted(DEEP3, VAE)
    effect = location_effect(_ratio_by_seed(plain, vae, _departure), _log("much"), ABOVE)
    index = lambda run: 1 - _departure(run)  # noqa: E731
    return _claim(f"digits have a much better spherical disposition in the case with sampling ({DEEP3})",
                  "departure from a sphere of the test encodings (1 - the geometric over the arithmetic mean of every covariance "
                  "eigenvalue: 0 a ball, 1 an axis collapsed), without sampling / variational, by seed", effect, "ratio",
                  "sphericity index (1 a ball) without sampling " + _values(plain, index) + ", variational " + _values(vae, index)
                  + "; eigenvalue ratio without sampling " + _values(plain, _sphericity)
                  + ", variational " + _values(vae, _sphericity) + " (over the directions the codes span; inf: a dead encoder); "
                  "directions not spanned (collapsed) without sampling " + _values(plain, lambda run: run.latent_size - run.rank)
                  + ", variational " + _values(vae, lambda run: run.latent_size - run.rank))


# -- reconstruction --------------------------------------------------------------------------------
RECONSTRUCTION = "final test reconstruction per image (the VAE's is of a sampled code, as it trains; without sampling, of the mean)"


def deeper_reconstructs_better(runs: Runs, mode: str) -> Claim:
    deep, shallow = runs.counted(DEEP, mode), runs.counted(SHALLOW, mode)
    floor = runs.floor
    effect = location_effect(_ratio_by_seed(shallow, deep, lambda run: run.reconstruction - floor), _log("sensibly"), ABOVE)
    label = "variational" if mode == VAE else "without sampling"
    return _claim(f"for both models, a sensible improvement in the reconstruction loss over the shallower net ({label})",
                  f"{RECONSTRUCTION}, {runs.floor_text()}: {SHALLOW} / {DEEP}, by seed", effect, "ratio",
                  runs.slope_note((DEEP, mode), (SHALLOW, mode)) + f"{DEEP} "
                  + _values(deep, lambda run: run.reconstruction, 4) + f"; {SHALLOW} " + _values(shallow, lambda run: run.reconstruction, 4))


def _decoded_mean_claim(runs: Runs, claim: Claim, a: dict[int, RunNumbers], b: dict[int, RunNumbers], value_a, value_b, adverb: str) -> Claim:
    """The same claim with the VAE's reconstruction of its decoded mean in place of the sampled one."""
    if runs.test_images is None:
        return replace(claim, text=claim.text + " [the VAE's decoded mean]", verdict="not checked", note="no test images were given",
                       estimate=None, interval=None, seeds_needed=None)
    values = {seed: (value_a(seed, a[seed]), value_b(seed, b[seed])) for seed in paired(a, b)}
    effect = location_effect((_log_ratio(x - runs.floor, y - runs.floor) for x, y in values.values()), _log(adverb), ABOVE)
    return _claim(claim.text + " [the VAE's decoded mean]", claim.measure.replace("the VAE's is of a sampled code, as it trains", "the VAE's of its mean code"),
                  effect, "ratio", "per seed: " + ", ".join(f"s{seed} {x:.4g} / {y:.4g}" for seed, (x, y) in sorted(values.items())))


def deeper_reconstructs_better_decoded_mean(runs: Runs) -> Claim:
    claim = deeper_reconstructs_better(runs, VAE)
    deep, shallow = runs.counted(DEEP), runs.counted(SHALLOW)
    return _decoded_mean_claim(runs, claim, shallow, deep, lambda seed, run: runs.mean_reconstruction(SHALLOW, seed),
                               lambda seed, run: runs.mean_reconstruction(DEEP, seed), "sensibly")


def plain_reconstructs_slightly_better_decoded_mean(runs: Runs) -> Claim:
    claim = plain_reconstructs_slightly_better(runs)
    plain, vae = runs.counted(DEEP, PLAIN), runs.counted(DEEP, VAE)
    return _decoded_mean_claim(runs, claim, vae, plain, lambda seed, run: runs.mean_reconstruction(DEEP, seed),
                               lambda seed, run: run.reconstruction, "slightly")


def plain_reconstructs_slightly_better(runs: Runs) -> Claim:
    plain, vae = runs.counted(DEEP, PLAIN), runs.counted(DEEP, VAE)
    floor = runs.floor
    effect = location_effect(_ratio_by_seed(vae, plain, lambda run: run.reconstruction - floor), _log("slightly"), ABOVE)
    return _claim(f"the network without sampling is even slightly better than the variational one ({DEEP})",
                  f"{RECONSTRUCTION}, {runs.floor_text()}: variational / without sampling, by seed", effect, "ratio",
                  runs.slope_note((DEEP, PLAIN), (DEEP, VAE)) + "variational "
                  + _values(vae, lambda run: run.reconstruction, 4) + "; without sampling " + _values(plain, lambda run: run.reconstruction, 4))


# -- spread over seeds and stability -------------------------------------------------------------------
def _spread_claim(runs: Runs, text: str, wider: str, narrower: str, adverb: str) -> Claim:
    a, b = runs.counted(wider), runs.counted(narrower)
    both = paired(a, b)
    same = len(both) == len(a) == len(b)
    effect = spread_ratio([a[s].final_loss for s in (both if same else a)], [b[s].final_loss for s in (both if same else b)],
                          _log(adverb), ABOVE, paired=same)
    few = f"A spread needs {SPREAD_SEEDS} seeds a net for a verdict (fewer: inconclusive). " if 0 < min(len(a), len(b)) < SPREAD_SEEDS else ""
    sd = float(np.std([r.final_loss for r in a.values()], ddof=1) / np.std([r.final_loss for r in b.values()], ddof=1)) if min(len(a), len(b)) > 1 else math.nan
    return _claim(text, f"spread over seeds of the final test loss (mean absolute deviation from the median), {wider} / {narrower}", effect, "ratio",
                  few + f"ratio of standard deviations x{sd:.3g}. " + runs.slope_note((wider, VAE), (narrower, VAE))
                  + f"final losses {wider}: " + _values(a, lambda run: run.final_loss, 4) + f"; {narrower}: " + _values(b, lambda run: run.final_loss, 4))


def four_much_more_aleatory(runs: Runs) -> Claim:
    return _spread_claim(runs, "at latent size 4 training is much more aleatory, with quite different final errors",
                         FOUR_DEEP, DEEP, "much")


def collapse_not_infrequent(runs: Runs) -> Claim:
    found = runs.counted(FOUR_DEEP)
    collapsed = sum(1 for run in found.values() if _inactive(run) >= 1)
    effect = frequency(collapsed, len(found), SHARES["not infrequently"].share, ABOVE)
    return _claim(f"not infrequently, a collapse to 0 of some of the latent variables ({FOUR_DEEP})",
                  "share of seeds with at least one inactive latent variable (a dead encoder counts)", effect, "share",
                  "inactive per seed: " + _values(found, _inactive) + ". " + _collapse_split(found.values()))


def shallower_four_more_stable(runs: Runs) -> Claim:
    return _spread_claim(runs, f"the {FOUR_SHALLOW} architecture is more stable during training (spread of final errors)",
                         FOUR_DEEP, FOUR_SHALLOW, "more")


def shallower_four_steadier(runs: Runs) -> Claim:
    deep, shallow = runs.counted(FOUR_DEEP), runs.counted(FOUR_SHALLOW)
    bumps = lambda run: run.rises + run.spikes  # noqa: E731
    effect = location_effect((bumps(deep[seed]) - bumps(shallow[seed]) for seed in paired(deep, shallow)), 0.0, ABOVE, counts=True)
    return _claim(f"the {FOUR_SHALLOW} architecture is more stable during training (within a run)",
                  "test-loss rises between epochs + batch-loss spikes (above 1.5x the median of the 100 batches before), "
                  f"{FOUR_DEEP} minus {FOUR_SHALLOW}, by seed", effect, "difference",
                  f"rises, spikes {FOUR_DEEP}: " + ", ".join(f"s{s} {r.rises}, {r.spikes}" for s, r in sorted(deep.items()))
                  + f"; {FOUR_SHALLOW}: " + ", ".join(f"s{s} {r.rises}, {r.spikes}" for s, r in sorted(shallow.items())))


# -- collapse of latent variables ---------------------------------------------------------------
def _inactive(run: RunNumbers) -> int:
    return run.latent_size if run.dead else run.inactive


def _collapse_split(found) -> str:
    """How much of the collapse dead units explain: the means are a linear map of the last hidden
    layer's live units, so a run with fewer live units there than latent variables must lose the
    rest whatever the KL does; what is inactive beyond that is the KL's doing."""
    found = sorted(found, key=lambda run: (run.arch, run.seed))
    known = [run for run in found if run.forced_inactive is not None]
    if not known:
        return "Dead units of the last hidden layer: not recorded in these run files (schema < 3)."
    inactive = sum(_inactive(run) for run in known)
    forced = sum(min(run.forced_inactive, _inactive(run)) for run in known)
    per_run = ", ".join(f"{run.arch} s{run.seed} {_inactive(run)}/{run.forced_inactive}/{run.live_last} of {run.last_hidden}/{run.rank}"
                        for run in known)
    return (f"Of {inactive} inactive variables over {len(known)} runs, {forced} are explained by dead units of the last hidden layer "
            f"(active variables cannot exceed its live units), the other {inactive - forced} by the KL. Per run, inactive / forced by "
            f"dead units / live last-layer units of its width / rank of the codes' covariance: {per_run}.")


def several_collapse(runs: Runs, archs: tuple[str, str]) -> Claim:
    found = [run for arch in archs for run in runs.counted(arch).values()]
    effect = frequency(sum(1 for run in found if _inactive(run) >= 2), len(found), SHARES["confirmed"].share, ABOVE)
    return _claim(f"the collapse to zero of several latent variables is confirmed (latent size {archs[0].rsplit('-', 1)[1]})",
                  f"share of runs of {' and '.join(archs)} with at least two inactive latent variables", effect, "share",
                  "; ".join(f"{arch}: " + _values(runs.counted(arch), _inactive) for arch in archs) + ". " + _collapse_split(found))


def collapse_deeper(runs: Runs, deeper: str, shallower: str, text: str = "") -> Claim:
    a, b = runs.counted(deeper), runs.counted(shallower)
    effect = location_effect((_inactive(a[seed]) - _inactive(b[seed]) for seed in paired(a, b)), 0.0, ABOVE, counts=True)
    return _claim(text or f"the collapse is more evident for deeper architectures ({deeper} against {shallower})",
                  "inactive latent variables (variance of the mean < 0.01), deeper minus shallower, by seed", effect, "difference",
                  f"{deeper}: " + _values(a, _inactive) + f"; {shallower}: " + _values(b, _inactive) + ". "
                  + _collapse_split([*a.values(), *b.values()]))


def detail_with_active_variables(runs: Runs) -> Claim:
    archs = (DEEP, DEEP3, FOUR_DEEP, EIGHT_SHALLOW, SIXTEEN_SHALLOW)
    slopes = []
    for seed in runs.seeds:
        points = [(run.latent_size - _inactive(run), run.reconstruction) for arch in archs if (run := runs.counted(arch).get(seed))]
        if len({active for active, _ in points}) >= 2:
            slopes.append(stats.linregress(*zip(*points)).slope)
    effect = location_effect(slopes, 0.0, BELOW, one_sample=True)
    return _claim("a larger latent space encodes the information at a greater level of detail",
                  f"slope of the final test reconstruction against the active latent variables, over {', '.join(archs)}, per seed (nats per variable)",
                  effect, "difference", runs.slope_note(*((arch, VAE) for arch in archs)))


# -- generated samples, scored by the cached classifier (report/classifier.py) -----------------------
def _label(config: tuple[str, str]) -> str:
    return config[0] + ("" if config[1] == VAE else " without sampling")


def _frechet_note(runs: Runs, *configs: tuple[str, str]) -> str:
    parts = []
    for config in configs:
        scores = runs.scores(*config)
        part = (f"{_label(config)}: FD " + ", ".join(f"s{seed} {score.frechet:.3g}" for seed, score in sorted(scores.items()))
                + "; confidence " + ", ".join(f"{score.confidence:.2f}" for _, score in sorted(scores.items()))
                + "; class entropy " + ", ".join(f"{score.class_entropy:.2f}" for _, score in sorted(scores.items())))
        if runs.test_images is not None:
            rebuilt = runs.reconstruction_scores(*config)
            part += ("; FD of its reconstructions of the test digits " + ", ".join(f"s{seed} {score.frechet:.3g}" for seed, score in sorted(rebuilt.items()))
                     + " (confidence " + ", ".join(f"{score.confidence:.2f}" for _, score in sorted(rebuilt.items())) + ")")
        parts.append(part)
    return ("; ".join(parts)
            + f" (classifier test accuracy {runs.scorer.accuracy:.2%}; FD: Fréchet distance of its features to the test set's, lower is closer)")


def _coverage(runs: Runs, config: tuple[str, str]) -> dict[int, float]:
    """Per seed, the coverage gap (science.classifier.coverage_gap): the samples' FD above the same net's
    reconstructions' (decoder blur taken out); the samples' FD alone where no test images were given."""
    from science.classifier import coverage_gap

    samples = runs.scores(*config)
    if runs.test_images is None:
        return {seed: score.frechet for seed, score in samples.items()}
    rebuilt = runs.reconstruction_scores(*config)
    return {seed: coverage_gap(samples[seed], rebuilt[seed]) for seed in paired(samples, rebuilt)}


def _coverage_words(runs: Runs) -> str:
    if runs.test_images is None:
        return "Fréchet distance of 10,000 samples z ~ N(0, I) to the test set (no test images were given to take the decoder's blur out)"
    return ("coverage gap: the Fréchet distance of 10,000 samples z ~ N(0, I) to the test set minus that of the same net's reconstructions "
            "of the test digits (the decoder's blur taken out; below 0 counts as 0)")


def _fd_ratio_claim(runs: Runs, text: str, worse: tuple[str, str], better: tuple[str, str], adverb: str, reference: str = "") -> Claim:
    a, b = _coverage(runs, worse), _coverage(runs, better)
    effect = location_effect((_log_ratio(a[seed], b[seed]) for seed in paired(a, b)), _log(adverb), ABOVE)
    return _claim(text, f"{_coverage_words(runs)}, {_label(worse)} / {_label(better)}, by seed{reference}",
                  effect, "ratio", "gap per seed " + ", ".join(f"s{seed} {a[seed]:.3g} / {b[seed]:.3g}" for seed in paired(a, b)) + "; "
                  + _frechet_note(runs, worse, better))


def sampling_not_evident_generation(runs: Runs) -> Claim:
    """'not so evident' is absolute: the two modes of 784-256-2 generate equivalently, within the band."""
    plain, vae = _coverage(runs, (SHALLOW, PLAIN)), _coverage(runs, (SHALLOW, VAE))
    effect = equivalence((_log_ratio(plain[seed], vae[seed]) for seed in paired(plain, vae)), _log("not so evident"))
    return _claim(f"the effect of sampling is not so evident ({SHALLOW}) [on random generation]",
                  f"{_coverage_words(runs)}, {SHALLOW} without sampling / variational, by seed, inside an equivalence band", effect,
                  "ratio", _frechet_note(runs, (SHALLOW, PLAIN), (SHALLOW, VAE)))


def modest_samples(runs: Runs) -> Claim:
    scores = runs.scores(FOUR_DEEP)
    effect = location_effect((score.confidence for score in scores.values()), SHARES["modest"].share, BELOW, one_sample=True)
    reference = ""
    if runs.test_images is not None:
        real = runs.scorer.score(runs.test_images.astype(np.float64) / 255)
        reference = f"Reference for 'modest': the classifier's mean confidence on the real test digits is {real.confidence:.2f}. "
    return _claim(f"the overall quality of generated samples is modest ({FOUR_DEEP})",
                  "the classifier's mean top-class confidence on 10,000 samples z ~ N(0, I) (reference: real test digits, on which it is "
                  "over 99% sure; 'modest' is below 90%)", effect, "share",
                  reference + _frechet_note(runs, (FOUR_DEEP, VAE)))


def collapse_bad_for_sampling(runs: Runs) -> Claim:
    """'quite bad in view of generative sampling': across the seeds of the 4-d net, the ones with more
    collapsed variables should generate worse (a larger coverage gap)."""
    found, gap = runs.counted(FOUR_DEEP), _coverage(runs, (FOUR_DEEP, VAE))
    seeds = paired(found, gap)
    effect = association((_inactive(found[seed]) for seed in seeds), (gap[seed] for seed in seeds), ABOVE)
    return _claim(f"a collapse of latent variables is quite bad in view of generative sampling ({FOUR_DEEP})",
                  f"across seeds, inactive latent variables against the {_coverage_words(runs)}", effect, "difference",
                  "per seed, inactive / gap: " + ", ".join(f"s{seed} {_inactive(found[seed])} / {gap[seed]:.3g}" for seed in seeds)
                  + ". " + _collapse_split(list(found.values())))


def distorted_because_less_uniform(runs: Runs) -> Claim:
    """'less uniform ... resulting in the generation of more distorted digits', read per seed: the
    seeds where the net without sampling is the less uniform against its VAE twin should be the
    ones where it generates the worse, if the one results in the other."""
    plain, vae = runs.counted(DEEP, PLAIN), runs.counted(DEEP, VAE)
    plain_gap, vae_gap = _coverage(runs, (DEEP, PLAIN)), _coverage(runs, (DEEP, VAE))
    seeds = [seed for seed in sorted(plain) if seed in vae and seed in plain_gap and seed in vae_gap]
    uniformity = {seed: _log_ratio(_ks(plain[seed]), _ks(vae[seed])) for seed in seeds}
    distortion = {seed: _log_ratio(plain_gap[seed], vae_gap[seed]) for seed in seeds}
    effect = association((uniformity[seed] for seed in seeds), (distortion[seed] for seed in seeds), ABOVE)
    return _claim(f"less uniform without sampling, resulting in the generation of more distorted digits ({DEEP}, per seed)",
                  f"across seeds, the radial KS ratio without sampling / variational against the ratio of their {_coverage_words(runs)}",
                  effect, "difference", "per seed, KS ratio / gap ratio: "
                  + ", ".join(f"s{seed} x{math.exp(uniformity[seed]):.3g} / x{math.exp(distortion[seed]):.3g}" for seed in seeds))


def typical_example(runs: Runs) -> Claim:
    """Where the page's shown seed (the first) ranks among the seeds: a sentence about one seed has no
    interval over seeds, so the row describes and does not judge."""
    gap = _coverage(runs, (FOUR_DEEP, VAE))
    shown = runs.seeds[0] if runs.seeds else None
    text = f"below is a typical example (a relatively good one) of {FOUR_DEEP}'s samples"
    measure = f"the share of the other seeds whose {_coverage_words(runs)} is larger (worse) than the shown seed's"
    if shown not in gap:
        return Claim(text, measure, None, None, 0.5, "not checked", None, "the shown seed's run did not finish", scale="share")
    others = [value for seed, value in gap.items() if seed != shown]
    if not others:
        return Claim(text, measure, None, None, 0.5, "not checked", None, f"only the shown seed ({shown}) was run: no other seed to rank it against",
                     scale="share", seeds=1)
    worse = sum(value > gap[shown] for value in others)
    return Claim(text, measure, worse / len(others), None, 0.5, "not checked", None,
                 f"Not a test: the sentence is about one seed, the one the page shows (seed {shown}), so no interval over seeds can judge "
                 f"it. Its gap is {gap[shown]:.3g}, larger than {len(others) - worse} and smaller than {worse} of the {len(others)} other "
                 "seeds ('relatively good' reads as better than half of them, 'typical' as not the best one). Gap per seed: "
                 + ", ".join(f"s{seed} {value:.3g}" for seed, value in sorted(gap.items())), scale="share", seeds=len(gap))


def depth_matters_more_at_sixteen(runs: Runs) -> Claim:
    """'we also need more complex, highly nonlinear transformations': the deeper net's advantage in
    sampling grows with the latent size, an interaction of depth and size, paired by seed."""
    gaps = {arch: _coverage(runs, (arch, VAE)) for arch in (SIXTEEN_SHALLOW, SIXTEEN_DEEP, FOUR_SHALLOW, FOUR_DEEP)}
    seeds = sorted(set.intersection(*(set(gap) for gap in gaps.values())))
    values = [_log_ratio(gaps[SIXTEEN_SHALLOW][seed], gaps[SIXTEEN_DEEP][seed]) - _log_ratio(gaps[FOUR_SHALLOW][seed], gaps[FOUR_DEEP][seed])
              for seed in seeds]
    effect = location_effect((0.0 if math.isnan(value) else value for value in values), _log("more"), ABOVE)  # inf - inf: both sides as bad, a tie
    return _claim("to take advantage of a larger latent space we also need more complex, highly nonlinear transformations",
                  f"{_coverage_words(runs)}: shallower / deeper at latent size 16 ({SIXTEEN_SHALLOW} / {SIXTEEN_DEEP}) over the same at "
                  f"size 4 ({FOUR_SHALLOW} / {FOUR_DEEP}), by seed: how much more depth helps sampling at 16 than at 4", effect, "ratio",
                  "gaps per seed (16 shallower, 16 deeper, 4 shallower, 4 deeper): " + ", ".join(
                      f"s{seed} {gaps[SIXTEEN_SHALLOW][seed]:.3g}, {gaps[SIXTEEN_DEEP][seed]:.3g}, {gaps[FOUR_SHALLOW][seed]:.3g}, "
                      f"{gaps[FOUR_DEEP][seed]:.3g}" for seed in seeds))


SAMPLE_CLAIMS = (
    "sampling_not_evident_generation", "more_distorted", "very_bad", "modest", "slightly_improved", "deeper_sixteen",
    "coverage_not_guaranteed_sixteen", "collapse_bad_for_sampling", "typical_example", "depth_matters_more_at_sixteen",
    "distorted_because_less_uniform")


def _sample_makers(runs: Runs) -> dict[str, Callable[[], Claim]]:
    """The statements about random generation, by name, each made when called; not checked without the classifier."""
    if runs.scorer is None:
        return {name: (lambda name=name: Claim(f"(generated samples: {name.replace('_', ' ')})", "needs the sample classifier", None, None, 0.0,
                                               "not checked", None, "no sample classifier was given")) for name in SAMPLE_CLAIMS}
    return {
        "sampling_not_evident_generation": lambda: sampling_not_evident_generation(runs),
        "more_distorted": lambda: _fd_ratio_claim(runs, f"without sampling, the generation of more distorted digits ({DEEP})",
                                                  (DEEP, PLAIN), (DEEP, VAE), "more"),
        "very_bad": lambda: _fd_ratio_claim(runs, f"without sampling, random sampling from the latent space generates very bad results ({DEEP3})",
                                            (DEEP3, PLAIN), (DEEP3, VAE), "much",
                                            " (reference for 'very bad': the same architecture's variational net, the page's contrast; "
                                            "'very bad' is at least twice its gap)"),
        "modest": lambda: modest_samples(runs),
        "slightly_improved": lambda: _fd_ratio_claim(runs, f"{FOUR_SHALLOW}: even sampling looks slightly improved (against {FOUR_DEEP})",
                                                     (FOUR_DEEP, VAE), (FOUR_SHALLOW, VAE), "slightly"),
        "deeper_sixteen": lambda: _fd_ratio_claim(runs, "sampling from a latent space of dimension 16 is slightly better with a deeper network",
                                                  (SIXTEEN_SHALLOW, VAE), (SIXTEEN_DEEP, VAE), "slightly"),
        "coverage_not_guaranteed_sixteen": lambda: _fd_ratio_claim(
            runs, "in a high dimensional space the encodings will be scattered away: it is not evident that sampling is enough to guarantee "
                  f"a good coverage in view of generation ({SIXTEEN_DEEP} against {DEEP})", (SIXTEEN_DEEP, VAE), (DEEP, VAE), "more",
            " (the same depth of encoder at latent sizes 16 and 2: the fear is a larger gap at 16)"),
        "collapse_bad_for_sampling": lambda: collapse_bad_for_sampling(runs),
        "distorted_because_less_uniform": lambda: distorted_because_less_uniform(runs),
        "typical_example": lambda: typical_example(runs),
        "depth_matters_more_at_sixteen": lambda: depth_matters_more_at_sixteen(runs),
    }


def sample_claims(runs: Runs) -> dict[str, Claim]:
    """The statements about random generation, by name; not checked without the classifier."""
    return {name: make() for name, make in _sample_makers(runs).items()}


def _counted(runs: Runs, make: Callable[[], Claim], *others: Runs) -> Claim:
    """The claim over every finished run, its note naming each dead run it counted and giving the
    run-trained-only estimate (dead encoders left out) beside it: the sensitivity line. `others`:
    the runs of other training options the claim reads too (a remedy against its baseline)."""
    every = (runs, *others)
    for each in every:
        each.touched = set()
    claim = make()
    dead = [name for each in every for name in each.dead(each.touched)]
    if not dead or claim.verdict == "not checked":
        return claim
    for each in every:
        each.leave_out_dead = True
    try:
        other = make()
        without = f"{other.effect_text()}, {other.verdict}"
    except (ValueError, ZeroDivisionError, StopIteration):  # nothing left to measure without them
        without = "no estimate"
    finally:
        for each in every:
            each.leave_out_dead = False
    return replace(claim, note=f"Counted, encoder dead (every input at one code: a total collapse): {', '.join(dead)}. "
                              f"Run-trained-only (dead encoders left out): {without}. " + claim.note)


def holm_verdicts(claims: list[Claim]) -> list[Claim]:
    """Each primary row's verdict after Holm's adjustment over the family of 2m one-sided tests: each
    primary row's test toward its predicted side (its p-value) and toward the other side (`p_other`).
    "holds" survives when the first's adjusted p is at most 2.5%, "contradicted" when the second's
    is, so both are adjusted; secondary rows are out of the family."""
    family = [i for i, claim in enumerate(claims) if claim.primary and claim.p_value is not None
              and claim.verdict in ("holds", "contradicted", "inconclusive")]
    tests = [claims[i].p_value for i in family] + [1.0 if claims[i].p_other is None else claims[i].p_other for i in family]
    adjusted = holm(tests) if family else []
    toward = {i: float(adjusted[k]) for k, i in enumerate(family)}
    away = {i: float(adjusted[len(family) + k]) for k, i in enumerate(family)}
    out = []
    for i, claim in enumerate(claims):
        if i in toward:
            holm_verdict = "holds" if toward[i] <= ALPHA else "contradicted" if away[i] <= ALPHA else "inconclusive"
            out.append(replace(claim, holm=holm_verdict, holm_p=toward[i], holm_p_other=away[i]))
        else:
            out.append(replace(claim, holm="secondary" if not claim.primary else claim.verdict))
    return out


# The rules the plan holds beyond its rows, in words: a change to any of them changes the plan's hash.
PLAN_RULES = ("intention to treat v2: every finished run counts; a dead encoder's shape is the worst (radial KS and shape distance 1, "
              "sphericity departure 1, eigenvalue ratio and kurtosis ratio inf, scale 0, centre offset inf, prior coverage as measured at its "
              "one code), its inactive variables all of them, an epoch without a shape KS 1; the shown seed's rank is described, not "
              "judged; associations across seeds: Kendall's tau-b, permutation test; one-sample rows: median, sign test; paired rows: Hodges-Lehmann, Wilcoxon; paired counts: sign test "
              "with ties dropped; spreads: 6 seeds a net; Holm over both sides of every primary row")


class _PlanScorer:
    """Stands in for the sample classifier where the plan is read: with no seeds it scores nothing."""

    accuracy = math.nan


def plan(check: Callable[..., list[Claim]]) -> list[dict]:
    """The plan, built without data: `check` (check_claims, check_beyond) over no seeds, with a
    stand-in classifier so the sample rows are the real ones; each row's function name, text,
    statistic, threshold, side, primary flag and scale, then ALPHA, CONFIDENCE and the rules."""
    rows = check(Path("/nonexistent-plan"), [], _PlanScorer(), None)
    return [{"name": c.name, "text": c.text, "statistic": c.statistic, "threshold": float(f"{c.threshold:.12g}"), "predicted": c.predicted,
             "primary": c.primary, "scale": c.scale} for c in rows] + [{"alpha": ALPHA, "confidence": CONFIDENCE, "rules": PLAN_RULES}]


def plan_hash(check: Callable[..., list[Claim]]) -> str:
    """sha256 of the plan (`plan`), as canonical JSON: the same for every sweep, whatever its runs."""
    return hashlib.sha256(json.dumps(plan(check), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


SECONDARY = "a secondary read of the sentence (out of the Holm family): "


def check_claims(folder: Path, seeds: list[int], scorer=None, test_images: np.ndarray | None = None) -> list[Claim]:
    """Every checked claim of the page, in the page's order; `scorer` (science.classifier.Scorer)
    scores generated samples and `test_images` (n, 28, 28) give a VAE's decoded-mean reconstruction;
    without them those claims say they were not checked."""
    runs = Runs(folder, seeds, scorer, test_images)
    samples = _sample_makers(runs)
    secondary = {  # other reads of a sentence that has a primary row, and why that one is primary
        "decoded mean": "the primary row reads the VAE's reconstruction as it trains (of a sampled code), the loss the page reports",
        "within a run": "the page's 'instability' is 'much more aleatory ... quite different final errors': the spread over seeds is primary",
    }
    makers = [  # (the plan's name of the row, how it is made)
        ("radius_starts_near_one", partial(radius_starts_near_one, runs)), ("radius_falls_rapidly", partial(radius_falls_rapidly, runs)),
        ("inside_the_circle_reconstructs", partial(inside_the_circle_reconstructs, runs)), ("radius_ends_small", partial(radius_ends_small, runs)),
        ("gaussian_progressively", partial(gaussian_progressively, runs)), ("gaussian_like", partial(gaussian_like, runs)),
        ("around_the_center", partial(around_the_center, runs)), ("coverage_with_sampling", partial(coverage_with_sampling, runs)),
        ("sampling_not_evident_shallow", partial(sampling_not_evident_shallow, runs)),
        ("sampling_not_evident_generation", samples["sampling_not_evident_generation"]),
        ("less_uniform_without_sampling", partial(less_uniform_without_sampling, runs)), ("more_distorted", samples["more_distorted"]),
        ("deeper_reconstructs_better", partial(deeper_reconstructs_better, runs, VAE)),
        ("deeper_reconstructs_better_decoded_mean", partial(deeper_reconstructs_better_decoded_mean, runs)),
        ("deeper_reconstructs_better_plain", partial(deeper_reconstructs_better, runs, PLAIN)),
        ("plain_reconstructs_slightly_better", partial(plain_reconstructs_slightly_better, runs)),
        ("plain_reconstructs_slightly_better_decoded_mean", partial(plain_reconstructs_slightly_better_decoded_mean, runs)),
        ("spherical_with_sampling", partial(spherical_with_sampling, runs)), ("very_bad", samples["very_bad"]),
        ("coverage_not_guaranteed_sixteen", samples["coverage_not_guaranteed_sixteen"]),
        ("four_much_more_aleatory", partial(four_much_more_aleatory, runs)), ("collapse_not_infrequent", partial(collapse_not_infrequent, runs)),
        ("collapse_bad_for_sampling", samples["collapse_bad_for_sampling"]),
        ("modest", samples["modest"]), ("typical_example", samples["typical_example"]),
        ("shallower_four_more_stable", partial(shallower_four_more_stable, runs)), ("shallower_four_steadier", partial(shallower_four_steadier, runs)),
        ("collapse_beneficial_four", partial(collapse_deeper, runs, FOUR_DEEP, FOUR_SHALLOW,
                                             f"this seems indeed to be beneficial [to the collapse]: fewer inactive variables with {FOUR_SHALLOW} "
                                             f"than with {FOUR_DEEP}")),
        ("slightly_improved", samples["slightly_improved"]),
        ("several_collapse_8", partial(several_collapse, runs, (EIGHT_DEEP, EIGHT_SHALLOW))),
        ("several_collapse_16", partial(several_collapse, runs, (SIXTEEN_DEEP, SIXTEEN_SHALLOW))),
        ("collapse_deeper_8", partial(collapse_deeper, runs, EIGHT_DEEP, EIGHT_SHALLOW)),
        ("collapse_deeper_16", partial(collapse_deeper, runs, SIXTEEN_DEEP, SIXTEEN_SHALLOW)),
        ("deeper_sixteen", samples["deeper_sixteen"]), ("detail_with_active_variables", partial(detail_with_active_variables, runs)),
        ("depth_matters_more_at_sixteen", samples["depth_matters_more_at_sixteen"]),
        ("distorted_because_less_uniform", samples["distorted_because_less_uniform"]),  # last: the rows' numbers before it stay as published
    ]
    claims = []
    for name, make in makers:
        claim = replace(_counted(runs, make), name=name)
        why = next((reason for key, reason in secondary.items() if key in claim.text), None)
        claims.append(replace(claim, primary=False, note=SECONDARY + why + ". " + claim.note) if why else claim)
    return holm_verdicts(claims)
