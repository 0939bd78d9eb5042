"""The lecture's claims, checked against the runs: each a small record with its effect over the
seeds, a 95% interval, the threshold its words ask for, and a verdict (holds, contradicted,
inconclusive), judged by the one rule of `science.evidence`.

One function per claim, each naming its effect per seed, the side the page predicts and its adverb.
Only runs that finished the epochs asked take part, every pairing of two configurations goes by seed,
and a run whose encoder died (every input at one code) is counted as a total collapse and kept out
of the means it would dominate; the claim's note says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import stats

from science.evidence import ABOVE, ADVERBS, BELOW, SHARES, WITHIN, Effect, frequency, mean_effect, paired, spread_ratio
from science.measures import SLOPE_EPOCHS, RunNumbers, mean_reconstruction, read_run, ring_loss_ratio
from train.runfolder import run_name

SHALLOW, DEEP, DEEP3 = "784-256-2", "784-256-32-8-2", "784-256-32-8-3"
VAE, PLAIN = "variational", "deterministic"


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
    seeds_needed: int | None  # inconclusive: about how many seeds would decide it at the observed effect
    note: str = ""  # the numbers behind it, runs left out and why (or why it was not checked)
    predicted: str = ABOVE  # the side of the threshold the page predicts: above, below, within
    scale: str = "difference"  # ratio, difference or share
    seeds: int = 0  # runs (or pairs of runs) that took part

    def effect_text(self) -> str:
        if self.estimate is None:
            return "-"
        shown = self._number(self.estimate)
        if self.interval is None:
            return f"{shown} (no interval from {'one seed' if self.seeds <= 1 else f'{self.seeds} seeds'})"
        return f"{shown} [{self._number(self.interval[0])}, {self._number(self.interval[1])}]"

    def threshold_text(self) -> str:
        if self.predicted == WITHIN:
            low = 1 / self.threshold if self.scale == "ratio" else -self.threshold
            return f"within {self._number(low)} to {self._number(self.threshold)}"
        return f"{'>' if self.predicted == ABOVE else '<'} {self._number(self.threshold)}"

    def needed_text(self) -> str:
        if self.verdict != "inconclusive":
            return ""
        if self.seeds_needed:
            return f"about {self.seeds_needed} seeds" + ("" if self.scale == "share" else " (80% power)")
        return "more than one seed" if self.seeds <= 1 else "no number of seeds at this effect"

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
        return Claim(text, measure, None, None, show(effect.threshold), "not checked", None, "no finished runs to compare", effect.side, scale, 0)
    return Claim(text, measure, None if effect.estimate is None else show(effect.estimate), interval, show(effect.threshold), effect.verdict,
                 effect.seeds_needed, note, effect.side, scale, effect.seeds)


def _log(factor: str) -> float:
    return math.log(ADVERBS[factor].factor)


class Runs:
    """The sweep's finished runs, each read once, by (arch, mode) and seed."""

    def __init__(self, folder: Path, seeds: list[int], scorer=None, test_images: np.ndarray | None = None):
        self.folder, self.seeds, self.scorer, self.test_images = folder, seeds, scorer, test_images
        self._mean_reconstruction: dict[tuple[str, int], float] = {}
        self._read: dict[tuple[str, str], dict[int, RunNumbers]] = {}
        self._scores: dict[tuple[str, str], dict] = {}

    def member(self, arch: str, mode: str, seed: int) -> Path:
        """The folder of one run of the sweep."""
        return self.folder / run_name(arch, mode, seed)

    def scores(self, arch: str, mode: str = VAE) -> dict:
        """The sample scores (science.classifier.Scores) of every live run of a configuration, each scored once."""
        key = (arch, mode)
        if key not in self._scores:
            self._scores[key] = {seed: self.scorer.score_run(self.member(arch, mode, seed)) for seed in self.alive(arch, mode)}
        return self._scores[key]

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

    def dead_note(self, *configs: tuple[str, str]) -> str:
        dead = [run_name(arch, mode, seed) for arch, mode in configs for seed, run in self.all(arch, mode).items() if run.dead]
        return f"left out, encoder dead (every input at one code: a total collapse): {', '.join(dead)}. " if dead else ""

    def slope_note(self, *configs: tuple[str, str]) -> str:
        """The test loss's trend at the end, beside claims about final values."""
        slopes = [run.slope for arch, mode in configs for run in self.alive(arch, mode).values() if run.slope is not None]
        if not slopes:
            return ""
        return f"Test loss over the last {SLOPE_EPOCHS} epochs still moves {np.median(slopes):+.2f} nats/epoch (median over runs). "


