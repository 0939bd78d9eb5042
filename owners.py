"""Which kind of output a folder holds, so that each command writes only into folders of its own kind.

A run folder holds a run file, a sweep folder its plan, a report and a lecture a marker file of
their own. A command given an `--out` that another kind owns refuses it in one line: a report
replaced over a sweep, or a sweep planted in a run folder, would mix two owners' files, and the next
replacement by either would take the other's with it.
"""

from __future__ import annotations

from pathlib import Path

from errors import ProjectError

RUN_FILE = "run.h5"  # what makes a folder a run's: train/runfolder.py names the run file from here
PLAN_FILE = "plan.json"
REPORT_MARKER = ".vae-trajectories-report"
LECTURE_MARKER = ".vae-trajectories-lecture"
NAMES = {"run": "a run", "sweep": "a sweep", "report": "a report", "lecture": "a lecture"}


def kind_of(folder: Path) -> str | None:
    """"run", "sweep", "report", "lecture", or None (not a folder, or none of ours)."""
    folder = Path(folder)
    try:
        if not folder.is_dir():
            return None
        if (folder / LECTURE_MARKER).exists():
            return "lecture"
        if (folder / REPORT_MARKER).exists():
            return "report"
        if (folder / "sweep" / PLAN_FILE).is_file() and (folder / "media").is_dir() and (folder / "index.html").is_file():
            return "lecture"  # made before lectures had a marker
        if (folder / PLAN_FILE).exists():
            return "sweep"
        if (folder / RUN_FILE).exists():
            return "run"
    except OSError:
        return None
    return None


def refuse_other_kind(folder: Path, mine: str, option: str = "--out") -> None:
    """One line when `folder` holds another kind of output than `mine`."""
    kind = kind_of(folder)
    if kind is not None and kind != mine:
        raise ProjectError(f"{option} {folder} holds {NAMES[kind]}, not {NAMES[mine]}; choose another {option}")
