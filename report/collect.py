"""What a report shows: the runs and sweeps given, with their media, configs and numbers.

A folder is a sweep when it holds a plan (`plan.json`), a run when it holds a run file. Media are the
videos and figures the render commands wrote into the run's `videos/` and `figures/` folders.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from errors import ProjectError
from owners import PLAN_FILE
from sweep.plan import load_plan
from train.config import RunConfig
from train.runfile import RunFile
from train.runfolder import RUN_FILE_NAME, RunFolder

if TYPE_CHECKING:
    from sweep.summary import SummaryRow

VIDEO_SUFFIXES = (".mp4", ".webm", ".gif", ".mov")
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


@dataclass(frozen=True)
class Video:
    path: Path
    poster: Path | None

    @property
    def kind(self) -> str:
        return self.path.suffix[1:].lower()


@dataclass
class RunReport:
    folder: Path
    name: str
    config: RunConfig  # its `extra` is the run's provenance
    epochs_done: int
    test_loss: list[float] | None  # final [reconstruction, penalty]
    videos: list[Video] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)

    @property
    def provenance(self) -> dict:
        return self.config.extra

    @property
    def options(self) -> dict:
        """The options it was trained with, as `train` takes them (no provenance)."""
        return {key: value for key, value in asdict(self.config).items() if key != "extra"}


@dataclass
class SweepReport:
    folder: Path
    name: str
    rows: list[SummaryRow]
    runs: list[RunReport]
    curves: dict  # (arch, mode) -> list of per-seed test-loss curves


def regular_inside(path: Path, root: Path) -> Path | None:
    """`path` itself (links resolved) when it is a regular file inside `root`, else None.

    A report copies what it shows: a link out of the run folder would copy a system file into the
    page (or, to an endless device, fill the disk), and a pipe or a folder named like a video has
    nothing to copy."""
    try:
        real, inside = path.resolve(strict=True), root.resolve(strict=True)
        mode = os.stat(real, follow_symlinks=False).st_mode
    except (OSError, RuntimeError):  # dangling, a loop, unreadable
        return None
    return real if stat.S_ISREG(mode) and real.is_relative_to(inside) else None


def _media_in(folder: Path, run_dir: Path, suffixes: tuple[str, ...], skipped: list[str]) -> list[Path]:
    """The files of `folder` with one of `suffixes` that a report may copy; the others named in `skipped`."""
    if folder.is_symlink():
        skipped.append(f"{folder} (a link, not a folder of the run's own)")
        return []
    try:
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        entries = []
    found = []
    for path in entries:
        if path.suffix.lower() not in suffixes or path.name.startswith("."):
            continue
        real = regular_inside(path, run_dir)
        if real is None:
            skipped.append(f"{path} (not a regular file inside the run folder)")
        else:
            found.append(path)
    return found


def _run_report(folder: Path, name: str, skipped: list[str]) -> RunReport:
    with RunFile(folder) as run:
        losses = run.losses().test[-1].tolist() if run.epochs_done else None
        report = RunReport(folder, name, run.config, run.epochs_done, losses)
    for path in _media_in(RunFolder(folder).videos, folder, VIDEO_SUFFIXES, skipped):
        poster = path.with_suffix(".png")
        report.videos.append(Video(path, poster if regular_inside(poster, folder) else None))
    report.figures = _media_in(RunFolder(folder).figures, folder, FIGURE_SUFFIXES, skipped)
    return report


def _test_loss_curve(folder: Path) -> list[float]:
    with RunFile(folder) as run:
        return run.losses().test.sum(axis=1).tolist()


def collect(paths: list[Path]) -> tuple[list[RunReport], list[SweepReport], list[str]]:
    """The runs and sweeps of `paths`, each checked: a missing or empty folder is one line. Also
    what was left out, and why: media that are not regular files inside their run folder, sweep
    members whose run file cannot be read."""
    from sweep.summary import summarize

    runs, sweeps, skipped = [], [], []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise ProjectError(f"{path}: no such run or sweep folder")
        if (path / PLAN_FILE).exists():
            member_reports = []
            for name in load_plan(path):
                if (path / name).is_symlink() and regular_inside(RunFolder(path / name).run_file, path) is None:
                    skipped.append(f"{path / name} (a link to a folder outside the sweep)")
                elif RunFolder(path / name).run_file.exists():
                    try:
                        member_reports.append(_run_report(path / name, f"{path.name}/{name}", skipped))
                    except ProjectError as exc:
                        skipped.append(f"{path / name} ({exc})")
            curves: dict = {}
            for report in member_reports:
                if report.epochs_done:
                    curves.setdefault(f"{report.config.arch} · {report.config.mode}{report.config.options_note()}", []).append(_test_loss_curve(report.folder))
            sweeps.append(SweepReport(path, path.name, summarize(path), member_reports, curves))
        elif RunFolder(path).run_file.is_file() or path.suffix == ".h5":
            folder = path if path.is_dir() else path.parent
            runs.append(_run_report(folder, folder.name, skipped))
        else:
            raise ProjectError(f"{path}: neither a run (no {RUN_FILE_NAME}) nor a sweep (no {PLAN_FILE})")
    if not runs and not sweeps:
        raise ProjectError("report: give at least one run or sweep folder")
    return runs, sweeps, skipped


def as_json(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True, default=str)
