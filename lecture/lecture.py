"""The whole lecture page (`lecture/assets/vae-lecture.txt`) reproduced: its sweep trained, its videos
and figures rendered, its text with each medium where the page has it, and its claims checked.

Everything lands in one folder: `sweep/` (the runs), `media/`, `index.html` and `claims.json` (the
claims table as the page shows it, for `slides`). Media already rendered are kept, so a second run
with nothing new to train or render takes seconds.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from atomic import updating, write_text_atomically
from errors import ProjectError, make_folder
from lecture.claims import Claim, check_claims, plan_hash
from lecture.forest import glance_html
from lecture.nets import DEEP, DEEP3, EIGHT_DEEP, EIGHT_SHALLOW, FOUR_DEEP, FOUR_SHALLOW, PLAIN, SHALLOW, SIXTEEN_DEEP, SIXTEEN_SHALLOW, SWEEP, VAE
from lecture.record import CLAIMS_FILE, ClaimRecord, ClaimsFile
from owners import LECTURE_MARKER, guard_out, kind_of
from render.style import theme
from render.video import VideoOptions, VideoSpec, poster_path
from report import markup
from report.page import ASSETS
from train.runfolder import RunFolder, run_name

TEXT = Path(__file__).resolve().parent / "assets" / "vae-lecture.txt"
FULL_SEEDS = 15  # the lecture's seeds (0-14); fewer is a quick look, and the page says so
HEADING = "Variational autoencoders: the lecture, reproduced"


def shown_epochs(epochs: tuple[int, int], trained: int) -> tuple[int, int]:
    """The epochs a medium asks for, cut to those its run has trained (a lecture of fewer epochs)."""
    last = min(epochs[1], trained)
    return min(epochs[0], last), last


def _trajectories(runs: list, video: VideoOptions, epochs: tuple[int, int], digits: str | None = None) -> None:
    from render.views.trajectories import render_trajectories

    first, last = shown_epochs(epochs, runs[0].epochs_done)
    render_trajectories(runs[0], video, epochs=f"{first}-{last}", digits=digits, camera="fixed")  # the lecture's look: one fixed view


def _occupancy(runs: list, video: VideoOptions) -> None:
    from render.views.occupancy import render_occupancy

    render_occupancy(runs[0], video.theme, out=video.out, other=runs[1])


def _tour(runs: list, video: VideoOptions) -> None:
    from render.views.interpolate import render_interpolate

    render_interpolate(runs[0], video, tour=True)


def _compare(runs: list, video: VideoOptions) -> None:
    from render.sources import run_folder
    from render.views.compare import render_compare

    render_compare([run_folder(run) for run in runs], video.theme, video.out)


def _scatter3d(runs: list, video: VideoOptions) -> None:
    from render.views.scatter3d import render_scatter3d

    render_scatter3d(runs[0], video)


def _slices(runs: list, video: VideoOptions) -> None:
    from render.views.slices import render_slices

    render_slices(runs[0], video)


def _collapse(runs: list, video: VideoOptions) -> None:
    from render.views.collapse import render_collapse

    render_collapse(runs[0], video.theme, video.out)


COLLAPSE_FILES = ("collapse_bars.png", "collapse_history.png", "collapse.json")  # render_collapse's, in the medium's folder


@dataclass(frozen=True)
class Medium:
    """One video or figure of the page: its file, the runs it shows and the call that draws it."""

    name: str  # file name under media/ (a folder for a medium of several files)
    runs: tuple[tuple[str, ...], ...]  # (arch, mode) of the run(s) it shows, or (arch, mode, options: "w3"), seed: the first one asked
    draw: Callable[[list, VideoOptions], None]  # (the runs opened, video options whose `out` is the medium's path)
    caption: str = ""
    epochs: tuple[int, int] | None = None  # the epochs a trajectories medium shows (cut to those trained)
    parts: tuple[str, ...] = ()  # a medium of several files: the names of its files, in a folder named `name`
    explore: bool = False  # beside it, the explorer of its (first) run on the same epochs
    pick_seed: Callable[[Path, list[int]], int] | None = None  # the seed it shows, from the sweep folder and the page's seeds

    def seed_shown(self, sweep: Path, seeds: list[int]) -> int:
        """The seed whose runs it shows: the page's first, unless the medium picks one that shows its point better."""
        return self.pick_seed(sweep, seeds) if self.pick_seed is not None else seeds[0]

    def member_names(self, seed: int) -> list[str]:
        """The sweep members it shows: the folders of its runs at `seed`."""
        return [member_name(run, seed) for run in self.runs]

    def files(self, media: Path) -> list[Path]:
        """Its files under `media/` that the page shows once rendered."""
        out = media / self.name
        return [out / name for name in self.parts if name.endswith(".png")] if self.parts else [out]

    def made_of(self, media: Path) -> list[Path]:
        """Every file it is made of: it is there only when all of them are (a render stopped between two
        of them leaves the first, and the page would show a broken image for good)."""
        out = media / self.name
        if self.parts:
            return [out / name for name in self.parts]
        return [out, poster_path(out)] if out.suffix == ".mp4" else [out]


