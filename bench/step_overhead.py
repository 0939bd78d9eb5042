"""What a training step spends beyond its arithmetic and Adam: the most that any leaner code could still save (issue 31).

A step at batch 1 runs every operation of a step at batch 100, the same count in the same order,
but its products are matrix-vector ones and its element-wise passes touch a few hundred floats:
what it takes beyond Adam's update (the same ~400k weights at any batch size) and its own products
is the step's fixed cost: Python, PyTorch's dispatch and each kernel's start. No rewrite of the step
that keeps its operations (and so its numbers, bit for bit) can save more than that. The script
times, per net, one thread, subnormals flushed as an epoch trains, in rounds that alternate:

- the real step (`Trainer.train_step`) on one batch of 100 and on one digit;
- Adam's update alone, and the step's products alone at batch 1 (the same shapes, threads and data);

and prints the fixed cost against the batch-100 step, and the default 15-seed lecture's training time
if that cost were gone altogether (lecture.lecture.MEMBER_SECONDS, the measured member).

    python bench/step_overhead.py [--arch 784-256-2,784-256-32-8-2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.member_breakdown import TRAIN, _matmul_seconds, _products, _timed, layer_sizes  # noqa: E402
from data.mnist import load_mnist  # noqa: E402
from lecture.lecture import MEMBER_SECONDS  # noqa: E402
from train.config import RunConfig  # noqa: E402
from train.denormals import subnormals_flushed  # noqa: E402
from train.loop import Trainer  # noqa: E402

LECTURE_MEMBERS, WORKERS, EPOCHS = 180, 2, 10


def _per_call(work, calls: int = 200) -> float:
    """Seconds a call of `work`: the least mean over 3 loops of `calls`."""
    return _timed(lambda: [work() for _ in range(calls)], 3) / calls


def _step_seconds(trainer: Trainer, rows: int) -> float:
    """A real step on the first `rows` training digits, after 20 to warm up."""
    x = trainer.train_x[:rows].float().div(255)
    noise = torch.Generator().manual_seed(0)
    steps = iter(range(10**9))
    for _ in range(20):
        trainer.train_step(x, noise, next(steps))
    return _per_call(lambda: trainer.train_step(x, noise, next(steps)))


def measure(arch: str, mnist) -> dict[str, float]:
    """Seconds a step: at batch 100, at batch 1, Adam alone, batch 1's products alone."""
    config = RunConfig(arch=arch, mode="variational", epochs=1, track="1-per-class", seed=0)
    encoder, decoder = layer_sizes(arch)
    with tempfile.TemporaryDirectory() as folder, subnormals_flushed():
        trainer = Trainer(config, mnist, Path(folder) / "run", progress=False)
        return {"step_100": _step_seconds(trainer, 100), "step_1": _step_seconds(trainer, 1),
                "adam": _per_call(trainer.adam.step), "products_1": _matmul_seconds(_products(encoder + decoder, 1, backward=True), 200) / 200}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="784-256-2,784-256-32-8-2", help="nets, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the nets (medians reported)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    mnist = load_mnist()
    archs = args.arch.split(",")
    rounds: dict[str, list[dict[str, float]]] = {arch: [] for arch in archs}
    for index in range(args.rounds):
        for arch in archs if index % 2 == 0 else archs[::-1]:
            rounds[arch].append(measure(arch, mnist))
    print("| net | step, batch 100 (us) | step, batch 1 (us) | Adam (us) | batch 1's products (us) | fixed cost (us) | share of the batch-100 step |")
    print("|---|---|---|---|---|---|---|")
    shares = []
    for arch in archs:
        median = {key: statistics.median(row[key] for row in rounds[arch]) * 1e6 for key in rounds[arch][0]}
        fixed = median["step_1"] - median["adam"] - median["products_1"]
        shares.append(fixed / median["step_100"])
        print(f"| {arch} | {median['step_100']:.0f} | {median['step_1']:.0f} | {median['adam']:.0f} | {median['products_1']:.0f} | "
              f"{fixed:.0f} | {shares[-1]:.1%} |")
    member = MEMBER_SECONDS["fp32"]
    steps = EPOCHS * TRAIN / 100
    saved = max(shares) * member  # as if the steps were all of a member: an upper bound
    print(f"\nThe default lecture's member takes {member} s ({LECTURE_MEMBERS} members on {WORKERS} workers: "
          f"{member * LECTURE_MEMBERS / WORKERS / 60:.1f} min of training). With every step's fixed cost gone "
          f"(the largest share above, over all of a member's time, {steps:.0f} steps): at best {member - saved:.1f} s a member, "
          f"{(member - saved) * LECTURE_MEMBERS / WORKERS / 60:.1f} min; 35 min needs {35 * 60 * WORKERS / LECTURE_MEMBERS:.1f} s.")


if __name__ == "__main__":
    main()
