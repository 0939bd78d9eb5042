"""An epoch of the real Trainer against its matrix products, quickly, for paired comparisons (issue 31).

`member_breakdown.py` splits an epoch into its parts; this times only the whole (the least of a few
epochs on the full MNIST, one thread) and the matmul floor in the same process, in ~30 s, so two
checkouts can be run alternately, in rotating order, while the machine's load drifts:

    cd BASE && python bench/epoch_floor.py --arch 784-256-2; cd BRANCH && python bench/epoch_floor.py --arch 784-256-2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.member_breakdown import BATCH, TRAIN, matrix_floor  # noqa: E402
from data.mnist import load_mnist  # noqa: E402
from train.config import RunConfig  # noqa: E402
from train.loop import Trainer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="784-256-2")
    parser.add_argument("--mode", default="variational")
    parser.add_argument("--epochs", type=int, default=4, help="epochs timed (the least counts)")
    parser.add_argument("--loss-precision", choices=["exact", "fast"], help="as train --loss-precision (default: train's)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    chosen = {"loss_precision": args.loss_precision} if args.loss_precision else {}  # so a copy runs on checkouts from before the option
    config = RunConfig(arch=args.arch, mode=args.mode, epochs=args.epochs, track="6-per-class", seed=0, **chosen)
    mnist = load_mnist()
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(config, mnist, Path(folder) / "run", progress=False)
        times = []
        for epoch in range(1, args.epochs + 1):
            started = time.perf_counter()
            trainer.train_epoch(epoch)
            times.append(time.perf_counter() - started)
    floor = min(sum(matrix_floor(args.arch, TRAIN // BATCH).values()) for _ in range(2))
    print(f"{args.arch} {args.mode} {getattr(config, 'loss_precision', 'exact')}: epoch {min(times):.3f} s (epochs {' '.join(f'{t:.2f}' for t in times)}), "
          f"matmul floor {floor:.3f} s, whole / floor {min(times) / floor:.2f}x")


if __name__ == "__main__":
    main()