def member_name(run: tuple[str, ...], seed: int) -> str:
    """The member of a sweep that (arch, mode[, training options as run names spell them]) names at `seed`."""
    return run_name(run[0], run[1], seed, options=run[2] if len(run) > 2 else "")


def _trajectories_medium(name: str, epochs: tuple[int, int], caption: str, digits: str | None = None) -> Medium:
    return Medium(name, ((SHALLOW, VAE),), partial(_trajectories, epochs=epochs, digits=digits), caption, epochs=epochs, explore=True)


BOTH_SHALLOW = ((SHALLOW, VAE), (SHALLOW, PLAIN))
# After which paragraph (counted from 1 among the page's non-empty lines) each medium stands.
PAGE = {
    1: [_trajectories_medium("trajectories_one_per_class_e1-5.mp4", (1, 5), "one digit per class, epochs 1-5", digits="1-per-class")],
    3: [Medium(f"occupancy_{SHALLOW}.png", BOTH_SHALLOW, _occupancy,
               f"{SHALLOW}: decodes at k sigma around four tracked digits, and the loss against k (dashed: the net without "
               "sampling at the same distances)")],
    7: [_trajectories_medium("trajectories_six_per_class_e2-10.mp4", (2, 10), "six digits per class, from the start of epoch 2 to the end of epoch 10")],
    8: [Medium(f"interpolate_{SHALLOW}_tour.mp4", ((SHALLOW, VAE),), _tour,
               f"{SHALLOW}: a walk from one tracked digit of each class to the next; every code on the way decodes to a digit")],
    11: [Medium(f"compare_{SHALLOW}.png", BOTH_SHALLOW, _compare, f"{SHALLOW}: variational (first row) and without sampling (second row)")],
    16: [Medium(f"compare_{DEEP}.png", ((DEEP, VAE), (DEEP, PLAIN)), _compare,
                f"{DEEP}: variational (first row) and without sampling (second row)")],
    20: [Medium(f"scatter3d_{DEEP3}_{mode}.mp4", ((DEEP3, mode),), _scatter3d, f"{DEEP3}, {label}: the test set in 3-D")
         for mode, label in ((VAE, "variational"), (PLAIN, "without sampling"))]
    + [Medium(f"slices_{DEEP3}_{mode}.png", ((DEEP3, mode),), _slices, f"{DEEP3}, {label}: five slices of 25 samples")
       for mode, label in ((VAE, "variational"), (PLAIN, "without sampling"))],
    27: [Medium(f"slices_{arch}.png", ((arch, VAE),), _slices, f"{arch}: 3^4 = 81 samples")
         for arch in (FOUR_DEEP, FOUR_SHALLOW)],
    31: [Medium(f"slices_{arch}.png", ((arch, VAE),), _slices, f"{arch}: 100 samples")
         for arch in (EIGHT_DEEP, EIGHT_SHALLOW, SIXTEEN_DEEP, SIXTEEN_SHALLOW)],
    32: [Medium(f"collapse_{arch}", ((arch, VAE),), _collapse, f"{arch}: which latent variables are inactive", parts=COLLAPSE_FILES)
         for arch in (SIXTEEN_DEEP, SIXTEEN_SHALLOW)],
}


@dataclass(frozen=True)
class Page:
    """A page `python cli.py lecture` makes: the lecture, or the page beyond it (lecture/beyond.py).
    Each trains its own sweep in its own folder, draws its media beside its paragraphs and checks its
    claims in the one claims table; the machinery (restarting, locking, kept media) is shared."""

    kind: str  # its kind of folder (owners.py): "lecture" or "beyond"
    heading: str
    paragraphs: Callable[[], list[str]]  # numbered from 1, as `media` counts them
    media: dict[int, list[Medium]]  # after which paragraph each medium stands
    sweep: dict  # its sweep, in the shape `sweep.plan.read_config` gives a TOML file (seeds come from --seeds)
    check: Callable[..., list[Claim]]  # (sweep folder, seeds, scorer, test images) -> its claims, Holm applied
    marker: str  # the file that says a folder is this page's
    full_seeds: int = 15  # fewer is a quick look, and the page says so
    after: Callable[[int, list[Claim]], str] | None = None  # html after a paragraph's media, from the claims (the verdicts it leads to)

    @property
    def what(self) -> str:
        return "lecture" if self.kind == "lecture" else "page beyond the lecture"

    def all_media(self) -> list[Medium]:
        return [medium for number in sorted(self.media) for medium in self.media[number]]


