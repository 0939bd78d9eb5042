"""What decoder snapshots cost: training time and disk per epoch, `train --snapshot-every K` against none.

Each configuration trains 784-256-2 on the full MNIST for --epochs epochs in a fresh process, one
after the other (never two at once), alternating with and without snapshots, --repeats times.
The time is the run file's own per-epoch training time (`epochs/seconds`), which covers the
batches and the snapshot copies; the snapshot files are written after it, so their writing is
timed apart, from the file's modification times.

    python bench/snapshot_cost.py [--every 10] [--epochs 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from train.runfile import RunFile  # noqa: E402
from train.runfolder import RunFolder  # noqa: E402


def train(out: Path, epochs: int, every: int) -> tuple[list[float], float, int]:
    """Per-epoch training seconds, the whole command's seconds, and the snapshot bytes of one epoch."""
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "train", "--arch", "784-256-2", "--epochs", str(epochs), "--snapshot-every",
                    str(every), "--out", str(out), "--quiet"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    total = time.perf_counter() - started
    with RunFile(out) as run:
        seconds = run.losses().seconds.tolist()
    last = RunFolder(out).snapshot(len(seconds))
    return seconds, total, last.stat().st_size if last.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results: dict[int, list] = {0: [], args.every: []}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            order = (0, args.every) if repeat % 2 == 0 else (args.every, 0)
            for every in order:
                out = Path(scratch) / f"r{repeat}-k{every}"
                results[every].append(train(out, args.epochs, every))
    base = statistics.median(s for seconds, _, _ in results[0] for s in seconds[1:] or seconds)
    snap = statistics.median(s for seconds, _, _ in results[args.every] for s in seconds[1:] or seconds)
    base_total = statistics.median(total for _, total, _ in results[0])
    snap_total = statistics.median(total for _, total, _ in results[args.every])
    size = results[args.every][0][2]
    print(f"784-256-2, full MNIST, {args.epochs} epochs x {args.repeats} runs each, alternating")
    print(f"  training time per epoch (median of later epochs): none {base:.2f} s, every {args.every} batches {snap:.2f} s "
          f"({100 * (snap / base - 1):+.1f}%)")
    print(f"  whole command: none {base_total:.1f} s, every {args.every} batches {snap_total:.1f} s ({100 * (snap_total / base_total - 1):+.1f}%)")
    print(f"  disk: {size / 2**20:.1f} MiB of snapshots an epoch ({size / 2**20 / 60:.2f} MiB a snapshot at 60 an epoch)")


if __name__ == "__main__":
    main()
