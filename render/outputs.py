"""Where results are written: checks that fail before any work is done, not after."""

from __future__ import annotations

import os
from pathlib import Path

from errors import ProjectError, make_folder

OUTPUTS = Path("outputs")  # runs live in outputs/runs; what shows two or more of them goes beside, in outputs/<kind>


def shared_output(kind: str, name: str) -> Path:
    """Where an output made from several runs goes by default (it belongs to none of them)."""
    return OUTPUTS / kind / name


def ensure_output_dir(path: Path) -> None:
    """Create the folder of `path` if needed and check that we may write there."""
    make_folder(path.parent, "output directory")
    if not os.access(path.parent, os.W_OK):
        raise ProjectError(f"cannot write to the output directory {path.parent}")