def paragraphs() -> list[str]:
    """The page's paragraphs, numbered from 1 as PAGE counts them (its non-empty lines)."""
    return [line.strip() for line in TEXT.read_text().splitlines() if line.strip()]


LECTURE = Page("lecture", HEADING, paragraphs, PAGE, SWEEP, check_claims, LECTURE_MARKER, FULL_SEEDS)


MEDIA_RECORD = ".drawn-from.json"  # under media/: {"media": {name: what it was drawn from (`drawn_from`)}}
MAX_RECORD_BYTES = 1 << 20


def drawn_from(medium: Medium, names: list[str], runs: list, size: tuple[int, int]) -> dict:
    """What a medium drawn now from `runs` (opened; their run `names`) shows: its runs by name (the
    seed in it), each run file's identity (its config, provenance included, and how far it was
    trained: a run trained again or further is another), the epochs it shows and, for a video, the
    size it is drawn at (a figure has one size)."""
    import hashlib

    identities = [hashlib.sha256(f"{run.config.to_json()} {run.epochs_done} {run.steps_recorded}".encode()).hexdigest()[:16] for run in runs]
    epochs = list(shown_epochs(medium.epochs, runs[0].epochs_done)) if medium.epochs else None
    return {"runs": list(names), "run files": identities, "epochs": epochs, "size": list(size) if medium.name.endswith(".mp4") else None}


def _sources(data: bytes) -> dict[str, dict]:
    """The record `DrawnFrom` writes; ValueError (or another of kept.SHAPE_ERRORS) for any other shape."""
    from kept import json_object, texts, whole

    sources = {}
    for name, source in json_object(data)["media"].items():
        if not isinstance(source, dict) or sorted(source) != ["epochs", "run files", "runs", "size"]:
            raise ValueError(f"the entry of {name[:60]!r} is not what a medium was drawn from")
        epochs = None if source["epochs"] is None else [whole(epoch) for epoch in source["epochs"]]
        size = None if source["size"] is None else [whole(side) for side in source["size"]]
        sources[name] = {"runs": texts(source["runs"]), "run files": texts(source["run files"]), "epochs": epochs, "size": size}
    return sources


class DrawnFrom:
    """The record of what each kept medium was drawn from (media/.drawn-from.json): a medium whose
    runs, epochs, size or run files differ from those it would be drawn from now is drawn again (a
    lecture of seed 3 into a folder of seed 0's would otherwise show seed 0's media as seed 3's)."""

    def __init__(self, media: Path, echo: Callable[[str], None] = print):
        from kept import read_kept

        self.path = media / MEDIA_RECORD
        self.sources: dict[str, dict] = read_kept(self.path, MAX_RECORD_BYTES, "record of what the lecture's media were drawn from",
                                                  _sources, "drawing the media again", echo) or {}

    def why_again(self, name: str, source: dict) -> str | None:
        """Why the kept medium `name` does not show `source` (one line), or None when it does."""
        was = self.sources.get(name)
        if was is None:
            return f"drawing {name} again: no record of what it was drawn from"
        if was["runs"] != source["runs"]:
            return f"drawing {name} again: it showed {', '.join(was['runs'])}, not {', '.join(source['runs'])}"
        if was["size"] != source["size"]:
            return "rendering {} again at {}x{} (it was {}x{})".format(name, *source["size"], *was["size"])
        if was["epochs"] != source["epochs"]:
            return "drawing {} again: it showed epochs {}-{}, not {}-{}".format(name, *(was["epochs"] or ["?", "?"]), *(source["epochs"] or ["?", "?"]))
        if was["run files"] != source["run files"]:
            return f"drawing {name} again: its run file changed since ({', '.join(source['runs'])} trained again or further)"
        return None

    def note(self, name: str, source: dict | None) -> None:
        """Record that `name` now shows `source` (None: that it is gone)."""
        if source is None:
            self.sources.pop(name, None)
        else:
            self.sources[name] = source
        write_text_atomically(self.path, json.dumps({"media": self.sources}, indent=1) + "\n")


def _why_not_kept(medium: Medium, media: Path, size: tuple[int, int]) -> str | None:
    """None when the medium's files are all there, and its video at the size asked; else "" (some
    are missing: drawn without a word) or the line that says why it is drawn again."""
    out = media / medium.name
    if not all(path.is_file() for path in medium.made_of(media)):
        return ""
    if out.suffix == ".mp4":
        from render.video import probe

        try:
            made = probe(out, decode=False)
        except ValueError:  # not a video any more: render it again
            return f"rendering {out.name} again: it is not a video any more"
        if (made.width, made.height) != tuple(size):
            return f"rendering {out.name} again at {size[0]}x{size[1]} (it was {made.width}x{made.height})"
    return None


