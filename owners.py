"""Which kind of output a folder holds, so that each command writes only into folders of its own kind.

A run folder holds a run file, a sweep folder its plan, a report and a lecture a marker file of
their own. A command given an `--out` that another kind owns refuses it in one line: a report
replaced over a sweep, or a sweep planted in a run folder, would mix two owners' files, and the next
replacement by either would take the other's with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from errors import ProjectError
from train.runfolder import RUN_FILE_NAME as RUN_FILE

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
    """One line when `folder` holds another kind of output than `mine`, or lies inside a run folder
    (in it, or in its videos/): what is written there is foreign to that run, and would block its
    `train --overwrite` for good."""
    kind = kind_of(folder)
    if kind is not None and kind != mine:
        raise ProjectError(f"{option} {folder} holds {NAMES[kind]}, not {NAMES[mine]}; choose another {option}")
    folder = Path(folder)
    try:
        real = folder.resolve()
    except (OSError, RuntimeError):  # a loop of links: the path as written is all there is
        real = folder
    for above in dict.fromkeys([*Path(os.path.abspath(folder)).parents, *Path(os.path.abspath(real)).parents]):
        if kind_of(above) == "run":
            raise ProjectError(f"{option} {folder} lies inside the run {above}; choose a folder outside it")
