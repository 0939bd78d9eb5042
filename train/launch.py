"""Starting, continuing or replacing a run: the policy behind `cli.py train`.

Where a run goes, which config a `--resume` continues (the saved one: options that contradict it
are refused), when an existing folder may be replaced (only with `--overwrite`, and only once the
data and tracked digits are known good), and that one process at a time trains a run folder.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from errors import ProjectError
from train.config import RunConfig
from train.runfile import RUN_FILE_NAME, RunFile

RUNS_DIR = Path("outputs") / "runs"


@dataclass(frozen=True)
class Launch:
    """What `train` was asked to do, checked: the config to train and where."""

    config: RunConfig
    run_dir: Path
    resume: bool
    replacing: bool  # an existing folder is replaced, once training can start

    @property
    def run_path(self) -> Path:
        return self.run_dir / RUN_FILE_NAME


def plan(options: dict, given: set[str], out: Path | None, resume: bool, overwrite: bool) -> Launch:
    """Check the request against what is on disk. `options` are `RunConfig` fields; `given`
    names those the user typed (a `--resume` refuses any that contradicts the saved config)."""
    config = RunConfig(**options)
    run_dir = Path(out) if out else RUNS_DIR / config.run_name
    run_path = run_dir / RUN_FILE_NAME
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
    replacing = run_path.exists() or (run_dir.exists() and any(run_dir.iterdir()))
    if replacing and not overwrite:
        raise ProjectError(f"{run_dir} already holds a run; use --overwrite to replace it, --resume to continue it, or --tag to name a new one")
    return Launch(config, run_dir, resume=False, replacing=replacing)


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


def train(launch: Launch, data_dir: Path | None, progress: bool, echo: Callable[[str], None]) -> Path:
    """Load MNIST, then train the planned run to its last epoch under the run folder's lock;
    returns the run file. `echo` receives the lines a user follows training by."""
    from data.mnist import load_mnist
    from train.lock import training_lock
    from train.loop import Trainer

    mnist = load_mnist(data_dir)
    config = launch.config if launch.resume else replace(launch.config, extra=provenance(mnist.source))
    echo(f"MNIST: {len(mnist.train_images)} train / {len(mnist.test_images)} test images from {mnist.source}")
    trainer = Trainer(config, mnist, launch.run_dir, progress=progress)

    def report(epoch, result):
        echo(f"epoch {epoch:>3}/{config.epochs}  train {result.train_loss.sum():8.2f}  test {result.test_loss.sum():8.2f}"
             f"  (recon {result.test_loss[0]:.2f} + penalty {result.test_loss[1]:.2f})  {result.seconds:.1f}s")

    with training_lock(launch.run_dir):  # before the old run is touched: another process may still be training it
        if launch.replacing:  # only now that data and tracking are known good is the old run removed
            shutil.rmtree(launch.run_dir)
        first_epoch = trainer.resume() if launch.resume else trainer.start()
        echo(f"run: {launch.run_dir}  ({config.arch}, {config.mode}, {len(trainer.tracked_index)} tracked digits, device {trainer.device})")
        trainer.run(first_epoch, on_epoch=report)
    return launch.run_path
