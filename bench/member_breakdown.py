"""Where a sweep member's time goes, against the matrix products it cannot avoid (issue 31).

For each of the lecture's configurations (sweeps/lecture.toml), on one core (torch threads 1, as
each of the lecture's 2 workers runs): one epoch of the real Trainer on the full MNIST, split into

- the matrix products alone: every product of the epoch timed with the same shapes, threads and
  data sizes (the batches forward and backward, the tracked digits' forward, the test and
  dead-unit passes as issue 31 counted them: the dead units are now counted on the test pass's
  hidden layers, so the epoch runs ~2% fewer products than this floor holds);
- the steps (the batches' forward, loss, backward and Adam), of which the tracked digits (the
  same epoch with tracking off, subtracted), and, measured apart on one batch, the loss (its value
  and gradient, as train/dense_step.py takes them) and Adam's
  update (memory-bound work: its floor is not zero);
- the end-of-epoch pass (test loss and codes, the dead units counted on its hidden layers), and
  the flushes (checkpoint, run file, resume state);
- the process start-up (import torch and the project, load MNIST), once a member.

The headline is the epoch's whole time over all its matrix products (issue 31's goal: at most
1.3x for 784-256-2; about 2.2x when it was filed). Run it alone: other work on the cores moves
every number.

    python bench/member_breakdown.py [--configs 784-256-2/variational,...] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from data.mnist import load_mnist  # noqa: E402
from train import checkpoints, runfile  # noqa: E402
from train.config import RunConfig  # noqa: E402
from train.denormals import subnormals_flushed  # noqa: E402
from train.dense_step import reconstruction_and_gradient  # noqa: E402
from train.loop import Trainer, _generator, evaluate  # noqa: E402
from train.model import loss_terms, penalty_sum  # noqa: E402

LECTURE = ["784-256-2/variational", "784-256-2/deterministic", "784-256-32-8-2/variational", "784-256-32-8-2/deterministic",
           "784-256-32-8-3/variational", "784-256-32-8-3/deterministic", "784-256-32-8-4/variational", "784-256-32-4/variational",
           "784-256-32-16-8/variational", "784-256-32-8/variational", "784-256-32-24-16/variational", "784-256-32-16/variational"]
BATCH, TRACKED, TEST, TRAIN = 100, 60, 10_000, 60_000


def _timed(work, repeats: int = 5) -> float:
    """The least of `repeats` timings of `work()` (seconds): what the work costs when nothing interrupts it."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def _products(sizes: list[tuple[int, int]], rows: int, backward: bool) -> list[tuple[int, int, int]]:
    """(m, k, n) of each matrix product of a dense stack over `rows` inputs: forward x W, and with
    `backward` the input gradient (but for the first layer, whose input needs none) and the weight gradient."""
    shapes = []
    for index, (fan_in, fan_out) in enumerate(sizes):
        shapes.append((rows, fan_in, fan_out))
        if backward:
            shapes.append((fan_in, rows, fan_out))  # dW = x^T dy
            if index:
                shapes.append((rows, fan_out, fan_in))  # dx = dy W^T
    return shapes


def _matmul_seconds(shapes: list[tuple[int, int, int]], times: int) -> float:
    """Seconds for `times` rounds of the products `shapes`, timed as one loop of real matmuls."""
    operands = [(torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)) for m, k, n in shapes]
    rounds = max(1, min(times, 50))

    def work():
        for _ in range(rounds):
            for a, b, out in operands:
                torch.mm(a, b, out=out)
    return _timed(work) * times / rounds


