"""What goes on which slide of `python cli.py slides`: one slide per video or figure of the runs,
sweeps and lecture folders given, titled with the run's architecture, mode, seed and epochs.

A run folder gives its `videos/` then its `figures/`; a sweep folder, its members' in plan order; a
lecture folder (made by `python cli.py lecture`), its media in the page's order (`lecture.lecture.PAGE`)
with the paragraph each stands beside as speaker notes, then the claims at a glance (`lecture.forest`'s
pages) and its claims table (`claims.json`) last.
Slides embed H.264 MP4 (it plays in PowerPoint, Keynote, Impress and Google Slides) and PNG figures;
WebM, GIF, ProRes MOV, SVG and PDF files are left out, each named in one line (the render commands
make MP4 and PNG by default, so the same clip or figure is one render away).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from atomic import fitting, read_small_text
from errors import ProjectError
from lecture.record import CLAIMS_FILE, ClaimRecord, ClaimsFile
from owners import PLAN_FILE, is_page
from render.sources import epochs_in_name
from render.video import poster_path
from report.collect import RunReport, collect, regular_inside
from sweep.plan import load_plan
from train.config import RunConfig
from train.runfile import RunFile
from train.runfolder import RUN_FILE_NAME, RunFolder

LEFT_OUT = {".webm": "WebM does not play in Keynote", ".gif": "a GIF is not a video a slide can play",
            ".mov": "ProRes 4444 does not play in PowerPoint", ".svg": "slides take PNG figures", ".pdf": "slides take PNG figures"}
HOW_TO_GET = {".webm": "render it again with --format mp4", ".gif": "render it again with --format mp4",
              ".mov": "render it again with --format mp4", ".svg": "render it again with a .png --out", ".pdf": "render it again with a .png --out"}


@dataclass(frozen=True)
class Slide:
    """One video (with its poster) or one PNG figure, and what the slide says about it."""

    title: str  # architecture · mode · seed · epochs
    caption: str  # the file's name, or the lecture's caption
    medium: Path
    poster: Path | None = None  # a video's poster: the frame shown before it plays
    notes: str = ""

    @property
    def is_video(self) -> bool:
        return self.medium.suffix.lower() == ".mp4"


@dataclass(frozen=True)
class ClaimsTable:
    """The lecture's claims as its page shows them (a deck shows each row's text, measure, numbers and verdict)."""

    seeds: list[int]
    rows: list[ClaimRecord] = field(default_factory=list)


@dataclass
class Deck:
    name: str  # for the default --out
    slides: list[Slide] = field(default_factory=list)
    claims: list[ClaimsTable] = field(default_factory=list)


def epochs_label(name: str, trained: int) -> str:
    """The epochs a medium shows, from the `_e2-10` / `_e10` its render command put in its name;
    otherwise how many epochs its run trained."""
    shown = epochs_in_name(name)
    if shown:
        return f"epochs {shown[0]}-{shown[1]}" if shown[1] != shown[0] else f"epoch {shown[0]}"
    return f"{trained} epoch{'s' * (trained != 1)} trained"


def _title(config: RunConfig, epochs: str) -> str:
    return f"{config.arch} · {config.mode}{config.options_note()} · seed {config.seed} · {epochs}"


def _usable(path: Path, echo: Callable[[str], None]) -> bool:
    suffix = path.suffix.lower()
    if suffix in LEFT_OUT:
        echo(f"left out {path}: {LEFT_OUT[suffix]} ({HOW_TO_GET[suffix]})")
        return False
    return True


def _run_slides(run: RunReport, echo: Callable[[str], None]) -> list[Slide]:
    slides = []
    for video in run.videos:
        if not _usable(video.path, echo):
            continue
        if video.poster is None:
            echo(f"left out {video.path}: no poster {poster_path(video.path).name} beside it (render it again)")
            continue
        slides.append(Slide(_title(run.config, epochs_label(video.path.name, run.epochs_done)), video.path.name, video.path, video.poster,
                            f"{run.name}: {video.path.name}"))
    for figure in run.figures:
        if _usable(figure, echo):
            slides.append(Slide(_title(run.config, epochs_label(figure.name, run.epochs_done)), figure.name, figure, None,
                                f"{run.name}: {figure.name}"))
    return slides


def nothing_to_show() -> ProjectError:
    return ProjectError("slides: nothing to show: no MP4 video or PNG figure in what was given "
                        "(render some first, e.g. python cli.py render trajectories --run RUN); no deck was made")


def _lecture_seeds(folder: Path, claims: ClaimsFile | None) -> list[int]:
    """The seeds the lecture was asked for (its media show the first, or the one a medium picks)."""
    if claims and claims.seeds:
        return list(claims.seeds)
    return sorted(config.seed for config in load_plan(folder / "sweep").values())


def _lecture_notes(paragraphs: list[str], number: int) -> str:
    """The paragraph a medium stands after; where that is a caption ("variational"), from the text
    paragraph before it on."""
    from lecture.lecture import is_caption

    first = number
    while first > 1 and is_caption(paragraphs[first - 1]):
        first -= 1
    return "\n\n".join(paragraphs[first - 1:number])


def _drawn_seed(medium, drawn: dict, seeds: list[int], sweep: Path) -> int:
    """The seed a medium's files were drawn from, as the page's record of its media says (the sweep
    may have changed since, and a medium that picks its seed could pick another now); the seed it
    would show now where the record names none of the seeds' runs."""
    record = drawn.get(medium.name) or {}
    by_runs = {tuple(medium.member_names(seed)): seed for seed in seeds}
    recorded = by_runs.get(tuple(record.get("runs") or ()))
    return recorded if recorded is not None else medium.seed_shown(sweep, seeds)


