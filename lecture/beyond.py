"""The page beyond the lecture (`python cli.py lecture --beyond`): what causes the collapse of latent
variables the lecture shows, and what cures it, checked against the literature.

The lecture's collapsing nets (latent sizes 4 and 16, the deeper ones) are trained as the lecture
trains them (the baseline) and with one remedy at a time, each paired by seed with the baseline of
the same net; the 2-d deeper net 784-256-32-8-2, whose ReLU encoder can die whole, is trained with
ReLU and with LeakyReLU. Each remedy's value is fixed here, before any run was looked at, with its
reason; each claim names its source. The page, its folder and its claims table are the lecture's
machinery (lecture.lecture.Page): restartable, locked, media kept, the same statistics and Holm.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from lecture.claims import SECONDARY, Claim, Runs, _claim, _collapse_split, _counted, _coverage, _coverage_words, _inactive, _log_ratio, holm_verdicts
from lecture.lecture import COLLAPSE_FILES, Medium, Page, _collapse, _slices, member_name, shown_epochs
from lecture.nets import DEEP, EPOCHS, FOUR_DEEP, SIXTEEN_DEEP, TRACK, VAE
from owners import BEYOND_MARKER
from science.evidence import ABOVE, ADVERBS, SHARES, frequency, location_effect, paired
from science.measures import RunNumbers
from train.config import option_name_part

COLLAPSING = (FOUR_DEEP, SIXTEEN_DEEP)  # the lecture's nets whose latent variables collapse (its paragraphs 27-32)
DYING = DEEP  # 784-256-32-8-2: a 2-d net whose ReLU encoder can die whole (every input at one code)

# The remedies' values, fixed before any run was looked at.
WARM_UP_EPOCHS = 3  # of the lecture's 10: the KL's weight rises over the first 30% of training, as Sønderby et al. warm up over the first part of theirs
FREE_BITS = 0.25  # nats per variable: 4 nats over 16 variables, a floor well below the lecture nets' KL (~20-30 nats) that still keeps a variable's gradient off it
BETA = 0.5  # half the KL's weight: the side of 1 that trades samples for reconstruction (Higgins et al. study beta > 1, which trades the other way)


@dataclass(frozen=True)
class Remedy:
    """One training option against the collapse: how runs are trained with it, on which nets, and the
    paragraph (with its citation) that the page shows above its media and claims."""

    label: str  # how the page and its claims name it (each claim's text starts with it)
    options: dict  # RunConfig training options, as a sweep's [[group]] takes them
    nets: tuple[str, ...]
    paragraph: str
    citation: str

    @property
    def key(self) -> str:
        """Its training options as run names spell them ("w3", "leaky-relu"); "" for the baseline."""
        return "-".join(option_name_part(name, value) for name, value in self.options.items())

    def run(self, arch: str) -> tuple[str, ...]:
        """The (arch, mode, options) a Medium shows."""
        return (arch, VAE, self.key) if self.key else (arch, VAE)


BASELINE = Remedy(
    "the baseline", {}, (DYING, *COLLAPSING),
    "The lecture's nets as the lecture trains them (ReLU, PyTorch's default initialisation, beta 1, no warm-up, no free bits): every "
    "remedy below is paired with these runs, seed by seed. At latent size 16 several variables end inactive (their mean no longer "
    "varies with the input: the KL has pulled them onto the prior); at latent size 4 often one does.",
    "Bowman et al. 2016 (posterior collapse); the lecture")
WARM_UP = Remedy(
    f"KL warm-up ({WARM_UP_EPOCHS} epochs)", {"kl_warmup": WARM_UP_EPOCHS}, COLLAPSING,
    f"KL warm-up (annealing): the KL term's weight rises linearly from 0 to 1 over the first {WARM_UP_EPOCHS} epochs, so the encoder "
    "learns to use its variables before the KL pulls them onto the prior. Bowman et al. found it keeps the latent code in use, "
    "Sønderby et al. that it leaves more latent units active.",
    "Bowman et al. 2016, Generating sentences from a continuous space; Sønderby et al. 2016, Ladder variational autoencoders")
FREE_BITS_REMEDY = Remedy(
    f"free bits ({FREE_BITS:g} nats)", {"free_bits": FREE_BITS}, COLLAPSING,
    f"Free bits: each latent variable's KL, averaged over the batch, counts as at least {FREE_BITS:g} nats, so a variable below that "
    "floor feels no pull towards the prior. Kingma et al. introduced it so that every variable carries some information.",
    "Kingma et al. 2016, Improved variational inference with inverse autoregressive flow")
LEAKY = Remedy(
    "LeakyReLU", {"activation": "leaky-relu"}, (DYING, *COLLAPSING),
    "LeakyReLU in place of ReLU: a unit below zero still passes a small slope, so no unit, and no encoder, can die. A ReLU unit "
    "negative for every input never recovers; when a whole layer dies every input lands on one code. Set beside the ReLU runs, this "
    "says how much of the lecture's collapse was dead units rather than the KL (the claims' notes count the variables dead units force).",
    "Maas et al. 2013, Rectifier nonlinearities improve neural network acoustic models; Lu et al. 2020, Dying ReLU and initialization")
GLOROT = Remedy(
    "Glorot initialisation", {"init": "glorot"}, COLLAPSING,
    "Glorot (Xavier) initialisation scales each layer's initial weights to keep the variance of activations and gradients through the "
    "layers, so fewer units start, or are pushed, past the point of no return.",
    "Glorot and Bengio 2010, Understanding the difficulty of training deep feedforward neural networks")
HALF_BETA = Remedy(
    f"beta {BETA:g}", {"beta": BETA}, COLLAPSING,
    f"beta = {BETA:g}: the KL weighs half. Higgins et al. weigh it more (beta > 1) for disentangled codes at the cost of "
    "reconstruction; below 1 the trade runs the other way: better reconstruction, a code further from the prior, worse samples.",
    "Higgins et al. 2017, beta-VAE; Alemi et al. 2018, Fixing a broken ELBO")
REMEDIES = (WARM_UP, FREE_BITS_REMEDY, LEAKY, GLOROT, HALF_BETA)

SWEEP = {  # the page's sweep, in the shape `sweep.plan.read_config` gives a TOML file (seeds come from --seeds)
    "name": "beyond", "epochs": EPOCHS, "track": TRACK,
    "group": [{"arch": list(remedy.nets), "mode": [VAE], **remedy.options} for remedy in (BASELINE, *REMEDIES)],
}


# -- the claims: each remedy against the baseline of the same net, paired by seed --------------------
def _active(run: RunNumbers) -> int:
    return run.latent_size - _inactive(run)


def _per_seed(runs: dict[int, RunNumbers], value) -> str:
    return ", ".join(f"s{seed} {value(run):g}" for seed, run in sorted(runs.items()))


def more_active(base: Runs, remedy: Runs, which: Remedy, net: str, words: str, split: bool = False) -> Claim:
    """The remedy's runs have more active latent variables than the baseline's, seed by seed (sign test)."""
    a, b = remedy.counted(net), base.counted(net)
    text = f"{which.label} {words} ({net}) [{which.citation.split(',')[0]}]"
    trained = min((len(run.test_loss) for run in a.values()), default=None)
    if which is WARM_UP and trained is not None and trained <= WARM_UP_EPOCHS:  # its weight never reached beta: no warm-up to judge
        return Claim(text, "needs runs longer than the warm-up", None, None, 1.0, "not checked", None,
                     f"the runs trained {trained} epoch{'s' * (trained != 1)}, no more than the warm-up's {WARM_UP_EPOCHS}: the KL's weight "
                     "never reached its full value, so these are runs of a smaller weight, not of a warm-up")
    effect = location_effect((_active(a[seed]) - _active(b[seed]) for seed in paired(a, b)), 0.0, ABOVE, counts=True)
    note = f"active with {which.label}: {_per_seed(a, _active)}; baseline: {_per_seed(b, _active)}."
    if split:
        note += f" Baseline: {_collapse_split(b.values())} With {which.label}: {_collapse_split(a.values())}"
    return _claim(text, f"active latent variables (variance of the mean >= 0.01), {which.label} minus the baseline, by seed", effect, "difference", note)


def every_active(remedy: Runs, which: Remedy, net: str) -> Claim:
    """In most runs with the remedy, no latent variable is inactive: the sentence says "in most runs",
    which is what a share above 50% tests (a threshold near 90%, "every run", could never hold at 15
    seeds: 15 of 15 gives a Clopper-Pearson bound of 78%)."""
    found = remedy.counted(net)
    effect = frequency(sum(1 for run in found.values() if _inactive(run) == 0), len(found), SHARES["confirmed"].share, ABOVE)
    return _claim(f"{which.label} keeps every latent variable active in most runs ({net}) [{which.citation.split(',')[0]}]",
                  "share of runs with no inactive latent variable (a dead encoder counts as all inactive)", effect, "share",
                  f"inactive per seed: {_per_seed(found, _inactive)}")


def fewer_dead_encoders(base: Runs, remedy: Runs, which: Remedy, net: str) -> Claim:
    """Per seed: the ReLU run's encoder died (1) and the remedy's did not (0): the differences, by sign test."""
    a, b = base.all(net), remedy.all(net)  # every finished run: death is the outcome here, never left out
    effect = location_effect((int(a[seed].dead) - int(b[seed].dead) for seed in paired(a, b)), 0.0, ABOVE, counts=True)
    return _claim(f"{which.label} removes dead encoders ({net}) [{which.citation.split(',')[0]}]",
                  "encoder dead (every test input at one code: 1, else 0), ReLU minus LeakyReLU, by seed", effect, "difference",
                  f"dead with ReLU: {', '.join(f's{s}' for s, run in sorted(a.items()) if run.dead) or 'none'}; "
                  f"with {which.label}: {', '.join(f's{s}' for s, run in sorted(b.items()) if run.dead) or 'none'}")


def better_reconstruction(base: Runs, remedy: Runs, which: Remedy, net: str) -> Claim:
    a, b = base.counted(net), remedy.counted(net)
    floor = base.floor
    effect = location_effect((_log_ratio(a[seed].reconstruction - floor, b[seed].reconstruction - floor) for seed in paired(a, b)),
                             np.log(ADVERBS["more"].factor), ABOVE)
    return _claim(f"{which.label} improves reconstruction ({net}) [{which.citation.split(',')[0]}]",
                  f"final test reconstruction per image (of a sampled code), {base.floor_text()}: the baseline / {which.label}, by seed",
                  effect, "ratio", f"baseline {_per_seed(a, lambda run: round(run.reconstruction, 2))}; with {which.label} "
                  f"{_per_seed(b, lambda run: round(run.reconstruction, 2))}")


def worse_samples(base: Runs, remedy: Runs, which: Remedy, net: str) -> Claim:
    text = f"{which.label} worsens samples ({net}) [{which.citation.split(',')[0]}]"
    if base.scorer is None:
        return Claim(text, "needs the sample classifier", None, None, 1.0, "not checked", None, "no sample classifier was given")
    a, b = _coverage(remedy, (net, VAE)), _coverage(base, (net, VAE))
    effect = location_effect((_log_ratio(a[seed], b[seed]) for seed in paired(a, b)), np.log(ADVERBS["more"].factor), ABOVE)
    return _claim(text, f"{_coverage_words(base)}, {which.label} / the baseline, by seed", effect, "ratio",
                  "gap per seed " + ", ".join(f"s{seed} {a[seed]:.3g} / {b[seed]:.3g}" for seed in paired(a, b)))


def check_beyond(folder: Path, seeds: list[int], scorer=None, test_images: np.ndarray | None = None) -> list[Claim]:
    """Every claim of the page, remedy by remedy, each row against the baseline of the same net; the
    primary rows form the Holm family as the lecture's do."""
    base = Runs(folder, seeds, scorer, test_images)
    runs = {remedy.key: Runs(folder, seeds, scorer, test_images, options=remedy.key) for remedy in REMEDIES}
    rows: list[tuple[Remedy, object, bool]] = []  # (remedy, make, primary)
    for net in COLLAPSING:
        rows.append((WARM_UP, partial(more_active, base, runs[WARM_UP.key], WARM_UP, net, "leaves more latent variables active"), True))
    for net in COLLAPSING:
        rows.append((FREE_BITS_REMEDY, partial(every_active, runs[FREE_BITS_REMEDY.key], FREE_BITS_REMEDY, net), True))
        rows.append((FREE_BITS_REMEDY, partial(more_active, base, runs[FREE_BITS_REMEDY.key], FREE_BITS_REMEDY, net,
                                               "leaves more latent variables active"), False))
    rows.append((LEAKY, partial(fewer_dead_encoders, base, runs[LEAKY.key], LEAKY, DYING), True))
    for net in COLLAPSING:
        rows.append((LEAKY, partial(more_active, base, runs[LEAKY.key], LEAKY, net, "leaves more latent variables active", split=True), True))
    for net in COLLAPSING:
        rows.append((GLOROT, partial(more_active, base, runs[GLOROT.key], GLOROT, net, "leaves more latent variables active", split=True), True))
    for net in COLLAPSING:
        rows.append((HALF_BETA, partial(better_reconstruction, base, runs[HALF_BETA.key], HALF_BETA, net), True))
        rows.append((HALF_BETA, partial(worse_samples, base, runs[HALF_BETA.key], HALF_BETA, net), True))
    claims = []
    for remedy, make, primary in rows:
        claim = replace(_counted(runs[remedy.key], make, base), name=make.func.__name__)
        claims.append(claim if primary else replace(claim, primary=False, note=SECONDARY + "the words say 'every', the primary row; this "
                                                    "row reads them as 'more than without it'. " + claim.note))
    return holm_verdicts(claims)