def _ratio_by_seed(a: dict[int, RunNumbers], b: dict[int, RunNumbers], value: Callable[[RunNumbers], float]) -> list[float]:
    """Per seed, log(value(a) / value(b)), paired by seed."""
    return [math.log(value(a[seed]) / value(b[seed])) for seed in paired(a, b)]


def _values(runs: dict[int, RunNumbers], value: Callable[[RunNumbers], float], digits: int = 3) -> str:
    return ", ".join(f"s{seed} {value(run):.{digits}g}" for seed, run in sorted(runs.items()))


# -- the radius of the variance circles -------------------------------------------------------
def radius_starts_near_one(runs: Runs) -> Claim:
    found = runs.alive(SHALLOW)
    effect = mean_effect((math.log(run.radius_start) for run in found.values()), _log("close"), WITHIN)
    return _claim("the radius is initially close to 1 (784-256-2)", "mean r of the tracked digits before training, against 1", effect, "ratio",
                  "r per seed: " + _values(found, lambda run: run.radius_start))


def radius_falls_rapidly(runs: Runs) -> Claim:
    found = runs.alive(SHALLOW)
    effect = mean_effect((math.log(run.radius_start / run.radius_epoch1) for run in found.values()), _log("much"), ABOVE)
    return _claim("... but it rapidly decreases (784-256-2)", "mean r before training / mean r at the end of epoch 1", effect, "ratio",
                  "end of epoch 1, per seed: " + _values(found, lambda run: run.radius_epoch1))


def inside_the_circle_reconstructs(runs: Runs) -> Claim:
    found = runs.alive(SHALLOW)
    ratios = {seed: ring_loss_ratio(runs.member(SHALLOW, VAE, seed)) for seed in found}
    effect = mean_effect((math.log(ratio) for ratio in ratios.values()), _log("close"), WITHIN)
    return _claim("the area inside the circle gives rise to a reconstruction close to the input (784-256-2)",
                  "reconstruction loss on the circle (1 sigma from the mean, 8 angles) / at the mean, over the tracked digits", effect, "ratio",
                  "per seed: " + ", ".join(f"s{seed} x{ratio:.3g}" for seed, ratio in sorted(ratios.items())))


def radius_ends_small(runs: Runs) -> Claim:
    found = runs.alive(SHALLOW)
    effect = mean_effect((math.log(run.shape.scale / run.radius_final) for run in found.values()), _log("small"), ABOVE)
    return _claim("its radius must eventually be small (784-256-2)", "spread of the test set's means (root mean variance) / final mean r",
                  effect, "ratio", "final r per seed: " + _values(found, lambda run: run.radius_final) + "; spread of the means: "
                  + _values(found, lambda run: run.shape.scale))


# -- the shape of the encodings ------------------------------------------------------------------
def gaussian_progressively(runs: Runs) -> Claim:
    found = {seed: run for seed, run in runs.alive(SHALLOW).items() if len(run.shapes) > 1 and all(run.shapes)}
    slopes = {seed: stats.linregress(np.arange(1, len(run.shapes) + 1), [shape.radial_ks for shape in run.shapes]).slope for seed, run in found.items()}
    effect = mean_effect(slopes.values(), 0.0, BELOW)
    claim = _claim("all digits progressively distribute around the center (784-256-2)",
                   "trend per epoch of the KS distance between the whitened test encodings' radii and chi_d", effect, "difference",
                   "KS distance per epoch, first seed: " + ", ".join(f"{shape.radial_ks:.3f}" for shape in next(iter(found.values())).shapes)
                   if found else "")
    return claim if found or not runs.alive(SHALLOW) else replace(claim, verdict="not checked", note="a trend needs two epochs or more")


