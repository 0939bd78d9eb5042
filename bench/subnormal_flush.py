"""What flushing subnormal floats saves a training epoch, for each of the lecture's nets (issue 31).

train/denormals.py flushes subnormal floats to zero while an epoch trains: Adam's first moments of
dead ReLU units' weights stick in the subnormal range, where the CPU computes slowly. They appear
once units have died. So each net is trained twice from the same seed, one run never flushing and
one always (the same weights either way, BENCHMARKS.md), on one core as a sweep's worker runs, on
the full MNIST, their epochs in turn (off, on, off, on, ...: drift of the machine hits both); it
prints the least of the last `--pairs` epochs of each, their ratio, and how many of Adam's first
moments the run that never flushes holds in the subnormal range.

    python bench/subnormal_flush.py [--configs 784-256-2/variational,...] [--warm 4] [--pairs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import train.loop  # noqa: E402
from bench.member_breakdown import LECTURE  # noqa: E402
from data.mnist import load_mnist  # noqa: E402
from train.config import RunConfig  # noqa: E402
from train.denormals import subnormals_flushed  # noqa: E402
from train.loop import Trainer  # noqa: E402


class _NotFlushed:
    """Stands in for `subnormals_flushed` on the epochs trained without the flush."""

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False


def subnormal_moments(trainer: Trainer) -> tuple[int, int]:
    tiny = torch.finfo(torch.float32).tiny
    moments = [trainer.optimizer.state[param]["exp_avg"] for param in trainer.adam.params]
    return sum(int(((m != 0) & (m.abs() < tiny)).sum()) for m in moments), sum(m.numel() for m in moments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(LECTURE))
    parser.add_argument("--epochs", type=int, default=8, help="epochs each run trains")
    parser.add_argument("--pairs", type=int, default=4, help="the last epochs of each run that are compared")
    args = parser.parse_args()
    torch.set_num_threads(1)
    mnist = load_mnist()
    print("| net | mode | subnormal first moments (flush off) | epoch s, flush off | epoch s, flush on | on / off |")
    print("|---|---|---|---|---|---|")
    for entry in args.configs.split(","):
        arch, mode = entry.split("/")
        config = RunConfig(arch=arch, mode=mode, epochs=args.epochs, track="6-per-class", seed=0)
        with tempfile.TemporaryDirectory() as folder:
            never, always = (Trainer(config, mnist, Path(folder) / name, progress=False) for name in ("never", "always"))
            times = {False: [], True: []}
            for epoch in range(1, args.epochs + 1):
                for flushed, trainer in ((False, never), (True, always)):
                    train.loop.subnormals_flushed = subnormals_flushed if flushed else _NotFlushed
                    times[flushed].append(trainer.train_epoch(epoch).seconds)
            train.loop.subnormals_flushed = subnormals_flushed
            stuck = subnormal_moments(never)
            assert all(torch.equal(a, b) for a, b in zip(never.adam.params, always.adam.params)), "the flush moved a weight"
        off, on = min(times[False][-args.pairs:]), min(times[True][-args.pairs:])
        print(f"| {arch} | {mode} | {stuck[0]:,} of {stuck[1]:,} | {off:.2f} | {on:.2f} | x{on / off:.3f} |", flush=True)


if __name__ == "__main__":
    main()