def layer_sizes(arch: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The encoder's (fan_in, fan_out) pairs, heads included, and the decoder's."""
    layers = [int(size) for size in arch.split("-")]
    *body, latent = layers
    encoder = list(zip(body, body[1:])) + [(body[-1], 2 * latent)]
    decoder = list(zip([latent, *reversed(body)], list(reversed(body))))
    return encoder, decoder


def matrix_floor(arch: str, steps: int) -> dict[str, float]:
    encoder, decoder = layer_sizes(arch)
    batch = _matmul_seconds(_products(encoder + decoder, BATCH, backward=True), steps)
    tracked = _matmul_seconds(_products(encoder, TRACKED, backward=False), steps)
    test = _matmul_seconds(_products(encoder + decoder, 2000, backward=False), TEST // 2000)
    dead = _matmul_seconds(_products(encoder[:-1], 2000, backward=False), TEST // 2000) if len(encoder) > 1 else 0.0
    return {"batches": batch, "tracked": tracked, "test": test, "dead": dead}


def step_parts(trainer: Trainer) -> dict[str, float]:
    """The loss and Adam's update on one batch, each alone (seconds a step)."""
    model, config = trainer.model, trainer.config
    x = trainer.train_x[:BATCH].float().div(255)
    logits, mu, logvar = model(x, sample=config.mode == "variational", generator=_generator(trainer.device, 0, 0, 2))
    logits, mu, logvar = logits.detach(), mu.detach(), logvar.detach()
    fast = config.loss_precision == "fast"

    loss = _timed(lambda: (reconstruction_and_gradient(logits, x, fast), penalty_sum(mu, logvar, config.mode)), 50)  # as the step takes them
    out = model(x, sample=config.mode == "variational", generator=_generator(trainer.device, 0, 0, 2))
    total = sum(loss_terms(out[0], x, out[1], out[2], config.mode, fast=fast))
    total.backward()
    adam = _timed(trainer.adam.step, 50)
    trainer.optimizer.zero_grad(set_to_none=True)
    return {"loss": loss, "adam": adam}


def startup_seconds() -> float:
    """A member's process start: Python, torch and the project imported, MNIST loaded."""
    code = "import torch, numpy, h5py; from train.loop import Trainer; from data.mnist import load_mnist; load_mnist()"
    return _timed(lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True), 3)


def measure(arch: str, mode: str, mnist, repeats: int, loss_precision: str = "exact") -> dict[str, float]:
    torch.set_num_threads(1)
    config = RunConfig(arch=arch, mode=mode, epochs=2, track="6-per-class", seed=0, loss_precision=loss_precision)
    steps = math.ceil(TRAIN / BATCH)
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(config, mnist, Path(folder) / "run", progress=False)
        trainer.start()
        epochs, untracked, tests, flushes = [], [], [], []
        with runfile.EpochAppender(trainer.run_path) as appender:
            for epoch in range(1, repeats + 1):
                started = time.perf_counter()
                result = trainer.train_epoch(epoch)
                epochs.append(time.perf_counter() - started)
                untracked.append(_timed(lambda: trainer.train_epoch(epoch, track=False), 1))
                with subnormals_flushed():  # as inside train_epoch
                    tests.append(_timed(lambda: evaluate(trainer.model, trainer.test_x, mode, _generator(trainer.device, 0, epoch, 3),
                                                         fast_loss=loss_precision == "fast"), 1))
                started = time.perf_counter()
                checkpoints.save_model(trainer.run_dir, epoch, trainer.model, config.layers)
                appender.append(result)
                checkpoints.save_resume(trainer.run_dir, epoch, trainer.model, trainer.optimizer)
                flushes.append(time.perf_counter() - started)
        with subnormals_flushed():  # Adam's moments as the epochs left them, timed as an epoch runs them
            parts = step_parts(trainer)
    floor = matrix_floor(arch, steps)
    epoch = min(epochs)
    # train_epoch ends with the test pass, which counts the dead units on the way: the steps are what is left of an untracked epoch
    return {"epoch": epoch, "steps": min(untracked) - min(tests), "tracked": epoch - min(untracked),
            "test": min(tests), "flush": min(flushes), "loss": parts["loss"] * steps, "adam": parts["adam"] * steps,
            "floor": sum(floor.values()), "floor_batches": floor["batches"], "floor_tracked": floor["tracked"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(LECTURE), help="arch/mode, comma-separated (default: the lecture's 12)")
    parser.add_argument("--repeats", type=int, default=2, help="epochs timed per configuration (the least counts)")
    parser.add_argument("--loss-precision", choices=["exact", "fast"], default=RunConfig().loss_precision, help="as train --loss-precision")
    args = parser.parse_args()
    mnist = load_mnist()
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, 1 thread, batch {BATCH}, {TRACKED} tracked digits, "
          f"loss precision {args.loss_precision}")
    print(f"process start-up (imports and MNIST): {startup_seconds():.2f} s a member")
    print("| net | mode | epoch s | steps s (untracked) | tracked s | test and dead units s | flush s | loss s | Adam s | matmul floor s | whole / floor |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for item in args.configs.split(","):
        arch, mode = item.split("/")
        row = measure(arch, mode, mnist, args.repeats, args.loss_precision)
        ratios.append(row["epoch"] / row["floor"])
        print(f"| {arch} | {mode} | {row['epoch']:.2f} | {row['steps']:.2f} | {row['tracked']:.2f} | {row['test']:.3f} | "
              f"{row['flush']:.3f} | {row['loss']:.2f} | {row['adam']:.2f} | {row['floor']:.2f} | {ratios[-1]:.2f}x |", flush=True)
    print(f"median whole / floor: {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
