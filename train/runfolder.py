"""The run folder: what the files around the run file are called, and which files a run folder holds.

The run file's datasets have one owner (`DATASETS` in runfile.py); this module is the owner of the
folder around it, so that no other module spells a file name of a run:

    outputs/runs/<arch>-<mode>-s<seed>[-<options>][-<tag>]/   RUNS_DIR / RunConfig.folder_name, unless `train --out`
        run.h5                        the run file (and run.h5.spare, run.h5.retiring while it trains)
        checkpoints/model-e001.pt     the weights after each epoch
        checkpoints/resume.pt         the latest model and optimizer state, for --resume
        snapshots/decoder-e001.h5     the decoder every K batches (train --snapshot-every K)
        videos/, figures/             what the render commands write by default
        .replaced-<pid>/              a run being replaced, until the new one has finished an epoch

It imports no torch and no h5py: the renderers that never decode ask it for paths too, and
config.py for the run name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from atomic import is_temporary
from owners import RUN_FILE, home

RUN_FILE_NAME = RUN_FILE  # owners.py decides what makes a folder a run's: the run file
RUNS_DIR = home("run")  # where `train` puts a run without --out, and where `render` looks for the latest
ASIDE_PREFIX = ".replaced-"  # + pid: a run being replaced, kept until the new one has an epoch
CHECKPOINTS, SNAPSHOTS, VIDEOS, FIGURES = "checkpoints", "snapshots", "videos", "figures"
CHECKPOINT_NAMES = f"{CHECKPOINTS}/model-e*.pt"  # as error messages name them
SNAPSHOT_PATTERN = SNAPSHOTS + "/decoder-e{epoch:03d}.h5"  # relative to the run folder; the run file holds it (its `snapshots` attribute)
_CHECKPOINT = re.compile(r"model-e(\d+)\.pt")
_RESUME_FILE = "resume.pt"
# The folders a run holds, and the files that belong in each.
_HOLDS = {
    CHECKPOINTS: re.compile(rf"{_CHECKPOINT.pattern}|{re.escape(_RESUME_FILE)}"),
    VIDEOS: re.compile(r"[^/]+\.(mp4|webm|gif|mov|png)"),
    FIGURES: re.compile(r"[^/]+\.(png|svg|pdf|json)"),
    SNAPSHOTS: re.compile(r"decoder-e\d+\.h5"),
}


def run_name(arch: str, mode: str, seed: int, tag: str = "", options: str = "") -> str:
    """`<arch>-<mode>-s<seed>[-<options>][-<tag>]`: the folder of a run under RUNS_DIR, and of a sweep's
    member inside its sweep (the lecture and its claims find the runs of a sweep by it). `options` names
    the training options that differ from their defaults (`b0.5-w2-glorot`, see RunConfig.run_name), so
    that runs trained differently never share a folder; with the defaults the name is what it always was."""
    return "-".join(part for part in (f"{arch}-{mode}-s{seed}", options, tag) if part)


@dataclass(frozen=True)
class RunFolder:
    """One run's folder (it need not exist yet): the paths of its files."""

    path: Path

    def __post_init__(self) -> None:  # callers hold a str as often as a Path
        object.__setattr__(self, "path", Path(self.path))

    @property
    def run_file(self) -> Path:
        return self.path / RUN_FILE_NAME

    def checkpoint(self, epoch: int) -> Path:
        """The weights saved at the end of `epoch`."""
        return self.path / CHECKPOINTS / f"model-e{epoch:03d}.pt"

    def saved_epochs(self) -> list[int]:
        """The epochs whose weights are saved, in order (none: []), read from the file names that
        `checkpoint` gives: a stray name (model-e1.pt, model-eX.pt) is none of them."""
        epochs = []
        for path in self.path.glob(CHECKPOINT_NAMES):  # nothing where the folder is missing or unreadable
            match = _CHECKPOINT.fullmatch(path.name)
            if match and path.name == self.checkpoint(int(match.group(1))).name:
                epochs.append(int(match.group(1)))
        return sorted(epochs)

    @property
    def resume_state(self) -> Path:
        return self.path / CHECKPOINTS / _RESUME_FILE

    def snapshot(self, epoch: int, pattern: str = SNAPSHOT_PATTERN) -> Path:
        """The decoder snapshots of `epoch`; `pattern` is the one the run file names (a run file
        holds its own, so that a later layout can still find an earlier run's)."""
        return self.path / pattern.format(epoch=epoch)

    @property
    def videos(self) -> Path:
        return self.path / VIDEOS

    @property
    def figures(self) -> Path:
        return self.path / FIGURES

    def video(self, name: str) -> Path:
        """Where a render command writes the video `name` of this run by default."""
        return self.videos / name

    def figure(self, name: str) -> Path:
        """Where a render command writes the figure `name` of this run by default."""
        return self.figures / name

    def foreign(self) -> list[str]:
        """What in the folder a run did not make: anything but its run file (and the appender's
        spares), its checkpoints and snapshots, the videos and figures rendered from it, a run set
        aside, and our own temporary files. `train --overwrite` replaces only a folder without any."""
        foreign = []
        for entry in sorted(self.path.iterdir()):
            if entry.name in (RUN_FILE_NAME, f"{RUN_FILE_NAME}.spare", f"{RUN_FILE_NAME}.retiring") and entry.is_file():
                continue
            if entry.name.startswith(ASIDE_PREFIX) or (is_temporary(entry.name) and entry.is_file()):
                continue
            if entry.name in _HOLDS and entry.is_dir() and not entry.is_symlink():
                pattern = _HOLDS[entry.name]
                foreign += [f"{entry.name}/{inner.name}" for inner in sorted(entry.iterdir())
                            if not (inner.is_file() and (pattern.fullmatch(inner.name) or is_temporary(inner.name)))]
                continue
            foreign.append(entry.name + ("/" if entry.is_dir() else ""))
        return foreign