def is_caption(paragraph: str) -> bool:
    """The page's captions ("variational", "784-256-32-8-4 architecture") and headings: short lines."""
    return len(paragraph) < 60


def _render(medium: Medium, sweep: Path, seed: int, media: Path, size: tuple[int, int], echo: Callable[[str], None] = print,
            drawn: DrawnFrom | None = None) -> list[Path]:
    """The medium's files, rendered unless they are there already, drawn from what it would be drawn
    from now (`drawn`, the record); [] when its run is missing. Kept files that show something else
    and cannot be drawn again are removed, so that no page or deck shows them as what they are not."""
    from train.runfile import RunFile

    folders = [sweep / name for name in medium.member_names(seed)]
    if not all(RunFolder(folder).run_file.exists() for folder in folders):
        return []
    drawn = drawn if drawn is not None else DrawnFrom(media, echo)
    out = media / medium.name
    try:
        with ExitStack() as stack:
            runs = [stack.enter_context(RunFile(folder)) for folder in folders]
            source = drawn_from(medium, [folder.name for folder in folders], runs, size)
            why = _why_not_kept(medium, media, size)
            if why is None:
                why = drawn.why_again(medium.name, source)
            if why is not None:
                if why:
                    echo(why)
                medium.draw(runs, VideoOptions(VideoSpec(size=size), theme("light"), out=out, progress=False))
                drawn.note(medium.name, source)
    except ProjectError:  # what is kept may show another run: gone, so that no deck shows it as this one
        for path in medium.made_of(media):
            if path.is_file() and not path.is_symlink():
                path.unlink()
        if medium.name in drawn.sources:
            drawn.note(medium.name, None)
        raise
    return medium.files(media)


def _explorer_html(medium: Medium, sweep: Path, seed: int, out: Path, echo: Callable[[str], None] = print) -> str:
    """Beside the 784-256-2 trajectories videos: the explorer of their run, on the same epochs."""
    from report.explorer import run_explorer

    if not medium.explore or medium.epochs is None:  # the trajectories media, both of the 784-256-2
        return ""
    folder = sweep / medium.member_names(seed)[0]
    if not RunFolder(folder).run_file.exists():
        return ""
    return run_explorer(folder, folder.name, out, explorer_data_path(folder.name), epochs="{}-{}".format(*medium.epochs), keep=True, echo=echo)


def explorer_data_path(name: str) -> str:
    """Where the explorer data of the run `name` lies, relative to the lecture folder."""
    return f"media/explorer/{name}.js"


def _media_html(path: Path, root: Path, caption: str) -> str:
    relative = markup.link(path.relative_to(root).as_posix())
    text = f"<figcaption>{markup.text(caption)}</figcaption>"
    if path.suffix == ".mp4":
        poster = markup.link(poster_path(path).relative_to(root).as_posix())
        return f'<figure class="clip"><video controls preload="metadata" playsinline poster="{poster}"><source src="{relative}" type="video/mp4"></video>{text}</figure>'
    return f'<figure class="still"><img src="{relative}" alt="{markup.text(caption)}" loading="lazy">{text}</figure>'


def _verdict_cell(verdict: str) -> str:
    return f'<td class="verdict {markup.text(verdict.split()[0] if verdict else "")}">{markup.text(verdict)}</td>'


def _quick_look(seeds: list[int], full_seeds: int = FULL_SEEDS) -> str:
    if len(seeds) >= full_seeds:
        return ""
    return (f'<p class="missing"><b>A quick look, not the lecture\'s verdicts:</b> {len(seeds)} seed{"s" * (len(seeds) != 1)}, fewer than the '
            f"page's {full_seeds} (0-{full_seeds - 1}). Below 6 seeds no rank or sign interval exists at 95%, so no claim about a location "
            "(a ratio or difference by seed, a value against its reference) can be decided, whatever the numbers, and a spread over "
            "seeds needs 6 seeds a net; run the lecture with its default seeds for them.</p>")


def _counts(claims: list[Claim]) -> str:
    own = {verdict: sum(c.verdict == verdict for c in claims if c.primary) for verdict in ("holds", "contradicted", "inconclusive")}
    after = {verdict: sum(c.holm == verdict for c in claims if c.primary) for verdict in ("holds", "contradicted", "inconclusive")}
    primary, secondary = sum(c.primary for c in claims), sum(not c.primary for c in claims)
    return (f"<p>Of the {primary} primary rows: {own['holds']} hold, {own['contradicted']} contradicted, {own['inconclusive']} inconclusive "
            f"on their own; after Holm over the primary rows {after['holds']} hold, {after['contradicted']} contradicted, "
            f"{after['inconclusive']} inconclusive ({secondary} secondary rows, other reads of a sentence, are left out of the family).</p>")


