"""Sweep speed: 8 members of 784-256-2 x 2 epochs (full MNIST) under the local executor, against
the same members trained one at a time with `train` (whole processes, torch's default threads),
and under Ray started here on the same cores; plus where a member's fixed cost goes.

    python bench/sweep_speed.py [--members 8] [--epochs 2] [--no-ray]

Run it alone: anything else on the machine takes cores from both sides.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "cli.py", *command], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def one_at_a_time(scratch: Path, members: int, epochs: int) -> float:
    return sum(timed(["train", "--arch", "784-256-2", "--seed", str(seed), "--epochs", str(epochs), "--out", str(scratch / f"alone-{seed}"),
                      "--quiet"]) for seed in range(members))


def sweep(scratch: Path, name: str, members: int, epochs: int, *extra: str) -> float:
    return timed(["sweep", "--arch", "784-256-2", "--mode", "variational", "--seeds", f"0-{members - 1}", "--epochs", str(epochs),
                  "--out", str(scratch / name), "--quiet", *extra])


def training_seconds(folder: Path) -> float:
    """Seconds the members spent in their epochs' training loops (the rest is fixed cost and evaluation)."""
    from train.runfile import RunFile
    from train.runfolder import RUN_FILE_NAME

    total = 0.0
    for path in folder.glob(f"*/{RUN_FILE_NAME}"):
        with RunFile(path) as run:
            total += float(np.sum(run.losses().seconds))
    return total


def member_setup_seconds(scratch: Path) -> float:
    """A member's own fixed cost in a worker: the trainer (net, data on the device, tracked digits)
    and the new run file with step 0."""
    from data.mnist import load_mnist
    from train.config import RunConfig
    from train.loop import Trainer

    mnist = load_mnist()
    started = time.perf_counter()
    Trainer(RunConfig(epochs=1), mnist, scratch / "setup", progress=False).start()
    return time.perf_counter() - started


def worker_start_seconds() -> tuple[float, float]:
    """What a worker pays once: interpreter, imports (torch, h5py, matplotlib-free), MNIST from the cache."""
    code = "import time; t = time.perf_counter(); from sweep.local import _start_worker; _start_worker(1, None); print(time.perf_counter() - t)"
    started = time.perf_counter()
    inner = float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout)
    return time.perf_counter() - started, inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores; {args.members} members of 784-256-2 x {args.epochs} epochs, full MNIST")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        alone = one_at_a_time(scratch, args.members, args.epochs)
        local = sweep(scratch, "local", args.members, args.epochs)
        print(f"one at a time with train (default threads): {alone:6.1f} s")
        print(f"local executor:                             {local:6.1f} s = {local / alone:.2f}x (goal <= 0.75x)")
        loops = training_seconds(scratch / "local")
        print(f"  of which the members' training loops:      {loops:6.1f} s of worker time ({loops / args.members:.2f} s a member)")
        if not args.no_ray:
            try:
                import ray  # noqa: F401
            except ImportError:
                print("ray: not installed (pip install '.[ray]')")
            else:
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", "import ray; ray.init(include_dashboard=False, logging_level='ERROR'); ray.shutdown()"],
                               check=True, capture_output=True)
                ray_start = time.perf_counter() - started
                on_ray = sweep(scratch, "ray", args.members, args.epochs, "--executor", "ray")
                print(f"Ray started here:                           {on_ray:6.1f} s = {on_ray / local:.2f}x the local executor (goal <= 1.25x)")
                print(f"  Ray's own start and stop (a bare ray.init + shutdown): {ray_start:.1f} s")
        setup = member_setup_seconds(scratch)
    whole, inside = worker_start_seconds()
    print(f"a member's fixed cost in a worker (trainer + run file with step 0): {setup:.2f} s (goal <= 1.5 s)")
    print(f"a worker's start, paid once per worker, not per member: {whole:.2f} s (of which imports + MNIST load: {inside:.2f} s)")


if __name__ == "__main__":
    main()
