"""What the renderers read from a run: which run, its title, its epochs, its trained decoder, where outputs go.

Kept in one place so every command resolves `--run`, `--epoch`, `--dims` and default output
names the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from errors import ProjectError
from train.digit_choice import Classes, Indices, PerClass, parse_choice
from train.runfile import RunFile
from train.runfolder import RUN_FILE_NAME, RUNS_DIR, RunFolder


def latest_run() -> Path:
    """The most recently written run under outputs/runs."""
    runs = sorted(RUNS_DIR.glob(f"*/{RUN_FILE_NAME}"), key=lambda path: path.stat().st_mtime)
    if not runs:
        raise ProjectError(f"no runs under {RUNS_DIR}/; train one first (python cli.py train) or pass --run")
    return runs[-1].parent


def open_run(run_dir: Path | None) -> tuple[RunFile, bool]:
    """The run at `run_dir`, or the latest one when None; and whether it was the latest."""
    if run_dir is None:
        return RunFile(latest_run()), True
    return RunFile(run_dir), False


def run_title(run: RunFile) -> str:
    return f"{run.config.arch}  ·  {run.config.mode}{run.config.options_note('  ·  ')}"


def run_folder(run: RunFile) -> Path:
    return Path(run.path).parent


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


def require_latent_size(run: RunFile, minimum: int, view: str) -> None:
    """Refuse a run with too few latent variables for `view`, naming the views that can show it."""
    if run.latent_dim < minimum:
        other = "render latent" if run.latent_dim >= 2 else "render slices, or render collapse"
        raise ProjectError(f"{view} needs a latent size of at least {minimum}; this run's is {run.latent_dim} (try: {other})")


def parse_dims(text: str, latent_dim: int, count: int) -> tuple[int, ...]:
    """`0,1` -> (0, 1), checked against the run's latent size."""
    try:
        dims = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ProjectError(f"--dims {text!r}: give {count} comma-separated latent indices, like {','.join(map(str, range(count)))}") from None
    if len(dims) != count or len(set(dims)) != count:
        raise ProjectError(f"--dims {text!r}: give {count} different latent indices")
    if not all(0 <= d < latent_dim for d in dims):
        raise ProjectError(f"--dims {text!r}: this run's latent indices are 0..{latent_dim - 1}")
    return dims


def choose_digits(text: str | None, labels: np.ndarray, indices: np.ndarray, option: str = "--digits") -> np.ndarray:
    """`--digits`: which tracked digits a view shows, as row positions into the tracked arrays.

    `3,8` picks by class (the first tracked digit of each; `3:2` the second), `2-per-class` the first
    two of every class, `indices:123,456` by training-set index (as `train --track` spells it).
    None: all of them. Errors name `option` (views that pick one digit call it --from, --to)."""
    if text is None:
        return np.arange(len(labels))
    text = text.strip()
    choice = parse_choice(text, option)
    by_class = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels)}
    if isinstance(choice, PerClass):
        return np.sort(np.concatenate([rows[:choice.count] for rows in by_class.values()]))
    if isinstance(choice, Indices):
        position = {int(index): row for row, index in enumerate(indices)}
        missing = [index for index in choice.indices if index not in position]
        if missing:
            raise ProjectError(f"{option} {text!r}: training image {missing[0]} is not one of the run's tracked digits")
        return np.array([position[index] for index in choice.indices])
    if isinstance(choice, Classes):
        rows = []
        for pick in choice.picks:
            members = by_class.get(pick.digit, np.array([], int))
            if pick.nth < 1 or pick.nth > len(members):
                raise ProjectError(f"{option} {text!r}: {pick.text} asks for tracked digit {pick.nth} of class {pick.digit}; "
                                   f"the run tracks {len(members)} of that class")
            rows.append(members[pick.nth - 1])
        return np.array(rows)
    raise ProjectError(f"{option} {text!r}: use classes like 3,8 (3:2 for the second 3), N-per-class, or indices:123,456")


def decoder_at(run: RunFile, epoch: int | None = None):
    """The trained net (CPU, eval mode) saved at the end of `epoch` (default: the last)."""
    from train.checkpoints import load_model  # torch: imported by the views that decode, not by every render

    model, _ = load_model(run_folder(run), chosen_epoch(run, epoch), layers=run.config.layers)
    return model


def video_path(run: RunFile, out: Path | None, name: str) -> Path:
    """`--out` when given, else <run>/videos/<name>."""
    return Path(out) if out is not None else RunFolder(run_folder(run)).video(name)


def figure_path(run: RunFile, out: Path | None, name: str) -> Path:
    """`--out` when given, else <run>/figures/<name>."""
    return Path(out) if out is not None else RunFolder(run_folder(run)).figure(name)


def epochs_label(first: int, last: int) -> str:
    """How output names carry an epoch range: e3, or e2-10 (`epochs_in_name` reads it back)."""
    return f"e{first}" if first == last else f"e{first}-{last}"


EPOCHS_IN_NAME = re.compile(r"_e(\d+)(?:-(\d+))?(?:_|$)")  # `_<epochs_label>` ended by `_` or the end of the stem


def epochs_in_name(name: str) -> tuple[int, int] | None:
    """The epoch range a rendered file's name carries (`trajectories_e2-10.mp4` -> (2, 10)), or None:
    the inverse of `epochs_label`, kept beside it so that the format has one owner."""
    found = EPOCHS_IN_NAME.search(Path(name).stem)
    if not found:
        return None
    first = int(found[1])
    return first, int(found[2]) if found[2] else first