def _note_row(note: str) -> str:
    """A row's numbers (every seed's values, dead runs, the sensitivity line) under it, across the
    table and folded: in a column of their own, 15 seeds' lists made the table some 50,000 pixels tall."""
    if not note:
        return ""
    return (f'<tr class="note"><td></td><td colspan="8"><details><summary>the numbers</summary>'
            f"{markup.text(note)}</details></td></tr>")


def _claims_html(claims: list[Claim], seeds: list[int], scorer=None, glance: str = "", full_seeds: int = FULL_SEEDS, plan: str = "") -> str:
    from science.evidence import ADVERBS, SHARES

    rows = "".join(f"<tr><td class=\"row\">{number}</td><td>{markup.text(c.text)}<br><small>{'primary' if c.primary else 'secondary'}</small></td>"
                   f"<td>{markup.text(c.measure)}<br><small>{markup.text(c.statistic)}</small></td><td>{markup.text(c.effect_text())}</td>"
                   f"<td>{markup.text(c.threshold_text())}</td>{_verdict_cell(c.verdict)}{_verdict_cell(c.holm)}"
                   f"<td>{markup.text(c.flip_text())}</td><td>{markup.text(c.needed_text())}</td></tr>" + _note_row(c.note)
                   for number, c in enumerate(claims, 1))
    words = "".join(f"<tr><td>{markup.text(a.word)}</td><td>x{a.factor:g}</td><td>{markup.text(a.meaning)}</td><td>{markup.text(a.reason)}</td></tr>"
                    for a in ADVERBS.values())
    words += "".join(f"<tr><td>{markup.text(s.word)}</td><td>{s.share:.0%}</td><td>{markup.text(s.meaning)}</td><td></td></tr>" for s in SHARES.values())
    classifier = ""
    if scorer is not None:
        dead = getattr(scorer, "dead_features", None)
        classifier = (f"<p>Generated samples are scored by a small MNIST classifier trained once, deterministically, and cached: test accuracy "
                      f"{scorer.accuracy:.2%}" + (f", {dead} of its {scorer.features} penultimate features dead (never active on the test set)"
                                                   if dead is not None else "") + f" (trained in {scorer.seconds:.0f} s; {markup.text(scorer.version)}).</p>")
    return (f'<section id="claims"><h2>The page\'s claims, checked over seeds {markup.text(", ".join(map(str, seeds)))}</h2>'
            + _quick_look(seeds, full_seeds) + _counts(claims) + glance +
            "<p>Every finished run counts, a dead encoder included (its note names it and gives the estimate without dead runs beside it). "
            "Each claim's effect is measured per seed; the brackets are its 95% interval over the seeds, from statistics that one wild "
            "seed cannot dominate: for one value per seed against a fixed reference (a radius against 1, a slope against 0, a distance "
            "against its bound), the median with the sign-test interval, which assumes nothing of the seeds' shape; for ratios and "
            "differences of two nets paired by seed, the Hodges-Lehmann estimate (the pseudo-median of the per-seed ratios or "
            "differences) with the Wilcoxon signed-rank interval; for paired counts, the seeds up, down and tied and the exact sign "
            "test on the untied ones (no interval: the counts and the p-value are shown); the ratio of mean absolute deviations from "
            "the median with the interval of Welch's test on them for ratios of spreads (6 seeds a net or more); Clopper-Pearson for "
            "shares of seeds. Each interval inverts a one-sided test against the threshold: <b>holds</b> when the whole interval lies "
            "past the threshold on the side the page predicts (that test's p-value is at most 2.5%); <b>contradicted</b> when it lies "
            "wholly on the other side; <b>inconclusive</b> otherwise. A claim that is false is called holds at most 2.5% of the time: "
            "exactly for shares, sign tests and counts; for paired ratios and differences when the per-seed differences are symmetric "
            "(as two nets that do not differ give them); for spreads approximately (within 2.5% plus simulation error in the tests' "
            "normal, mixed and heavy-tailed worlds at 6 seeds a net or more). One seed gives no interval; a tie never holds. "
            "With many rows some verdicts are wrong by chance: <b>after Holm</b> adjusts together the two one-sided tests of every "
            "primary row (toward its side and toward the other: Holm's step-down over both), so the chance that any primary row holds "
            "or is contradicted falsely is at most 2.5%. <b>Flips</b>: the threshold at which the "
            "verdict would change (the interval's bound nearest it). <b>To decide</b>: a lower bound, the seeds an effect as far "
            "from the threshold as its interval allows would need to be decided 80% of the time (none is given for shares and counts).</p>"
            + classifier
            + f"<p>The plan (each row's claim, text, statistic, threshold, side, primary read and scale, with the 2.5% level, "
            f"the 95% intervals and the rules for dead runs; built without data) has sha256 <code>{plan}</code>: a change to it changes this.</p>"
            f'<table class="numbers claims"><thead><tr><th>#</th><th>claim</th><th>per-seed effect</th><th>estimate [95% interval]</th><th>the words ask</th>'
            f"<th>verdict</th><th>after Holm</th><th>flips</th><th>to decide</th></tr></thead><tbody>{rows}</tbody></table>"
            '<h3>What the words ask, fixed before looking</h3><table class="numbers claims"><thead><tr><th>words</th><th>threshold</th>'
            f"<th>meaning</th><th>why this number</th></tr></thead><tbody>{words}</tbody></table></section>")