def verdicts_html(number: int, claims: list[Claim]) -> str:
    """Below a remedy's paragraph: its rows' verdicts in a line, inconclusive ones said as such."""
    from report import markup

    remedy = PARAGRAPH_REMEDY.get(number)
    if remedy is None or remedy is BASELINE:
        return ""
    mine = [(row, claim) for row, claim in enumerate(claims, 1) if claim.text.startswith(remedy.label)]
    if not mine:
        return ""
    parts = []
    for row, claim in mine:
        verdict = claim.verdict if claim.holm in ("", "secondary") else claim.holm  # a secondary row's own verdict, marked so
        said = f"row {row}: {claim.text.removeprefix(remedy.label).strip()}: {verdict}{' (secondary)' if claim.holm == 'secondary' else ''}"
        if claim.verdict == "inconclusive":
            said += f" at {claim.seeds} seed{'s' * (claim.seeds != 1)} ({claim.effect_text()}; to decide: {claim.needed_text()})"
        parts.append(markup.text(said))
    return f'<p class="verdicts"><b>Checked below:</b> {"; ".join(parts)}.</p>'


# -- the page: a short paragraph per remedy, its media, its claims -------------------------------
INTRO = ("The lecture ends on the collapse of latent variables: at latent size 16 several variables end inactive, at latent size 4 "
         "often one, and sometimes a whole ReLU encoder dies. This page trains the lecture's collapsing nets again with one remedy "
         "from the literature at a time, pairs each run with the run of the same seed without it, and checks what the literature "
         "says each remedy does, with the lecture's statistics. The values were fixed before any run was looked at.")


