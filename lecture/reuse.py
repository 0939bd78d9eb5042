"""Runs the page beyond the lecture takes from the lecture's sweep instead of training them again.

The page beyond pairs every remedy with the lecture's own nets, trained as the lecture trains them.
With the same options, seed, device, data and library versions those are the lecture's runs bit
for bit (training is deterministic), so a lecture already run holds 45 of the page's 210 members:
about a fifth of its training. A run is copied only when everything recorded that decides its
numbers matches (every option, the device, the data folder, torch's and numpy's versions), when it
finished, and when its folder holds only plain files and folders (a link could lead the page to
read anything). The copy is made under a hidden name in the page's sweep and renamed into place
whole, so a crash leaves no member half-copied; a copy that fails (a full disk) is removed, and
that member is trained instead.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path
from typing import Callable

from errors import ProjectError, printable
from sweep.plan import load_plan, member_state, same_options
from train.config import RunConfig
from train.runfile import RunFile

COPYING = ".copying-"  # the hidden prefix of a member folder being copied in


def _plain_tree(folder: Path) -> bool:
    """Only regular files and folders below `folder`, itself a folder and no link."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return False
        for root, folders, files in os.walk(folder, followlinks=False):
            for name in folders + files:
                mode = os.lstat(Path(root) / name).st_mode
                if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                    return False
        return True
    except OSError:
        return False


def _own(tree: Path) -> None:
    """Give the owner write access to a copied tree: copytree keeps the modes of a read-only lecture,
    and this page must be able to replace, or remove, what it copied."""
    for root, folders, files in os.walk(tree, followlinks=False):
        os.chmod(root, os.lstat(root).st_mode | stat.S_IRWXU)
        for name in files:
            path = Path(root) / name
            os.chmod(path, os.lstat(path).st_mode | stat.S_IRUSR | stat.S_IWUSR)


def _remove(copy: Path) -> None:
    """Remove a copy of this page's (owned first: a read-only one would not empty); never through a link."""
    if copy.is_symlink():
        copy.unlink(missing_ok=True)
        return
    try:
        _own(copy)
    except OSError:
        pass
    shutil.rmtree(copy, ignore_errors=True)


def _why(exc: OSError) -> str:
    """A failed copy in a few words: copytree gathers every file's failure into one shutil.Error (a
    list of (source, copy, message)); the first says enough, a full disk in plain words."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        first = exc.args[0][0]
        text = str(first[-1]) if isinstance(first, tuple) else str(first)
        return "the disk is full" if f"[Errno {errno.ENOSPC}]" in text else printable(text.split(":")[0])
    return "the disk is full" if exc.errno == errno.ENOSPC else printable(exc.strerror or str(exc))


def _same_numbers(source: Path, config: RunConfig, data_source: str, versions_here: dict[str, str]) -> bool:
    """Whether the finished run in `source` is the run `config` would train here, number for number:
    the same options (the loss's precision aside: the same weights either way, and the copy keeps its
    own) and device asked for (CUDA's random streams are not the CPU's), the same data
    folder, and the torch and numpy that drew its weights, noise, order and tracked digits. Not
    recorded in a run, so not compared: the device "auto" chose, and the project's own code (a
    lecture trained by an older checkout is taken as it is)."""
    if not _plain_tree(source) or member_state(source, config) != "finished":
        return False
    try:
        with RunFile(source) as run:
            saved = run.config
    except ProjectError:
        return False
    extra = saved.extra if isinstance(saved.extra, dict) else {}
    versions = extra.get("versions") if isinstance(extra.get("versions"), dict) else {}
    return (same_options(saved, config) and saved.epochs == config.epochs and saved.device == config.device
            and extra.get("data_source") == data_source and all(versions.get(name) == version for name, version in versions_here.items()))


def reuse_lecture_runs(members: list[RunConfig], sweep: Path, lecture_sweep: Path, data_source: str, echo: Callable[[str], None]) -> int:
    """Copy into `sweep` each member that has no folder there yet and that `lecture_sweep` (a lecture's
    sweep, listed in its plan) finished with the same numbers; returns how many were copied."""
    import numpy
    import torch

    versions_here = {"torch": torch.__version__, "numpy": numpy.__version__}
    if lecture_sweep.resolve() == sweep.resolve() or not lecture_sweep.is_dir():
        return 0
    try:
        planned = load_plan(lecture_sweep)
    except ProjectError:
        return 0  # a lecture folder this program cannot read gives nothing; the page trains its own
    for stale in sweep.glob(COPYING + "*"):  # a copy a killed page left: this page holds its folder's lock, so no copy is under way
        _remove(stale)
    copied = 0
    for config in members:
        name = config.run_name
        target, source = sweep / name, lecture_sweep / name
        if name not in planned or target.exists() or target.is_symlink():
            continue
        if not _same_numbers(source, config, data_source, versions_here):
            continue
        hidden = sweep / f"{COPYING}{name}-{os.getpid()}"
        try:
            shutil.copytree(source, hidden, symlinks=True)
            _own(hidden)
            os.rename(hidden, target)
            copied += 1
        except OSError as exc:
            _remove(hidden)
            echo(f"could not copy {name} from {lecture_sweep} ({_why(exc)}): it is trained instead")
    if copied:
        echo(f"{copied} finished run{'s' * (copied != 1)} taken from the lecture's sweep in {lecture_sweep} (the same nets, options, "
             "seeds and data: training is deterministic, so they are the runs this page would train)")
    return copied
