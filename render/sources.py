"""What the renderers read from a run: its file, its trained decoder at an epoch, its name.

Kept in one place so every command resolves `--run`, `--epoch` and checkpoints the same way.
"""

from __future__ import annotations

from pathlib import Path

from errors import ProjectError
from train.checkpoints import load_model
from train.runfile import RunFile


def run_title(run: RunFile) -> str:
    config = run.config
    return f"{config.get('arch', '?')}  ·  {config.get('mode', '?')}"


def is_variational(run: RunFile) -> bool:
    return run.config.get("mode") == "variational"


def chosen_epoch(run: RunFile, epoch: int | None, option: str = "--epoch") -> int:
    """`epoch` checked against the finished epochs, or the last finished one; errors name `option`."""
    done = run.epochs_done
    if done == 0:
        raise ProjectError(f"{run.path}: no finished epoch yet, so no test-set encodings or trained decoder")
    if epoch is None:
        return done
    if not 1 <= epoch <= done:
        raise ProjectError(f"{option} {epoch}: this run has epochs 1..{done}")
    return epoch


def decoder_at(run: RunFile, epoch: int | None = None):
    """The trained net (CPU, eval mode) saved at the end of `epoch` (default: the last)."""
    model, _ = load_model(Path(run.path).parent, chosen_epoch(run, epoch))
    return model


def output_path(run: RunFile, out: Path | None, folder: str, name: str) -> Path:
    """`--out` when given, else <run>/<folder>/<name>."""
    return Path(out) if out is not None else Path(run.path).parent / folder / name