def gaussian_like(runs: Runs) -> Claim:
    found = runs.alive(SHALLOW)
    effect = mean_effect((math.log(run.shape.kurtosis / run.shape.gaussian_kurtosis) for run in found.values()), _log("close"), WITHIN)
    return _claim("... in a Gaussian-like distribution (784-256-2)", "Mardia's kurtosis of the whitened final test encodings / a Gaussian's d(d+2)",
                  effect, "ratio", "radial KS distance from chi_d: " + _values(found, lambda run: run.shape.radial_ks) + "; scale: "
                  + _values(found, lambda run: run.shape.scale) + "; centre offset / scale: " + _values(found, lambda run: run.shape.centre, 2))


def less_uniform_without_sampling(runs: Runs) -> Claim:
    plain, vae = runs.alive(DEEP, PLAIN), runs.alive(DEEP, VAE)
    effect = mean_effect(_ratio_by_seed(plain, vae, lambda run: run.shape.radial_ks), _log("sensibly"), ABOVE)
    return _claim("without sampling the distribution in the latent space is sensibly less uniform (784-256-32-8-2)",
                  "radial KS distance from chi_d of the whitened test encodings, without sampling / variational, by seed", effect, "ratio",
                  runs.dead_note((DEEP, PLAIN), (DEEP, VAE)) + "Mardia's kurtosis (a Gaussian's: 8) without sampling "
                  + _values(plain, lambda run: run.shape.kurtosis) + ", variational " + _values(vae, lambda run: run.shape.kurtosis)
                  + "; scale without sampling " + _values(plain, lambda run: run.shape.scale) + ", variational " + _values(vae, lambda run: run.shape.scale))


def sampling_not_evident_shallow(runs: Runs) -> Claim:
    gaps = {}
    for arch in (SHALLOW, DEEP):
        plain, vae = runs.alive(arch, PLAIN), runs.alive(arch, VAE)
        gaps[arch] = {seed: abs(math.log(plain[seed].shape.radial_ks / vae[seed].shape.radial_ks)) for seed in paired(plain, vae)}
    shallow, deep = gaps[SHALLOW], gaps[DEEP]
    effect = mean_effect((shallow[seed] - deep[seed] for seed in paired(shallow, deep)), 0.0, BELOW)
    return _claim("the effect of sampling is not so evident (784-256-2) [on the distribution]",
                  "|log of the KS-distance ratio between the modes|, 784-256-2 minus 784-256-32-8-2, by seed", effect, "difference",
                  runs.dead_note((DEEP, PLAIN), (DEEP, VAE)) + "784-256-2 gap per seed: "
                  + ", ".join(f"s{seed} x{math.exp(gap):.3g}" for seed, gap in sorted(shallow.items())))


def spherical_with_sampling(runs: Runs) -> Claim:
    plain, vae = runs.alive(DEEP3, PLAIN), runs.alive(DEEP3, VAE)
    effect = mean_effect(_ratio_by_seed(plain, vae, lambda run: run.shape.sphericity), _log("much"), ABOVE)
    return _claim("digits have a much better spherical disposition in the case with sampling (784-256-32-8-3)",
                  "largest / smallest covariance eigenvalue of the test encodings, without sampling / variational, by seed", effect, "ratio",
                  runs.dead_note((DEEP3, PLAIN), (DEEP3, VAE)) + "eigenvalue ratio without sampling " + _values(plain, lambda run: run.shape.sphericity)
                  + ", variational " + _values(vae, lambda run: run.shape.sphericity) + " (over the directions the codes span); "
                  "directions not spanned (collapsed) without sampling " + _values(plain, lambda run: run.shape.dead_directions)
                  + ", variational " + _values(vae, lambda run: run.shape.dead_directions))