def _precision_note(sweep: Path) -> str:
    """The page's subtitle names products other than fp32: its numbers are those runs' (a sweep holds one precision)."""
    from sweep.plan import load_plan

    others = sorted({config.matmul_precision for config in load_plan(sweep).values()} - {"fp32"})
    return f"; its nets trained with {markup.text(' and '.join(others))} matrix products" if others else ""


def write_page(out: Path, sweep: Path, seeds: list[int], size: tuple[int, int], echo: Callable[[str], None],
               scorer=None, test_images=None, page: Page = LECTURE) -> tuple[Path, list[Claim], float]:
    """Render the page's media (the first seed's runs) and write index.html; returns it, the claims
    and the seconds spent rendering. `scorer` (science.classifier) scores generated samples."""
    media = out / "media"
    make_folder(media, f"{page.what}'s media folder")
    started = time.perf_counter()
    claims = page.check(sweep, seeds, scorer, test_images)  # first: a paragraph may say its claims' verdicts
    checking = time.perf_counter() - started
    echo(f"claims checked in {checking:.1f} s (samples scored included)")
    started = time.perf_counter()
    drawn = DrawnFrom(media, echo)
    body = []
    for number, paragraph in enumerate(page.paragraphs(), 1):
        body.append(f'<p class="{"caption" if is_caption(paragraph) else "text"}">{markup.text(paragraph)}</p>')
        figures = []
        for medium in page.media.get(number, []):
            seed = medium.seed_shown(sweep, seeds)
            try:
                files = _render(medium, sweep, seed, media, size, echo, drawn)
            except ProjectError as exc:  # one medium that cannot be drawn (a run without checkpoints, say) does not stop the page
                echo(f"not rendered: {medium.name}: {exc}")
                figures.append(f'<p class="missing">{markup.text(medium.caption)}: could not be rendered ({markup.text(str(exc))}).</p>')
                continue
            if not files:
                figures.append(f'<p class="missing">{markup.text(medium.caption)}: its run is not in the sweep yet.</p>')
            figures += [_media_html(path, out, medium.caption) for path in files]
            figures.append(_explorer_html(medium, sweep, seed, out, echo))
        if figures:
            body.append('<div class="clips">' + "".join(figures) + "</div>")
        if page.after is not None:
            body.append(page.after(number, claims))
    rendering = time.perf_counter() - started
    html = ((ASSETS / "index.html").read_text()
            .replace("{{BODY}}", "".join(body) + _claims_html(claims, seeds, scorer, glance_html(claims, out, media), page.full_seeds,
                                                             plan_hash(page.check)))
            .replace("{{HEADING}}", page.heading).replace("<body>", '<body class="lecture">')
            .replace("{{TITLE}}", f"its text, videos and figures, and its claims checked over seeds {markup.text(', '.join(map(str, seeds)))}"
                                  f"{_precision_note(sweep)}"))
    for asset in ("report.css", "report.js", "explorer.css", "explorer.js"):
        write_text_atomically(out / asset, (ASSETS / asset).read_text())
    write_text_atomically(out / "index.html", html)
    record = ClaimsFile(tuple(seeds), tuple(ClaimRecord.of(claim) for claim in claims), len(seeds) < page.full_seeds, plan_hash(page.check))
    write_text_atomically(out / CLAIMS_FILE, json.dumps(record.to_json(), indent=1) + "\n")
    echo(f"{page.kind} page: {out / 'index.html'}  (rendering {rendering:.1f} s)")
    return out / "index.html", claims, rendering


def lecture_home(kind: str, matmul_precision: str = "fp32") -> Path:
    """Where `lecture` (kind "lecture" or "beyond") goes without --out: outputs/lecture (outputs/beyond), or
    with bf16 products outputs/lecture-bf16 (outputs/beyond-bf16), whose runs are others and never share
    the fp32 page's folder."""
    from owners import home

    folder = home(kind)
    return folder if matmul_precision == "fp32" else folder.with_name(f"{folder.name}-{matmul_precision}")


# A 10-epoch lecture member on one core of the project's 2-core machine, by the precision of its products (BENCHMARKS.md:
# 24.7 s fp32 and 20.4 s bf16 on average in session 14's two 15-seed lectures, 2 workers x 1 thread)
MEMBER_SECONDS = {"fp32": 24.7, "bf16": 20.4}