def _lecture_deck(folder: Path, echo: Callable[[str], None]) -> tuple[list[Slide], list[ClaimsTable]]:
    from lecture.lecture import DrawnFrom, shown_epochs
    from lecture.pages import page_of

    page = page_of(folder)  # the lecture's, or the page beyond it: each its own media in its own order

    claims = None
    if (folder / CLAIMS_FILE).exists():
        try:
            claims = ClaimsFile.from_json(json.loads(read_small_text(folder / CLAIMS_FILE, 1 << 20, "lecture's claims file")))
        except ProjectError as exc:
            echo(f"left out the claims table: {exc}")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            echo(f"left out the claims table: {folder / CLAIMS_FILE} is not the claims a lecture writes (run python cli.py lecture again)")
    else:
        echo(f"{folder}: no {CLAIMS_FILE} (a lecture made before the slides existed), so no claims slide; run python cli.py lecture again")
    seeds = _lecture_seeds(folder, claims)
    drawn = DrawnFrom(folder / "media", lambda line: None).sources if (folder / "media").is_dir() else {}  # no record: the seed it would show
    text = page.paragraphs()
    slides = []
    for number in sorted(page.media):
        for medium in page.media[number]:
            if not seeds:
                continue
            seed = _drawn_seed(medium, drawn, seeds, folder / "sweep")
            runs = [folder / "sweep" / name for name in medium.member_names(seed)]
            files = [path for path in medium.files(folder / "media") if regular_inside(path, folder)]
            if not files or not all(RunFolder(run).run_file.exists() for run in runs):
                continue
            try:
                with RunFile(runs[0]) as run:
                    trained = run.epochs_done
            except ProjectError as exc:  # one damaged member: its media are left out, as a sweep's deck leaves it out
                for path in files:
                    echo(f"left out {path}: {exc}")
                continue
            if medium.epochs:  # as the lecture renders it: its epochs, cut to those trained
                first, last = shown_epochs(medium.epochs, trained)
                epochs = f"epochs {first}-{last}" if first < last else f"epoch {last}"
            else:
                epochs = f"{trained} epoch{'s' * (trained != 1)} trained"
            modes = " vs ".join(" ".join(run[1:]) for run in medium.runs)  # mode, and the training options of a run beyond the lecture
            title = f"{medium.runs[0][0]} · {modes} · seed {seed} · {epochs}"
            for path in files:
                poster = poster_path(path) if path.suffix == ".mp4" else None
                if poster is not None and not regular_inside(poster, folder):
                    echo(f"left out {path}: no poster {poster.name} beside it (run python cli.py lecture again)")
                    continue
                caption = medium.caption + (f" ({path.name})" if len(files) > 1 else "")
                slides.append(Slide(title, caption, path, poster, _lecture_notes(text, number)))
    if claims is not None:
        slides += _forest_slides(folder)
    if claims is None:
        return slides, []
    rows = [replace(row, text=f"{number}. {row.text}") for number, row in enumerate(claims.claims, 1)]  # numbered as the forest plot's rows
    return slides, [ClaimsTable(list(claims.seeds), rows)]


def _forest_slides(folder: Path) -> list[Slide]:
    """The claims at a glance (lecture.forest's pages, as the lecture drew them), the slides just before
    its claims table, which numbers its rows as they do."""
    from lecture.forest import forest_files

    pages = [path for path in forest_files(folder / "media") if regular_inside(path, folder)]
    return [Slide("The claims at a glance" + (f" ({number} of {len(pages)})" if len(pages) > 1 else ""),
                  "each row of the claims table, by its number: the estimate and its 95% interval against what the words ask",
                  path, None, "One line per claim, numbered as in the claims table that follows; colour, marker and the word at the right "
                  "give the verdict, hollow markers are secondary reads, an arrow at an edge is an interval that runs past it.")
            for number, path in enumerate(pages, 1)]


def collect_deck(paths: list[Path], echo: Callable[[str], None] = print) -> Deck:
    """The slides of `paths`, in the order given; a path that is none of a run, a sweep and a lecture
    is one line, and so is nothing to show."""
    if not paths:
        raise ProjectError("slides: give at least one run, sweep or lecture folder")
    name = "+".join((Path(path).resolve().parent if Path(path).name == RUN_FILE_NAME else Path(path).resolve()).name for path in paths)
    deck = Deck(fitting(name, 155))  # the default deck's file name, with room for .pptx and a temporary name's parts
    for path in map(Path, paths):
        if not path.exists():
            raise ProjectError(f"{path}: no such run, sweep or lecture folder")
        before = len(deck.slides)
        if path.is_dir() and is_page(path):
            slides, claims = _lecture_deck(path, echo)
            deck.slides += slides
            deck.claims += claims
        elif (path.is_dir() and ((path / PLAN_FILE).is_file() or RunFolder(path).run_file.is_file())) or path.name == RUN_FILE_NAME:
            runs, sweeps, skipped = collect([path])
            for note in skipped:
                echo(f"left out: {note}")
            for run in [*runs, *(member for sweep in sweeps for member in sweep.runs)]:
                deck.slides += _run_slides(run, echo)
        else:
            raise ProjectError(f"{path}: neither a run (no {RUN_FILE_NAME}), a sweep (no {PLAN_FILE}) nor a lecture folder (no index.html beside sweep/)")
        if len(deck.slides) == before:
            echo(f"{path}: no videos or figures to show")
    if not deck.slides:
        raise nothing_to_show()
    return deck