# -- reconstruction --------------------------------------------------------------------------------
RECONSTRUCTION = "final test reconstruction per image (the VAE's is of a sampled code, as it trains; without sampling, of the mean)"


def deeper_reconstructs_better(runs: Runs, mode: str) -> Claim:
    deep, shallow = runs.alive(DEEP, mode), runs.alive(SHALLOW, mode)
    effect = mean_effect(_ratio_by_seed(shallow, deep, lambda run: run.reconstruction), _log("sensibly"), ABOVE)
    label = "variational" if mode == VAE else "without sampling"
    return _claim(f"for both models, a sensible improvement in the reconstruction loss over the shallower net ({label})",
                  f"{RECONSTRUCTION}: 784-256-2 / 784-256-32-8-2, by seed", effect, "ratio",
                  runs.dead_note((DEEP, mode), (SHALLOW, mode)) + runs.slope_note((DEEP, mode), (SHALLOW, mode)) + "784-256-32-8-2 "
                  + _values(deep, lambda run: run.reconstruction, 4) + "; 784-256-2 " + _values(shallow, lambda run: run.reconstruction, 4))


def _decoded_mean_claim(runs: Runs, claim: Claim, a: dict[int, RunNumbers], b: dict[int, RunNumbers], value_a, value_b, adverb: str) -> Claim:
    """The same claim with the VAE's reconstruction of its decoded mean in place of the sampled one."""
    if runs.test_images is None:
        return replace(claim, text=claim.text + " [the VAE's decoded mean]", verdict="not checked", note="no test images were given",
                       estimate=None, interval=None, seeds_needed=None)
    values = {seed: (value_a(seed, a[seed]), value_b(seed, b[seed])) for seed in paired(a, b)}
    effect = mean_effect((math.log(x / y) for x, y in values.values()), _log(adverb), ABOVE)
    return _claim(claim.text + " [the VAE's decoded mean]", claim.measure.replace("the VAE's is of a sampled code, as it trains", "the VAE's of its mean code"),
                  effect, "ratio", "per seed: " + ", ".join(f"s{seed} {x:.4g} / {y:.4g}" for seed, (x, y) in sorted(values.items())))


def deeper_reconstructs_better_decoded_mean(runs: Runs) -> Claim:
    claim = deeper_reconstructs_better(runs, VAE)
    deep, shallow = runs.alive(DEEP), runs.alive(SHALLOW)
    return _decoded_mean_claim(runs, claim, shallow, deep, lambda seed, run: runs.mean_reconstruction(SHALLOW, seed),
                               lambda seed, run: runs.mean_reconstruction(DEEP, seed), "sensibly")


def plain_reconstructs_slightly_better_decoded_mean(runs: Runs) -> Claim:
    claim = plain_reconstructs_slightly_better(runs)
    plain, vae = runs.alive(DEEP, PLAIN), runs.alive(DEEP, VAE)
    return _decoded_mean_claim(runs, claim, vae, plain, lambda seed, run: runs.mean_reconstruction(DEEP, seed),
                               lambda seed, run: run.reconstruction, "slightly")


def plain_reconstructs_slightly_better(runs: Runs) -> Claim:
    plain, vae = runs.alive(DEEP, PLAIN), runs.alive(DEEP, VAE)
    effect = mean_effect(_ratio_by_seed(vae, plain, lambda run: run.reconstruction), _log("slightly"), ABOVE)
    return _claim("the network without sampling is even slightly better than the variational one (784-256-32-8-2)",
                  f"{RECONSTRUCTION}: variational / without sampling, by seed", effect, "ratio",
                  runs.dead_note((DEEP, PLAIN), (DEEP, VAE)) + runs.slope_note((DEEP, PLAIN), (DEEP, VAE)) + "variational "
                  + _values(vae, lambda run: run.reconstruction, 4) + "; without sampling " + _values(plain, lambda run: run.reconstruction, 4))


