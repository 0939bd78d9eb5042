"""Starting, continuing or replacing a run: the policy behind `cli.py train`.

Where a run goes, which config a `--resume` continues (the saved one: options that contradict it
are refused), when an existing folder may be replaced (only with `--overwrite`, only when it holds
nothing but a run, and for good only once the new run has finished an epoch), and that one process
at a time trains a run folder.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from atomic import is_temporary, process_exists
from errors import MAX_NAME_BYTES, ProjectError
from owners import guard_out
from train.config import RunConfig, check_fits_memory, check_new_tag
from train.runfile import RunFile
from train.runfolder import ASIDE_PREFIX, RUNS_DIR, RunFolder


@dataclass(frozen=True)
class Launch:
    """What `train` was asked to do, checked: the config to train and where."""

    config: RunConfig
    run_dir: Path
    resume: bool
    replacing: bool  # an existing folder is replaced, once training can start

    @property
    def run_path(self) -> Path:
        return RunFolder(self.run_dir).run_file


def plan(options: dict, given: set[str], out: Path | None, resume: bool, overwrite: bool) -> Launch:
    """Check the request against what is on disk. `options` are `RunConfig` fields; `given`
    names those the user typed (a `--resume` refuses any that contradicts the saved config)."""
    config = RunConfig(**options)
    if not resume:
        check_new_tag(config.tag)
    check_fits_memory(config.layers, config.batch_size, machine_memory(), "this machine")
    name_bytes = len(config.folder_name.encode())  # --arch and --tag are ASCII: only their length can go wrong
    if not out and name_bytes > MAX_NAME_BYTES:
        raise ProjectError(f"the run's name {config.folder_name[:40]}... would be {name_bytes} bytes, and a folder name takes at most "
                           f"{MAX_NAME_BYTES}: give a shorter --tag, or --out")
    run_dir = Path(out) if out else RUNS_DIR / config.folder_name
    guard_out(run_dir, "run", "--out" if out else "the default output")
    run_path = RunFolder(run_dir).run_file
    recover_set_aside(run_dir)
    if resume:
        if not run_path.exists():
            raise ProjectError(f"--resume: no run file at {run_path}")
        with RunFile(run_path) as run:
            saved = run.config
        clashes = [f"--{k.replace('_', '-')} {options[k]} (run has {getattr(saved, k)})" for k in sorted(given, key=list(options).index)
                   if k != "device" and getattr(saved, k) != options[k]]
        if clashes:
            raise ProjectError("--resume continues the saved config; these options differ: " + ", ".join(clashes))
        return Launch(replace(saved, device=config.device), run_dir, resume=True, replacing=False)
    replacing = run_dir.exists() and any(run_dir.iterdir())
    if replacing:
        foreign = RunFolder(run_dir).foreign()
        if not run_path.exists():  # no run file, no run: videos and figures there are someone's own
            kept = [entry.name + ("/" if entry.is_dir() else "") for entry in sorted(run_dir.iterdir())
                    if not (is_temporary(entry.name) or entry.name.startswith(ASIDE_PREFIX))]
            if kept:
                raise ProjectError(f"{run_dir} is not empty and holds no run ({_listed(foreign or kept)}); choose another --out")
            replacing = False
        if not overwrite:
            raise ProjectError(f"{run_dir} already holds a run; use --overwrite to replace it, --resume to continue it, or --tag to name a new one")
        if foreign:
            raise ProjectError(f"{run_dir} holds files that are not part of a run ({_listed(foreign)}); --overwrite replaces only a run's "
                               "own files: move them, or choose another --out")
    return Launch(config, run_dir, resume=False, replacing=replacing)


def _listed(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


class SetAside:
    """The run being replaced, moved into a hidden folder inside its own until the new run has
    finished an epoch: a new run that fails before that (a bad option, Ctrl-C, a full disk) gets
    the old one back instead of leaving nothing, or a run that cannot be resumed. Moving entries
    within the folder, not the folder, works through a symlinked folder too."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.folder = run_dir / f"{ASIDE_PREFIX}{os.getpid()}"
        self.folder.mkdir()
        self.moved = [entry.name for entry in sorted(run_dir.iterdir()) if not entry.name.startswith(ASIDE_PREFIX)]
        for name in self.moved:
            os.rename(run_dir / name, self.folder / name)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def restore(self) -> None:
        _put_back(self.run_dir, self.folder)


