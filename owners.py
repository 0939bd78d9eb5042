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

RUN_FOLDERS = ("checkpoints", "snapshots", "videos", "figures")  # what train/runfolder.py makes beside the run file
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


def is_run_folder(folder: Path) -> bool:
    """A run folder as `train` leaves it: its run file and at least one folder a run makes beside it
    (checkpoints/, snapshots/, videos/, figures/). A stray run.h5 in a home or /tmp is no run folder:
    counting it as one would make every command under it refuse."""
    try:
        return (folder / RUN_FILE).is_file() and any((folder / inner).is_dir() for inner in RUN_FOLDERS)
    except OSError:
        return False


def _owner_above(folder: Path) -> tuple[str, Path] | None:
    """The nearest folder above `folder` (as written, or resolved) that holds an output of ours, and its kind."""
    folder = Path(folder)
    try:
        real = folder.resolve()
    except (OSError, RuntimeError):  # a loop of links: the path as written is all there is
        real = folder
    for chain in (Path(os.path.abspath(folder)).parents, Path(os.path.abspath(real)).parents):
        for above in chain:
            if is_run_folder(above):
                return "run", above
            kind = kind_of(above)
            if kind is not None and kind != "run":
                return kind, above
    return None


def refuse_other_kind(folder: Path, mine: str, option: str = "--out") -> None:
    """One line when `folder` holds another kind of output than `mine`, or lies inside a folder of
    ours (a run, a sweep, a report, a lecture): what is written there is foreign to it, and would
    block its owner's next replacement (`train --overwrite`, a rerun of the page) for good. The ones
    we make there ourselves pass: a sweep's runs (directly in it) and a lecture's sweep (its sweep/)."""
    kind = kind_of(folder)
    if kind is not None and kind != mine:
        raise ProjectError(f"{option} {folder} holds {NAMES[kind]}, not {NAMES[mine]}; choose another {option}")
    owner = _owner_above(folder)
    if owner is None:
        return
    kind, above = owner
    here = Path(os.path.abspath(folder))
    if (kind == "sweep" and mine == "run" and here.parent == Path(os.path.abspath(above))) or \
            (kind in PAGE_KINDS and mine == "sweep" and here == Path(os.path.abspath(above)) / "sweep"):
        return
    raise ProjectError(f"{option} {folder} lies inside {'the run' if kind == 'run' else NAMES[kind]} {above}; choose a folder outside it")


def refuse_file_inside(path: Path, option: str = "--out", run_media: bool = False) -> None:
    """One line when the file `path` would land inside a folder of ours. With `run_media` (a render's
    still or video), only runs count (a lecture renders into its own media/), and a run's own videos/
    and figures/ pass: they are where renders of it belong."""
    path = Path(path)
    owner = _owner_above(path)
    if owner is None or (run_media and owner[0] != "run"):
        return
    kind, above = owner
    if run_media and kind == "run" and Path(os.path.abspath(path)).parent in (Path(os.path.abspath(above)) / inner for inner in ("videos", "figures")):
        return
    where = "its videos/ or figures/" if run_media and kind == "run" else "it"
    raise ProjectError(f"{option} {path} lies inside {'the run' if kind == 'run' else NAMES[kind]} {above}; "
                       f"choose a place outside {where}")


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