def training_estimate(members: list, folder: Path, workers: int, label: str = "lecture") -> str:
    """How many members are left to train and about how long they will take: from the seconds per
    epoch the finished members of this sweep recorded, else from MEMBER_SECONDS."""
    import numpy as np

    from sweep.plan import member_state
    from train.runfile import RunFile

    done = {config.run_name for config in members if member_state(folder / config.run_name, config) == "finished"}  # each run file opened once here
    finished, per_epoch = len(done), []
    for name in sorted(done):
        try:
            with RunFile(folder / name) as run:
                per_epoch.append(float(np.median(run.losses().seconds)))
        except Exception:  # noqa: BLE001 - an estimate only: a file it cannot read does not stop the lecture
            pass
    left = [config for config in members if config.run_name not in done]
    if not left:
        return f"{label}: {len(members)} members, all trained"
    epochs = sum(config.epochs for config in left)
    if per_epoch:
        seconds, source = float(np.median(per_epoch)) * epochs, f"the median epoch of the {len(per_epoch)} member{'s' * (len(per_epoch) != 1)} trained here"
    else:
        seconds = sum(MEMBER_SECONDS[config.matmul_precision] / 10 * config.epochs for config in left)
        typical = MEMBER_SECONDS[left[0].matmul_precision]
        source = f"about {typical:.0f} s a 10-epoch member per core, as measured in BENCHMARKS.md"
    minutes = seconds / max(1, workers) / 60
    return (f"{label}: {len(members)} members, {finished} trained, {len(left)} to train on {workers} worker{'s' * (workers > 1)}: "
            f"{'under a minute' if minutes < 1 else f'about {minutes:.0f} min'} ({source})")


LECTURE_FILES = ("sweep", "media", "index.html", "report.css", "report.js", "explorer.css", "explorer.js", CLAIMS_FILE, LECTURE_MARKER)  # and hidden ones


def check_out(out: Path, page: Page = LECTURE) -> None:
    """`--out` holds this page (or nothing): a sweep folder, media and the page, nothing else."""
    guard_out(out, page.kind)
    if out.is_dir():
        foreign = sorted(path.name for path in out.iterdir() if path.name not in (*LECTURE_FILES, page.marker)
                         and not path.name.startswith("."))
        if foreign:
            raise ProjectError(f"--out {out} holds files that are not a {page.what} ({', '.join(foreign[:5])}); choose another --out")
        names = sorted(path.name for path in out.iterdir() if not path.name.startswith("."))
        if names and kind_of(out) != page.kind:  # named like a lecture's files, but no lecture made them: a user's page
            raise ProjectError(f"--out {out} holds files that no {page.what} made ({', '.join(names[:5])}); choose another --out")


SCORES_FILE = ".sample-scores.json"  # the samples' scores, kept so that runs scored before are not scored again
PAGE_FILES = ("index.html", "report.css", "report.js", "explorer.css", "explorer.js", CLAIMS_FILE, SCORES_FILE)


def refuse_what_cannot_be_written(out: Path, seeds: list[int], classifier: Path, page: Page = LECTURE) -> None:
    """One line, before anything is trained or drawn, when a file the lecture writes (its page, its
    claims, a medium, its records, the cached classifier) has a folder in its place, or a folder it
    keeps files in is not one: found at the end, all the work before would be lost."""
    from kept import refuse_folders_in_the_way

    media = out / "media"
    files = [out / name for name in PAGE_FILES] + [media / MEDIA_RECORD]
    folders = [media, media / "explorer"]
    for medium in page.all_media():
        files += medium.made_of(media)
        folders += [media / medium.name] if medium.parts else []
        if medium.explore:  # beside it, the explorer of its run
            files += [out / explorer_data_path(medium.member_names(seed)[0]) for seed in seeds[:1]]
    refuse_folders_in_the_way(files, folders, f"the {page.what}")
    refuse_folders_in_the_way([classifier], [classifier.parent], f"the {page.what} (its cached sample classifier)")


