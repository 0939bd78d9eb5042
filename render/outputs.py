"""Where results are written: checks that fail before any work is done, not after."""

from __future__ import annotations

import os
from pathlib import Path

from errors import ProjectError


def ensure_output_dir(path: Path) -> None:
    """Create the folder of `path` if needed and check that we may write there."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"cannot create the output directory {path.parent}: {exc.strerror}") from None
    if not os.access(path.parent, os.W_OK):
        raise ProjectError(f"cannot write to the output directory {path.parent}")