def _put_back(run_dir: Path, folder: Path) -> None:
    """Remove what a failed new run wrote in `run_dir`, and move the set-aside run back."""
    for entry in run_dir.iterdir():
        if entry.name.startswith(ASIDE_PREFIX):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in folder.iterdir():
        os.rename(entry, run_dir / entry.name)
    folder.rmdir()


def recover_set_aside(run_dir: Path) -> None:
    """A run set aside by a process that was killed (SIGKILL, power loss) before its new run
    finished an epoch comes back; one whose new run got that far is deleted."""
    if not run_dir.is_dir():
        return
    for folder in run_dir.glob(f"{ASIDE_PREFIX}*"):
        pid = folder.name[len(ASIDE_PREFIX):]
        if pid.isdigit() and int(pid) != os.getpid() and not process_exists(int(pid)):
            try:
                with RunFile(RunFolder(run_dir).run_file) as run:
                    established = run.epochs_done >= 1
            except ProjectError:
                established = False
            if established:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                _put_back(run_dir, folder)


def machine_memory() -> int:
    """This machine's memory in bytes (its physical pages), or a large number where it cannot tell."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def provenance(data_source: str) -> dict:
    """What a run file records of how it was made, beside its options."""
    import h5py
    import numpy
    import torch

    return {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": numpy.__version__, "h5py": h5py.__version__},
        "data_source": data_source,
    }


def set_threads(threads: int | None) -> None:
    """torch's intra-op threads for this process. Several training processes on too few cores must
    each use fewer: with torch's default (all cores each) their threads spin-wait for cores the
    others hold, and two such processes on 2 cores ran 17x slower than one."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def train(launch: Launch, data_dir: Path | None, progress: bool, echo: Callable[[str], None], mnist=None) -> Path:
    """Load MNIST (unless given, as a sweep's worker does once for all its members), then train the
    planned run to its last epoch under the run folder's lock; returns the run file. `echo`
    receives the lines a user follows training by."""
    from data.mnist import load_mnist
    from train.lock import training_lock
    from train.loop import Trainer

    mnist = mnist if mnist is not None else load_mnist(data_dir)
    config = launch.config if launch.resume else replace(launch.config, extra=provenance(mnist.source))
    echo(f"MNIST: {len(mnist.train_images)} train / {len(mnist.test_images)} test images from {mnist.source}")
    trainer = Trainer(config, mnist, launch.run_dir, progress=progress)

    def report(epoch, result):
        echo(f"epoch {epoch:>3}/{config.epochs}  train {result.train_loss.sum():8.2f}  test {result.test_loss.sum():8.2f}"
             f"  (recon {result.test_loss[0]:.2f} + penalty {result.test_loss[1]:.2f})  {result.seconds:.1f}s")

    with training_lock(launch.run_dir):  # before the old run is touched: another process may still be training it
        aside = SetAside(launch.run_dir) if launch.replacing else None
        if aside:
            echo(f"replacing the run in {launch.run_dir}: the old one is kept aside until the new one finishes its first epoch")

        def on_epoch(epoch, result):
            nonlocal aside
            report(epoch, result)
            if aside:  # the new run stands: the old one can go
                aside.discard()
                aside = None

        try:
            first_epoch = trainer.resume() if launch.resume else trainer.start()
            echo(f"run: {launch.run_dir}  ({config.arch}, {config.mode}{config.options_note(', ')}, {len(trainer.tracked_index)} tracked digits, device {trainer.device})")
            trainer.run(first_epoch, on_epoch=on_epoch)
        except BaseException:
            if aside:
                aside.restore()
                echo(f"the new run stopped before its first epoch ended; the old run is back in {launch.run_dir}")
            raise
    return launch.run_path
