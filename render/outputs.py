"""Where results are written: checks that fail before any work is done, not after."""

from __future__ import annotations

import os
from pathlib import Path

from errors import ProjectError, make_folder
from owners import home, refuse_file_inside


def shared_video(name: str) -> Path:
    """Where a video made from several runs goes by default (it belongs to none of them): outputs/videos/."""
    return home("shared videos") / name


def shared_figure(name: str) -> Path:
    """Where a figure made from several runs goes by default: outputs/figures/."""
    return home("shared figures") / name


def ensure_output_dir(path: Path) -> None:
    """Refuse a place inside a run folder but its videos/ and figures/ (a file there would block its
    `train --overwrite`), create the folder of `path` if needed and check that we may write there."""
    refuse_file_inside(path, run_media=True)
    make_folder(path.parent, "output directory")
    if not os.access(path.parent, os.W_OK):
        raise ProjectError(f"cannot write to the output directory {path.parent}")