# -- spread over seeds and stability -------------------------------------------------------------------
def _spread_claim(runs: Runs, text: str, wider: str, narrower: str, adverb: str) -> Claim:
    a, b = runs.alive(wider), runs.alive(narrower)
    both = paired(a, b)
    same = len(both) == len(a) == len(b)
    effect = spread_ratio([a[s].final_loss for s in (both if same else a)], [b[s].final_loss for s in (both if same else b)],
                          _log(adverb), ABOVE, paired=same)
    return _claim(text, f"sd over seeds of the final test loss, {wider} / {narrower} (bootstrap over seeds)", effect, "ratio",
                  runs.dead_note((wider, VAE), (narrower, VAE)) + runs.slope_note((wider, VAE), (narrower, VAE))
                  + f"final losses {wider}: " + _values(a, lambda run: run.final_loss, 4) + f"; {narrower}: " + _values(b, lambda run: run.final_loss, 4))


def four_much_more_aleatory(runs: Runs) -> Claim:
    return _spread_claim(runs, "at latent size 4 training is much more aleatory, with quite different final errors",
                         "784-256-32-8-4", DEEP, "much")


def collapse_not_infrequent(runs: Runs) -> Claim:
    found = runs.all("784-256-32-8-4")
    collapsed = sum(1 for run in found.values() if run.dead or run.inactive >= 1)
    effect = frequency(collapsed, len(found), SHARES["not infrequently"].share, ABOVE)
    return _claim("not infrequently, a collapse to 0 of some of the latent variables (784-256-32-8-4)",
                  "share of seeds with at least one inactive latent variable (a dead encoder counts)", effect, "share",
                  "inactive per seed: " + _values(found, lambda run: run.latent_size if run.dead else run.inactive))


def shallower_four_more_stable(runs: Runs) -> Claim:
    return _spread_claim(runs, "the 784-256-32-4 architecture is more stable during training (spread of final errors)",
                         "784-256-32-8-4", "784-256-32-4", "more")


def shallower_four_steadier(runs: Runs) -> Claim:
    deep, shallow = runs.alive("784-256-32-8-4"), runs.alive("784-256-32-4")
    bumps = lambda run: run.rises + run.spikes  # noqa: E731
    effect = mean_effect((bumps(deep[seed]) - bumps(shallow[seed]) for seed in paired(deep, shallow)), 0.0, ABOVE, resolution=1)
    return _claim("the 784-256-32-4 architecture is more stable during training (within a run)",
                  "test-loss rises between epochs + batch-loss spikes (above 1.5x the median of the 100 batches before), "
                  "784-256-32-8-4 minus 784-256-32-4, by seed", effect, "difference",
                  "rises, spikes 784-256-32-8-4: " + ", ".join(f"s{s} {r.rises}, {r.spikes}" for s, r in sorted(deep.items()))
                  + "; 784-256-32-4: " + ", ".join(f"s{s} {r.rises}, {r.spikes}" for s, r in sorted(shallow.items())))


# -- collapse of latent variables ---------------------------------------------------------------
def _inactive(run: RunNumbers) -> int:
    return run.latent_size if run.dead else run.inactive


def several_collapse(runs: Runs, archs: tuple[str, str]) -> Claim:
    found = [run for arch in archs for run in runs.all(arch).values()]
    effect = frequency(sum(1 for run in found if _inactive(run) >= 2), len(found), SHARES["confirmed"].share, ABOVE)
    return _claim(f"the collapse to zero of several latent variables is confirmed (latent size {found[0].latent_size if found else '?'})",
                  f"share of runs of {' and '.join(archs)} with at least two inactive latent variables", effect, "share",
                  "; ".join(f"{arch}: " + _values(runs.all(arch), _inactive) for arch in archs))