def _side_by_side(runs: list, video, epochs: tuple[int, int]) -> None:
    from render.views.trajectories import render_trajectories

    first, last = shown_epochs(epochs, runs[0].epochs_done)
    render_trajectories(runs, video, epochs=f"{first}-{last}", digits="1-per-class", camera="fixed")


def _dead_encoder_seed(remedy: Remedy, sweep: Path, seeds: list[int]) -> int:
    """The first seed whose ReLU encoder of the dying net died (every test digit at one code) and
    whose remedy run is there: the pair that shows what the remedy is for. The first seed where
    none died."""
    from errors import ProjectError
    from train.latents import encoder_dead
    from train.runfile import RunFile

    for seed in seeds:
        base, other = (sweep / member_name(run, seed) for run in (BASELINE.run(DYING), remedy.run(DYING)))
        try:
            with RunFile(base) as run, RunFile(other):
                if run.epochs_done and encoder_dead(run.encodings(run.epochs_done).mu):
                    return seed
        except (ProjectError, OSError):
            continue
    return seeds[0]


def _remedy_media(remedy: Remedy) -> list[Medium]:
    media = []
    if DYING in remedy.nets and remedy is not BASELINE:
        media.append(Medium(f"trajectories_{DYING}_relu_vs_{remedy.key}.mp4", (BASELINE.run(DYING), remedy.run(DYING)),
                            partial(_side_by_side, epochs=(1, 3)), f"{DYING}, the same seed: ReLU (left) and {remedy.label} (right), "
                            "one digit per class, epochs 1-3; the first seed whose ReLU encoder died, where one did",
                            epochs=(1, 3), pick_seed=partial(_dead_encoder_seed, remedy)))
    suffix = f"_{remedy.key}" if remedy.key else ""
    media.append(Medium(f"collapse_{SIXTEEN_DEEP}{suffix}", (remedy.run(SIXTEEN_DEEP),), _collapse,
                        f"{SIXTEEN_DEEP}, {remedy.label}: which latent variables are inactive", parts=COLLAPSE_FILES))
    media.append(Medium(f"slices_{FOUR_DEEP}{suffix}.png", (remedy.run(FOUR_DEEP),), _slices, f"{FOUR_DEEP}, {remedy.label}: 81 samples"))
    return media


def _layout() -> tuple[list[str], dict[int, list[Medium]], dict[int, Remedy]]:
    """The paragraphs (the intro, then a heading and a paragraph per remedy), the media after each
    remedy's paragraph, and which remedy each paragraph number speaks of."""
    text, media, speaks = [INTRO], {}, {}
    for remedy in (BASELINE, *REMEDIES):
        text += [remedy.label[0].upper() + remedy.label[1:], f"{remedy.paragraph} ({remedy.citation}.)"]
        media[len(text)] = _remedy_media(remedy)
        speaks[len(text)] = remedy
    return text, media, speaks


PARAGRAPHS, MEDIA, PARAGRAPH_REMEDY = _layout()
HEADING = "Beyond the lecture: what causes the collapse, and what cures it"
BEYOND = Page("beyond", HEADING, lambda: list(PARAGRAPHS), MEDIA, SWEEP, check_beyond, BEYOND_MARKER, 15, verdicts_html)
