"""What a report shows: the runs and sweeps given, with their media, configs and numbers.

A folder is a sweep when it holds a plan (`plan.json`), a run when it holds a run file. Media are the
videos and figures the render commands wrote into the run's `videos/` and `figures/` folders.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from errors import ProjectError
from sweep.plan import PLAN_FILE, load_plan
from train.runfile import RUN_FILE_NAME, RunFile

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
    config: dict
    provenance: dict
    epochs_done: int
    test_loss: list[float] | None  # final [reconstruction, penalty]
    videos: list[Video] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)


@dataclass
class SweepReport:
    folder: Path
    name: str
    rows: list[dict]  # the sweep summary
    runs: list[RunReport]
    curves: dict  # (arch, mode) -> list of per-seed test-loss curves


def _run_report(folder: Path, name: str) -> RunReport:
    with RunFile(folder) as run:
        options = {key: value for key, value in asdict(run.config).items() if key != "extra"}
        losses = run.losses().test[-1].tolist() if run.epochs_done else None
        report = RunReport(folder, name, options, run.config.extra, run.epochs_done, losses)
    videos_dir, figures_dir = folder / "videos", folder / "figures"
    if videos_dir.is_dir():
        for path in sorted(videos_dir.iterdir()):
            if path.suffix.lower() in VIDEO_SUFFIXES and not path.name.startswith("."):
                poster = path.with_suffix(".png")
                report.videos.append(Video(path, poster if poster.exists() else None))
    if figures_dir.is_dir():
        report.figures = [path for path in sorted(figures_dir.iterdir())
                          if path.suffix.lower() in FIGURE_SUFFIXES and not path.name.startswith(".")]
    return report


def _test_loss_curve(folder: Path) -> list[float]:
    with RunFile(folder) as run:
        return run.losses().test.sum(axis=1).tolist()


def collect(paths: list[Path]) -> tuple[list[RunReport], list[SweepReport]]:
    """The runs and sweeps of `paths`, each checked: a missing or empty folder is one line."""
    from sweep.summary import summarize

    runs, sweeps = [], []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise ProjectError(f"{path}: no such run or sweep folder")
        if (path / PLAN_FILE).is_file():
            members = [name for name in load_plan(path) if (path / name / RUN_FILE_NAME).exists()]
            member_reports = [_run_report(path / name, f"{path.name}/{name}") for name in members]
            curves: dict = {}
            for report in member_reports:
                if report.epochs_done:
                    curves.setdefault(f"{report.config['arch']} · {report.config['mode']}", []).append(_test_loss_curve(report.folder))
            sweeps.append(SweepReport(path, path.name, summarize(path), member_reports, curves))
        elif (path / RUN_FILE_NAME).is_file() or path.suffix == ".h5":
            folder = path if path.is_dir() else path.parent
            runs.append(_run_report(folder, folder.name))
        else:
            raise ProjectError(f"{path}: neither a run (no {RUN_FILE_NAME}) nor a sweep (no {PLAN_FILE})")
    if not runs and not sweeps:
        raise ProjectError("report: give at least one run or sweep folder")
    return runs, sweeps


def as_json(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True, default=str)