def collapse_deeper(runs: Runs, deeper: str, shallower: str) -> Claim:
    a, b = runs.all(deeper), runs.all(shallower)
    effect = mean_effect((_inactive(a[seed]) - _inactive(b[seed]) for seed in paired(a, b)), 0.0, ABOVE, resolution=1)
    return _claim(f"the collapse is more evident for deeper architectures ({deeper} against {shallower})",
                  "inactive latent variables (variance of the mean < 0.01), deeper minus shallower, by seed", effect, "difference",
                  f"{deeper}: " + _values(a, _inactive) + f"; {shallower}: " + _values(b, _inactive))


def detail_with_active_variables(runs: Runs) -> Claim:
    archs = (DEEP, DEEP3, "784-256-32-8-4", "784-256-32-8", "784-256-32-16")
    slopes = []
    for seed in runs.seeds:
        points = [(run.latent_size - run.inactive, run.reconstruction) for arch in archs if (run := runs.alive(arch).get(seed))]
        if len({active for active, _ in points}) >= 2:
            slopes.append(stats.linregress(*zip(*points)).slope)
    effect = mean_effect(slopes, 0.0, BELOW)
    return _claim("a larger latent space encodes the information at a greater level of detail",
                  f"slope of the final test reconstruction against the active latent variables, over {', '.join(archs)}, per seed (nats per variable)",
                  effect, "difference", runs.slope_note(*((arch, VAE) for arch in archs)))


# -- generated samples, scored by the cached classifier (report/classifier.py) -----------------------
def _frechet_note(runs: Runs, *configs: tuple[str, str]) -> str:
    parts = []
    for arch, mode in configs:
        scores = runs.scores(arch, mode)
        label = f"{arch}{'' if mode == VAE else ' without sampling'}"
        parts.append(f"{label}: FD " + ", ".join(f"s{seed} {score.frechet:.3g}" for seed, score in sorted(scores.items()))
                     + "; confidence " + ", ".join(f"{score.confidence:.2f}" for _, score in sorted(scores.items()))
                     + "; class entropy " + ", ".join(f"{score.class_entropy:.2f}" for _, score in sorted(scores.items())))
    return (runs.dead_note(*configs) + "; ".join(parts)
            + f" (classifier test accuracy {runs.scorer.accuracy:.2%}; FD: Fréchet distance of its features to the test set's, lower is closer)")


def _fd_ratio_claim(runs: Runs, text: str, worse: tuple[str, str], better: tuple[str, str], adverb: str) -> Claim:
    a, b = runs.scores(*worse), runs.scores(*better)
    effect = mean_effect((math.log(a[seed].frechet / b[seed].frechet) for seed in paired(a, b)), _log(adverb), ABOVE)
    name = lambda config: config[0] + ("" if config[1] == VAE else " without sampling")  # noqa: E731
    return _claim(text, f"Fréchet distance of 10,000 samples z ~ N(0, I) to the test set, {name(worse)} / {name(better)}, by seed",
                  effect, "ratio", _frechet_note(runs, worse, better))


def sampling_not_evident_generation(runs: Runs) -> Claim:
    gaps = {}
    for arch in (SHALLOW, DEEP):
        plain, vae = runs.scores(arch, PLAIN), runs.scores(arch, VAE)
        gaps[arch] = {seed: abs(math.log(plain[seed].frechet / vae[seed].frechet)) for seed in paired(plain, vae)}
    shallow, deep = gaps[SHALLOW], gaps[DEEP]
    effect = mean_effect((shallow[seed] - deep[seed] for seed in paired(shallow, deep)), 0.0, BELOW)
    return _claim("the effect of sampling is not so evident (784-256-2) [on random generation]",
                  "|log of the samples' Fréchet-distance ratio between the modes|, 784-256-2 minus 784-256-32-8-2, by seed", effect,
                  "difference", _frechet_note(runs, (SHALLOW, PLAIN), (SHALLOW, VAE)))


