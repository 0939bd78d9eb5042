"""Where results are written: checks that fail before any work is done, not after."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from errors import MAX_NAME_BYTES, ProjectError, make_folder
from owners import home, refuse_file_inside


def fitted_name(name: str) -> str:
    """A name this program derives (from two run names, or `--out`'s with `_sweep` added) as it is
    when it fits a file name's 255 bytes, else its stem cut and a hash of the whole name appended
    (`compare_<long>...-1a2b3c4d5e6f.png`): two long names still get two files, and the render
    fails neither after its work nor half made (a still written, then its sweep refused)."""
    from atomic import fitting

    if len(name.encode("utf-8", "surrogateescape")) <= MAX_NAME_BYTES:
        return name
    suffix = Path(name).suffix
    tail = f"-{hashlib.sha1(name.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}{suffix}"
    return fitting(name[:len(name) - len(suffix)], len(tail.encode("utf-8", "surrogateescape"))) + tail


def shared_video(name: str) -> Path:
    """Where a video made from several runs goes by default (it belongs to none of them): outputs/videos/."""
    return home("shared videos") / fitted_name(name)


def shared_figure(name: str) -> Path:
    """Where a figure made from several runs goes by default: outputs/figures/."""
    return home("shared figures") / fitted_name(name)


def ensure_output_dir(path: Path) -> None:
    """Refuse a place inside a run folder but its videos/ and figures/ (a file there would block its
    `train --overwrite`), create the folder of `path` if needed and check that we may write there."""
    refuse_file_inside(path, run_media=True)
    make_folder(path.parent, "output directory")
    if not os.access(path.parent, os.W_OK):
        raise ProjectError(f"cannot write to the output directory {path.parent}")
