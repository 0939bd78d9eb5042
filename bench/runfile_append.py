"""Seconds per end-of-epoch flush of the run file, as a run grows: our `EpochAppender` (a spare
one epoch behind, extended in place) against copying the whole file for every epoch (the scheme
before it, still what `append_epoch` does for a one-off).

Sizes of a 784-256-32-24-16 run with the default tracking: 60 digits, d = 16, 600 steps an epoch,
10,000 test encodings; ~5.9 MB an epoch.

    python bench/runfile_append.py [--epochs 100]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from train import runfile  # noqa: E402
from train.runfile import EpochAppender, EpochResult, Steps  # noqa: E402

TRACKED, LATENT, STEPS, TEST = 60, 16, 600, 10_000


def epoch_result(epoch: int, rng: np.random.Generator) -> EpochResult:
    codes = rng.standard_normal((2, STEPS, TRACKED, LATENT), np.float32)
    steps = Steps(mu=codes[0], logvar=codes[1], epoch=np.full(STEPS, epoch, np.int32), batch=np.arange(STEPS, dtype=np.int32),
                  loss=rng.random((STEPS, 2), np.float32))
    test = rng.standard_normal((2, TEST, LATENT), np.float32)
    return EpochResult(steps=steps, train_loss=np.ones(2, np.float32), test_loss=np.ones(2, np.float32), seconds=1.0,
                       test_mu=test[0], test_logvar=test[1])


def flush_seconds(directory: Path, epochs: int, keep_spare: bool) -> list[float]:
    """Seconds of each epoch's flush, for a fresh run file in `directory`."""
    rng = np.random.default_rng(0)
    path = directory / runfile.RUN_FILE_NAME
    step0 = np.zeros((TRACKED, LATENT), np.float32)
    runfile.create(path, "{}", np.arange(TRACKED), np.zeros(TRACKED, np.uint8), np.zeros((TRACKED, 28, 28), np.uint8),
                   np.zeros(TEST, np.uint8), step0, step0)
    seconds = []
    with EpochAppender(path) as appender:
        for epoch in range(1, epochs + 1):
            result = epoch_result(epoch, rng)
            started = time.perf_counter()
            if keep_spare:
                appender.append(result)
            else:
                runfile.append_epoch(path, result)
            seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "copy").mkdir()
        (Path(scratch) / "spare").mkdir()
        copying = flush_seconds(Path(scratch) / "copy", args.epochs, keep_spare=False)
        spare = flush_seconds(Path(scratch) / "spare", args.epochs, keep_spare=True)
        size = (Path(scratch) / "spare" / runfile.RUN_FILE_NAME).stat().st_size
    print(f"machine: {platform.machine()}, {platform.python_version()}; run file after {args.epochs} epochs: {size / 1e6:.0f} MB")
    for epoch in sorted({1, 2, 10, args.epochs // 2, args.epochs} & set(range(1, args.epochs + 1))):
        ours, base = spare[epoch - 1], copying[epoch - 1]
        print(f"flush of epoch {epoch:3d}: copy the file {base:6.3f} s, spare {ours:6.3f} s = {ours / base:.2f}x")
    print(f"all {args.epochs} flushes: copy the file {sum(copying):6.2f} s, spare {sum(spare):6.2f} s = {sum(spare) / sum(copying):.2f}x")


if __name__ == "__main__":
    main()