def modest_samples(runs: Runs) -> Claim:
    scores = runs.scores("784-256-32-8-4")
    effect = mean_effect((score.confidence for score in scores.values()), SHARES["modest"].share, BELOW)
    return _claim("the overall quality of generated samples is modest (784-256-32-8-4)",
                  "the classifier's mean top-class confidence on 10,000 samples z ~ N(0, I)", effect, "share",
                  _frechet_note(runs, ("784-256-32-8-4", VAE)))


SAMPLE_CLAIMS = (
    "sampling_not_evident_generation", "more_distorted", "very_bad", "modest", "slightly_improved", "deeper_sixteen")


def sample_claims(runs: Runs) -> dict[str, Claim]:
    """The six statements about random generation, by name; not checked without the classifier."""
    if runs.scorer is None:
        return {name: Claim(f"(generated samples: {name.replace('_', ' ')})", "needs the sample classifier", None, None, 0.0,
                            "not checked", None, "no sample classifier was given") for name in SAMPLE_CLAIMS}
    return {
        "sampling_not_evident_generation": sampling_not_evident_generation(runs),
        "more_distorted": _fd_ratio_claim(runs, "without sampling, the generation of more distorted digits (784-256-32-8-2)",
                                          (DEEP, PLAIN), (DEEP, VAE), "more"),
        "very_bad": _fd_ratio_claim(runs, "without sampling, random sampling from the latent space generates very bad results (784-256-32-8-3)",
                                    (DEEP3, PLAIN), (DEEP3, VAE), "much"),
        "modest": modest_samples(runs),
        "slightly_improved": _fd_ratio_claim(runs, "784-256-32-4: even sampling looks slightly improved (against 784-256-32-8-4)",
                                             ("784-256-32-8-4", VAE), ("784-256-32-4", VAE), "slightly"),
        "deeper_sixteen": _fd_ratio_claim(runs, "sampling from a latent space of dimension 16 is slightly better with a deeper network",
                                          ("784-256-32-16", VAE), ("784-256-32-24-16", VAE), "slightly"),
    }


def check_claims(folder: Path, seeds: list[int], scorer=None, test_images: np.ndarray | None = None) -> list[Claim]:
    """Every checked claim of the page, in the page's order; `scorer` (science.classifier.Scorer)
    scores generated samples and `test_images` (n, 28, 28) give a VAE's decoded-mean reconstruction;
    without them those claims say they were not checked."""
    runs = Runs(folder, seeds, scorer, test_images)
    samples = sample_claims(runs)
    return [
        radius_starts_near_one(runs), radius_falls_rapidly(runs), inside_the_circle_reconstructs(runs), radius_ends_small(runs),
        gaussian_progressively(runs), gaussian_like(runs),
        sampling_not_evident_shallow(runs), samples["sampling_not_evident_generation"],
        less_uniform_without_sampling(runs), samples["more_distorted"],
        deeper_reconstructs_better(runs, VAE), deeper_reconstructs_better_decoded_mean(runs), deeper_reconstructs_better(runs, PLAIN),
        plain_reconstructs_slightly_better(runs), plain_reconstructs_slightly_better_decoded_mean(runs),
        spherical_with_sampling(runs), samples["very_bad"],
        four_much_more_aleatory(runs), collapse_not_infrequent(runs), samples["modest"],
        shallower_four_more_stable(runs), shallower_four_steadier(runs), samples["slightly_improved"],
        several_collapse(runs, ("784-256-32-16-8", "784-256-32-8")), several_collapse(runs, ("784-256-32-24-16", "784-256-32-16")),
        collapse_deeper(runs, "784-256-32-16-8", "784-256-32-8"), collapse_deeper(runs, "784-256-32-24-16", "784-256-32-16"),
        samples["deeper_sixteen"], detail_with_active_variables(runs),
    ]
