"""The report: one static folder (index.html, report.css, report.js, media/) that works opened from
disk or zipped and opened elsewhere: relative links only, nothing fetched at view time.

The folder is built beside `--out` under a temporary name and swapped in whole (`atomic_folder`),
so a report is never half-written; an `--out` holding anything but an earlier report is refused.
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from atomic import atomic_folder
from errors import ProjectError, make_folder
from report.collect import RunReport, SweepReport, Video, as_json, collect
from report.explorer import DATA_FILE, run_explorer
from report.plots import inactive_svg, loss_curves_svg

ASSETS = Path(__file__).resolve().parent / "assets"
MARKER = ".vae-trajectories-report"  # what makes a folder an earlier report, which may be replaced
PLAYABLE = ("mp4", "webm")


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ProjectError(f"--out {out}: a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        names = ", ".join(sorted(path.name for path in out.iterdir())[:5])
        raise ProjectError(f"--out {out} holds files that are not a report ({names}); choose another --out")


class _Media:
    """Copies (hard links where it can) media into the report, each under a unique relative name."""

    def __init__(self, root: Path):
        self.root, self.used = root, set()

    def add(self, source: Path, group: str) -> str:
        relative = f"media/{group}/{source.name}"
        while relative in self.used:
            relative = f"media/{group}/x{len(self.used)}-{source.name}"
        self.used.add(relative)
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        return relative


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _url(relative: str) -> str:
    """A relative path as an attribute value: URL-encoded (a run named "a #1" is a file, not a fragment), then escaped."""
    return _e(quote(relative))


def _video_html(video: Video, media: _Media, group: str, label: str) -> str:
    source = media.add(video.path, group)
    poster = media.add(video.poster, group) if video.poster else ""
    caption = f"<figcaption>{_e(label)} · {_e(video.path.name)}</figcaption>"
    if video.kind in PLAYABLE:
        mime = "video/mp4" if video.kind == "mp4" else "video/webm"
        return (f'<figure class="clip"><video controls preload="metadata" playsinline poster="{_url(poster)}" data-label="{_e(label)} · '
                f'{_e(video.path.name)}"><source src="{_url(source)}" type="{mime}"></video>{caption}'
                f'<label class="pick"><input type="checkbox" class="compare"> side by side</label></figure>')
    if video.kind == "gif":
        return f'<figure class="clip"><img src="{_url(source)}" alt="{_e(video.path.name)}" loading="lazy">{caption}</figure>'
    still = f'<img src="{_url(poster)}" alt="poster of {_e(video.path.name)}" loading="lazy">' if poster else ""
    return (f'<figure class="clip">{still}<figcaption>{_e(label)} · <a href="{_url(source)}" download>{_e(video.path.name)}</a> '
            "(ProRes 4444 with transparency, for Keynote and editors; browsers do not play it)</figcaption></figure>")


def _run_html(run: RunReport, media: _Media) -> str:
    group = run.name.replace("/", "__")
    loss = (f"final test loss {sum(run.test_loss):.2f} = reconstruction {run.test_loss[0]:.2f} + penalty {run.test_loss[1]:.2f}"
            if run.test_loss else "no finished epoch yet")
    parts = [f'<section class="run" id="{_e(group)}"><h3>{_e(run.name)}</h3>',
             f'<p class="facts">{_e(run.config.get("arch"))} · {_e(run.config.get("mode"))} · seed {_e(run.config.get("seed"))} · '
             f'{run.epochs_done} of {_e(run.config.get("epochs"))} epochs · {_e(loss)}</p>']
    if run.videos:
        parts.append('<div class="clips">' + "".join(_video_html(video, media, group, run.name) for video in run.videos) + "</div>")
    else:
        parts.append(f'<p class="missing">No videos yet: <code>python cli.py render trajectories --run {_e(run.folder)}</code>, '
                     "or make this report with <code>--render</code>.</p>")
    explorer_data = f"media/{group}/{DATA_FILE}"
    media.used.add(explorer_data)
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
    parts.append(f"<details><summary>config and provenance</summary><pre>{_e(as_json({'config': run.config, 'provenance': run.provenance}))}"
                 "</pre></details></section>")
    return "".join(parts)


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    columns = list(rows[0])
    head = "".join(f"<th>{_e(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(f'{row[c]:.3f}' if isinstance(row[c], float) else row[c])}</td>" for c in columns) + "</tr>"
                   for row in rows)
    return f'<table class="numbers"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _plot(root: Path, name: str, title: str, svg: str, numbers: list[dict]) -> str:
    """An SVG plot written into the report, with its numbers in a table beside it."""
    relative = f"plots/{name}.svg"
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_text(svg)
    return f'<h3>{_e(title)}</h3><div class="plot"><img src="{_url(relative)}" alt="{_e(title)}"><details><summary>numbers</summary>{_table(numbers)}</details></div>'


def _sweep_html(sweep: SweepReport, media: _Media, root: Path) -> str:
    from sweep.summary import markdown

    parts = [f'<section class="sweep"><h2>Sweep {_e(sweep.name)}</h2>']
    summary = [{key: value for key, value in row.items() if not isinstance(value, dict)} | {
        "test loss mean": row["test_loss"]["mean"] if "test_loss" in row else None,
        "test loss std": row["test_loss"]["std"] if "test_loss" in row else None} for row in sweep.rows]
    parts.append("<h3>Summary over seeds</h3>" + _table(summary))
    parts.append(f"<details><summary>as Markdown</summary><pre>{_e(markdown(sweep.rows))}</pre></details>")
    if sweep.curves:
        parts.append(_plot(root, f"{sweep.name}-test-loss", "Test loss per epoch (mean, min-max over seeds)", *loss_curves_svg(sweep.curves)))
    if any("inactive" in row for row in sweep.rows):
        parts.append(_plot(root, f"{sweep.name}-inactive", "Inactive latent variables", *inactive_svg(sweep.rows)))
    parts += [_run_html(run, media) for run in sweep.runs]
    parts.append("</section>")
    return "".join(parts)


def write_report(runs: list[RunReport], sweeps: list[SweepReport], out: Path) -> Path:
    """Build the report into `out` (whole, or not at all); returns its index.html."""
    out = Path(out)
    _check_out(out)
    make_folder(out.parent, "report's parent folder")
    with atomic_folder(out) as staging:
        media = _Media(staging)
        body = [_sweep_html(sweep, media, staging) for sweep in sweeps]
        if runs:
            body.append('<section class="runs"><h2>Runs</h2>' + "".join(_run_html(run, media) for run in runs) + "</section>")
        page = (Path(ASSETS / "index.html").read_text()
                .replace("{{BODY}}", "".join(body))
                .replace("{{TITLE}}", _e(", ".join([*(s.name for s in sweeps), *(r.name for r in runs)])[:120])))
        (staging / "index.html").write_text(page)
        for asset in ("report.css", "report.js", "explorer.css", "explorer.js"):
            shutil.copy(ASSETS / asset, staging / asset)
        (staging / MARKER).write_text("made by python cli.py report; may be replaced by it\n")
    return out / "index.html"


def make_report(folders: list[Path], out: Path, render_missing: bool = False, echo: Callable[[str], None] = print,
                report_video: Callable = lambda rendered: None) -> Path:
    """`report`: collect the folders, render the trajectories of runs without a video when asked, write the page."""
    runs, sweeps = collect(folders)
    if render_missing:
        _render_missing([*runs, *(run for sweep in sweeps for run in sweep.runs)], report_video)
        runs, sweeps = collect(folders)
    index = write_report(runs, sweeps, out)
    videos = sum(len(run.videos) for run in [*runs, *(run for sweep in sweeps for run in sweep.runs)])
    echo(f"report: {index}  ({len(runs)} run{'s' * (len(runs) != 1)}, {len(sweeps)} sweep{'s' * (len(sweeps) != 1)}, {videos} videos)")
    return index


def _render_missing(runs: list[RunReport], report_video: Callable) -> None:
    from render.style import theme
    from render.video import VideoOptions, VideoSpec
    from render.views.trajectories import render_trajectories
    from train.runfile import RunFile

    for run in runs:
        if not run.videos and run.epochs_done:
            with RunFile(run.folder) as run_file:
                report_video(render_trajectories(run_file, VideoOptions(VideoSpec(), theme("light"), progress=False)))