def run_lecture(seeds: str, out: Path, executor: str = "local", jobs: int | None = None, address: str | None = None, size: str = "1080p",
                config_file: Path | None = None, epochs: int | None = None, track: str | None = None,
                data_dir: Path | None = None, progress: bool = True, echo: Callable[[str], None] = print, page: Page = LECTURE,
                matmul_precision: str = "fp32") -> Path:
    """Train (or continue) the lecture's sweep (or `page`'s), render the page and check its claims; says how long
    training, rendering and the rest took. Members that failed leave their media and claims out,
    and make the command fail at the end. One lecture at a time works in a folder: a second one
    started there waits for the first, saying so, then finds its work done."""
    from data.mnist import load_mnist
    from render.video import parse_size
    from science.classifier import cache_path
    from sweep.plan import config_groups, read_config, spec_from
    from sweep.run import check_request

    started = time.perf_counter()
    check_out(out, page)
    check_request(executor, jobs, address)
    if executor == "local":
        from train.loop import check_device_here

        check_device_here("auto", matmul_precision)
    video_size = parse_size(size)
    given = read_config(config_file) if config_file else page.sweep  # the page's own sweep (--config: another, for tests)
    spec = spec_from(config_groups(given), seeds, {"epochs": epochs or given.get("epochs"), "track": track or given.get("track"),
                                                   "matmul_precision": matmul_precision}, name=page.kind)
    mnist = load_mnist(data_dir)
    classifier = cache_path(mnist)
    _refuse_before_work(out, spec, classifier, page)
    make_folder(out, f"{page.what} folder")
    with updating(out, waiting=lambda: echo(f"another {page.what} is at work in {out}; waiting for it to finish")):
        check_out(out, page)  # again: another lecture may have worked here while this one waited
        _refuse_before_work(out, spec, classifier, page)
        return _run_locked(spec, out, executor, jobs, address, video_size, data_dir, mnist, progress, echo, started, page)


def _refuse_before_work(out: Path, spec, classifier: Path, page: Page = LECTURE) -> None:
    """One line when `--out` holds nets of another length or matmul precision, or a file the lecture writes
    cannot be written: before the training estimate, so that nothing is said of work that will not be done."""
    from sweep.plan import load_plan

    planned = load_plan(out / "sweep").values()
    trained, asked = {config.epochs for config in planned}, spec.options.get("epochs")
    if trained and asked is not None and trained != {asked}:  # the sweep's own message would offer options the lecture has not
        raise ProjectError(f"--out {out}: its nets were trained with --epochs {', '.join(map(str, sorted(trained)))}, not {asked}; "
                           f"give --out another folder for a {page.what} of this length")
    products, asked = {config.matmul_precision for config in planned}, spec.options.get("matmul_precision", "fp32")
    if products and products != {asked}:
        raise ProjectError(f"--out {out}: its nets were trained with {' and '.join(sorted(products))} matrix products, not {asked}; "
                           f"give --matmul-precision {sorted(products)[0]} to go on with it, or --out another folder")
    refuse_what_cannot_be_written(out, list(spec.seeds), classifier, page)


def _run_locked(spec, out: Path, executor: str, jobs: int | None, address: str | None, video_size: tuple[int, int],
                data_dir: Path | None, mnist, progress: bool, echo: Callable[[str], None], started: float, page: Page = LECTURE) -> Path:
    """`run_lecture`'s work, with the lecture folder's lock held."""
    from science.classifier import load_scorer
    from sweep.run import MembersFailed, run_sweep

    if not (out / page.marker).exists():
        write_text_atomically(out / page.marker, f"made by python cli.py lecture{' --beyond' * (page.kind == 'beyond')}; "
                              "it adds to this folder and replaces only its media and page\n")
    from sweep.local import cores, default_jobs

    members = spec.members()
    if page.kind == "beyond":  # its baseline is the lecture's own nets: a lecture already run has trained them
        from lecture.reuse import reuse_lecture_runs

        make_folder(out / "sweep", f"{page.what}'s sweep folder")
        reuse_lecture_runs(members, out / "sweep", lecture_home("lecture", members[0].matmul_precision) / "sweep", mnist.source, echo)
    echo(training_estimate(members, out / "sweep", min(jobs or default_jobs(len(members)), cores()) if executor == "local" else cores(), page.kind))
    failed = None
    try:
        run_sweep(spec, out / "sweep", executor, jobs, address, data_dir, progress=progress, echo=echo,
                  overwrite_hint=f"the {page.what} in {out} was trained with other options: give another --out for one with these")
    except MembersFailed as exc:  # the page shows what finished and says what is missing
        failed = exc
    training = time.perf_counter() - started
    scorer = load_scorer(mnist, echo)  # trained once, then read from the cache
    scorer.keep_in(out / SCORES_FILE, echo)  # runs scored before are not scored again
    index, claims, rendering = write_page(out, out / "sweep", list(spec.seeds), video_size, echo, scorer, mnist.test_images, page)
    scorer.save_to(out / SCORES_FILE)
    for claim in claims:
        echo(f"  {claim.verdict:<14} {claim.text}: {claim.effect_text()} ({claim.threshold_text()})")
    scoring = scorer.scoring_seconds
    echo(f"{page.kind}: {index}  (training {training:.0f} s, rendering {rendering:.0f} s, scoring samples {scoring:.0f} s, "
         f"the rest {time.perf_counter() - started - training - rendering - scoring:.0f} s)")
    if failed:
        raise failed
    return index
