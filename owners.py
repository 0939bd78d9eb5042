"""Where outputs go, and which kind of output a folder holds, so that each command writes only into
folders of its own kind.

Every default output lies under `outputs/` (relative to where a command runs), one home per kind
(`home`). A run folder holds a run file, a sweep folder its plan, a report and a lecture a marker
file of their own (`kind_of`). Every command that fills a folder checks it with `guard_out` first.

A command given an `--out` that another kind owns refuses it in one line: a report replaced over a
sweep, or a sweep planted in a run folder, would mix two owners' files, and the next replacement by
either would take the other's with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from errors import ProjectError

RUN_FILE = "run.h5"  # what makes a folder a run's: train/runfolder.py names the run file from here
PLAN_FILE = "plan.json"
REPORT_MARKER = ".vae-trajectories-report"
LECTURE_MARKER = ".vae-trajectories-lecture"
BEYOND_MARKER = ".vae-trajectories-beyond"  # the page beyond the lecture (`lecture --beyond`): a page of its own kind
NAMES = {"run": "a run", "sweep": "a sweep", "report": "a report", "lecture": "a lecture", "beyond": "a page beyond the lecture"}
PAGE_KINDS = ("lecture", "beyond")  # the folders `lecture` makes (a page, its sweep, media and claims): `slides` reads both
OUTPUTS = Path("outputs")
HOMES = {"run": "runs", "sweep": "sweeps", "report": "report", "lecture": "lecture", "beyond": "beyond", "slides": "slides",
         "shared videos": "videos", "shared figures": "figures"}  # what shows two or more runs (a pair's video, a comparison)


def home(kind: str) -> Path:
    """Where a kind of output goes when no --out is given: outputs/runs/<run>, outputs/sweeps/<sweep>,
    outputs/report, outputs/lecture, outputs/beyond, outputs/slides/<deck>, outputs/videos/, outputs/figures/."""
    return OUTPUTS / HOMES[kind]


def kind_of(folder: Path) -> str | None:
    """"run", "sweep", "report", "lecture", "beyond", or None (not a folder, or none of ours)."""
    folder = Path(folder)
    try:
        if not folder.is_dir():
            return None
        if (folder / LECTURE_MARKER).exists():
            return "lecture"
        if (folder / BEYOND_MARKER).exists():
            return "beyond"
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


def is_page(folder: Path) -> bool:
    """A folder `python cli.py lecture` made (the lecture's page or the page beyond it), as `slides` reads it."""
    return kind_of(folder) in PAGE_KINDS


def guard_out(folder: Path, mine: str, option: str = "--out") -> None:
    """The one check of a folder a command is about to fill with `mine`: a folder (or nothing yet),
    no other kind's, and not the folder the user is in nor one that holds it (filling it would take
    the user's own files with it)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ProjectError(f"{option} {folder}: a file, not a folder")
    refuse_other_kind(folder, mine, option)
    here = Path.cwd().resolve()
    if folder.resolve() == here or folder.resolve() in here.parents:
        raise ProjectError(f"{option} {folder} is the folder you are in (or holds it); give {NAMES[mine]} a folder of its own, e.g. {home(mine)}")
