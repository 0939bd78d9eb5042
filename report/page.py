"""The report: one static folder (index.html, report.css, report.js, media/) that works opened from
disk or zipped and opened elsewhere: relative links only, nothing fetched at view time.

The folder is built beside `--out` under a temporary name and swapped in whole (`atomic_folder`),
so a report is never half-written. It replaces only an earlier report, and only when that holds
nothing but the files the report made (listed in its marker file): a user's notes, a run or a sweep
put inside it are never deleted, the report is refused instead.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from atomic import atomic_folder, fitting, read_small_text
from errors import ProjectError, make_folder
from owners import PLAN_FILE, REPORT_MARKER, guard_out
from report import markup
from report.collect import RunReport, SweepReport, Video, as_json, collect, regular_inside
from report.explorer import DATA_FILE, run_explorer
from report.plots import inactive_svg, loss_curves_svg
from train.runfolder import RUN_FILE_NAME

if TYPE_CHECKING:
    from sweep.summary import SummaryRow

ASSETS = Path(__file__).resolve().parent / "assets"
MARKER = REPORT_MARKER  # what makes a folder an earlier report, which may be replaced
PLAYABLE = ("mp4", "webm")
# What a report made before its marker listed its files.
_EARLIER_REPORT = {"index.html", "report.css", "report.js", "media", "plots", MARKER}


def _files_under(folder: Path) -> list[str]:
    """Every file and link under `folder`, relative, without following links."""
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        relative = Path(root).relative_to(folder)
        found += [(relative / name).as_posix() for name in files]
        found += [(relative / name).as_posix() for name in dirs if (Path(root) / name).is_symlink()]
    return found


def _made_by_report(out: Path) -> set[str] | None:
    """The files the earlier report in `out` made, from its marker; None for a report made before
    the marker listed them (then: its known top-level names)."""
    try:
        return set(json.loads(read_small_text(out / MARKER, 16 << 20, "report marker"))["files"])
    except (ValueError, KeyError, TypeError, OSError, RecursionError):
        return None


def _check_out(out: Path) -> None:
    if (out / MARKER).exists() and not (out / MARKER).is_file():
        raise ProjectError(f"--out {out}: its report marker is not a file; move the folder, or choose another --out")
    guard_out(out, "report")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not (out / MARKER).exists():
        names = ", ".join(sorted(path.name for path in out.iterdir())[:5])
        raise ProjectError(f"--out {out} holds files that are not a report ({names}); choose another --out")
    made = _made_by_report(out)
    if made is None:
        foreign = [name for name in _files_under(out) if name.split("/")[0] not in _EARLIER_REPORT
                   or Path(name).name in (RUN_FILE_NAME, PLAN_FILE)]
    else:
        foreign = [name for name in _files_under(out) if name not in made and name != MARKER]
    if foreign:
        shown = ", ".join(sorted(foreign)[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise ProjectError(f"--out {out} holds an earlier report and files it did not make ({shown}); the report replaces only its own "
                           "files: move them, or choose another --out")


class _Media:
    """Copies (hard links where it can) media into the report, each under a unique relative name."""

    def __init__(self, root: Path):
        self.root, self.used, self.groups = root, set(), set()

    def unique(self, relative: str) -> str:
        """`relative`, or a variant of it no other output of this report has (each part short enough to
        be a file name)."""
        folder, name = relative.rsplit("/", 1)
        folder = "/".join(fitting(part, 40) for part in folder.split("/"))
        stem, dot, suffix = name.rpartition(".")
        name = f"{fitting(stem, 60 + len(suffix))}.{suffix}" if dot else fitting(name, 60)
        relative = f"{folder}/{name}"
        while relative in self.used:
            relative = f"{folder}/x{len(self.used)}-{name}"
        self.used.add(relative)
        return relative

    def group(self, name: str) -> str:
        """A folder (and page anchor) of its own for a run, even when two runs share a name."""
        base = fitting(name.replace("/", "__"), 60)
        group, number = base, 2
        while group in self.groups:
            group, number = f"{base}-{number}", number + 1
        self.groups.add(group)
        return group

    def add(self, source: Path, group: str) -> str:
        relative = self.unique(f"media/{group}/{source.name}")
        real = regular_inside(source, source.parent)  # looked at again as it is copied
        if real is None:
            raise ProjectError(f"{source}: changed while the report was built (no longer a regular file); build the report again")
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(real, target, follow_symlinks=False)
        except OSError:
            shutil.copyfile(real, target, follow_symlinks=False)
        return relative


_e = markup.text
_url = markup.link


def _video_html(video: Video, media: _Media, group: str, label: str) -> str:
    source = media.add(video.path, group)
    poster = media.add(video.poster, group) if video.poster else ""
    poster_url = _url(poster) if poster else ""
    caption = f"<figcaption>{_e(label)} · {_e(video.path.name)}</figcaption>"
    if video.kind in PLAYABLE:
        mime = "video/mp4" if video.kind == "mp4" else "video/webm"
        return (f'<figure class="clip"><video controls preload="metadata" playsinline poster="{poster_url}" data-label="{_e(label)} · '
                f'{_e(video.path.name)}"><source src="{_url(source)}" type="{mime}"></video>{caption}'
                f'<label class="pick"><input type="checkbox" class="compare"> side by side</label></figure>')
    if video.kind == "gif":
        return f'<figure class="clip"><img src="{_url(source)}" alt="{_e(video.path.name)}" loading="lazy">{caption}</figure>'
    still = f'<img src="{_url(poster)}" alt="poster of {_e(video.path.name)}" loading="lazy">' if poster else ""
    return (f'<figure class="clip">{still}<figcaption>{_e(label)} · <a href="{_url(source)}" download>{_e(video.path.name)}</a> '
            "(ProRes 4444 with transparency, for Keynote and editors; browsers do not play it)</figcaption></figure>")


def _run_html(run: RunReport, media: _Media) -> str:
    group = media.group(run.name)
    loss = (f"final test loss {sum(run.test_loss):.2f} = reconstruction {run.test_loss[0]:.2f} + penalty {run.test_loss[1]:.2f}"
            if run.test_loss else "no finished epoch yet")
    parts = [f'<section class="run" id="{_e(markup.url(group))}"><h3>{_e(run.name)}</h3>',
             f'<p class="facts">{_e(run.config.arch)} · {_e(run.config.mode)}{_e(run.config.options_note())} · seed {run.config.seed} · '
             f'{run.epochs_done} of {run.config.epochs} epochs · {_e(loss)}</p>']
    if run.videos:
        parts.append('<div class="clips">' + "".join(_video_html(video, media, group, run.name) for video in run.videos) + "</div>")
    else:
        parts.append(f'<p class="missing">No videos yet: <code>python cli.py render trajectories --run {_e(shlex.quote(str(run.folder)))}</code>, '
                     "or make this report with <code>--render</code>.</p>")
    explorer_data = media.unique(f"media/{group}/{DATA_FILE}")
    parts.append(run_explorer(run.folder, run.name, media.root, explorer_data))
    if run.figures:
        figures = []
        for figure in run.figures:
            source = media.add(figure, group)
            if figure.suffix.lower() == ".pdf":
                figures.append(f'<figure class="still"><a href="{_url(source)}">{_e(figure.name)} (PDF)</a></figure>')
            else:
                figures.append(f'<figure class="still"><img src="{_url(source)}" alt="{_e(figure.name)}" loading="lazy">'
                               f"<figcaption>{_e(figure.name)}</figcaption></figure>")
        parts.append('<div class="stills">' + "".join(figures) + "</div>")
    parts.append(f"<details><summary>config and provenance</summary><pre>{_e(as_json({'config': run.options, 'provenance': run.provenance}))}"
                 "</pre></details></section>")
    return "".join(parts)


DASH = "\u2013"  # a cell where the value does not apply
# Why a summary column shows a dash, said under the table where it does.
NOTES = {"active_encoder_variance": "for a net trained without sampling: its variance head is never trained, so it has no encoder variance "
                                    "(also where no latent variable is active, or no seed has finished)",
         **{column: "where no seed has finished yet" for column in ("seconds_per_epoch", "test loss mean", "test loss std")}}


def _cell(value) -> str:
    return DASH if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _table(rows: list[dict], notes: dict[str, str] | None = None) -> str:
    """Rows as a table; a value that does not apply is a dash, and `notes` says why under the table."""
    if not rows:
        return ""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    dashed = [column for column in columns if any(row.get(column) is None for row in rows) and column in (notes or {})]
    head = "".join(f"<th>{_e(column)}{'*' * (1 + dashed.index(column)) if column in dashed else ''}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(_cell(row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows)
    said = "".join(f'<p class="note">{"*" * (1 + index)} {_e(column)}: {DASH} {_e(notes[column])}.</p>' for index, column in enumerate(dashed))
    return f'<table class="numbers"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{said}'


def _plot(media: _Media, name: str, title: str, svg: str, numbers: list[dict]) -> str:
    """An SVG plot written into the report under a name of its own, with its numbers in a table beside it."""
    relative = media.unique(f"plots/{name}.svg")
    (media.root / relative).parent.mkdir(parents=True, exist_ok=True)
    (media.root / relative).write_text(svg)
    return f'<h3>{_e(title)}</h3><div class="plot"><img src="{_url(relative)}" alt="{_e(title)}"><details><summary>numbers</summary>{_table(numbers)}</details></div>'


def _summary_cells(row: SummaryRow) -> dict:
    """A summary row as the page's table shows it: one column per number, the test loss's mean and std
    (a configuration with no finished seed has only its counts: the table's columns come from the rows)."""
    counts = {"arch": row.arch, "mode": row.mode, **row.option_values, "seeds_planned": row.seeds_planned, "seeds_finished": row.seeds_finished}
    if not row.finished:
        return counts | {"test loss mean": None, "test loss std": None}
    return counts | {
            "active_encoder_variance": row.active_encoder_variance, "seconds_per_epoch": row.seconds_per_epoch,
            "dead_units": list(row.dead_units) if row.dead_units is not None else None, "dead_encoders": row.dead_encoders,
            "test loss mean": row.test_loss.mean if row.test_loss else None, "test loss std": row.test_loss.std if row.test_loss else None}


def _sweep_html(sweep: SweepReport, media: _Media) -> str:
    from sweep.summary import markdown

    parts = [f'<section class="sweep"><h2>Sweep {_e(sweep.name)}</h2>']
    summary = [_summary_cells(row) for row in sweep.rows]
    parts.append("<h3>Summary over seeds</h3>" + _table(summary, NOTES))
    parts.append(f"<details><summary>as Markdown</summary><pre>{_e(markdown(sweep.rows))}</pre></details>")
    if sweep.curves:
        parts.append(_plot(media, f"{sweep.name}-test-loss", "Test loss per epoch (mean, min-max over seeds)", *loss_curves_svg(sweep.curves)))
    if any(row.finished for row in sweep.rows):
        parts.append(_plot(media, f"{sweep.name}-inactive", "Inactive latent variables", *inactive_svg(sweep.rows)))
    parts += [_run_html(run, media) for run in sweep.runs]
    parts.append("</section>")
    return "".join(parts)


def write_report(runs: list[RunReport], sweeps: list[SweepReport], out: Path) -> Path:
    """Build the report into `out` (whole, or not at all); returns its index.html."""
    out = Path(out).resolve() if Path(out).is_symlink() else Path(out)  # a link to an earlier report: that report is replaced
    _check_out(out)
    make_folder(out.parent, "report's parent folder")
    with atomic_folder(out) as staging:
        media = _Media(staging)
        body = [_sweep_html(sweep, media) for sweep in sweeps]
        if runs:
            body.append('<section class="runs"><h2>Runs</h2>' + "".join(_run_html(run, media) for run in runs) + "</section>")
        page = (Path(ASSETS / "index.html").read_text()
                .replace("{{BODY}}", "".join(body)).replace("{{HEADING}}", "vae-trajectories report")
                .replace("{{TITLE}}", _e(", ".join([*(s.name for s in sweeps), *(r.name for r in runs)])[:120])))
        (staging / "index.html").write_text(page)
        for asset in ("report.css", "report.js", "explorer.css", "explorer.js"):
            shutil.copy(ASSETS / asset, staging / asset)
        (staging / MARKER).write_text(json.dumps({"made_by": "python cli.py report; it may replace these files, and only these",
                                                  "files": sorted(_files_under(staging))}, indent=1) + "\n")
    return out / "index.html"


def make_report(folders: list[Path], out: Path, render_missing: bool = False, echo: Callable[[str], None] = print,
                report_video: Callable = lambda rendered: None) -> Path:
    """`report`: collect the folders, render the trajectories of runs without a video when asked, write the page."""
    _check_out(Path(out))  # before anything is rendered for it
    runs, sweeps, skipped = collect(folders)
    if render_missing:
        _render_missing([*runs, *(run for sweep in sweeps for run in sweep.runs)], report_video, echo)
        runs, sweeps, skipped = collect(folders)
    for note in skipped:
        echo(f"left out: {note}")
    index = write_report(runs, sweeps, out)
    videos = sum(len(run.videos) for run in [*runs, *(run for sweep in sweeps for run in sweep.runs)])
    echo(f"report: {index}  ({len(runs)} run{'s' * (len(runs) != 1)}, {len(sweeps)} sweep{'s' * (len(sweeps) != 1)}, {videos} videos)")
    return index


def _render_missing(runs: list[RunReport], report_video: Callable, echo: Callable[[str], None]) -> None:
    from render.style import theme
    from render.video import VideoOptions, VideoSpec
    from render.views.trajectories import render_trajectories
    from train.runfile import RunFile

    for run in runs:
        if not run.videos and run.epochs_done:
            try:
                with RunFile(run.folder) as run_file:
                    report_video(render_trajectories(run_file, VideoOptions(VideoSpec(), theme("light"), progress=False)))
            except ProjectError as exc:  # one run that cannot be drawn (latent size 1, say) does not stop the report
                echo(f"not rendered: {run.folder}: {exc}")
